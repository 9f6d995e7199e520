/**
 * The CLI's view of its process — arguments, output streams, exit — behind
 * one interface with a Node and a Deno implementation.
 *
 * @module
 */

/** Process-level I/O for the CLI. */
export interface Terminal {
  /** Arguments after the script name. */
  readonly args: readonly string[];
  writeOut(data: Uint8Array | string): Promise<void>;
  writeErr(data: Uint8Array | string): Promise<void>;
  /** Ends the process once pending output has been written. */
  exit(code: number): Promise<never>;
}

/** The terminal of the running runtime. */
export async function currentTerminal(): Promise<Terminal> {
  const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
  return isDeno
    ? (await import("./terminal_deno.ts")).denoTerminal()
    : (await import("./terminal_node.ts")).nodeTerminal();
}
