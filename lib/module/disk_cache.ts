/**
 * Rewritten (metered, capped) modules on disk, so a large plugin is rewritten
 * once, not at every process start. Entries are named by the SHA-256 of the
 * cache key (module hash plus rewrite options).
 *
 * The directory must be trusted: whoever can write to it can replace a
 * plugin's metered code. A corrupt or unreadable entry is rewritten again.
 *
 * @module
 */
import type { HostFileSystem } from "../platform/types.ts";
import { sha256Hex } from "./sha256.ts";

const encoder = new TextEncoder();

/** One cache directory. */
export class RewriteDiskCache {
  readonly #dir: string;
  readonly #fs: HostFileSystem;

  /** A cache in `dir` on the host file system `fs` (the facade passes the host's). */
  constructor(dir: string, fs: HostFileSystem) {
    this.#dir = dir.replace(/[/\\]+$/, "");
    this.#fs = fs;
  }

  /** The cached bytes for `key`, or `rewrite()`'s result, stored for next time. */
  async get(key: string, rewrite: () => Uint8Array): Promise<Uint8Array> {
    const fs = this.#fs;
    const path = `${this.#dir}/${sha256Hex(encoder.encode(key))}.wasm`;
    try {
      const cached = await fs.readFile(path);
      if (WebAssembly.validate(cached as Uint8Array<ArrayBuffer>)) return cached;
    } catch {
      // missing or unreadable: rewrite below
    }
    const bytes = rewrite();
    try {
      await fs.mkdir(this.#dir, { recursive: true });
      const partial = `${path}.${crypto.randomUUID()}.partial`;
      await fs.writeFile(partial, bytes);
      await fs.rename(partial, path);
    } catch {
      // A cache that cannot be written only costs a rewrite next time.
    }
    return bytes;
  }
}
