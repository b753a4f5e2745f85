// Test support: a stand-in for xAI's OpenAI-compatible chat completions endpoint, on loopback.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

/** A function call the fake model makes; `arguments` is sent as the JSON string the API uses. */
export interface FakeToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

export type FakeAiBehaviour =
  | { kind: "answer"; content: string }
  | { kind: "tool_calls"; calls: FakeToolCall[]; content?: string }
  | { kind: "status"; status: number }
  | { kind: "hang" };

export interface FakeAiMessage {
  role: string;
  content: string | null;
  tool_call_id?: string;
  tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
}

export interface FakeAiRequest {
  path: string;
  authorization: string | undefined;
  body: {
    model: string;
    messages: FakeAiMessage[];
    tools?: { type: string; function: { name: string; description?: string; parameters?: unknown } }[];
  };
}

export interface FakeAiServer {
  baseUrl: string;
  requests: FakeAiRequest[];
  /** A fixed behaviour, or one chosen per request (e.g. a tool call first, then an answer from its result). */
  behave(behaviour: FakeAiBehaviour | ((request: FakeAiRequest) => FakeAiBehaviour)): void;
  close(): Promise<void>;
}

async function readJson(request: IncomingMessage): Promise<FakeAiRequest["body"]> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8")) as FakeAiRequest["body"];
}

function completionMessage(behaviour: Extract<FakeAiBehaviour, { kind: "answer" | "tool_calls" }>, requestNumber: number) {
  if (behaviour.kind === "answer") return { message: { role: "assistant", content: behaviour.content }, finish_reason: "stop" };
  return {
    message: {
      role: "assistant",
      content: behaviour.content ?? null,
      tool_calls: behaviour.calls.map((call, index) => ({
        id: `call_${requestNumber}_${index}`,
        type: "function",
        function: { name: call.name, arguments: JSON.stringify(call.arguments) },
      })),
    },
    finish_reason: "tool_calls",
  };
}

export async function startFakeAiServer(): Promise<FakeAiServer> {
  let behaviour: FakeAiBehaviour | ((request: FakeAiRequest) => FakeAiBehaviour) = { kind: "answer", content: "fake answer" };
  const requests: FakeAiRequest[] = [];
  const server = createServer((request, response) => {
    void readJson(request).then((body) => {
      const received: FakeAiRequest = { path: request.url ?? "", authorization: request.headers.authorization, body };
      requests.push(received);
      const current = typeof behaviour === "function" ? behaviour(received) : behaviour;
      if (current.kind === "hang") return; // never answers: the client's timeout must end the wait
      if (current.kind === "status") {
        response.writeHead(current.status, { "content-type": "application/json" });
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
          choices: [{ index: 0, ...completionMessage(current, requests.length) }],
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
