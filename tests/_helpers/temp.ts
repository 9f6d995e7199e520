// Temporary directories for tests (node:fs works on both runtimes; tests are not the core).
// Every directory made here is removed when the test process exits, so runs leave nothing behind.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

const made: string[] = [];

process.on("exit", () => {
  for (const dir of made) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // A test may have made part of it unreadable: open it up and try once more.
      try {
        chmodSync(dir, 0o700);
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // Left behind: the OS temp directory is cleaned eventually.
      }
    }
  }
});

/** A fresh empty directory under the OS temp dir, removed when the process exits. */
export function tempDir(prefix = "wasm-sandbox-test-"): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return Promise.resolve(dir);
}
