import net from "node:net";

/**
 * A stand-in for a PostgreSQL server that is still starting, on an ephemeral 127.0.0.1 port in front
 * of the real one: for `refuseMs` nothing listens (ECONNREFUSED), then for `startingUpMs` every
 * connection gets PostgreSQL's "the database system is starting up" (FATAL 57P03), then connections
 * are forwarded to the real server.
 */
export interface StartingPostgres {
  port: number;
  close(): Promise<void>;
}

/** An ErrorResponse message (protocol 3.0): type 'E', length, then code/value fields, each NUL-ended. */
function startingUpErrorMessage(): Buffer {
  const fields = Buffer.from("SFATAL\0VFATAL\0C57P03\0Mthe database system is starting up\0\0", "utf8");
  const header = Buffer.alloc(5);
  header.write("E", 0, "ascii");
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", resolve);
  });
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export async function startStartingPostgres({
  refuseMs,
  startingUpMs,
  targetPort = 5432,
  targetHost = "127.0.0.1",
}: {
  refuseMs: number;
  startingUpMs: number;
  targetPort?: number;
  targetHost?: string;
}): Promise<StartingPostgres> {
  // The port is chosen now but listened on only later, as a server that is not up yet would be.
  const port = await freePort();
  const forwardFrom = performance.now() + refuseMs + startingUpMs;
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };

  const server = net.createServer((client) => {
    track(client);
    if (performance.now() < forwardFrom) {
      // Answer the start-up packet as a starting server does, then hang up.
      client.once("data", () => client.end(startingUpErrorMessage()));
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });

  let listening: Promise<void> | undefined;
  const timer = setTimeout(() => {
    listening = new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
  }, refuseMs);

  const close = async () => {
    clearTimeout(timer);
    for (const socket of sockets) socket.destroy();
    if (listening) {
      await listening;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  };
  return { port, close };
}
