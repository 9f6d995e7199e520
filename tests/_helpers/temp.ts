// Temporary directories for tests (node:fs works on both runtimes; tests are not the core).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh empty directory under the OS temp dir. */
export function tempDir(prefix = "wasm-sandbox-test-"): Promise<string> {
  return Promise.resolve(mkdtempSync(join(tmpdir(), prefix)));
}
