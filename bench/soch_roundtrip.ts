// A 1 KiB key/value read from inside the guest, side by side in one run:
//   ours    — the guest calls soch.soch_read(key_ptr, key_len, out_ptr, out_cap);
//             the host reads the key from guest memory and writes the 1 KiB
//             value straight into the guest's buffer (the ABI's output protocol)
//   Extism  — the same exchange through Extism's JS SDK (@extism/extism), with a
//             plugin written here in WAT against Extism's kernel ABI
//             (extism:host/env), the way its PDKs do it: the guest copies the key
//             into a host block (alloc + store_u64), calls a user host function
//             that reads the key through its CallContext and stores the value as
//             a new block, then copies the value out with load_u64 (8 bytes per
//             kernel call) and frees both blocks
// Both guests run ROUND_TRIPS reads per export call and check a checksum over every
// byte of each value they receive, so neither side can skip the copy.
// Run: node --import tsx bench/soch_roundtrip.ts   (or: deno run -A bench/soch_roundtrip.ts)
import createPlugin from "@extism/extism";
import type { CallContext } from "@extism/extism";
import { DefaultHostContextProvider, grant, WasmSandboxRuntime } from "../mod.ts";
import type { HostContextProvider } from "../mod.ts";
import { wat } from "../tests/_helpers/wat.ts";
import { compareCases, reportGoal } from "./_harness.ts";

const ROUND_TRIPS = 100;
const VALUE_BYTES = 1024;
/** Eight bytes, so both guests move the key in one piece. */
const KEY = "bench:1k";
/** The value: pseudo-random bytes; each guest checks a rotate-and-add checksum over its 64-bit words. */
const value = new Uint8Array(VALUE_BYTES).map((_, i) => (i * 193 + 71) % 251);
const EXPECTED_SUM = checksum(value);

/** What the guests' $sum computes: s = rotl(s, 7) + word, over little-endian u64 words, as a signed i64. */
function checksum(bytes: Uint8Array): bigint {
  const mask = (1n << 64n) - 1n;
  let s = 0n;
  for (const word of new BigUint64Array(bytes.slice().buffer)) s = ((((s << 7n) | (s >> 57n)) & mask) + word) & mask;
  return BigInt.asIntN(64, s);
}

// Both guests check what they received with the same checksum over 64-bit words.
const SUM_FUNC = `  (func $sum (param $p i32) (param $n i32) (result i64) (local $s i64)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $s (i64.add (i64.rotl (local.get $s) (i64.const 7)) (i64.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (local.set $n (i32.sub (local.get $n) (i32.const 8)))
      (br $next)))
    (local.get $s))`;

// --- ours -------------------------------------------------------------------
// Memory: the key at 0, the 1 KiB buffer at 1024. bench(n) does n reads and
// returns the number of reads that came back with 1024 bytes summing right.
const OURS = `(module
  (import "soch" "soch_read" (func $soch_read (param i32 i32 i32 i32) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "${KEY}")
${SUM_FUNC}
  (func (export "bench") (param $n i32) (result i32) (local $ok i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (if (i64.eq (call $soch_read (i32.const 0) (i32.const ${KEY.length}) (i32.const 1024) (i32.const ${VALUE_BYTES}))
                  (i64.const ${VALUE_BYTES}))
        (then (if (i64.eq (call $sum (i32.const 1024) (i32.const ${VALUE_BYTES})) (i64.const ${EXPECTED_SUM}))
          (then (local.set $ok (i32.add (local.get $ok) (i32.const 1)))))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $ok)))`;

// --- Extism -----------------------------------------------------------------
// Extism addresses are i64 handles to host-side blocks. The export takes the
// round-trip count as its 8-byte input and sets the count of good reads as
// its 8-byte output.
const EXTISM = `(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "free" (func $free (param i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "load_u64" (func $load_u64 (param i64) (result i64)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/user" "soch_read" (func $soch_read (param i64) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "${KEY}")
${SUM_FUNC}
  ;; Copies a host block into guest memory at $dst, 8 bytes per load_u64 (as the PDKs do).
  (func $load (param $block i64) (param $dst i32) (param $len i32) (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (i64.store (i32.add (local.get $dst) (local.get $i))
        (call $load_u64 (i64.add (local.get $block) (i64.extend_i32_u (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $next))))
  (func (export "bench") (result i32) (local $n i64) (local $ok i64) (local $key i64) (local $val i64) (local $len i32) (local $out i64)
    (local.set $n (call $input_load_u64 (i64.const 0)))
    (block $done (loop $next
      (br_if $done (i64.eqz (local.get $n)))
      (local.set $key (call $alloc (i64.const ${KEY.length})))
      (call $store_u64 (local.get $key) (i64.load (i32.const 0)))
      (local.set $val (call $soch_read (local.get $key)))
      (if (i64.ne (local.get $val) (i64.const 0))
        (then
          (local.set $len (i32.wrap_i64 (call $length (local.get $val))))
          (if (i32.eq (local.get $len) (i32.const ${VALUE_BYTES}))
            (then
              (call $load (local.get $val) (i32.const 1024) (local.get $len))
              (if (i64.eq (call $sum (i32.const 1024) (local.get $len)) (i64.const ${EXPECTED_SUM}))
                (then (local.set $ok (i64.add (local.get $ok) (i64.const 1)))))))
          (call $free (local.get $val))))
      (call $free (local.get $key))
      (local.set $n (i64.sub (local.get $n) (i64.const 1)))
      (br $next)))
    (local.set $out (call $alloc (i64.const 8)))
    (call $store_u64 (local.get $out) (local.get $ok))
    (call $output_set (local.get $out) (i64.const 8))
    (i32.const 0)))`;

