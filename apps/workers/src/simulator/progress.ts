/**
 * A one-line progress bar for bulk replays, redrawn at most 5 times a second on a terminal:
 * `[########----------------]  34%  34,000/100,000  9,812/s  eta 7s`. Off a terminal (logs, CI) it
 * prints a plain line every 5 seconds instead.
 */
export function progressBar(total: number, stream: NodeJS.WriteStream = process.stderr) {
  const started = performance.now();
  const interactive = stream.isTTY;
  const interval = interactive ? 200 : 5_000;
  let lastDrawn = 0;
  let current = 0;
  const format = (n: number) => n.toLocaleString("en-US");

  const render = () => {
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? current / seconds : 0;
    const fraction = total > 0 ? current / total : 1;
    const eta = rate > 0 ? Math.ceil((total - current) / rate) : undefined;
    const width = 24;
    const filled = Math.round(fraction * width);
    const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
    const text = `${bar} ${String(Math.floor(fraction * 100)).padStart(3)}%  ${format(current)}/${format(total)}  ${format(Math.round(rate))}/s${eta === undefined ? "" : `  eta ${eta}s`}`;
    stream.write(interactive ? `\r${text}` : `${text}\n`);
  };

  return {
    update(value: number) {
      current = value;
      const now = performance.now();
      if (now - lastDrawn >= interval) {
        lastDrawn = now;
        render();
      }
    },
    finish() {
      render();
      if (interactive) stream.write("\n");
    },
  };
}
