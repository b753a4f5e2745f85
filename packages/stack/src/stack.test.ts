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
  healthcheck?: { test: string[] };
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
  networks: Record<string, { name?: string; driver?: string }>;
  secrets: Record<string, { external?: boolean }>;
  volumes: Record<string, unknown>;
}

/** The stack exactly as `docker stack deploy` would see it (anchors, merges and variables resolved). */
async function renderStack(env: Record<string, string> = {}): Promise<Stack> {
  const { stdout } = await run("docker", ["stack", "config", "-c", "docker-compose.yml"], {
    cwd: repoRoot,
    // eslint-disable-next-line no-restricted-properties -- the docker CLI needs PATH and HOME
    env: { ...process.env, ...env },
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
      ["auth_secret", "xai_api_key", "auth_db_password", "user_db_password", "device_db_password", "monitoring_db_password", "chat_db_password"].sort(),
    );
    for (const [name, s] of Object.entries(stack.services)) {
      const mounted = new Set((s.secrets ?? []).map((x) => x.source));
      for (const [variable, value] of Object.entries(s.environment ?? {})) {
        if (!variable.endsWith("_FILE")) continue;
        const secret = value.replace("/run/secrets/", "");
        expect(mounted.has(secret), `${name}: ${variable} -> ${value} is mounted`).toBe(true);
      }
      // No plain-text secret in the environment.
      expect(Object.keys(s.environment ?? {}).filter((v) => /PASSWORD$|SECRET$|API_KEY$/.test(v))).toEqual([]);
    }
    expect(Object.values(stack.secrets).every((s) => s.external === true)).toBe(true);
  });

  it("has a health check and a restart policy on every service, and rolling updates for web and chat", () => {
    for (const [name, s] of Object.entries(stack.services)) {
      expect(s.healthcheck?.test.length, `${name} health check`).toBeGreaterThan(0);
      expect(s.deploy?.restart_policy?.condition, `${name} restart policy`).toBeDefined();
    }
    expect(service("web").deploy?.update_config?.order).toBe("start-first");
    expect(service("chat").deploy?.update_config?.order).toBe("start-first");
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

describe("Dockerfiles", () => {
  // No Docker engine runs here, so the images are checked as text: what docker build would rely on.
  it.each(["apps/web/Dockerfile", "apps/workers/Dockerfile"])("%s is multi-stage, on a current Node LTS, and runs as non-root", async (file) => {
    const text = await readFile(path.join(repoRoot, file), "utf8");
    const stages = text.match(/^FROM\s+\S+/gm) ?? [];
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/^ARG NODE_IMAGE=node:24-[a-z-]+$/m);
    const runtime = text.slice(text.lastIndexOf("\nFROM "));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).not.toMatch(/npm ci(?![^\n]*--omit=dev)/);
  });

  it("is what the stack builds each image from", async () => {
    const stack = await renderStack();
    const builds = Object.values(stack.services as Record<string, Service & { build?: { dockerfile: string } }>)
      .map((s) => s.build?.dockerfile)
      .filter(Boolean);
    expect(new Set(builds)).toEqual(new Set(["apps/web/Dockerfile", "apps/workers/Dockerfile"]));
  });
});
