/**
 * The isolation worker: holds one plugin's instance and runs its calls off
 * the host thread, so the host can terminate it at any moment. WASI runs
 * here too (it touches guest memory on every call); capability checks and
 * audit records go through the same bridge as in-process, with revocations
 * sent along with each call and records sent back in batches.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { linkHostFunctions } from "../host/bridge.ts";
import type { HostCallRecord, LinkableNamespace } from "../host/bridge.ts";
import { CapabilitySet, grant } from "../host/capabilities.ts";
import type { CapabilityToken } from "../host/capabilities.ts";
import { ResponseSlot } from "../host/response_slot.ts";
import { linkableWasi } from "../host/wasi_namespace.ts";
import { GuestMemory } from "../memory/guest_memory.ts";
import { DEPTH_GLOBAL_EXPORT, FUEL_GLOBAL_EXPORT, START_EXPORT, TRAP_REASON_GLOBAL_EXPORT } from "../fuel/instrument.ts";
import { mapGuestError, TrapReason } from "../sandbox/trap_mapping.ts";
import { lowerArguments } from "../sandbox/values.ts";
import type { CommandResult } from "../wasi/mod.ts";
import { deterministicClock, runStartWithoutWasi, seededRandom, systemClock, systemRandom, WasiHost } from "../wasi/mod.ts";
import { workerAdapter } from "../worker/host_worker.ts";
import { encodeMessage } from "./codec.ts";
import { sendToHost } from "./mailbox.ts";
import type { DoneMessage, ErrorReport, HostToWorker, InitMessage, InvokeMessage, WorkerToHost } from "./protocol.ts";

/** Records are sent in batches of this many (and at the end of each call). */
const RECORD_BATCH = 256;

interface Session {
  pluginId: string;
  mailbox: SharedArrayBuffer;
  instance: WebAssembly.Instance;
  memory: GuestMemory;
  wasi: WasiHost | undefined;
  tokens: Map<string, CapabilityToken>;
  records: HostCallRecord[];
  counters: { hostCalls: number; deniedHostCalls: number };
}

let session: Session | undefined;

function send(mailbox: SharedArrayBuffer, message: WorkerToHost): void {
  sendToHost(mailbox, encodeMessage(message));
}

function report(err: SandboxError): ErrorReport {
  return { code: err.code, message: err.message };
}

function flushRecords(current: Session): void {
  if (current.records.length === 0) return;
  const records = current.records;
  current.records = [];
  send(current.mailbox, { kind: "records", records });
}

function revoke(current: Session, names: readonly string[]): void {
  for (const name of names) current.tokens.get(name)?.revoke();
}

function start(msg: InitMessage): void {
  send(msg.mailbox, { kind: "started" });
  const tokens = new Map<string, CapabilityToken>();
  for (const { capability, scope } of msg.grants) tokens.set(capability, grant(capability, scope ?? undefined));
  let memoryObject: WebAssembly.Memory | undefined;
  const memory = new GuestMemory(() => memoryObject);
  const counters = { hostCalls: 0, deniedHostCalls: 0 };
  const wasi = msg.wasi === undefined ? undefined : createWasi(msg, msg.mailbox);
  // One object from here on: the recorder below appends to its `records`, which flushes replace.
  const current: Session = {
    pluginId: msg.pluginId,
    mailbox: msg.mailbox,
    instance: undefined as unknown as WebAssembly.Instance,
    memory,
    wasi,
    tokens,
    records: [],
    counters,
  };
  const namespaces: LinkableNamespace[] = wasi === undefined
    ? []
    : [linkableWasi(wasi)];
  const recorder = msg.record
    ? {
      record(event: HostCallRecord) {
        current.records.push(event);
        if (current.records.length >= RECORD_BATCH) flushRecords(current);
      },
    }
    : undefined;
  const started: { fuelLeft?: bigint } = {};
  try {
    revoke(current, msg.revoked);
    const functions = linkHostFunctions(msg.imports, {
      pluginId: msg.pluginId,
      memory,
      capabilities: new CapabilitySet(tokens.values()),
      namespaces,
      importSignatures: msg.importSignatures,
      slot: new ResponseSlot(),
      recorder,
      linkDeniedAsStubs: msg.linkDeniedAsStubs,
      counters,
    });
    const imports: WebAssembly.Imports = { ...functions };
    for (const m of msg.importedMemories) {
      const created = new WebAssembly.Memory({ initial: m.initial, maximum: m.maximum, shared: m.shared });
      imports[m.module] = { ...imports[m.module], [m.name]: created };
      memoryObject ??= created;
    }
    const instance = new WebAssembly.Instance(msg.module, imports);
    memoryObject ??= firstExportedMemory(instance);
    wasi?.bindMemory(memory);
    current.instance = instance;
    runStartFunction(current, msg.fuel, started);
    session = current;
    flushRecords(current);
    send(msg.mailbox, { kind: "ready", memoryBytes: memory.byteLength, fuelLeft: started.fuelLeft });
  } catch (err) {
    const mapped = err instanceof WebAssembly.LinkError
      ? new SandboxError("InvalidModule", `plugin "${msg.pluginId}" cannot be linked: ${err.message}`)
      : mapGuestError(err, msg.pluginId, TrapReason.None);
    send(msg.mailbox, { kind: "ready", error: report(mapped), memoryBytes: 0, fuelLeft: started.fuelLeft });
  }
}

