import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

interface Service {
  image: string;
  command?: string[];
  environment?: Record<string, string>;
  secrets?: { source: string }[];
  networks?: Record<string, unknown>;
  healthcheck?: { test: string[]; start_period?: string };
  ports?: { target: number; published?: number; mode?: string }[];
  volumes?: { source: string; target: string }[];
  deploy?: {
    replicas?: number;
    labels?: Record<string, string>;
    restart_policy?: { condition: string };
    update_config?: { order: string };
  };
}
interface Stack {
  services: Record<string, Service>;
  configs: Record<string, { name?: string; file?: string }>;
  networks: Record<string, { name?: string; driver?: string }>;
  secrets: Record<string, { external?: boolean }>;
  volumes: Record<string, unknown>;
}

/** What docker/deploy.sh sets: the image tag and the configs' content digests. */
const DEPLOY_ENV = { TAG: "0123456789ab", TRAEFIK_CONFIG_DIGEST: "traefikdigest", TRAEFIK_TLS_DIGEST: "tlsdigest", RABBITMQ_CONFIG_DIGEST: "rabbitdigest" };

/** The stack exactly as `docker stack deploy` would see it (anchors, merges and variables resolved). */
async function renderStack(env: Record<string, string> = {}): Promise<Stack> {
  const { stdout } = await run("docker", ["stack", "config", "-c", "docker-compose.yml"], {
    cwd: repoRoot,
    // eslint-disable-next-line no-restricted-properties -- the docker CLI needs PATH and HOME
    env: { ...process.env, ...DEPLOY_ENV, ...env },
  });
  return parse(stdout) as Stack;
}

const DATABASES = ["auth-db", "user-db", "device-db", "monitoring-db", "chat-db"];

