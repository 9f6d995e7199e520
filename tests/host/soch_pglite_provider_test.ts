import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PgliteHostContextProvider } from "../../lib/host/soch_pglite_provider.ts";
import type { PgliteSochOptions } from "../../lib/host/soch_pglite_provider.ts";
import { loadPglite } from "../../lib/host/_pglite_loader.ts";
import { SOCH_LOCK_FILE } from "../../lib/host/soch_dir_lock.ts";
import { DefaultHostContextProvider } from "../../lib/host/soch_provider.ts";
import { SochProviderError } from "../../lib/host/soch_namespace.ts";
import type { AsyncHostContextProvider } from "../../lib/host/soch_namespace.ts";
import { AbiCode } from "../../lib/host/abi_codes.ts";
import { SandboxError } from "../../lib/errors.ts";
import { isDeno } from "../../lib/platform/host_platform.ts";
import { tempDir } from "../_helpers/temp.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const dirs: string[] = [];

// PGlite's initdb takes seconds, so the schema is created once in a template
// directory and each test that needs its own store opens a copy of it.
let template: Promise<string> | undefined;
async function freshDir(): Promise<string> {
  template ??= (async () => {
    const dir = await tempDir("soch-pglite-template-");
    dirs.push(dir);
    await (await PgliteHostContextProvider.open(dir)).close();
    return dir;
  })();
  const dir = await tempDir("soch-pglite-");
  dirs.push(dir);
  cpSync(await template, dir, { recursive: true });
  return dir;
}

async function freshStore(options: PgliteSochOptions = {}): Promise<{ dir: string; soch: PgliteHostContextProvider }> {
  const dir = await freshDir();
  return { dir, soch: await PgliteHostContextProvider.open(dir, options) };
}

async function abiCodeOf(op: Promise<unknown>): Promise<number> {
  try {
    await op;
  } catch (err) {
    assert.instance(err, SochProviderError);
    return (err as SochProviderError).abiCode;
  }
  throw new Error("expected a SochProviderError");
}

async function sandboxCodeOf(op: Promise<unknown>, message?: RegExp): Promise<string> {
  try {
    await op;
  } catch (err) {
    assert.instance(err, SandboxError);
    if (message) assert.match((err as Error).message, message);
    return (err as SandboxError).code;
  }
  throw new Error("expected a SandboxError");
}

test.after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test("write() then read() round-trips; absent keys are undefined; the value is copied when write() is called", async () => {
  const { soch } = await freshStore();
  const contract: AsyncHostContextProvider = soch;
  const value = bytes("hello");
  const written = contract.write("k", value);
  value[0] = 0; // after the call, before the Promise resolved
  await written;
  assert.equal(await contract.read("k"), bytes("hello"));
  assert.is(await contract.read("absent"), undefined);
  await contract.write("k", new Uint8Array([0, 255, 1]));
  assert.equal(await contract.read("k"), new Uint8Array([0, 255, 1]));
  assert.is(soch.size, 1);
  await soch.close();
});

test("keys and values are refused with the ABI codes of the in-memory provider", async () => {
  const { soch } = await freshStore({ limits: { maxKeyBytes: 8, maxValueBytes: 4 } });
  assert.is(await abiCodeOf(soch.write("", bytes("x"))), AbiCode.INVALID_ARGUMENT);
  assert.is(await abiCodeOf(soch.read("a\ud800b")), AbiCode.INVALID_ARGUMENT);
  assert.is(await abiCodeOf(soch.write("€€€", bytes("x"))), AbiCode.LIMIT_EXCEEDED);
  assert.is(await abiCodeOf(soch.write("k", new Uint8Array(5))), AbiCode.LIMIT_EXCEEDED);
  assert.is(await abiCodeOf(soch.write("k", "text" as unknown as Uint8Array)), AbiCode.INVALID_ARGUMENT);
  assert.is(soch.size, 0);
  await soch.close();
});

