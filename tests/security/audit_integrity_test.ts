// A guest cannot hide host calls from the audit file: however fast it calls,
// every record reaches the file (the guest waits for synchronous writes, or
// its calls are refused), and the verifier refuses files that were edited in
// ways the chain alone would not show (a byte-order mark, a "dropped" marker).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { AuditLog } from "../../lib/audit/audit_log.ts";
import { jsonLinesFileSink } from "../../lib/audit/jsonl_file_sink.ts";
import { canonicalJson } from "../../lib/audit/canonical_json.ts";
import { chainHash, chainLine, GENESIS_HASH } from "../../lib/audit/hash_chain.ts";
import { verifyAuditFile, verifyAuditText } from "../../lib/audit/verify_audit.ts";
import type { SealedAuditRecord } from "../../lib/audit/audit_event.ts";
import { main } from "../../lib/cli/main.ts";
import { defineRegistrar, grant, WasmSandboxRuntime } from "../../mod.ts";
import type { HostContextProvider } from "../../lib/host/soch_namespace.ts";
import { sandboxError } from "../_helpers/errors.ts";
import { fakeTerminal } from "../_helpers/fake_terminal.ts";
import { tempDir } from "../_helpers/temp.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("security: audit completeness and integrity");

function mapProvider(): HostContextProvider & { values: Map<string, Uint8Array> } {
  const values = new Map<string, Uint8Array>();
  return { values, read: (k) => values.get(k), write: (k, v) => void values.set(k, v), vectorSearch: () => [] };
}

/** A cheap, capability-free host function. */
function tickRegistrar(counter: { ticks: number }) {
  return defineRegistrar("tick", {
    tick: { params: [], results: ["i32"], call: () => (counter.ticks++, 0) },
  });
}

/** Makes `n` cheap calls in one synchronous run, then the sensitive soch_write. */
const FLOOD = `(module
  (import "tick" "tick" (func $tick (result i32)))
  (import "soch" "soch_write" (func $write (param i32 i32 i32 i32) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "secret")
  (func (export "flood") (param $n i32) (result i64)
    (loop $more
      (drop (call $tick))
      (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $more))
    (call $write (i32.const 0) (i32.const 6) (i32.const 0) (i32.const 6))))`;

test("150,001 cheap calls then soch_write in one run: every record is in the file, in order, and it verifies", async () => {
  const path = join(await tempDir(), "audit.jsonl");
  const audit = new AuditLog({ sinks: [jsonLinesFileSink(path)] });
  const provider = mapProvider();
  const counter = { ticks: 0 };
  const runtime = new WasmSandboxRuntime({ audit, provider, fuel: 1n << 40n });
  const plugin = await runtime.loadPlugin("flood", await wat(FLOOD), {
    capabilities: [grant("soch:write")],
    registrars: [tickRegistrar(counter)],
  });
  const calls = 150_001;
  assert.is(await plugin.call("flood", calls), 0n);
  assert.is(counter.ticks, calls);
  assert.ok(provider.values.has("secret"));
  await audit.close();

  const result = await verifyAuditFile(path);
  assert.ok(result.ok, JSON.stringify(result.firstBroken));
  assert.is(result.records, calls + 1, "one record per call, none dropped");
  const lines = readFileSync(path, "utf8").trimEnd().split("\n");
  const last = JSON.parse(lines[lines.length - 1]);
  assert.equal([last.kind, last.function, last.decision, last.seq], ["call", "soch_write", "allow", calls + 1]);
  assert.not.ok(lines.some((line) => line.includes('"kind":"dropped"')));
});

test("a sink that cannot write synchronously: calls past maxPending are refused and audited, never lost", async () => {
  const written: SealedAuditRecord[] = [];
  let text = "";
  const audit = new AuditLog({
    // Asynchronous only: during a synchronous guest run nothing reaches it.
    sinks: [{ write: (records, lines) => Promise.resolve(void (written.push(...records), text += lines.map((l) => l + "\n").join(""))) }],
    maxPending: 10,
  });
  const provider = mapProvider();
  const counter = { ticks: 0 };
  const runtime = new WasmSandboxRuntime({ audit, provider });
  const plugin = await runtime.loadPlugin("flood", await wat(FLOOD), {
    capabilities: [grant("soch:write")],
    registrars: [tickRegistrar(counter)],
  });
  // 10 ticks run; 5 more are refused (PERMISSION_DENIED to the guest), then soch_write is refused too.
  assert.is(await plugin.call("flood", 15), -2n);
  assert.is(counter.ticks, 10);
  assert.not.ok(provider.values.has("secret"), "the sensitive call did not run unaudited");
  await audit.flush();
  assert.equal(written.map((r) => r.decision), [...Array(10).fill("allow"), ...Array(6).fill("deny")]);
  assert.is(written[15].function, "soch_write");
  assert.ok(verifyAuditText(text).ok);

  // Past twice maxPending the guest is stopped (IoError) rather than the backlog growing without bound.
  await plugin.reset();
  const err = await sandboxError(plugin.call("flood", 100));
  assert.is(err.code, "IoError");
  await audit.close();
  assert.is(written.length, 16 + 20, "the records up to the stop, every one of them written");
  assert.ok(verifyAuditText(text).ok);
});

/** A valid two-record file's text. */
async function validFile(): Promise<string> {
  let text = "";
  const log = new AuditLog({ sinks: [{ write: (_r, lines) => void (text += lines.map((l) => l + "\n").join("")) }] });
  for (let i = 0; i < 2; i++) {
    log.record({ pluginId: "p", namespace: "soch", function: "soch_write", capability: "soch:write", decision: "allow", durationNs: 1, bytesIn: 3, bytesOut: 0, result: 0n });
  }
  await log.close();
  return text;
}

test("audit verify refuses a file with a UTF-8 byte-order mark in front, as the first broken line", async () => {
  const path = join(await tempDir(), "audit.jsonl");
  const text = await validFile();
  writeFileSync(path, new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(text)]));
  const result = await verifyAuditFile(path);
  assert.not.ok(result.ok);
  assert.is(result.records, 0);
  assert.is(result.firstBroken?.line, 1);
  assert.match(result.firstBroken!.reason, "byte-order mark");
  assert.not.ok(verifyAuditText("\ufeff" + text).ok);

  const terminal = fakeTerminal(["audit", "verify", path]);
  assert.is(await main(terminal, "test"), 1);
  assert.match(terminal.stdout(), /^broken: line 1: the file starts with a byte-order mark/);
});

test("audit verify refuses a correctly chained \"dropped\" marker: records are missing", async () => {
  const body = canonicalJson({ count: 7, kind: "dropped", prev: GENESIS_HASH, seq: 1, time: 1 });
  const text = chainLine(body, chainHash(GENESIS_HASH, body)) + "\n";
  const result = verifyAuditText(text);
  assert.not.ok(result.ok);
  assert.is(result.firstBroken?.line, 1);
  assert.match(result.firstBroken!.reason, "records are missing");
});

test.run();
