/**
 * The worker of a worker-isolated sandbox: it holds the guest's instance and
 * runs its code off the host thread, so the host can terminate it at any
 * moment. It has no host functions of its own: every import is a stub that
 * forwards the call over the host-call channel and waits for the answer,
 * and the guest's memory is a shared memory the host reads and writes
 * directly. Capability checks, audit records, WASI and every namespace
 * therefore run exactly as in-process, on the host thread.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { FUEL_GLOBAL_EXPORT, TRAP_REASON_GLOBAL_EXPORT } from "../fuel/instrument.ts";
import { HOST_STOP_TRAP_REASON } from "../host/guest_control.ts";
import { encodeMessage } from "./worker_codec.ts";
import { sendToHost } from "./worker_mailbox.ts";
import { GuestMemory } from "../memory/guest_memory.ts";
import { workers as workerAdapter } from "../platform/workers.ts";
import { GuestEngine } from "./engine.ts";
import { HostCallClient, HostCallOutcome } from "./host_call_channel.ts";
import type { HostToWorker, InitMessage, WorkerToHost } from "./worker_protocol.ts";

/** The lowest the fuel global goes when the host charges (as `GuestControl` clamps it). */
const FUEL_FLOOR = -(2n ** 62n);

interface Session {
  mailbox: SharedArrayBuffer;
  engine: GuestEngine;
  memory: GuestMemory;
  /** The guest's fuel when the host stopped it during the current invocation. */
  fuelAtStop: bigint | undefined;
}

let session: Session | undefined;

function send(mailbox: SharedArrayBuffer, message: WorkerToHost): void {
  sendToHost(mailbox, encodeMessage(message));
}

function start(msg: InitMessage): void {
  const client = new HostCallClient(msg.channel);
  const imports: WebAssembly.Imports = {};
  // Set once the instance exists; the import functions read them at call time.
  const live: { fuel?: WebAssembly.Global; reason?: WebAssembly.Global; current?: Session } = {};
  msg.imports.forEach(({ module, name, signature }, index) => {
    imports[module] ??= {};
    (imports[module] as Record<string, unknown>)[name] = (...args: unknown[]) => {
      const reply = client.call(index, signature, args);
      if (reply.fuelCharged > 0n && live.fuel !== undefined) {
        const left = (live.fuel.value as bigint) - reply.fuelCharged;
        live.fuel.value = left < FUEL_FLOOR ? FUEL_FLOOR : left;
      }
      if (reply.outcome === HostCallOutcome.Stop) {
        // The host stopped the guest: force the next fuel check to trap, so catching this changes nothing.
        if (live.current !== undefined && live.current.fuelAtStop === undefined) live.current.fuelAtStop = live.fuel?.value as bigint | undefined;
        if (live.fuel !== undefined) live.fuel.value = -1n;
        if (live.reason !== undefined) live.reason.value = HOST_STOP_TRAP_REASON;
        throw new SandboxError("InvalidState", "the host stopped this guest");
      }
      return reply.value;
    };
  });
  for (const { module, name, memory } of msg.memories) {
    imports[module] ??= {};
    (imports[module] as Record<string, unknown>)[name] = memory;
  }
  const shared = msg.memories[0]?.memory;
  const engine = new GuestEngine(msg.pluginId, msg.module, imports);
  const exported = engine.instance.exports;
  live.fuel = exported[FUEL_GLOBAL_EXPORT] instanceof WebAssembly.Global ? exported[FUEL_GLOBAL_EXPORT] as WebAssembly.Global : undefined;
  live.reason = exported[TRAP_REASON_GLOBAL_EXPORT] instanceof WebAssembly.Global
    ? exported[TRAP_REASON_GLOBAL_EXPORT] as WebAssembly.Global
    : undefined;
  live.current = { mailbox: msg.mailbox, engine, memory: new GuestMemory(() => engine.memoryObject(shared)), fuelAtStop: undefined };
  session = live.current;
}

workerAdapter.onParentMessage((message) => {
  const msg = message as HostToWorker;
  if (msg.kind === "init") {
    try {
      start(msg);
      send(msg.mailbox, { kind: "ready" });
    } catch (err) {
      const error = err instanceof SandboxError ? err : new SandboxError("InvalidModule", String((err as Error)?.message ?? err));
      send(msg.mailbox, { kind: "ready", error: { code: error.code, message: error.message } });
    }
    return;
  }
  const current = session;
  if (current === undefined) return;
  current.fuelAtStop = undefined;
  // Synchronous here: the worker has no async imports of its own (the host answers those).
  const outcome = current.engine.invoke(msg.invocation, current.memory) as Exclude<ReturnType<GuestEngine["invoke"]>, Promise<unknown>>;
  send(current.mailbox, {
    kind: "done",
    value: outcome.value,
    error: outcome.error && { code: outcome.error.code, message: outcome.error.message },
    guestRan: outcome.guestRan,
    fuelLeft: outcome.fuelLeft,
    fuelAtStop: current.fuelAtStop,
  });
});