test("the first vector fixes the dimension; another dimension, NaN, infinity and zero vectors are INVALID_ARGUMENT", async () => {
  const { dir, soch } = await freshStore();
  assert.equal(await soch.vectorSearch(new Float32Array([1, 0]), 3), []); // empty store
  await soch.vectorPut("a", new Float32Array([1, 0, 0]));
  assert.is(soch.dimension, 3);
  assert.is(await abiCodeOf(soch.vectorPut("b", new Float32Array([1, 0]))), AbiCode.INVALID_ARGUMENT);
  assert.is(await abiCodeOf(soch.vectorPut("b", new Float32Array([1, NaN, 0]))), AbiCode.INVALID_ARGUMENT);
  assert.is(await abiCodeOf(soch.vectorPut("b", new Float32Array([Infinity, 0, 0]))), AbiCode.INVALID_ARGUMENT);
  assert.is(await abiCodeOf(soch.vectorPut("b", new Float32Array(3))), AbiCode.INVALID_ARGUMENT);
  assert.is(await abiCodeOf(soch.vectorSearch(new Float32Array([1, 0]), 1)), AbiCode.INVALID_ARGUMENT);
  assert.is(await abiCodeOf(soch.vectorSearch(new Float32Array(3), 1)), AbiCode.INVALID_ARGUMENT);
  assert.is(await abiCodeOf(soch.vectorSearch(new Float32Array([1, 0, 0]), 0)), AbiCode.INVALID_ARGUMENT);
  assert.is(await abiCodeOf(soch.vectorSearch(new Float32Array([1, 0, 0]), 1001)), AbiCode.LIMIT_EXCEEDED);
  assert.is(soch.vectorCount, 1);
  await soch.close();
  // The dimension is stored: it holds after reopening, and a host asking for another is refused.
  const again = await PgliteHostContextProvider.open(dir);
  assert.is(again.dimension, 3);
  assert.is(await abiCodeOf(again.vectorPut("b", new Float32Array([1, 0]))), AbiCode.INVALID_ARGUMENT);
  await again.close();
  assert.is(await sandboxCodeOf(PgliteHostContextProvider.open(dir, { dimension: 4 }), /3 components/), "InvalidArgument");
});

test("a dimension set by the host is enforced before any vector arrives", async () => {
  const { soch } = await freshStore({ dimension: 2 });
  assert.is(soch.dimension, 2);
  assert.is(await abiCodeOf(soch.vectorPut("a", new Float32Array([1, 0, 0]))), AbiCode.INVALID_ARGUMENT);
  assert.is(await abiCodeOf(soch.vectorSearch(new Float32Array([1, 0, 0]), 1)), AbiCode.INVALID_ARGUMENT);
  await soch.vectorPut("a", new Float32Array([0, 2]));
  assert.equal(await soch.vectorSearch(new Float32Array([0, 1]), 1), [{ key: "a", score: 1 }]);
  await soch.close();
});

test("concurrent users of one store see each other's committed writes", async () => {
  const { soch } = await freshStore();
  // Two "plugins" interleave: each writes its key, then reads the other's once that write resolved.
  const plugin = async (me: string, other: string, wrote: Promise<void>, signal: () => void) => {
    const seen: string[] = [];
    for (let i = 0; i < 20; i++) {
      await soch.write(`${me}:${i}`, bytes(`${me}${i}`));
      if (i === 9) signal();
    }
    await wrote;
    for (let i = 0; i < 10; i++) seen.push(new TextDecoder().decode(await soch.read(`${other}:${i}`)));
    return seen;
  };
  let aWrote!: () => void, bWrote!: () => void;
  const aDone = new Promise<void>((resolve) => (aWrote = resolve));
  const bDone = new Promise<void>((resolve) => (bWrote = resolve));
  const [a, b] = await Promise.all([plugin("a", "b", bDone, aWrote), plugin("b", "a", aDone, bWrote)]);
  assert.equal(a, Array.from({ length: 10 }, (_, i) => `b${i}`));
  assert.equal(b, Array.from({ length: 10 }, (_, i) => `a${i}`));
  // Racing first vectors of different dimensions: exactly one fixes the dimension.
  const results = await Promise.allSettled([
    soch.vectorPut("v2", new Float32Array([1, 0])),
    soch.vectorPut("v3", new Float32Array([1, 0, 0])),
    soch.vectorSearch(new Float32Array([1, 0]), 5),
  ]);
  assert.is(results[0].status, "fulfilled");
  assert.is(results[1].status, "rejected");
  assert.is(((results[1] as PromiseRejectedResult).reason as SochProviderError).abiCode, AbiCode.INVALID_ARGUMENT);
  // Writes issued together all land, and the counters agree with the table.
  await Promise.all(Array.from({ length: 30 }, (_, i) => soch.write(`c:${i % 15}`, new Uint8Array(i))));
  assert.is(soch.size, 55);
  assert.equal(await soch.read("c:14"), new Uint8Array(29));
  await soch.close();
});

