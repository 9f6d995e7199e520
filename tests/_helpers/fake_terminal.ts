// An in-memory Terminal for CLI tests: records output, never exits the process.
import type { Terminal } from "../../lib/cli/terminal.ts";

export interface FakeTerminal extends Terminal {
  stdout(): string;
  stderr(): string;
}

export function fakeTerminal(args: string[]): FakeTerminal {
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  const encoder = new TextEncoder();
  const collect = (list: Uint8Array[]) => (data: Uint8Array | string) => {
    list.push(typeof data === "string" ? encoder.encode(data) : data.slice());
    return Promise.resolve();
  };
  const text = (list: Uint8Array[]) => new TextDecoder().decode(Uint8Array.from(list.flatMap((c) => [...c])));
  return {
    args,
    writeOut: collect(out),
    writeErr: collect(err),
    exit: () => Promise.reject(new Error("exit() is not used in tests")),
    stdout: () => text(out),
    stderr: () => text(err),
  };
}
