// Test support: a stand-in for xAI's OpenAI-compatible chat completions endpoint, on loopback.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export type FakeAiBehaviour = { kind: "answer"; content: string } | { kind: "status"; status: number } | { kind: "hang" };

export interface FakeAiRequest {
  path: string;
  authorization: string | undefined;
  body: { model: string; messages: { role: string; content: string }[] };
}

export interface FakeAiServer {
  baseUrl: string;
  requests: FakeAiRequest[];
  behave(behaviour: FakeAiBehaviour): void;
  close(): Promise<void>;
}

async function readJson(request: IncomingMessage): Promise<FakeAiRequest["body"]> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8")) as FakeAiRequest["body"];
}

export async function startFakeAiServer(): Promise<FakeAiServer> {
  let behaviour: FakeAiBehaviour = { kind: "answer", content: "fake answer" };
  const requests: FakeAiRequest[] = [];
  const server = createServer((request, response) => {
    void readJson(request).then((body) => {
      requests.push({ path: request.url ?? "", authorization: request.headers.authorization, body });
      if (behaviour.kind === "hang") return; // never answers: the client's timeout must end the wait
      if (behaviour.kind === "status") {
        response.writeHead(behaviour.status, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: { message: "fake failure", type: "server_error" } }));
        return;
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          id: "chatcmpl-fake",
          object: "chat.completion",
          created: Math.floor(Date.now() / 1000),
          model: body.model,
          choices: [{ index: 0, message: { role: "assistant", content: behaviour.content }, finish_reason: "stop" }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    behave(next) {
      behaviour = next;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