test("vectorSearch() applies the filter before taking the top k, fetching in batches", async () => {
  const { soch } = await freshStore();
  const n = 400;
  for (let i = 0; i < n; i++) {
    // Scores fall with i against the query [1, 0]: angle i/n·π.
    const angle = (i / n) * Math.PI;
    await soch.vectorPut(`doc:${String(i).padStart(3, "0")}`, new Float32Array([Math.cos(angle), Math.sin(angle)]));
  }
  const query = new Float32Array([1, 0]);
  // The filter accepts only the five worst-ranked keys: they must all come back, in order.
  const worst = (key: string) => Number(key.slice(4)) >= n - 5;
  const hits = await soch.vectorSearch(query, 5, worst);
  assert.equal(hits.map((h) => h.key), ["doc:395", "doc:396", "doc:397", "doc:398", "doc:399"]);
  // Fewer matches than k: all of them, no more.
  assert.equal((await soch.vectorSearch(query, 10, (key) => key.endsWith("7") && Number(key.slice(4)) < 30)).map((h) => h.key), [
    "doc:007",
    "doc:017",
    "doc:027",
  ]);
  // An accepting filter sees one batch, not the whole table.
  let calls = 0;
  const top = await soch.vectorSearch(query, 3, () => (calls++, true));
  assert.equal(top.map((h) => h.key), ["doc:000", "doc:001", "doc:002"]);
  assert.ok(calls < n, `the filter saw ${calls} of ${n} rows`);
  await soch.close();
});

test("identical vectors tie and are ordered by key, across batch boundaries", async () => {
  const { soch } = await freshStore();
  for (let i = 0; i < 150; i++) await soch.vectorPut(`t${String(149 - i).padStart(3, "0")}`, new Float32Array([1, 1]));
  await soch.vectorPut("best", new Float32Array([1, 0]));
  const hits = await soch.vectorSearch(new Float32Array([1, 0]), 100, (key) => key !== "t000");
  assert.is(hits.length, 100);
  assert.equal(hits[0], { key: "best", score: 1 });
  assert.equal(hits.slice(1).map((h) => h.key), Array.from({ length: 99 }, (_, i) => `t${String(i + 1).padStart(3, "0")}`));
  assert.ok(hits.slice(1).every((h) => h.score === hits[1].score));
  await soch.close();
});