/**
 * Runs the start function the rewriter exported (instead of letting it run
 * while instantiating) on the sandbox's budget; the fuel left goes in `out`,
 * whether or not it traps.
 */
function runStartFunction(current: Session, budget: bigint | undefined, out: { fuelLeft?: bigint }): void {
  const exports = current.instance.exports;
  const start = exports[START_EXPORT];
  if (typeof start !== "function") return;
  const global = (name: string) => (exports[name] instanceof WebAssembly.Global ? exports[name] as WebAssembly.Global : undefined);
  const fuel = global(FUEL_GLOBAL_EXPORT);
  if (fuel && budget !== undefined) fuel.value = budget;
  try {
    (start as () => void)();
  } catch (err) {
    const reason = global(TRAP_REASON_GLOBAL_EXPORT);
    throw mapGuestError(err, current.pluginId, reason ? reason.value as number : TrapReason.None);
  } finally {
    if (fuel && budget !== undefined) out.fuelLeft = fuel.value as bigint;
  }
}

function createWasi(msg: InitMessage, mailbox: SharedArrayBuffer): WasiHost {
  const settings = msg.wasi!;
  const clock = settings.deterministic ? deterministicClock(settings.clockStartMs, settings.clockStepMs) : systemClock();
  const stream = (kind: "stdout" | "stderr", on: boolean) =>
    on ? (chunk: Uint8Array) => send(mailbox, { kind, chunk: chunk.slice() }) : undefined;
  return new WasiHost({
    args: settings.args,
    env: settings.env,
    stdin: settings.stdin,
    stdout: { maxBytes: settings.maxOutputBytes, onData: stream("stdout", settings.streamStdout) },
    stderr: { maxBytes: settings.maxOutputBytes, onData: stream("stderr", settings.streamStderr) },
    preopens: [],
    fsQuotaBytes: settings.fsQuotaBytes,
    clock,
    random: settings.deterministic ? seededRandom(settings.randomSeed) : systemRandom(),
  });
}

function invoke(current: Session, msg: InvokeMessage): void {
  revoke(current, msg.revoked);
  const exports = current.instance.exports;
  const global = (name: string) => (exports[name] instanceof WebAssembly.Global ? exports[name] as WebAssembly.Global : undefined);
  const fuel = global(FUEL_GLOBAL_EXPORT);
  if (fuel && msg.fuel !== undefined) fuel.value = msg.fuel;
  const done: DoneMessage = { kind: "done", guestRan: true, fuelLeft: undefined, memoryBytes: 0, hostCalls: 0, deniedHostCalls: 0 };
  try {
    done.value = msg.kind === "run" ? runCommand(current) : callExport(current, msg);
  } catch (err) {
    const reason = global(TRAP_REASON_GLOBAL_EXPORT);
    const depth = global(DEPTH_GLOBAL_EXPORT);
    const mapped = mapGuestError(err, current.pluginId, reason ? reason.value as number : TrapReason.None);
    if (reason) reason.value = 0;
    if (depth) depth.value = 0;
    done.error = report(mapped);
    done.guestRan = !(err instanceof SandboxError && (err.code === "InvalidArgument" || err.code === "NotFound"));
  }
  done.fuelLeft = fuel && msg.fuel !== undefined ? fuel.value as bigint : undefined;
  done.memoryBytes = current.memory.byteLength;
  done.hostCalls = current.counters.hostCalls;
  done.deniedHostCalls = current.counters.deniedHostCalls;
  flushRecords(current);
  send(current.mailbox, done);
}

function callExport(current: Session, msg: InvokeMessage): unknown {
  const exports = current.instance.exports;
  const fn = msg.exportName !== START_EXPORT && Object.hasOwn(exports, msg.exportName) ? exports[msg.exportName] : undefined;
  if (typeof fn !== "function") {
    const names = Object.keys(exports).filter((k) => typeof exports[k] === "function").join(", ") || "none";
    throw new SandboxError("NotFound", `plugin "${current.pluginId}" has no exported function "${msg.exportName}" (exports: ${names})`);
  }
  const lowered = lowerArguments(msg.args, exports, current.memory);
  try {
    if (lowered.values.length !== fn.length) {
      throw new SandboxError(
        "InvalidArgument",
        `export "${msg.exportName}" takes ${fn.length} wasm parameters but ${lowered.values.length} were given ` +
          "(strings and bytes count as two: pointer and length)",
      );
    }
    return (fn as (...args: unknown[]) => unknown)(...lowered.values);
  } finally {
    lowered.release();
  }
}

function runCommand(current: Session): CommandResult {
  const wasi = current.wasi;
  if (wasi === undefined) return runStartWithoutWasi(current.instance);
  return wasi.commandResult(wasi.runStart(current.instance));
}

function firstExportedMemory(instance: WebAssembly.Instance): WebAssembly.Memory | undefined {
  const named = instance.exports.memory;
  if (named instanceof WebAssembly.Memory) return named;
  return Object.values(instance.exports).find((v): v is WebAssembly.Memory => v instanceof WebAssembly.Memory);
}

workerAdapter.onParentMessage((message) => {
  const msg = message as HostToWorker;
  if (msg.kind === "init") {
    if (session === undefined) start(msg);
  } else if (session !== undefined && (msg.kind === "call" || msg.kind === "run")) {
    invoke(session, msg);
  }
});
