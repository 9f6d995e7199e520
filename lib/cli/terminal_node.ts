/** {@linkcode Terminal} for Node. @module */
import type { Terminal } from "./terminal.ts";

function writer(stream: NodeJS.WriteStream): (data: Uint8Array | string) => Promise<void> {
  return (data) => new Promise((resolve) => stream.write(data, () => resolve()));
}

/** The Node terminal: waits for stdout/stderr to drain before exiting, so piped output is never cut. */
export function nodeTerminal(): Terminal {
  const writeOut = writer(process.stdout);
  const writeErr = writer(process.stderr);
  return {
    args: process.argv.slice(2),
    writeOut,
    writeErr,
    async exit(code) {
      await writeOut("");
      await writeErr("");
      process.exit(code);
    },
  };
}