describe("docker-compose.yml rendered by docker stack config", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await renderStack();
  });
  const service = (name: string): Service => {
    const s = stack.services[name];
    if (!s) throw new Error(`service ${name} missing`);
    return s;
  };

  it("has every process of EMS and its infrastructure", () => {
    expect(Object.keys(stack.services).sort()).toEqual(
      ["traefik", "web", "chat", "balancer", "monitoring", "simulator", "rabbitmq", ...DATABASES].sort(),
    );
  });

  it("runs two monitoring replicas, each told its task slot, with the partition count shared with the balancer", () => {
    const monitoring = service("monitoring");
    expect(monitoring.deploy?.replicas).toBe(2);
    expect(monitoring.environment?.TASK_SLOT).toBe("{{.Task.Slot}}");
    expect(monitoring.command).toEqual(["monitoring"]);
    expect(monitoring.environment?.PARTITION_COUNT).toBe("2");
    expect(service("balancer").environment?.PARTITION_COUNT).toBe("2");
    // Never two consumers on one partition queue during an update.
    expect(monitoring.deploy?.update_config?.order).toBe("stop-first");
  });

  it("scales partitions with one setting: PARTITION_COUNT=3 gives 3 replicas and tells the balancer", async () => {
    const scaled = await renderStack({ PARTITION_COUNT: "3" });
    expect(scaled.services.monitoring?.deploy?.replicas).toBe(3);
    expect(scaled.services.monitoring?.environment?.PARTITION_COUNT).toBe("3");
    expect(scaled.services.balancer?.environment?.PARTITION_COUNT).toBe("3");
  });

  it("routes /socket.io to chat with a sticky cookie and everything else to web", () => {
    const web = service("web").deploy?.labels ?? {};
    const chat = service("chat").deploy?.labels ?? {};
    expect(web["traefik.enable"]).toBe("true");
    expect(web["traefik.http.routers.web.rule"]).toBe("PathPrefix(`/`)");
    expect(web["traefik.http.services.web.loadbalancer.server.port"]).toBe("3000");
    expect(chat["traefik.enable"]).toBe("true");
    expect(chat["traefik.http.routers.chat.rule"]).toBe("PathPrefix(`/socket.io`)");
    expect(chat["traefik.http.services.chat.loadbalancer.server.port"]).toBe("4000");
    expect(Number(chat["traefik.http.routers.chat.priority"])).toBeGreaterThan(Number(web["traefik.http.routers.web.priority"]));
    expect(chat["traefik.http.services.chat.loadbalancer.sticky.cookie"]).toBe("true");
    expect(chat["traefik.http.services.chat.loadbalancer.sticky.cookie.name"]).toBeTruthy();
  });

  it("exposes nothing else through Traefik", () => {
    const exposed = Object.entries(stack.services)
      .filter(([, s]) => s.deploy?.labels?.["traefik.enable"] === "true")
      .map(([name]) => name);
    expect(exposed.sort()).toEqual(["chat", "web"]);
  });

  it("gives each database its own postgres:15 service and volume, on the internal network only", () => {
    const volumes = new Set<string>();
    for (const name of DATABASES) {
      const db = service(name);
      expect(db.image).toBe("postgres:15");
      const data = db.volumes?.find((v) => v.target === "/var/lib/postgresql/data");
      expect(data, `${name} has a data volume`).toBeDefined();
      volumes.add(data!.source);
      expect(Object.keys(db.networks ?? {})).toEqual(["backend"]);
      expect(db.environment?.POSTGRES_PASSWORD_FILE).toMatch(/^\/run\/secrets\//);
    }
    expect(volumes.size).toBe(DATABASES.length);
    expect(service("rabbitmq").volumes?.some((v) => v.target === "/var/lib/rabbitmq")).toBe(true);
  });

  it("reads every secret from a Docker secret file that the service mounts", () => {
    const secrets = Object.keys(stack.secrets).sort();
    expect(secrets).toEqual(
      [
        "auth_secret",
        "socket_token_private_key",
        "socket_token_public_key",
        "admin_password",
        "tls_cert",
        "tls_key",
        "xai_api_key",
        "auth_db_password",
        "user_db_password",
        "device_db_password",
        "monitoring_db_password",
        "chat_db_password",
        "chat_bot_db_password",
        "rabbitmq_definitions",
        ...["web", "balancer", "monitoring", "chat", "simulator"].map((service) => `rabbitmq_url_${service}`),
      ].sort(),
    );
    for (const [name, s] of Object.entries(stack.services)) {
      const mounted = new Set((s.secrets ?? []).map((x) => x.source));
      for (const [variable, value] of Object.entries(s.environment ?? {})) {
        if (!variable.endsWith("_FILE")) continue;
        const secret = value.replace("/run/secrets/", "");
        expect(mounted.has(secret), `${name}: ${variable} -> ${value} is mounted`).toBe(true);
      }
      // No plain-text secret in the environment.
      expect(Object.keys(s.environment ?? {}).filter((v) => /PASSWORD$|SECRET$|API_KEY$|PRIVATE_KEY$/.test(v))).toEqual([]);
    }
    expect(Object.values(stack.secrets).every((s) => s.external === true)).toBe(true);
  });

  // One secret per purpose, and the internet-facing chat service holds nothing that signs: it verifies
  // socket tokens with the public key alone, so taking it over mints no socket token and no API token.
  it("mounts AUTH_SECRET and the socket-token private key on web only; chat gets only the public key", () => {
    const mounts = (name: string) => (service(name).secrets ?? []).map((x) => x.source);
    const chat = service("chat");
    expect(mounts("chat")).not.toContain("auth_secret");
    expect(mounts("chat")).not.toContain("socket_token_private_key");
    expect(mounts("chat")).toContain("socket_token_public_key");
    expect(chat.environment?.SOCKET_TOKEN_PUBLIC_KEY_FILE).toBe("/run/secrets/socket_token_public_key");
    expect(Object.keys(chat.environment ?? {}).filter((v) => /^AUTH_SECRET|PRIVATE_KEY/.test(v))).toEqual([]);
    expect(service("web").environment?.SOCKET_TOKEN_PRIVATE_KEY_FILE).toBe("/run/secrets/socket_token_private_key");
    expect(service("web").environment?.AUTH_SECRET_FILE).toBe("/run/secrets/auth_secret");
    for (const secret of ["auth_secret", "socket_token_private_key"]) {
      const holders = Object.entries(stack.services).filter(([, s]) => (s.secrets ?? []).some((x) => x.source === secret)).map(([name]) => name);
      expect(holders, secret).toEqual(["web"]);
    }
  });

  it("lets chat's AI tools read users' data as the read-only ems_chat_bot role, never as a database's owner", () => {
    const chat = service("chat");
    expect(chat.environment?.CHAT_BOT_DEVICE_DATABASE_URL).toBe("postgresql://ems_chat_bot@device-db:5432/ems_device");
    expect(chat.environment?.CHAT_BOT_MONITORING_DATABASE_URL).toBe("postgresql://ems_chat_bot@monitoring-db:5432/ems_monitoring");
    const mounts = (name: string) => (service(name).secrets ?? []).map((x) => x.source);
    expect(mounts("chat")).not.toContain("device_db_password");
    expect(mounts("chat")).not.toContain("monitoring_db_password");
    // The migrators of those two databases (web: device; monitoring) set the role's password.
    for (const migrator of ["web", "monitoring"]) {
      expect(service(migrator).environment?.CHAT_BOT_DATABASE_PASSWORD_FILE, migrator).toBe("/run/secrets/chat_bot_db_password");
    }
    const holders = Object.entries(stack.services).filter(([, s]) => (s.secrets ?? []).some((x) => x.source === "chat_bot_db_password")).map(([name]) => name);
    expect(holders.sort()).toEqual(["chat", "monitoring", "web"]);
  });

  it("has a health check and a restart policy on every service, and rolling updates for web and chat", () => {
    for (const [name, s] of Object.entries(stack.services)) {
      expect(s.healthcheck?.test.length, `${name} health check`).toBeGreaterThan(0);
      expect(s.deploy?.restart_policy?.condition, `${name} restart policy`).toBeDefined();
    }
    expect(service("web").deploy?.update_config?.order).toBe("start-first");
    expect(service("chat").deploy?.update_config?.order).toBe("start-first");
  });

  it("runs Traefik >= 3.6.1 (older ones speak Docker API 1.24, which Engine 29 refuses), published in host mode", () => {
    const traefik = service("traefik");
    const version = /^traefik:v(\d+)\.(\d+)\.(\d+)$/.exec(traefik.image);
    expect(version, `pinned release: ${traefik.image}`).not.toBeNull();
    const [major, minor, patch] = version!.slice(1).map(Number) as [number, number, number];
    expect(major * 1e6 + minor * 1e3 + patch).toBeGreaterThanOrEqual(3_006_001);
    // Host mode keeps the client's own address (the ingress mesh would hide it behind one internal address).
    expect(traefik.ports).toEqual([
      expect.objectContaining({ target: 80, published: 80, mode: "host" }),
      expect.objectContaining({ target: 443, published: 443, mode: "host" }),
    ]);
  });

  it("serves web and chat over HTTPS only, with the certificate from Docker secrets (ASVS 5.0 V12.1.1)", async () => {
    for (const name of ["web", "chat"]) {
      const labels = service(name).deploy?.labels ?? {};
      expect(labels[`traefik.http.routers.${name}.entrypoints`]).toBe("websecure");
      expect(labels[`traefik.http.routers.${name}.tls`]).toBe("true");
    }
    expect(service("chat").deploy?.labels?.["traefik.http.services.chat.loadbalancer.sticky.cookie.secure"]).toBe("true");
    expect(service("traefik").secrets?.map((s) => s.source).sort()).toEqual(["tls_cert", "tls_key"]);
    expect(service("web").environment?.NEXTAUTH_URL).toMatch(/^https:\/\//);
    const config = parse(await readFile(path.join(repoRoot, "traefik.yml"), "utf8")) as {
      entryPoints: Record<string, { address: string; http?: { redirections?: { entryPoint?: { to: string; scheme: string } } } }>;
    };
    expect(config.entryPoints.websecure?.address).toBe(":443");
    expect(config.entryPoints.web?.http?.redirections?.entryPoint).toMatchObject({ to: "websecure", scheme: "https" });
    const tls = parse(await readFile(path.join(repoRoot, "docker/traefik/tls.yml"), "utf8")) as {
      tls: { stores: { default: { defaultCertificate: { certFile: string; keyFile: string } } }; options: { default: { minVersion: string } } };
    };
    expect(tls.tls.stores.default.defaultCertificate).toEqual({ certFile: "/run/secrets/tls_cert", keyFile: "/run/secrets/tls_key" });
    expect(tls.tls.options.default.minVersion).toBe("VersionTLS12");
  });

  it("runs the images of one immutable tag, never latest, and names configs after their content", () => {
    for (const name of ["web", "chat", "balancer", "monitoring", "simulator"]) {
      expect(service(name).image).toMatch(new RegExp(`/(web|workers):${DEPLOY_ENV.TAG}$`));
    }
    expect(stack.configs.traefik_config?.name).toBe(`ems_traefik_${DEPLOY_ENV.TRAEFIK_CONFIG_DIGEST}`);
    expect(stack.configs.rabbitmq_config?.name).toBe(`ems_rabbitmq_${DEPLOY_ENV.RABBITMQ_CONFIG_DIGEST}`);
  });

  it("holds no credential in a URL or variable: every service reaches RabbitMQ as its own user, from a secret", () => {
    const urlWithCredentials = /:\/\/[^/@\s:]+:[^/@\s]+@/;
    const own = new Map<string, string>();
    for (const [name, s] of Object.entries(stack.services)) {
      for (const [variable, value] of Object.entries(s.environment ?? {})) {
        expect(value, `${name}: ${variable}`).not.toMatch(urlWithCredentials);
      }
      expect(s.environment?.RABBITMQ_URL, `${name} has no RABBITMQ_URL in plain text`).toBeUndefined();
      const file = s.environment?.RABBITMQ_URL_FILE;
      if (file) own.set(name, file);
    }
    expect([...own.keys()].sort()).toEqual(["balancer", "chat", "monitoring", "simulator", "web"]);
    expect(new Set(own.values()).size).toBe(own.size);
    for (const [name, file] of own) expect(file).toBe(`/run/secrets/rabbitmq_url_${name}`);
    expect(service("rabbitmq").environment?.RABBITMQ_DEFAULT_PASS).toBeUndefined();
    expect(service("rabbitmq").secrets?.map((x) => x.source)).toEqual(["rabbitmq_definitions"]);
  });

  it("checks liveness in containers (web's depends on no database) with a start period; Traefik routes by readiness", () => {
    for (const [name, s] of Object.entries(stack.services)) expect(s.healthcheck?.start_period, `${name} start_period`).toBeTruthy();
    expect(service("web").healthcheck?.test.join(" ")).toContain("/api/health/live");
    expect(service("web").deploy?.labels?.["traefik.http.services.web.loadbalancer.healthcheck.path"]).toBe("/api/health");
  });

  it("creates the first admin from a secret, and demo data with the simulator only when asked (EMS_DEMO=1)", async () => {
    expect(service("web").environment?.ADMIN_PASSWORD_FILE).toBe("/run/secrets/admin_password");
    expect(service("web").environment?.DEMO_DATA).toBe("0");
    expect(service("simulator").deploy?.replicas).toBe(0);
    const demo = await renderStack({ EMS_DEMO: "1" });
    expect(demo.services.web?.environment?.DEMO_DATA).toBe("1");
    expect(demo.services.simulator?.deploy?.replicas).toBe(1);
  });

  it("puts Traefik on the public overlay only, and the workers and databases on the backend overlay", () => {
    expect(stack.networks.public?.driver).toBe("overlay");
    expect(stack.networks.backend?.driver).toBe("overlay");
    expect(Object.keys(service("traefik").networks ?? {})).toEqual(["public"]);
    for (const name of ["web", "chat"]) expect(Object.keys(service(name).networks ?? {}).sort()).toEqual(["backend", "public"]);
    for (const name of ["balancer", "monitoring", "simulator", "rabbitmq"]) {
      expect(Object.keys(service(name).networks ?? {})).toEqual(["backend"]);
    }
  });
});

