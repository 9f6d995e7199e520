// The soch namespace over an async provider that misbehaves (host code with
// bugs) and a guest that passes hostile pointers: the guest only ever sees
// the ABI's codes, never a key outside its scope, never "done" before the
// provider is, and the host keeps serving.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { grant, WasmSandboxRuntime } from "../../mod.ts";
import type { HostCallRecord } from "../../mod.ts";
import type { AsyncHostContextProvider } from "../../lib/host/soch_namespace.ts";
import { SochProviderError } from "../../lib/host/soch_namespace.ts";
import { AbiCode } from "../../lib/host/abi_codes.ts";
import { errorCode } from "../_helpers/errors.ts";
import { sochPassthroughGuest } from "../_helpers/soch_guest.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("soch over a misbehaving async provider");

const GUEST = sochPassthroughGuest(["read", "write", "search"]);

const KEY = 0, VALUE = 1024, VEC = 2048, OUT = 4096;

/** An async provider whose every operation is given by the test; unset ones fail the test. */
function provider(ops: Partial<Omit<AsyncHostContextProvider, "async" | "close">>): AsyncHostContextProvider {
  const unexpected = () => Promise.reject(new Error("unexpected call"));
  return {
    async: true,
    read: unexpected,
    write: unexpected,
    vectorSearch: unexpected,
    vectorPut: unexpected,
    close: () => Promise.resolve(),
    ...ops,
  };
}

async function guest(soch: AsyncHostContextProvider, scope: Record<string, unknown> = {}, timeoutMs?: number) {
  const records: HostCallRecord[] = [];
  const runtime = new WasmSandboxRuntime({ provider: soch });
  const plugin = await runtime.loadPlugin("p", await wat(GUEST), {
    capabilities: ["soch:read", "soch:write", "soch:vector_search"].map((c) => grant(c, scope)),
    recorder: { record: (r) => records.push(r) },
    isolation: timeoutMs === undefined ? undefined : { timeoutMs },
  });
  const key = (k: string) => plugin.memory.writeUtf8(KEY, k);
  return {
    plugin,
    records,
    write: async (k: string, v: string) => await plugin.call("write", KEY, key(k), VALUE, plugin.memory.writeUtf8(VALUE, v)) as bigint,
    read: async (k: string, out = OUT, cap = 256) => await plugin.call("read", KEY, key(k), out, cap) as bigint,
    search: async (query: number[], k: number) => {
      plugin.memory.write(VEC, new Uint8Array(new Float32Array(query).buffer));
      const n = await plugin.call("search", VEC, query.length, k, OUT, 4096) as bigint;
      return n < 0n ? n : JSON.parse(plugin.memory.readUtf8(OUT, Number(n))) as Array<{ key: string }>;
    },
  };
}

/** A thenable that is not a Promise (another realm's, a hand-rolled one), settling on a later turn. */
function laterThenable<T>(settle: () => T): PromiseLike<T> {
  return {
    then(onFulfilled, onRejected) {
      const later = new Promise<T>((resolve, reject) =>
        setTimeout(() => {
          try {
            resolve(settle());
          } catch (err) {
            reject(err);
          }
        }, 5)
      );
      return later.then(onFulfilled, onRejected);
    },
  };
}

test("a write answered with a non-Promise thenable is 0 only once it landed, and its refusal is the provider's code", async () => {
  let landed = false;
  let refuse = false;
  const g = await guest(provider({
    write: () =>
      laterThenable(() => {
        if (refuse) throw new SochProviderError(AbiCode.LIMIT_EXCEEDED, "the store is full");
        landed = true;
      }) as Promise<void>,
  }));
  assert.is(await g.write("k", "v"), 0n);
  assert.ok(landed, "the guest was told 0 before the write landed");
  refuse = true;
  assert.is(await g.write("k", "v"), BigInt(AbiCode.LIMIT_EXCEEDED), "a pending write was taken as done");
});

test("hits outside the token's keyPrefix, or more than k, never reach the guest, even from a provider ignoring the filter", async () => {
  const everything = Array.from({ length: 50 }, (_, i) => ({ key: i % 2 ? `mine/${i}` : `theirs/${i}`, score: 1 - i / 100 }));
  const g = await guest(provider({ vectorSearch: () => Promise.resolve(everything) }), { keyPrefix: "mine/" });
  const hits = await g.search([1, 0], 3) as Array<{ key: string }>;
  assert.equal(hits.map((h) => h.key), ["mine/1", "mine/3", "mine/5"]);
});

test("a provider that rejects, throws before its promise, or answers garbage is UNAVAILABLE (audited), and the plugin keeps serving", async () => {
  let mode = "reject";
  const g = await guest(provider({
    read: (key) => {
      if (mode === "reject") return Promise.reject(new Error("disk on fire"));
      if (mode === "throw") throw new Error("thrown synchronously from an async method");
      if (mode === "garbage") return Promise.resolve("not bytes" as unknown as Uint8Array);
      return Promise.resolve(new TextEncoder().encode(`value of ${key}`));
    },
    vectorSearch: () => Promise.resolve({ not: "an array" } as unknown as []),
  }));
  for (mode of ["reject", "throw", "garbage"]) {
    assert.is(await g.read("k"), BigInt(AbiCode.UNAVAILABLE), mode);
    const record = g.records.at(-1)!;
    assert.equal([record.function, record.decision, record.result], ["soch_read", "allow", BigInt(AbiCode.UNAVAILABLE)], mode);
  }
  assert.is(await g.search([1, 0], 1), BigInt(AbiCode.UNAVAILABLE));
  mode = "ok";
  assert.is(await g.read("k"), 10n);
  assert.is(g.plugin.memory.readUtf8(OUT, 10), "value of k");
  assert.is(g.plugin.state, "Ready");
});

test("an out-of-range output pointer is INVALID_ARGUMENT once the answer comes, audited, and nothing is written", async () => {
  const g = await guest(provider({ read: () => Promise.resolve(new Uint8Array(16).fill(7)) }));
  const end = g.plugin.memory.byteLength;
  assert.is(await g.read("k", end - 8, 16), BigInt(AbiCode.INVALID_ARGUMENT));
  assert.equal(g.records.at(-1)!.result, BigInt(AbiCode.INVALID_ARGUMENT));
  assert.ok(g.plugin.memory.read(end - 8, 8).every((b) => b === 0), "a partial write reached the guest");
  assert.is(await g.read("k", OUT, 16), 16n);
});

test("a provider that never answers: the wall-clock limit stops the guest (Timeout) and the store serves the next plugin", async () => {
  let hang = true;
  const soch = provider({
    read: () => hang ? new Promise<Uint8Array>(() => {}) : Promise.resolve(new Uint8Array([1, 2, 3])),
  });
  const stuck = await guest(soch, {}, 300);
  assert.is(await errorCode(stuck.read("k")), "Timeout");
  hang = false;
  const next = await guest(soch, {}, 5_000);
  assert.is(await next.read("k"), 3n);
});

test.run();
