/** {@linkcode Terminal} for Deno. @module */
import type { Terminal } from "../../cli/terminal.ts";
import { deno } from "./deno_global.ts";
import type { DenoWriter } from "./deno_global.ts";

const encoder = new TextEncoder();

/** A stream's writes in call order, and a promise for all of them. */
interface OrderedWriter {
  write(data: Uint8Array | string): Promise<void>;
  /** Settles once every write issued so far has finished (or failed). */
  drained(): Promise<void>;
}

/** Writes in call order: each write waits for the one before, so chunks never interleave. */
function orderedWriter(stream: DenoWriter): OrderedWriter {
  // `tail` never rejects, so one failed write (a closed pipe) does not jam the writes after it.
  let tail = Promise.resolve();
  return {
    write(data) {
      const bytes = typeof data === "string" ? encoder.encode(data) : data.slice();
      const done = tail.then(async () => {
        let rest = bytes;
        while (rest.byteLength > 0) rest = rest.subarray(await stream.write(rest));
      });
      tail = done.catch(() => {});
      return done;
    },
    drained: () => tail,
  };
}

const out = orderedWriter(deno.stdout);
const err = orderedWriter(deno.stderr);

/**
 * The Deno terminal. `Deno.exit` ends the process at once, dropping writes
 * still in flight — including those whose promise nobody awaited, such as
 * guest output streamed chunk by chunk — so `exit` first waits for both
 * streams to drain.
 */
export const terminal: Terminal = {
  args: deno.args,
  writeOut: out.write,
  writeErr: err.write,
  async exit(code) {
    await out.drained();
    await err.drained();
    return deno.exit(code);
  },
};
