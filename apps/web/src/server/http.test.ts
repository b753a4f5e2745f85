import { deviceDb } from "@ems/db/device";
import { NextRequest } from "next/server";
import superjson from "superjson";
import { beforeAll, describe, expect, it } from "vitest";
import { POST as nextAuthPost } from "~/app/api/auth/[...nextauth]/route.ts";
import { POST as loginPost } from "~/app/api/auth/login/route.ts";
import { GET as trpcGet, POST as trpcPost } from "~/app/api/trpc/[trpc]/route.ts";
import { createCast, type Cast } from "../../test/fixtures.ts";
import { bearerFor, jsonOf, randomClientIp } from "../../test/rest.ts";
import { MAX_AUTH_BODY_BYTES, MAX_JSON_BODY_BYTES, MAX_TRPC_BATCH_CALLS, MAX_TRPC_BODY_BYTES } from "./http.ts";

/**
 * OWASP ASVS 5.0, 15.2.2: "Verify that the application has implemented defenses against loss of
 * availability due to functionality which is time-consuming or resource-demanding [...]" — here,
 * request bodies (V4.2 names "denial of service via overly long HTTP messages"). Every route that
 * reads a body caps it: REST JSON 64 KiB, tRPC 256 KiB, next-auth 16 KiB. Beyond the cap the answer
 * is a 413 with a JSON error, decided from Content-Length before reading, or, for a body without
 * one, as soon as the cap is passed, so a multi-megabyte body is never held in memory. A tRPC batch
 * carries at most 50 calls, so one request cannot queue thousands of argon2 hashes.
 */

const MIB = 1024 * 1024;
const CHUNK_BYTES = 16 * 1024;

/** A body produced on demand, counting how much of it the server pulled. */
function countingBody(totalBytes: number) {
  let pulledBytes = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (pulledBytes >= totalBytes) return controller.close();
        const chunk = new Uint8Array(Math.min(CHUNK_BYTES, totalBytes - pulledBytes)).fill(0x61);
        pulledBytes += chunk.byteLength;
        controller.enqueue(chunk);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulledBytes: () => pulledBytes };
}

/** A POST whose body is streamed; `declaredBytes` sets Content-Length (a chunked upload has none). */
function streamedPost(url: string, body: ReadableStream<Uint8Array>, headers: Record<string, string>, declaredBytes?: number): Request {
  const allHeaders = declaredBytes === undefined ? headers : { ...headers, "content-length": String(declaredBytes) };
  // Node's fetch needs `duplex: "half"` for a streamed body; the DOM typings do not know it yet.
  const init = { method: "POST", headers: allHeaders, body, duplex: "half" };
  return new Request(url, init);
}

const bigJson = (bytes: number) => JSON.stringify({ username: "demo", password: "p".repeat(bytes) });

async function expectPayloadTooLarge(response: Response): Promise<void> {
  expect(response.status).toBe(413);
  expect(await jsonOf(response)).toEqual({ error: { code: "PAYLOAD_TOO_LARGE", message: expect.stringMatching(/larger than the \d+ KiB allowed/) as string } });
}

let cast: Cast;
beforeAll(async () => {
  cast = await createCast();
});

describe("ASVS V15.2.2 — REST: POST /api/auth/login refuses oversized bodies with 413", () => {
  const login = (request: Request) => loginPost(request, undefined);
  const jsonHeaders = () => ({ "content-type": "application/json", ...randomClientIp() });

  it("an 8 MiB JSON body is a 413 with a JSON error", async () => {
    await expectPayloadTooLarge(await login(new Request("http://ems.test/api/auth/login", { method: "POST", headers: jsonHeaders(), body: bigJson(8 * MIB) })));
  });

  it("the cap is exact: one byte over is a 413, at the cap the body is read (and validated: 400)", async () => {
    const overhead = bigJson(0).length;
    const over = bigJson(MAX_JSON_BODY_BYTES - overhead + 1);
    const at = bigJson(MAX_JSON_BODY_BYTES - overhead);
    expect(over.length).toBe(MAX_JSON_BODY_BYTES + 1);
    await expectPayloadTooLarge(await login(new Request("http://ems.test/api/auth/login", { method: "POST", headers: jsonHeaders(), body: over })));
    const atCap = await login(new Request("http://ems.test/api/auth/login", { method: "POST", headers: jsonHeaders(), body: at }));
    expect(atCap.status).toBe(400);
    expect(((await jsonOf(atCap)) as { error: { message: string } }).error.message).toMatch(/password/);
  });

  it("a declared Content-Length over the cap is refused before the body is read", async () => {
    const body = countingBody(64 * MIB);
    await expectPayloadTooLarge(await login(streamedPost("http://ems.test/api/auth/login", body.stream, jsonHeaders(), 64 * MIB)));
    expect(body.pulledBytes()).toBeLessThanOrEqual(CHUNK_BYTES);
  });

  it("a chunked body without Content-Length is cut off just past the cap, not read to its end", async () => {
    const body = countingBody(64 * MIB);
    await expectPayloadTooLarge(await login(streamedPost("http://ems.test/api/auth/login", body.stream, jsonHeaders())));
    expect(body.pulledBytes()).toBeGreaterThan(MAX_JSON_BODY_BYTES);
    expect(body.pulledBytes()).toBeLessThanOrEqual(MAX_JSON_BODY_BYTES + 2 * CHUNK_BYTES);
  });
});

