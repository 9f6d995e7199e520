/** {@linkcode Terminal} for Node. @module */
import type { Terminal } from "../../cli/terminal.ts";

/** A stream's writes, and a promise for all of them. */
interface TrackedWriter {
  write(data: Uint8Array | string): Promise<void>;
  /** Settles once every write issued so far has been handed to the OS (or failed). */
  drained(): Promise<void>;
}

function trackedWriter(stream: NodeJS.WriteStream): TrackedWriter {
  // A stream calls write callbacks in order, so the last write's promise covers every earlier one.
  let last = Promise.resolve();
  return {
    write(data) {
      last = new Promise((resolve) => stream.write(data, () => resolve()));
      return last;
    },
    drained: () => last,
  };
}

const out = trackedWriter(process.stdout);
const err = trackedWriter(process.stderr);

/**
 * The Node terminal. `process.exit` drops writes still queued on a pipe —
 * including those whose promise nobody awaited, such as guest output streamed
 * chunk by chunk — so `exit` first waits for both streams to drain.
 */
export const terminal: Terminal = {
  args: process.argv.slice(2),
  writeOut: out.write,
  writeErr: err.write,
  async exit(code) {
    await out.drained();
    await err.drained();
    process.exit(code);
  },
};