test("limits on entries, total bytes and vectors are LIMIT_EXCEEDED and counted across reopening", async () => {
  const options = { limits: { maxEntries: 2, maxTotalValueBytes: 6, maxVectors: 1 } };
  const { dir, soch } = await freshStore(options);
  await soch.write("a", new Uint8Array(4));
  await soch.write("b", new Uint8Array(2));
  assert.is(await abiCodeOf(soch.write("c", new Uint8Array(1))), AbiCode.LIMIT_EXCEEDED);
  assert.is(await abiCodeOf(soch.write("b", new Uint8Array(3))), AbiCode.LIMIT_EXCEEDED);
  await soch.write("b", new Uint8Array(1)); // replacing frees the old bytes
  await soch.vectorPut("v", new Float32Array([1]));
  await soch.vectorPut("v", new Float32Array([-1])); // replacing is not a new vector
  assert.is(await abiCodeOf(soch.vectorPut("w", new Float32Array([1]))), AbiCode.LIMIT_EXCEEDED);
  await soch.close();
  const again = await PgliteHostContextProvider.open(dir, options);
  assert.is(again.size, 2);
  assert.is(again.vectorCount, 1);
  assert.is(await abiCodeOf(again.write("c", new Uint8Array(1))), AbiCode.LIMIT_EXCEEDED);
  assert.equal(await again.read("b"), new Uint8Array(1));
  await again.close();
});

test("a write whose Promise resolved survives SIGKILL of the process right after", async () => {
  const dir = await freshDir();
  const child = fileURLToPath(new URL("./_soch_pglite_child.ts", import.meta.url));
  const [command, args] = isDeno ? [process.execPath, ["run", "-A", child, dir]] : [process.execPath, ["--import", "tsx", child, dir]];
  const proc = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr!.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<string | null>((resolve) => proc.on("exit", (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (chunk) => {
      out += chunk;
      if (out.includes("written\n")) {
        proc.kill("SIGKILL"); // at once: no close(), no exit handlers
        resolve();
      }
    });
    proc.on("exit", () => reject(new Error(`the child exited before writing: ${stderr}`)));
  });
  assert.is(await exited, "SIGKILL");
  const soch = await PgliteHostContextProvider.open(dir);
  assert.equal(await soch.read("durable"), bytes("survives SIGKILL"));
  assert.equal(await soch.vectorSearch(new Float32Array([0, 0, 1]), 1), [{ key: "durable", score: 0.800000011920929 }]);
  await soch.close();
});

test("a directory is open in one place at a time: a second open is InvalidState naming the holder, until close()", async () => {
  const { dir, soch } = await freshStore();
  await soch.write("first", bytes("kept"));
  // PGlite itself would open it again, and two Postgres over one directory lose each other's writes.
  assert.is(await sandboxCodeOf(PgliteHostContextProvider.open(dir), new RegExp(`open in process ${process.pid} on `)), "InvalidState");
  assert.equal(await soch.read("first"), bytes("kept"), "the refused open disturbed nothing");
  await soch.write("second", bytes("too"));
  await soch.close();
  assert.not.ok(existsSync(join(dir, SOCH_LOCK_FILE)), "close() releases the lock");
  const again = await PgliteHostContextProvider.open(dir);
  assert.equal([await again.read("first"), await again.read("second")], [bytes("kept"), bytes("too")]);
  await again.close();
});

test("a lock left by a process that is gone is broken; one from another host is refused", async () => {
  const dir = await freshDir();
  const lock = join(dir, SOCH_LOCK_FILE);
  const gone = spawnSync(process.execPath, ["--version"]).pid!; // exited and reaped: no such process now
  writeFileSync(lock, JSON.stringify({ pid: gone, host: hostname() }));
  const soch = await PgliteHostContextProvider.open(dir);
  await soch.close();
  writeFileSync(lock, JSON.stringify({ pid: gone, host: `not-${hostname()}` }));
  assert.is(await sandboxCodeOf(PgliteHostContextProvider.open(dir), /on not-.*remove .*wasm-sandbox-soch\.lock/), "InvalidState");
  rmSync(lock);
});