describe("ASVS V15.2.2 — tRPC: oversized mutation bodies are a 413 PAYLOAD_TOO_LARGE and change nothing", () => {
  const trpcHeaders = async () => ({ "content-type": "application/json", ...(await bearerFor(cast.admin)) });
  const deviceInput = (nameBytes: number) => JSON.stringify(superjson.serialize({ name: `huge-${"x".repeat(nameBytes)}`, maxHourlyConsumption: 1 }));

  async function expectTrpcPayloadTooLarge(response: Response): Promise<void> {
    expect(response.status).toBe(413);
    const body = (await jsonOf(response)) as { error: { json: { message: string; data: { code: string; httpStatus: number } } } };
    expect(body.error.json).toMatchObject({ message: expect.stringMatching(/larger than/) as string, data: { code: "PAYLOAD_TOO_LARGE", httpStatus: 413 } });
  }

  it("an admin's 8 MiB devices.create is refused and no device is created", async () => {
    const before = await deviceDb.device.count();
    const request = new Request("http://ems.test/api/trpc/devices.create", { method: "POST", headers: await trpcHeaders(), body: deviceInput(8 * MIB) });
    await expectTrpcPayloadTooLarge(await trpcPost(request));
    expect(await deviceDb.device.count()).toBe(before);
  });

  it("a public procedure's (auth.register) 64 MiB body, streamed without Content-Length, is cut off just past the cap", async () => {
    // A Bearer token stands in for the anonymous caller: without one the context asks next-auth for
    // the session, which needs a Next.js request scope that tests do not have.
    const body = countingBody(64 * MIB);
    const headers = { "content-type": "application/json", ...(await bearerFor(cast.clientA)) };
    await expectTrpcPayloadTooLarge(await trpcPost(streamedPost("http://ems.test/api/trpc/auth.register", body.stream, headers)));
    expect(body.pulledBytes()).toBeLessThanOrEqual(MAX_TRPC_BODY_BYTES + 2 * CHUNK_BYTES);
  });

  it("a batch with a declared 64 MiB body is refused for every call without reading it", async () => {
    const body = countingBody(64 * MIB);
    const response = await trpcPost(streamedPost("http://ems.test/api/trpc/devices.create,devices.create?batch=1", body.stream, await trpcHeaders(), 64 * MIB));
    expect(response.status).toBe(413);
    const calls = (await response.json()) as { error: { json: { data: { code: string } } } }[];
    expect(calls.map((call) => call.error.json.data.code)).toEqual(["PAYLOAD_TOO_LARGE", "PAYLOAD_TOO_LARGE"]);
    expect(body.pulledBytes()).toBeLessThanOrEqual(CHUNK_BYTES);
  });

  it(`a batch of more than ${MAX_TRPC_BATCH_CALLS} calls is a 400 before any call runs; ${MAX_TRPC_BATCH_CALLS} are answered`, async () => {
    const batch = (calls: number) => {
      const paths = Array.from({ length: calls }, () => "auth.me").join(",");
      return new Request(`http://ems.test/api/trpc/${paths}?batch=1&input=${encodeURIComponent("{}")}`, { headers: bearer });
    };
    const bearer = await bearerFor(cast.clientA);
    const tooMany = await trpcGet(batch(MAX_TRPC_BATCH_CALLS + 1));
    expect(tooMany.status).toBe(400);
    expect(JSON.stringify(await tooMany.json())).toMatch(/Batch call exceeds maximum size/);
    const atCap = await trpcGet(batch(MAX_TRPC_BATCH_CALLS));
    expect(atCap.status).toBe(200);
    expect(await atCap.json()).toHaveLength(MAX_TRPC_BATCH_CALLS);
  });

  it("an ordinary mutation through the same capped request still works", async () => {
    const request = new Request("http://ems.test/api/trpc/devices.create", { method: "POST", headers: await trpcHeaders(), body: deviceInput(100) });
    expect((await trpcPost(request)).status).toBe(200);
  });
});

describe("ASVS V15.2.2 — next-auth: oversized or malformed sign-in bodies never reach next-auth", () => {
  const callback = "http://ems.test/api/auth/callback/credentials";
  const context = { params: Promise.resolve({ nextauth: ["callback", "credentials"] }) };

  it(`an 8 MiB sign-in form (cap ${MAX_AUTH_BODY_BYTES / 1024} KiB) is a 413 with a JSON error`, async () => {
    const form = new URLSearchParams({ username: "demo", password: "p".repeat(8 * MIB), csrfToken: "x" }).toString();
    const request = new NextRequest(callback, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form });
    await expectPayloadTooLarge(await nextAuthPost(request, context));
  });

  it("a malformed JSON body is a 400, not next-auth's 500", async () => {
    const request = new NextRequest(callback, { method: "POST", headers: { "content-type": "application/json" }, body: "{\"username\":" });
    const response = await nextAuthPost(request, context);
    expect(response.status).toBe(400);
    expect(await jsonOf(response)).toEqual({ error: { code: "BAD_REQUEST", message: "The request body is not valid JSON" } });
  });
});
