/** {@linkcode Terminal} for Deno. @module */
import type { Terminal } from "./terminal.ts";

interface DenoWriter {
  write(data: Uint8Array): Promise<number>;
}
interface DenoProcess {
  args: string[];
  stdout: DenoWriter;
  stderr: DenoWriter;
  exit(code: number): never;
}

const deno = (globalThis as unknown as { Deno: DenoProcess }).Deno;
const encoder = new TextEncoder();

/** Writes in call order: each write waits for the one before, so chunks never interleave. */
function writer(stream: DenoWriter): (data: Uint8Array | string) => Promise<void> {
  let tail = Promise.resolve();
  return (data) => {
    const bytes = typeof data === "string" ? encoder.encode(data) : data.slice();
    tail = tail.then(async () => {
      let rest = bytes;
      while (rest.byteLength > 0) rest = rest.subarray(await stream.write(rest));
    });
    return tail;
  };
}

/** The Deno terminal. Writes complete before they resolve, so exit never cuts output. */
export function denoTerminal(): Terminal {
  return {
    args: deno.args,
    writeOut: writer(deno.stdout),
    writeErr: writer(deno.stderr),
    exit: (code) => Promise.resolve(deno.exit(code)),
  };
}
