// `npm run test:stack`: EMS as a Docker Swarm stack on this machine's own engine, checked from outside.
// Makes sure a Docker engine and a one-node swarm run (docker/ensure-engine.sh), pulls or builds the
// base images (docker/offline/build-base-images.sh), then runs the README's Docker block as written
// (build, secrets, docker/deploy.sh), waits for every service to be healthy, and checks the stack
// through its real interfaces: REST, tRPC over HTTP, Socket.IO, RabbitMQ — while killing tasks,
// stopping databases and rolling web. Last line: one JSON object. Removes the stack, its volumes and
// secrets at the end (and any left by an earlier run at the start): it takes over the swarm's `ems` stack.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse } from "yaml";
import { docker, replicaCounts, waitFor } from "./docker.ts";
import { Entry, login } from "./ems-client.ts";
import { runChecks, type CheckResult } from "./checks.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const STACK = "ems";
const log = (message: string) => console.log(`[test:stack] ${message}`);

/** Runs a command with this process's output, failing on a non-zero exit. */
function sh(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ").slice(0, 80)} exited ${code}`))));
  });
}

/** The README's Docker block that this test runs as written (the fenced block after its marker). */
export function readmeDeployBlock(readme: string): string {
  const marker = readme.indexOf("<!-- test:stack runs this block -->");
  if (marker < 0) throw new Error("README.md has no `<!-- test:stack runs this block -->` marker");
  const match = /```bash\n([\s\S]*?)```/.exec(readme.slice(marker));
  if (!match?.[1]) throw new Error("no ```bash block after the README's test:stack marker");
  return match[1];
}

/** Extra certificate authorities npm must trust inside image builds (this machine's proxy's), as PEM text. */
function extraCaCerts(): string {
  // eslint-disable-next-line no-restricted-properties -- the machine's own setting, passed to docker build
  const named = process.env.NODE_EXTRA_CA_CERTS;
  // A whole system bundle is too long for a build argument: then only the certificates added locally.
  if (named && existsSync(named) && statSync(named).size < 64 * 1024) return readFileSync(named, "utf8");
  const local = "/usr/local/share/ca-certificates";
  if (!existsSync(local)) return "";
  return readdirSync(local)
    .filter((file) => file.endsWith(".crt"))
    .map((file) => readFileSync(path.join(local, file), "utf8"))
    .join("\n");
}

/** Secrets, configs and volumes the stack declares (to remove them with it). */
function declared(): { secrets: string[]; volumes: string[] } {
  const compose = parse(readFileSync(path.join(repoRoot, "docker-compose.yml"), "utf8")) as { secrets: object; volumes: object };
  return { secrets: Object.keys(compose.secrets), volumes: Object.keys(compose.volumes).map((v) => `${STACK}_${v}`) };
}

async function removeStack(): Promise<void> {
  const services = await docker(["stack", "services", "-q", STACK]).catch(() => "");
  if (services) {
    log(`removing stack ${STACK}`);
    await docker(["stack", "rm", STACK]);
  }
  await waitFor(
    "the stack's containers and network to go",
    async () => {
      const left = await docker(["ps", "-aq", "--filter", `label=com.docker.stack.namespace=${STACK}`]);
      const networks = await docker(["network", "ls", "-q", "--filter", `label=com.docker.stack.namespace=${STACK}`]);
      return left || networks ? undefined : true;
    },
    120_000,
  );
  const { secrets, volumes } = declared();
  const existingVolumes = new Set((await docker(["volume", "ls", "-q"])).split("\n"));
  const toRemove = volumes.filter((v) => existingVolumes.has(v));
  if (toRemove.length) await docker(["volume", "rm", ...toRemove]);
  const existingSecrets = new Set((await docker(["secret", "ls", "--format", "{{.Name}}"])).split("\n"));
  const secretsToRemove = secrets.filter((s) => existingSecrets.has(s));
  if (secretsToRemove.length) await docker(["secret", "rm", ...secretsToRemove]);
  const configs = (await docker(["config", "ls", "--format", "{{.Name}}"])).split("\n").filter((c) => c.startsWith(`${STACK}_`));
  if (configs.length) await docker(["config", "rm", ...configs]).catch(() => undefined);
}

