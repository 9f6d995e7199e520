/**
 * The CLI's view of its process — arguments, output streams, exit — behind
 * one interface, implemented in `lib/platform/{deno,node}/terminal.ts` and
 * reached through `hostPlatform().terminal`.
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
