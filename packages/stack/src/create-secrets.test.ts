import { execFile } from "node:child_process";
import { createHash, createPrivateKey, createPublicKey } from "node:crypto";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

interface Definitions {
  policies: { name: string; pattern: string; "apply-to": string; definition: Record<string, unknown> }[];
  users: { name: string; password_hash: string; hashing_algorithm: string; tags: string[] }[];
  permissions: { user: string; vhost: string; configure: string; read: string; write: string }[];
}

/**
 * docker/create-secrets.sh against a stand-in `docker` that keeps secrets as files: what each secret
 * holds, and whether RabbitMQ's users and permissions are what the services need and no more.
 */
describe("docker/create-secrets.sh", () => {
  let dir: string;
  const secrets = new Map<string, string>();
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ems-secrets-"));
    const fakeDocker = `#!/bin/sh
# secret inspect NAME | secret create NAME - | secret rm NAME
store="${dir}/store"; mkdir -p "$store"
case "$1 $2" in
  "secret inspect") test -f "$store/$3" ;;
  "secret create") cat > "$store/$3" ;;
  "secret rm") rm -f "$store/$3" ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
`;
    await writeFile(path.join(dir, "docker"), fakeDocker);
    await chmod(path.join(dir, "docker"), 0o755);
    const { stdout } = await run("bash", [path.join(repoRoot, "docker/create-secrets.sh")], {
      // eslint-disable-next-line no-restricted-properties -- the script needs PATH (openssl, base64)
      env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ""}`, ADMIN_PASSWORD: "an-admin-password", XAI_API_KEY: "" },
    });
    expect(stdout).not.toContain("an-admin-password");
    for (const name of await readdir(path.join(dir, "store"))) secrets.set(name, (await readFile(path.join(dir, "store", name), "utf8")).replace(/\n$/, ""));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const definitions = () => JSON.parse(secrets.get("rabbitmq_definitions") ?? "{}") as Definitions;
  const services = ["web", "balancer", "monitoring", "chat", "simulator"];

  it("creates every secret the stack mounts: random ones, the given admin password, an empty xAI key", () => {
    expect([...secrets.keys()].sort()).toEqual(
      [
        "auth_secret",
        "socket_token_private_key",
        "socket_token_public_key",
        "admin_password",
        "tls_cert",
        "tls_key",
        "xai_api_key",
        ...["auth", "user", "device", "monitoring", "chat"].map((db) => `${db}_db_password`),
        "chat_bot_db_password",
        "rabbitmq_definitions",
        ...services.map((s) => `rabbitmq_url_${s}`),
      ].sort(),
    );
    expect(secrets.get("admin_password")).toBe("an-admin-password");
    expect(secrets.get("xai_api_key")).toBe("");
    expect(secrets.get("auth_secret")!.length).toBeGreaterThanOrEqual(32);
    expect(secrets.get("auth_db_password")).not.toBe(secrets.get("user_db_password"));
    expect(secrets.get("tls_cert")).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(secrets.get("tls_key")).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it("makes the socket tokens' Ed25519 key pair: a private key (for web) and its public key (for chat), which holds no private part", () => {
    const privatePem = secrets.get("socket_token_private_key")!;
    const publicPem = secrets.get("socket_token_public_key")!;
    expect(privatePem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----$/);
    expect(publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----$/);
    expect(publicPem).not.toContain("PRIVATE");
    const privateKey = createPrivateKey(privatePem);
    expect(privateKey.asymmetricKeyType).toBe("ed25519");
    const publicKey = createPublicKey(publicPem);
    expect(publicKey.asymmetricKeyType).toBe("ed25519");
    // A pair: the public key is the private key's.
    expect(createPublicKey(privateKey).export({ format: "der", type: "spki" }).equals(publicKey.export({ format: "der", type: "spki" }))).toBe(true);
  });

  it("gives each service its own RabbitMQ user whose password matches the salted SHA-256 hash RabbitMQ loads", () => {
    const { users } = definitions();
    expect(users.map((u) => u.name).sort()).toEqual(services.map((s) => `ems-${s}`).sort());
    for (const service of services) {
      const url = new URL(secrets.get(`rabbitmq_url_${service}`)!);
      expect(url.username).toBe(`ems-${service}`);
      expect(url.host).toBe("rabbitmq:5672");
      const user = users.find((u) => u.name === `ems-${service}`)!;
      expect(user.hashing_algorithm).toBe("rabbit_password_hashing_sha256");
      expect(user.tags).toEqual([]);
      const hash = Buffer.from(user.password_hash, "base64");
      const salt = hash.subarray(0, 4);
      const digest = createHash("sha256").update(Buffer.concat([salt, Buffer.from(decodeURIComponent(url.password))])).digest();
      expect(hash.subarray(4).equals(digest)).toBe(true);
    }
  });

  it("lets each service read only what it consumes (as RabbitMQ matches permissions: a regex over the whole name)", () => {
    const can = (service: string, kind: "read" | "write" | "configure", resource: string) => {
      const permission = definitions().permissions.find((p) => p.user === `ems-${service}`)!;
      return new RegExp(permission[kind]).test(resource);
    };
    expect(can("balancer", "read", "sensor.data.queue")).toBe(true);
    expect(can("balancer", "read", "sensor.queue.0")).toBe(false);
    expect(can("monitoring", "read", "sensor.queue.12")).toBe(true);
    expect(can("monitoring", "read", "sensor.data.queue")).toBe(false);
    expect(can("monitoring", "read", "chat.notifications.queue")).toBe(false);
    expect(can("chat", "read", "chat.notifications.queue")).toBe(true);
    expect(can("chat", "read", "sensor.queue.0")).toBe(false);
    for (const reader of ["web", "simulator"]) {
      for (const queue of ["sensor.data.queue", "sensor.queue.0", "monitoring.sync.queue", "chat.notifications.queue"]) {
        expect(can(reader, "read", queue), `${reader} reads ${queue}`).toBe(false);
      }
    }
    // The dead-letter queue: web only (the operations console counts it by reason), and that queue only.
    expect(services.filter((s) => can(s, "read", "ems.dead-letter.queue"))).toEqual(["web"]);
    expect(can("web", "read", "ems.dead-letter.queue.other")).toBe(false);
    expect(can("web", "read", "x.ems.dead-letter.queue")).toBe(false);
    // Only monitoring (alerts) and web (sessions ended) publish notifications.
    expect(services.filter((s) => can(s, "write", "ems.notifications")).sort()).toEqual(["monitoring", "web"]);
    // Nobody may declare or delete anything outside EMS's names, nor act on another vhost.
    for (const service of services) {
      expect(can(service, "configure", "amq.rabbitmq.log")).toBe(false);
      expect(can(service, "configure", "sensor.data.queue.evil")).toBe(true); // sensor.* is EMS's namespace
      expect(definitions().permissions.find((p) => p.user === `ems-${service}`)!.vhost).toBe("/");
    }
  });

  it("bounds the dead-letter queue with a refusal the publisher sees, never a silent drop", () => {
    const [policy, ...others] = definitions().policies;
    expect(others).toEqual([]);
    expect(new RegExp(policy!.pattern).test("ems.dead-letter.queue")).toBe(true);
    expect(new RegExp(policy!.pattern).test("ems.dead-letter.queue.other")).toBe(false);
    expect(policy!["apply-to"]).toBe("queues");
    // drop-head (the default) would silently discard the oldest dead letters.
    expect(policy!.definition.overflow).toBe("reject-publish");
    expect(policy!.definition["max-length-bytes"]).toBeGreaterThan(0);
  });

  it("keeps what exists on a second run (a deployed stack's secrets are never rotated behind its back)", async () => {
    const before = new Map(secrets);
    await run("bash", [path.join(repoRoot, "docker/create-secrets.sh")], {
      // eslint-disable-next-line no-restricted-properties -- the script needs PATH
      env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ""}` },
    });
    for (const [name, value] of before) {
      expect((await readFile(path.join(dir, "store", name), "utf8")).replace(/\n$/, ""), name).toBe(value);
    }
  });

  it("refuses to make half a socket-token key pair: with only one of the two left, it stops and says what to do", async () => {
    const publicPath = path.join(dir, "store", "socket_token_public_key");
    const kept = await readFile(publicPath, "utf8");
    await rm(publicPath);
    try {
      const failed = await run("bash", [path.join(repoRoot, "docker/create-secrets.sh")], {
        // eslint-disable-next-line no-restricted-properties -- the script needs PATH
        env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ""}` },
      }).then(
        () => undefined,
        (error: { code?: number; stderr?: string }) => error,
      );
      expect(failed?.code).not.toBe(0);
      expect(failed?.stderr).toMatch(/only one of socket_token_private_key and socket_token_public_key exists/);
      expect((await readFile(path.join(dir, "store", "socket_token_private_key"), "utf8")).replace(/\n$/, "")).toBe(secrets.get("socket_token_private_key"));
    } finally {
      await writeFile(publicPath, kept);
    }
  });
});
