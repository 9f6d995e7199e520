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

function writer(stream: DenoWriter): (data: Uint8Array | string) => Promise<void> {
  return async (data) => {
    let bytes = typeof data === "string" ? encoder.encode(data) : data;
    while (bytes.byteLength > 0) bytes = bytes.subarray(await stream.write(bytes));
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
