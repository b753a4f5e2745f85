import { writeFileSync } from "node:fs";

/**
 * Health for the processes without an HTTP port (balancer, monitoring, simulator): while `healthy()`
 * holds, the heartbeat file is rewritten every few seconds; the container's HEALTHCHECK fails once
 * the file is older than 30 s, i.e. the process hangs, has lost RabbitMQ, or (balancer, monitoring)
 * has held messages without settling any (ProgressWatch) for that long.
 */
export const HEARTBEAT_FILE = "/tmp/ems-worker-heartbeat";

export function startHeartbeat(healthy: () => boolean, file = HEARTBEAT_FILE, intervalMs = 5_000): () => void {
  const beat = () => {
    if (!healthy()) return;
    try {
      writeFileSync(file, new Date().toISOString());
    } catch {
      // An unwritable /tmp must not take the process down; the health check then reports it.
    }
  };
  beat();
  const timer = setInterval(beat, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