describe("traefik.yml", () => {
  it("listens on :80, reads only opted-in Swarm services, on the stack's public network", async () => {
    const config = parse(await readFile(path.join(repoRoot, "traefik.yml"), "utf8")) as {
      entryPoints: Record<string, { address: string }>;
      providers: { swarm?: { exposedByDefault: boolean; network: string; endpoint: string } };
      api?: { dashboard?: boolean; insecure?: boolean };
    };
    const compose = parse(await readFile(path.join(repoRoot, "docker-compose.yml"), "utf8")) as Stack;
    expect(config.entryPoints.web?.address).toBe(":80");
    expect(config.providers.swarm?.exposedByDefault).toBe(false);
    expect(config.providers.swarm?.endpoint).toBe("unix:///var/run/docker.sock");
    expect(config.providers.swarm?.network).toBe(compose.networks.public?.name);
    expect(config.api?.insecure).not.toBe(true);
  });
});

describe("Dockerfile", () => {
  const dockerfile = () => readFile(path.join(repoRoot, "Dockerfile"), "utf8");
  const stage = (text: string, name: string) => {
    const start = text.search(new RegExp(`^FROM \\S+ AS ${name}$`, "m"));
    expect(start, `stage ${name}`).toBeGreaterThanOrEqual(0);
    const next = text.slice(start + 1).search(/^FROM /m);
    return next < 0 ? text.slice(start) : text.slice(start, start + 1 + next);
  };

  it("builds web and workers on a current Node LTS, as non-root, without BuildKit-only syntax", async () => {
    const text = await dockerfile();
    expect(text).toMatch(/^ARG NODE_IMAGE=node:24-[a-z-]+$/m);
    // A `# syntax=` line makes BuildKit pull a frontend image; RUN --mount needs BuildKit.
    expect(text).not.toMatch(/^# syntax=/m);
    expect(text).not.toMatch(/--mount=/);
    for (const target of ["web", "workers"]) {
      const runtime = stage(text, target);
      expect(runtime).toMatch(/^FROM \$\{NODE_IMAGE\} AS /m);
      expect(runtime).toMatch(/^USER node$/m);
      expect(runtime, `${target} installs nothing at run time`).not.toMatch(/npm (ci|install)/);
    }
  });

  it("installs dependencies from the manifests alone (cached across source changes), every workspace listed", async () => {
    const text = await dockerfile();
    const deps = stage(text, "deps");
    expect(deps).not.toMatch(/^COPY \. \./m);
    expect(deps).toMatch(/npm ci/);
    const rootPackage = JSON.parse(await readFile(path.join(repoRoot, "package.json"), "utf8")) as { workspaces: string[] };
    const { stdout } = await run("git", ["ls-files", ...rootPackage.workspaces.map((w) => `${w}/package.json`)], { cwd: repoRoot });
    for (const manifest of stdout.split("\n").filter(Boolean)) {
      expect(deps, `${manifest} is copied before npm ci`).toContain(`COPY ${manifest} ${path.dirname(manifest)}/`);
    }
  });

  it("ships workers bundled: no TypeScript, tsx, Prisma CLI or node_modules tree in the image", async () => {
    const workers = stage(await dockerfile(), "workers");
    expect(workers).not.toMatch(/COPY --from=\S+ \/app\/node_modules/);
    expect(workers).toMatch(/COPY --from=workers-build \/out\/dist/);
    const entrypoint = await readFile(path.join(repoRoot, "docker/workers-entrypoint.sh"), "utf8");
    expect(entrypoint).not.toMatch(/tsx/);
  });

  it("is what the stack builds each image from, by target", async () => {
    const stack = await renderStack();
    const builds = Object.values(stack.services as Record<string, Service & { build?: { target?: string } }>)
      .map((s) => s.build?.target)
      .filter(Boolean);
    expect(new Set(builds)).toEqual(new Set(["web", "workers"]));
  });

  it("keeps every environment file out of the build context, at any depth", async () => {
    const ignore = (await readFile(path.join(repoRoot, ".dockerignore"), "utf8")).split("\n");
    expect(ignore).toContain("**/.env*");
  });
});

describe("README's Docker block (npm run test:stack runs it as written)", () => {
  it("builds both targets under an immutable tag, creates the secrets and deploys through docker/deploy.sh", async () => {
    const { readmeDeployBlock } = await import("./swarm/run.ts");
    const block = readmeDeployBlock(await readFile(path.join(repoRoot, "README.md"), "utf8"));
    expect(block).toMatch(/^export TAG=\$\(git rev-parse --short=12 HEAD\)/m);
    expect(block).toMatch(/docker build .*--target web -t ems\/web:\$TAG \./);
    expect(block).toMatch(/docker build .*--target workers -t ems\/workers:\$TAG \./);
    expect(block).toMatch(/^docker\/create-secrets\.sh/m);
    expect(block).toMatch(/^docker\/deploy\.sh/m);
    expect(() => readmeDeployBlock("# no marker")).toThrow(/marker/);
  });
});
