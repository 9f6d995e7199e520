/**
 * `wasm-sandbox audit verify FILE`: checks an audit file's hash chain and
 * points at the first broken record.
 *
 * @module
 */
import { verifyAuditFile } from "../audit/verify_audit.ts";
import { SandboxError } from "../errors.ts";
import type { Terminal } from "./terminal.ts";

/** Exit 0 when the chain verifies, 1 when it is broken. */
export async function auditCommand(argv: readonly string[], terminal: Terminal): Promise<number> {
  const [sub, file, ...extra] = argv;
  if (sub !== "verify" || file === undefined || extra.length > 0) {
    throw new SandboxError("InvalidArgument", "usage: wasm-sandbox audit verify FILE");
  }
  const result = await verifyAuditFile(file);
  if (result.ok) {
    await terminal.writeOut(`ok: ${result.records} records verified${result.head ? `, head seq ${result.head.seq} ${result.head.hash}` : ""}\n`);
    return 0;
  }
  const broken = result.firstBroken!;
  await terminal.writeOut(
    `broken: line ${broken.line}${broken.seq === undefined ? "" : ` (seq ${broken.seq})`}: ${broken.reason}; ` +
      `${result.records} records before it verified\n`,
  );
  return 1;
}