// Both hosts do the same storage work per read: a Map lookup and a copy of
// the value. Two more cases on our side: a provider that hands out the stored
// bytes without a copy (safe with our runtime, which never writes into what a
// provider returns; not with Extism, whose guest could store_u8 into the
// adopted buffer), and the runtime's default provider, which also validates
// the key on every read and copies the value.
const store = new Map<string, Uint8Array>([[KEY, value]]);
const mapProvider = (copy: boolean): HostContextProvider => ({
  read: (key) => copy ? store.get(key)?.slice() : store.get(key),
  write: (key, bytes) => void store.set(key, bytes.slice()),
  vectorSearch: () => [],
});
const defaultProvider = new DefaultHostContextProvider();
defaultProvider.write(KEY, value);

const oursGuest = await wat(OURS);
const ours = await new WasmSandboxRuntime({ provider: mapProvider(true) })
  .loadPlugin("ours", oursGuest, { capabilities: [grant("soch:read")] });
const oursNoCopy = await new WasmSandboxRuntime({ provider: mapProvider(false) })
  .loadPlugin("ours", oursGuest, { capabilities: [grant("soch:read")] });
const oursDefault = await new WasmSandboxRuntime({ provider: defaultProvider })
  .loadPlugin("ours", oursGuest, { capabilities: [grant("soch:read")] });

const extism = await createPlugin({ wasm: [{ data: await wat(EXTISM) }] }, {
  useWasi: false,
  functions: {
    "extism:host/user": {
      soch_read(context: CallContext, keyAddress: bigint) {
        const key = context.read(keyAddress)?.string();
        // A copy, as on our side: Extism adopts a Uint8Array's whole buffer as
        // the block, which the guest could then write to with store_u8.
        const found = key === undefined ? undefined : store.get(key)?.slice();
        return found === undefined ? 0n : context.store(found);
      },
    },
  },
});

const roundTripsInput = new Uint8Array(new BigUint64Array([BigInt(ROUND_TRIPS)]).buffer);

async function runExtism(): Promise<number> {
  const output = await extism.call("bench", roundTripsInput);
  await extism.reset(); // Extism never reuses freed block slots; reset keeps the table small
  if (output === null) return -1;
  const bytes = output.bytes();
  return Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
}

function runOurs(plugin: typeof ours): number {
  return plugin.callSync("bench", ROUND_TRIPS) as number;
}

for (const [name, got] of [["ours", runOurs(ours)], ["ours, no copy", runOurs(oursNoCopy)], ["ours, default provider", runOurs(oursDefault)], ["Extism", await runExtism()]] as const) {
  if (got !== ROUND_TRIPS) throw new Error(`${name}: ${got} of ${ROUND_TRIPS} reads returned the right 1 KiB`);
}

const EXTISM_NAME = "Extism JS SDK, host function";
const OURS_NAME = "ours, soch_read (copy on read)";
const OURS_NO_COPY = "ours, soch_read (no copy)";
const OURS_DEFAULT = "ours, soch_read (default provider)";
const results = await compareCases(`1 KiB soch_read round trip, ${ROUND_TRIPS} per guest call, default audit on our side`, [
  { name: EXTISM_NAME, run: runExtism, opsPerRun: ROUND_TRIPS },
  { name: OURS_NAME, run: () => runOurs(ours), opsPerRun: ROUND_TRIPS },
  { name: OURS_NO_COPY, run: () => runOurs(oursNoCopy), opsPerRun: ROUND_TRIPS },
  { name: OURS_DEFAULT, run: () => runOurs(oursDefault), opsPerRun: ROUND_TRIPS },
], { unit: "read" });

const ns = (name: string) => results.get(name)!.nsPerOp;
reportGoal("speed-up over Extism, same storage work", ns(EXTISM_NAME) / ns(OURS_NAME), { min: 10 });
reportGoal("speed-up over Extism, no copy on our side", ns(EXTISM_NAME) / ns(OURS_NO_COPY), { min: 10 });
reportGoal("speed-up over Extism, default provider", ns(EXTISM_NAME) / ns(OURS_DEFAULT), { min: 10 });
await extism.close();
