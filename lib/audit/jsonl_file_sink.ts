/**
 * The JSON-lines file sink: appends one line per sealed record. Before its
 * first write it checks that the batch continues the chain already in the
 * file (the genesis hash for a new or empty file), so two logs can never
 * interleave into one unverifiable file: continue a file with
 * `new AuditLog({ resumeFrom: await readAuditTail(path) })`.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { hostPlatform } from "../platform/host_platform.ts";
import type { HostAppendHandle, HostPlatform } from "../platform/types.ts";
import type { AuditSink } from "./audit_sink.ts";
import { GENESIS_HASH } from "./hash_chain.ts";
import { readAuditTail } from "./verify_audit.ts";

const encoder = new TextEncoder();

/**
 * A sink appending JSON lines to `path` (created when missing).
 *
 * @example
 * ```ts
 * const path = "audit.jsonl";
 * const log = new AuditLog({ resumeFrom: await readAuditTail(path), sinks: [jsonLinesFileSink(path)] });
 * ```
 */
export function jsonLinesFileSink(path: string, options: { platform?: HostPlatform } = {}): AuditSink {
  let handle: HostAppendHandle | undefined;
  let closed = false;

  async function open(firstPrev: string): Promise<HostAppendHandle> {
    const platform = options.platform ?? await hostPlatform();
    const tail = await readAuditTail(path, { platform });
    const expected = tail?.hash ?? GENESIS_HASH;
    if (firstPrev !== expected) {
      throw new SandboxError(
        "InvalidState",
        tail
          ? `audit file ${path} already holds a chain ending at seq ${tail.seq}; continue it with resumeFrom: await readAuditTail(path), or use a new file`
          : `audit file ${path} is empty but this log continues another chain; use the file that chain came from`,
      );
    }
    try {
      return await platform.fs.openAppend(path);
    } catch (err) {
      throw new SandboxError("IoError", `could not open audit file ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  return {
    async write(records, lines) {
      if (closed) throw new SandboxError("InvalidState", `audit file sink for ${path} is closed`);
      if (records.length === 0) return;
      handle ??= await open(records[0].prev);
      try {
        await handle.write(encoder.encode(lines.join("\n") + "\n"));
      } catch (err) {
        throw new SandboxError("IoError", `could not append to audit file ${path}: ${(err as Error).message}`, { cause: err });
      }
    },
    async close() {
      closed = true;
      const open = handle;
      handle = undefined;
      await open?.close();
    },
  };
}