test("importJSON() takes DefaultHostContextProvider.toJSON() and exportJSON() gives it back", async () => {
  const memory = DefaultHostContextProvider.fromJSON({
    dimension: 3,
    values: { greeting: "hello", blob: { base64: "AAEC/w==" }, bom: { base64: "77u/aGk=" } },
    vectors: { "doc:1": [0.1, 0.2, 0.3], "doc:2": [3, 0, -4] },
  });
  const { soch } = await freshStore();
  await soch.importJSON(JSON.parse(JSON.stringify(memory.toJSON())));
  assert.equal(await soch.exportJSON(), memory.toJSON());
  assert.equal(await soch.read("blob"), new Uint8Array([0, 1, 2, 255]));
  const query = new Float32Array([1, 1, 1]);
  assert.equal(await soch.vectorSearch(query, 2), memory.vectorSearch(query, 2));
  // Bad data: InvalidArgument naming the part, and nothing of it is kept.
  const bad = { values: { fresh: "x" }, vectors: { "doc:3": [1, 2, 3], "doc:4": [1, 2] } };
  assert.is(await sandboxCodeOf(soch.importJSON(bad), /vectors\["doc:4"\]/), "InvalidArgument");
  assert.is(await sandboxCodeOf(soch.importJSON({ dimension: 2 }), /dimension/), "InvalidArgument");
  assert.is(await sandboxCodeOf(soch.importJSON({ valeus: {} }), /unknown field/), "InvalidArgument");
  assert.is(await soch.read("fresh"), undefined);
  assert.is(soch.size, 3);
  assert.is(soch.vectorCount, 2);
  // And into the in-memory provider again.
  const back = DefaultHostContextProvider.fromJSON(JSON.parse(JSON.stringify(await soch.exportJSON())));
  assert.equal(back.vectorSearch(query, 2), memory.vectorSearch(query, 2));
  await soch.close();
});

test("a failed first import leaves the dimension unset", async () => {
  const { soch } = await freshStore();
  assert.is(await sandboxCodeOf(soch.importJSON({ dimension: 2, vectors: { a: [0, 0] } }), /direction/), "InvalidArgument");
  assert.is(soch.dimension, undefined);
  await soch.vectorPut("a", new Float32Array([1, 2, 3]));
  assert.is(soch.dimension, 3);
  await soch.close();
});

test("the HNSW option answers with the k nearest, exactly re-scored, and still honours filters", async () => {
  const { soch } = await freshStore({ index: "hnsw" });
  for (let i = 0; i < 200; i++) {
    const angle = (i / 200) * Math.PI;
    await soch.vectorPut(`h${String(i).padStart(3, "0")}`, new Float32Array([Math.cos(angle), Math.sin(angle), 0.5]));
  }
  const query = new Float32Array([1, 0, 0.5]);
  const hits = await soch.vectorSearch(query, 5);
  assert.is(hits.length, 5);
  assert.equal(hits[0].key, "h000");
  const filtered = await soch.vectorSearch(query, 4, (key) => key >= "h190");
  assert.equal(filtered.map((h) => h.key), ["h190", "h191", "h192", "h193"]);
  await soch.close();
});

test("a closed store refuses calls with InvalidState", async () => {
  const { soch } = await freshStore();
  await soch.close();
  await soch.close(); // twice is fine
  assert.is(await sandboxCodeOf(soch.read("k")), "InvalidState");
  assert.is(await sandboxCodeOf(soch.write("k", bytes("v"))), "InvalidState");
  assert.is(await sandboxCodeOf(soch.vectorSearch(new Float32Array([1]), 1)), "InvalidState");
});

test("open() without the optional packages is NotFound saying how to install them", async () => {
  const missing = (name: string) => Promise.reject(new Error(`Cannot find package '${name}'`));
  assert.is(await sandboxCodeOf(loadPglite(missing), /npm install --save-exact @electric-sql\/pglite@/), "NotFound");
  const dir = join(await tempDir(), "never-created");
  assert.is(await sandboxCodeOf(PgliteHostContextProvider.open(dir, { importer: missing }), /pglite/), "NotFound");
  assert.is(await sandboxCodeOf(PgliteHostContextProvider.open(undefined, { index: "ivf" as "hnsw" }), /index/), "InvalidArgument");
  assert.is(await sandboxCodeOf(PgliteHostContextProvider.open(undefined, { dimension: 0 })), "InvalidArgument");
});

test.run();
