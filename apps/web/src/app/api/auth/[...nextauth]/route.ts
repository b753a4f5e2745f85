import NextAuth from "next-auth";
import { NextRequest } from "next/server";
import { authOptions } from "~/server/auth.ts";
import { badRequest } from "~/server/errors.ts";
import { errorToResponse, MAX_AUTH_BODY_BYTES, withBodyLimit } from "~/server/http.ts";

type RouteHandler = (request: NextRequest, context: unknown) => Promise<Response>;

const handler = NextAuth(authOptions) as RouteHandler;

/**
 * next-auth reads a POST body whole and answers 500 when a JSON one is malformed. The body is read
 * here first, capped (413 beyond the cap) and checked, and handed on as text.
 */
async function POST(request: NextRequest, context: unknown): Promise<Response> {
  let body: string;
  try {
    body = await withBodyLimit(request, MAX_AUTH_BODY_BYTES).text();
    if (request.headers.get("content-type")?.includes("application/json")) assertJson(body);
  } catch (error) {
    return errorToResponse(error);
  }
  return handler(new NextRequest(request.url, { method: request.method, headers: request.headers, body }), context);
}

function assertJson(text: string): void {
  try {
    JSON.parse(text);
  } catch {
    throw badRequest("The request body is not valid JSON");
  }
}

export { handler as GET, POST };
