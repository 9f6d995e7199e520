/**
 * The JSON-lines file sink: appends one line per sealed record. Before its
 * first write it checks that the batch continues the chain already in the
 * file (the genesis hash for a new or empty file), so two logs can never
 * interleave into one unverifiable file: continue a file with
 * `new AuditLog({ resumeFrom: await readAuditTail(path) })`.
 *
 * Once open (`ready()`, which the runtime awaits before a guest runs), every
 * write is synchronous: the log can then make a guest that outruns the
 * event loop wait for its records to reach the file instead of refusing its
 * calls, and a synchronous write can never overtake an asynchronous one.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { hostPlatform } from "../platform/host_platform.ts";
import type { HostAppendHandle, HostPlatform } from "../platform/types.ts";
import type { SealedAuditRecord } from "./audit_event.ts";
import type { AuditSink } from "./audit_sink.ts";
import { GENESIS_HASH } from "./hash_chain.ts";
import { readAuditTail } from "./verify_audit.ts";
import type { AuditChainHead } from "./verify_audit.ts";

const encoder = new TextEncoder();

/**
 * A sink appending JSON lines to `path` (created when missing).
 *
 * @example
 * ```ts
 * const path = "audit.jsonl";
 * const log = new AuditLog({ resumeFrom: await readAuditTail(path), sinks: [jsonLinesFileSink(path)] });
 * await log.ready(); // optional: the runtime does it before running a guest
 * ```
 */
export function jsonLinesFileSink(path: string, options: { platform?: HostPlatform } = {}): AuditSink {
  let handle: HostAppendHandle | undefined;
  let opening: Promise<void> | undefined;
  /** The file's chain head when it was opened, until the first batch has been checked against it. */
  let unchecked: { tail: AuditChainHead | undefined } | undefined;
  let closed = false;

  async function open(): Promise<void> {
    const platform = options.platform ?? await hostPlatform();
    const tail = await readAuditTail(path, { platform });
    let opened: HostAppendHandle;
    try {
      opened = await platform.fs.openAppend(path);
    } catch (err) {
      throw new SandboxError("IoError", `could not open audit file ${path}: ${(err as Error).message}`, { cause: err });
    }
    if (closed) {
      await opened.close();
      throw closedError();
    }
    unchecked = { tail };
    handle = opened;
  }

  function ready(): Promise<void> {
    if (closed) return Promise.reject(closedError());
    if (handle) return Promise.resolve();
    // A failed open is tried again by the next write or ready().
    opening ??= open().finally(() => opening = undefined);
    return opening;
  }

  function closedError(): SandboxError {
    return new SandboxError("InvalidState", `audit file sink for ${path} is closed`);
  }

  function append(file: HostAppendHandle, records: readonly SealedAuditRecord[], lines: readonly string[]): void {
    if (unchecked) {
      const { tail } = unchecked;
      if (records[0].prev !== (tail?.hash ?? GENESIS_HASH)) {
        throw new SandboxError(
          "InvalidState",
          tail
            ? `audit file ${path} already holds a chain ending at seq ${tail.seq}; continue it with resumeFrom: await readAuditTail(path), or use a new file`
            : `audit file ${path} is empty but this log continues another chain; use the file that chain came from`,
        );
      }
      unchecked = undefined;
    }
    try {
      file.writeSync(encoder.encode(lines.join("\n") + "\n"));
    } catch (err) {
      throw new SandboxError("IoError", `could not append to audit file ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  return {
    ready,
    writeSync(records, lines) {
      if (closed) throw closedError();
      if (records.length === 0) return true;
      if (!handle) return false;
      append(handle, records, lines);
      return true;
    },
    async write(records, lines) {
      if (closed) throw closedError();
      if (records.length === 0) return;
      await ready();
      append(handle!, records, lines);
    },
    async close() {
      closed = true;
      await opening?.catch(() => {});
      const open = handle;
      handle = undefined;
      await open?.close();
    },
  };
}
