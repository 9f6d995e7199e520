// Hashing one audit record for the chain: the synchronous SHA-256 the log
// uses (node:crypto's createHash, the same on Node and Deno) against
// WebCrypto's crypto.subtle.digest, in the same run, with the ratio. The
// chain is sequential (each hash feeds the next), so WebCrypto would cost one
// awaited promise per record.
// Run: node --import tsx bench/audit_hash.ts   (or: deno run -A bench/audit_hash.ts)
import { sha256Hex } from "../lib/module/sha256.ts";
import { canonicalBody, GENESIS_HASH } from "../lib/audit/hash_chain.ts";
import { isQuick, recordTable, reportRatio } from "./_harness.ts";

const RECORDS = isQuick() ? 2_000 : 20_000;
const record = {
  kind: "call" as const, seq: 1, time: Date.now(), pluginId: "plugin-a", namespace: "wasi_snapshot_preview1",
  function: "fd_write", capability: "wasi:stdio", decision: "allow" as const, durationNs: 1234, bytesIn: 12,
  bytesOut: 4, result: 0, prev: undefined, hash: undefined,
};
const input = new TextEncoder().encode(GENESIS_HASH + canonicalBody(record, GENESIS_HASH));

async function webCryptoHex(data: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

if (sha256Hex(input) !== await webCryptoHex(input)) throw new Error("the two SHA-256 disagree");
for (let i = 0; i < 2000; i++) sha256Hex(input); // warm up

let start = performance.now();
for (let i = 0; i < RECORDS; i++) sha256Hex(input);
const syncUs = ((performance.now() - start) * 1000) / RECORDS;
start = performance.now();
for (let i = 0; i < RECORDS; i++) await webCryptoHex(input);
const webUs = ((performance.now() - start) * 1000) / RECORDS;

const runtime = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined" ? "deno" : "node";
recordTable({
  title: `SHA-256 of one ${input.byteLength}-byte audit record, ${RECORDS} records in a chain`,
  baseline: "sync (node:crypto createHash)",
  method: "mean of one timed loop",
  cases: [
    { name: "sync (node:crypto createHash)", value: syncUs * 1000, unit: "ns/record", ratio: 1 },
    { name: "WebCrypto subtle.digest, awaited", value: webUs * 1000, unit: "ns/record", ratio: webUs / syncUs },
  ],
});
console.log(`SHA-256 of one ${input.byteLength}-byte audit record on ${runtime}, ${RECORDS} records in a chain`);
console.log(`  sync (node:crypto createHash)    ${syncUs.toFixed(2).padStart(7)} µs/record`);
console.log(`  WebCrypto subtle.digest          ${webUs.toFixed(2).padStart(7)} µs/record   ratio ${(webUs / syncUs).toFixed(1)}x slower`);
reportRatio("audit hash: WebCrypto ÷ sync SHA-256", webUs / syncUs);
