// The same seeded guest calls through the soch namespace over the in-memory
// provider (sync host functions, callSync, in process) and over PGlite (async
// host functions: JSPI or a worker, and a worker explicitly): every answer,
// every byte the guest gets back, every audit record (result, bytes moved,
// reason) and the fuel consumed must be the same.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { grant, WasmSandboxRuntime } from "../../mod.ts";
import type { HostCallRecord } from "../../mod.ts";
import { DefaultHostContextProvider } from "../../lib/host/soch_provider.ts";
import { PgliteHostContextProvider } from "../../lib/host/soch_pglite_provider.ts";
import type { SochProvider } from "../../lib/host/soch_namespace.ts";
import { rng } from "../_helpers/prng.ts";
import type { Rng } from "../_helpers/prng.ts";
import { sochPassthroughGuest } from "../_helpers/soch_guest.ts";
import { wat } from "../_helpers/wat.ts";

const GUEST = sochPassthroughGuest(["read", "write", "put", "search"]);

const KEY = 0, VALUE = 1024, VEC = 8192, OUT = 16384, END = 65536;

/** One guest call: the export, its arguments, and what to write into guest memory first. */
interface Step {
  name: string;
  args: number[];
  writes: Array<[number, Uint8Array]>;
  /** Where the answer lands, to compare what the guest got. */
  out?: [number, number];
}

const encoder = new TextEncoder();
const f32 = (values: number[]) => new Uint8Array(new Float32Array(values).buffer);

/** Random calls, in and out of the token's "a/" scope, with some hostile lengths and pointers. */
function steps(r: Rng, count: number): Step[] {
  const key = () => encoder.encode(`${r.pick(["a/", "a/", "a/", "b/"])}${r.int(12)}`);
  const vector = (dim: number) => Array.from({ length: dim }, () => r.int(5) - 2); // ties and the zero vector happen
  const result: Step[] = [];
  for (let i = 0; i < count; i++) {
    const k = key();
    const cap = r.pick([0, 8, 4096]); // too small parks the answer: only its size comes back
    switch (r.int(6)) {
      case 0:
      case 1: {
        const value = encoder.encode("v".repeat(r.int(40)) + i);
        result.push({ name: "write", args: [KEY, k.length, VALUE, value.length], writes: [[KEY, k], [VALUE, value]] });
        break;
      }
      case 2:
        result.push({ name: "read", args: [KEY, k.length, OUT, cap], writes: [[KEY, k]], out: [OUT, cap] });
        break;
      case 3: {
        const dim = r.chance(0.9) ? 3 : r.pick([0, 2]);
        result.push({ name: "put", args: [KEY, k.length, VEC, dim], writes: [[KEY, k], [VEC, f32(vector(dim))]] });
        break;
      }
      case 4: {
        const dim = r.chance(0.9) ? 3 : 2;
        const top = r.pick([1, 3, 10, 0]);
        result.push({ name: "search", args: [VEC, dim, top, OUT, cap], writes: [[VEC, f32(vector(dim))]], out: [OUT, cap] });
        break;
      }
      default: // hostile: a key off the end of memory, an empty key, data past the end, a vector of another
        // dimension than the store's (refused by the provider, whose reason is audited), the zero vector
        result.push(r.pick<Step>([
          { name: "read", args: [END - 2, 10, OUT, 64], writes: [] },
          { name: "write", args: [KEY, 0, VALUE, 1], writes: [] },
          { name: "write", args: [KEY, k.length, END - 4, 64], writes: [[KEY, k]] },
          { name: "put", args: [KEY, k.length, END - 4, 3], writes: [[KEY, k]] },
          { name: "put", args: [KEY, k.length, VEC, 2], writes: [[KEY, k], [VEC, f32([1, 2])]] },
          { name: "put", args: [KEY, k.length, VEC, 3], writes: [[KEY, k], [VEC, f32([0, 0, 0])]] },
        ]));
    }
  }
  return result;
}

interface Transcript {
  answers: string[];
  records: string[];
  fuel: bigint;
}

async function transcript(provider: SochProvider, script: Step[], mode: "sync" | "async" | "worker"): Promise<Transcript> {
  const records: HostCallRecord[] = [];
  const runtime = new WasmSandboxRuntime({ provider, fuel: 100_000_000n });
  const plugin = await runtime.loadPlugin("p", await wat(GUEST), {
    capabilities: ["soch:read", "soch:write", "soch:vector_write", "soch:vector_search"].map((c) => grant(c, { keyPrefix: "a/" })),
    recorder: { record: (r) => records.push(r) },
    isolation: mode === "worker" ? { mode: "worker" } : undefined,
  });
  assert.is(plugin.info().mode === "in-process", mode === "sync", `${mode}: ran ${plugin.info().mode}`);
  const answers: string[] = [];
  for (const step of script) {
    for (const [at, bytes] of step.writes) plugin.memory.write(at, bytes);
    if (step.out) plugin.memory.write(step.out[0], new Uint8Array(step.out[1])); // clear what the answer may fill
    const result = mode === "sync" ? plugin.callSync(step.name, ...step.args) : await plugin.call(step.name, ...step.args);
    const got = step.out && typeof result === "bigint" && result > 0n && result <= BigInt(step.out[1])
      ? new TextDecoder().decode(plugin.memory.read(step.out[0], Number(result)))
      : "";
    answers.push(`${step.name}(${step.args.join(",")}) = ${result} ${got}`);
  }
  runtime.unloadPlugin("p");
  return {
    answers,
    records: records.map((r) => `${r.function} ${r.decision} ${r.result} in=${r.bytesIn} out=${r.bytesOut} ${r.reason ?? ""}`),
    fuel: plugin.fuelConsumed,
  };
}

for (const seed of [1, 2]) {
  test(`seeded guest calls (seed ${seed}) answer, audit and consume fuel alike over the sync and the async provider`, async () => {
    const script = steps(rng(seed), 120);
    const expected = await transcript(new DefaultHostContextProvider(), script, "sync");
    for (const mode of ["async", "worker"] as const) {
      const pglite = await PgliteHostContextProvider.open(undefined);
      try {
        const got = await transcript(pglite, script, mode);
        for (let i = 0; i < script.length; i++) assert.is(got.answers[i], expected.answers[i], `${mode}: step ${i}`);
        for (let i = 0; i < expected.records.length; i++) assert.is(got.records[i], expected.records[i], `${mode}: record ${i}`);
        assert.is(got.records.length, expected.records.length);
        assert.is(got.fuel, expected.fuel, `${mode}: fuel consumed`);
      } finally {
        await pglite.close();
      }
    }
    // The script reaches every kind of answer, not only the happy path.
    const results = new Set(expected.answers.map((a) => a.split(" = ")[1].split(" ")[0]));
    for (const code of ["0", "-1", "-2", "-3"]) assert.ok(results.has(code), `no call answered ${code}`);
    assert.ok(expected.records.some((r) => / -3 .*components/.test(r)), "no refusal by the provider with its reason");
  });
}

test.run();