/** Earlier runs' images (one tag per commit): only the newest stays, as the next build's cache. */
async function removeOlderImages(keepTag: string): Promise<void> {
  const images = (await docker(["image", "ls", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=ems/*"])).split("\n");
  const older = images.filter((image) => image && !image.endsWith(`:${keepTag}`));
  if (older.length) await docker(["image", "rm", ...older]);
}

async function main(): Promise<number> {
  const started = Date.now();
  await sh("bash", ["docker/ensure-engine.sh"]);
  await sh("bash", ["docker/offline/build-base-images.sh"]);
  await removeStack();

  const adminPassword = randomBytes(18).toString("base64url");
  const env = {
    ...process.env, // eslint-disable-line no-restricted-properties -- docker needs PATH, HOME
    // This machine's docker client has no buildx: the classic builder (the Dockerfile works with both).
    DOCKER_BUILDKIT: "0",
    EXTRA_CA_CERTS: extraCaCerts(),
    ADMIN_PASSWORD: adminPassword,
    EMS_DEMO: "1",
  };
  log("running the README's Docker block");
  const block = readmeDeployBlock(readFileSync(path.join(repoRoot, "README.md"), "utf8"));
  await sh("bash", ["-euo", "pipefail", "-c", block], env);
  const deployed = Date.now();
  // The tag the README's block built (the checkout's commit).
  const tag = (await promisify(execFile)("git", ["rev-parse", "--short=12", "HEAD"], { cwd: repoRoot })).stdout.trim();

  const counts = await waitFor(
    "every service to be running and healthy",
    async () => {
      const replicas = await replicaCounts(STACK);
      const ready = replicas.size > 0 && [...replicas.values()].every(({ running, desired }) => running === desired);
      return ready ? replicas : undefined;
    },
    300_000,
    2_000,
  );
  const secondsToHealthy = Math.round((Date.now() - deployed) / 100) / 10;
  const services = Object.fromEntries([...counts].map(([name, c]) => [name.replace(`${STACK}_`, ""), `${c.running}/${c.desired}`]));
  log(`healthy after ${secondsToHealthy} s: ${JSON.stringify(services)}`);

  const viaTraefik = (counts.get(`${STACK}_traefik`)?.desired ?? 0) > 0;
  const entry = new Entry(STACK, viaTraefik);
  // The first admin came from the admin_password secret: sign-in is the first thing to work.
  await waitFor("the admin to sign in", async () => login(await entry.web(), "admin", adminPassword), 60_000);

  const outcome = await runChecks({ stack: STACK, entry, adminPassword, log });
  const report = {
    secondsToHealthy,
    services,
    checks: outcome.checks.map(({ name, passed, pending, detail }: CheckResult) => ({ name, passed, ...(pending ? { pending } : {}), detail })),
    lost: outcome.lost,
    duplicated: outcome.duplicated,
    totalSeconds: 0,
  };
  await removeStack().catch((error: unknown) => log(`clean-up failed: ${String(error)}`));
  await removeOlderImages(tag).catch((error: unknown) => log(`image clean-up failed: ${String(error)}`));
  report.totalSeconds = Math.round((Date.now() - started) / 1000);
  for (const check of report.checks) log(`${check.passed === true ? "PASS" : check.passed === false ? "FAIL" : "PENDING"} ${check.name}${check.detail ? ` — ${check.detail}` : ""}`);
  const passed = report.checks.filter((c) => c.passed === true).length;
  const failed = report.checks.filter((c) => c.passed === false).length;
  console.log(`${passed} passed, ${failed} failed`);
  console.log(JSON.stringify(report));
  return failed === 0 && outcome.lost === 0 && outcome.duplicated === 0 ? 0 : 1;
}

// Exported for the helpers above to be unit-tested; run only as a script.
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().then(
    (code) => process.exit(code),
    async (error: unknown) => {
      console.error(`[test:stack] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      for (const service of ["web", "chat", "monitoring", "balancer", "rabbitmq"]) {
        const logs = await docker(["service", "logs", "--tail", "15", `${STACK}_${service}`]).catch(() => "");
        if (logs) console.error(`--- last logs of ${service}:\n${logs}`);
      }
      await removeStack().catch(() => undefined);
      process.exit(1);
    },
  );
}
