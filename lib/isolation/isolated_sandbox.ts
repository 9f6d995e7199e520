/**
 * Worker isolation: a plugin whose guest runs in its own worker thread, so a
 * call can be bounded in wall-clock time. When a call outlives `timeoutMs`
 * the worker is terminated (the only way to stop a running guest), the call
 * fails with `Timeout` and the sandbox becomes Trapped; `reset()` starts a
 * fresh worker. The host and other plugins keep running meanwhile.
 *
 * Scope: the guest may import WASI preview1 and nothing else. WASI runs in
 * the worker, next to the guest memory it reads on every call, behind the
 * same bridge as in-process (capability checks, error conventions, audit
 * records). Host-side namespaces (`sandbox`, `env`, `soch`,
 * `platform_sandbox`, registrars) are refused at load with
 * `InvalidArgument`: they would need every guest-memory access of a host
 * function forwarded across threads (docs/ISOLATION.md describes the design
 * and its cost). Preopens are refused too (directory trees and host mounts
 * are live host objects).
 *
 * Costs: a worker per plugin (a few MB and ~tens of ms to start; more from
 * the TypeScript sources), a structured-clone copy of arguments per call,
 * and results, output and audit records copied back through a shared
 * mailbox. Capability revocation reaches the worker with the next call, not
 * during one that is already running. `callSync()` is in-process only.
 * On Deno, `terminate()` cannot stop a worker busy in a loop
 * (denoland/deno#35657): the call still times out, but the abandoned thread
 * runs until the guest returns, so pair the timeout with a fuel budget there.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import type { SandboxErrorCode } from "../errors.ts";
import { WASI_PREVIEW1 } from "../host/wasi_namespace.ts";
import { PluginSandbox } from "../sandbox/plugin_sandbox.ts";
import type { CallOptions, PluginMemory, RunResult, SandboxInit } from "../sandbox/plugin_sandbox.ts";
import type { SandboxStats } from "../sandbox/types.ts";
import type { SandboxConfig } from "../config.ts";
import { SandboxState, SandboxStateMachine } from "../sandbox/state.ts";
import type { SandboxValue } from "../sandbox/values.ts";
import { workerAdapter } from "../worker/host_worker.ts";
import type { HostWorker, WorkerAdapter } from "../worker/types.ts";
import { decodeMessage } from "./codec.ts";
import { createMailbox, MailboxReceiver } from "./mailbox.ts";
import type { DoneMessage, ErrorReport, InitMessage, InvokeMessage, IsolatedWasiSettings, WorkerToHost } from "./protocol.ts";

// Same extension as this module: `.ts` from the sources, `.js` from dist/.
const WORKER_URL = new URL(`./isolated_worker${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url);

/** The wall-clock limit of a call when none is given. */
export const DEFAULT_ISOLATION_TIMEOUT_MS = 30_000;
/** Extra time for a worker to load its code before it can start the guest. */
const STARTUP_ALLOWANCE_MS = 30_000;
/** Mailbox data bytes: larger messages go in several chunks. */
const MAILBOX_CAPACITY = 256 * 1024;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How an isolated plugin runs; the runtime fills it from the plugin's options. */
export interface IsolationSettings {
  /** Wall-clock limit of each call, `run()` and instantiation, in ms. */
  timeoutMs: number;
  /** WASI settings, when the module imports WASI. */
  wasi: IsolatedWasiSettings | undefined;
  onStdout?: (chunk: Uint8Array) => void;
  onStderr?: (chunk: Uint8Array) => void;
  /** Tests may pass their own adapter. */
  adapter?: WorkerAdapter;
}

/** The plugin options the isolation mode reads (a subset of the runtime's `PluginOptions`). */
export interface IsolationPluginOptions {
  timeoutMs?: number;
  registrars?: readonly unknown[];
  preopens?: readonly unknown[];
  args?: string[];
  env?: Record<string, string>;
  stdin?: Uint8Array;
  onStdout?: (chunk: Uint8Array) => void;
  onStderr?: (chunk: Uint8Array) => void;
}

/**
 * Checks what worker isolation supports and gathers its settings.
 *
 * @throws {SandboxError} `InvalidArgument` for a host namespace other than
 * WASI, registrars, preopens or a bad `timeoutMs`.
 */
export function isolationSettings(
  init: SandboxInit,
  options: IsolationPluginOptions,
  settings: SandboxConfig,
): IsolationSettings {
  const timeoutMs = options.timeoutMs ?? DEFAULT_ISOLATION_TIMEOUT_MS;
  if (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMER_MS) {
    throw new SandboxError("InvalidArgument", `timeoutMs must be a positive number of milliseconds up to ${MAX_TIMER_MS}`, { pluginId: init.id });
  }
  const foreign = init.prepared.imports.filter((i) => i.kind === "function" && i.module !== WASI_PREVIEW1);
  if (foreign.length > 0) {
    const names = foreign.map((i) => `${i.module}.${i.name}`).join(", ");
    throw new SandboxError(
      "InvalidArgument",
      `plugin "${init.id}" imports ${names}: worker isolation links WASI only; load it in-process to use host functions`,
      { pluginId: init.id },
    );
  }
  if ((options.registrars?.length ?? 0) > 0 || (options.preopens?.length ?? 0) > 0) {
    throw new SandboxError("InvalidArgument", "worker isolation supports neither registrars nor preopens; load the plugin in-process", { pluginId: init.id });
  }
  const usesWasi = init.prepared.imports.some((i) => i.module === WASI_PREVIEW1);
  return {
    timeoutMs,
    onStdout: options.onStdout,
    onStderr: options.onStderr,
    wasi: !usesWasi ? undefined : {
      args: options.args ?? [init.id],
      env: options.env ?? {},
      stdin: options.stdin,
      maxOutputBytes: settings.maxOutputBytes,
      fsQuotaBytes: settings.fsQuotaBytes,
      streamStdout: options.onStdout !== undefined,
      streamStderr: options.onStderr !== undefined,
      deterministic: settings.deterministic,
      clockStartMs: settings.clockStartMs,
      clockStepMs: settings.clockStepMs,
      randomSeed: settings.randomSeed,
    },
  };
}

/**
 * Starts an isolated sandbox and waits until its instance exists.
 *
 * @example
 * ```ts
 * const plugin = await runtime.loadPlugin("p", bytes, { isolation: "worker", timeoutMs: 2000 });
 * await plugin.call("add", 1, 2);
 * ```
 */
export async function startIsolatedSandbox(init: SandboxInit, settings: IsolationSettings): Promise<IsolatedPluginSandbox> {
  const sandbox = new IsolatedPluginSandbox(init, settings);
  try {
    await sandbox.ready();
  } catch (err) {
    sandbox.terminate();
    throw err;
  }
  return sandbox;
}

interface Pending {
  resolve(message: WorkerToHost): void;
  reject(err: SandboxError): void;
  /** Restarts the deadline once the worker has loaded its code. */
  rearm(ms: number): void;
}

interface LiveWorker {
  worker: HostWorker;
  receiver: MailboxReceiver;
  ready: Promise<void>;
  pending: Pending | undefined;
  dead: boolean;
}

/** A {@linkcode PluginSandbox} whose guest runs in a worker thread. Create it with {@linkcode startIsolatedSandbox}. */
export class IsolatedPluginSandbox extends PluginSandbox {
  readonly #init: SandboxInit;
  readonly #settings: IsolationSettings;
  readonly #machine: SandboxStateMachine;
  readonly #wasiGrants: string[];
  readonly #sentRevoked = new Set<string>();
  #live: LiveWorker | undefined;
  #counters = { calls: 0, traps: 0, hostCalls: 0, deniedHostCalls: 0, callTimeMs: 0, memoryPeakBytes: 0, resets: 0 };
  /** Host calls of workers already gone (each worker counts from zero). */
  #pastHostCalls = { hostCalls: 0, deniedHostCalls: 0 };
  #memoryBytes = 0;
  #fuelRemaining: bigint | undefined;
  #fuelConsumed = 0n;

  /** @internal Use {@linkcode startIsolatedSandbox}. */
  constructor(init: SandboxInit, settings: IsolationSettings) {
    super({ ...init, external: true });
    this.#init = init;
    this.#settings = settings;
    this.#machine = new SandboxStateMachine(init.id);
    this.#fuelRemaining = init.prepared.metered ? init.fuel ?? 0n : undefined;
    this.#wasiGrants = init.capabilities.names().filter((name) => name.startsWith("wasi:"));
    this.#live = this.#spawn();
  }

  /** Resolves once the current worker's instance exists. */
  ready(): Promise<void> {
    return this.#live?.ready ?? Promise.reject(new SandboxError("InvalidState", `plugin "${this.id}" has no worker; call reset()`, { pluginId: this.id }));
  }

  override get state(): SandboxState {
    return this.#machine.current;
  }

  override get fuelRemaining(): bigint | undefined {
    return this.#fuelRemaining;
  }

  override get fuelConsumed(): bigint {
    return this.#fuelConsumed;
  }

  override setFuel(fuel: bigint): void {
    this.#requireMetered();
    if (typeof fuel !== "bigint" || fuel < 0n) throw new SandboxError("InvalidArgument", "fuel must be a non-negative bigint");
    this.#fuelRemaining = fuel;
  }

  override addFuel(fuel: bigint): void {
    this.#requireMetered();
    if (typeof fuel !== "bigint" || fuel < 0n) throw new SandboxError("InvalidArgument", "fuel must be a non-negative bigint");
    this.#fuelRemaining = (this.#fuelRemaining ?? 0n) + fuel;
  }

  /** Guest memory lives in the worker: not reachable from the host. */
  override get memory(): PluginMemory {
    throw this.#inProcessOnly("memory access");
  }

  /** In-process only: a worker cannot be waited on synchronously with a timeout that kills it. */
  override callSync(exportName: string, ..._args: SandboxValue[]): unknown {
    throw this.#inProcessOnly(`callSync("${exportName}")`);
  }

  override callSyncWith(_options: CallOptions, exportName: string, ..._args: SandboxValue[]): unknown {
    throw this.#inProcessOnly(`callSyncWith("${exportName}")`);
  }

  override async callWith(options: CallOptions, exportName: string, ...args: SandboxValue[]): Promise<unknown> {
    this.#machine.assertReady(`call "${exportName}" on`);
    const done = await this.#invoke("call", exportName, args, options.fuel);
    return done.value;
  }

  override async run(): Promise<RunResult> {
    this.#machine.assertReady("run");
    const prepared = this.#init.prepared;
    if (!prepared.exports.some((e) => e.name === "_start" && e.kind === "function")) {
      throw new SandboxError("InvalidArgument", `plugin "${this.id}" is not a command: it has no _start export`, { pluginId: this.id });
    }
    const done = await this.#invoke("run", "_start", [], undefined);
    this.#machine.moveTo(SandboxState.Terminated);
    return done.value as RunResult;
  }

  /** A fresh worker and instance: memory, tables, globals and WASI state start over. */
  override reset(): void {
    if (this.#machine.current === SandboxState.Running) this.#machine.assertReady("reset");
    this.#kill();
    this.#live = this.#spawn();
    this.#machine.moveTo(SandboxState.Ready);
    this.#counters.resets++;
  }

  /** Terminates the worker; the sandbox becomes Terminated. */
  override terminate(): void {
    this.#kill();
    if (this.#machine.current !== SandboxState.Terminated) this.#machine.moveTo(SandboxState.Terminated);
  }

  override stats(): SandboxStats {
    return {
      state: this.state,
      ...this.#counters,
      hostCalls: this.#pastHostCalls.hostCalls + this.#counters.hostCalls,
      deniedHostCalls: this.#pastHostCalls.deniedHostCalls + this.#counters.deniedHostCalls,
      memoryBytes: this.#memoryBytes,
      memoryPeakBytes: Math.max(this.#counters.memoryPeakBytes, this.#memoryBytes),
      fuelConsumed: this.#fuelConsumed,
      fuelRemaining: this.#fuelRemaining,
      logMessagesDropped: 0,
      executions: 0,
    };
  }

  async #invoke(kind: "call" | "run", exportName: string, args: SandboxValue[], callFuel: bigint | undefined): Promise<DoneMessage> {
    let budget = callFuel ?? this.#fuelRemaining;
    const metered = this.#init.prepared.metered;
    if (metered && budget !== undefined && budget <= 0n) {
      throw new SandboxError("OutOfFuel", `plugin "${this.id}" has no fuel left; add some with addFuel() or pass a per-call budget`, { pluginId: this.id });
    }
    const live = this.#live!;
    this.#machine.moveTo(SandboxState.Running);
    this.#counters.calls++;
    this.#init.onEvent?.("call");
    const started = performance.now();
    let done: DoneMessage;
    try {
      await live.ready;
      // The start function may have drawn on the budget meanwhile.
      if (callFuel === undefined) budget = this.#fuelRemaining;
      const message: InvokeMessage = { kind, exportName, args, fuel: metered ? budget : undefined, revoked: this.#newlyRevoked() };
      live.worker.postMessage(message);
      done = await this.#await(live, this.#settings.timeoutMs, `call "${exportName}"`) as DoneMessage;
    } catch (err) {
      // Timeout, a dead worker or an instance that could not be created: nothing to settle.
      this.#trapped();
      throw err;
    } finally {
      this.#counters.callTimeMs += performance.now() - started;
    }
    if (metered && budget !== undefined && typeof done.fuelLeft === "bigint") {
      this.#fuelConsumed += budget - done.fuelLeft;
      if (callFuel === undefined) this.#fuelRemaining = done.fuelLeft > 0n ? done.fuelLeft : 0n;
    }
    this.#memoryBytes = done.memoryBytes;
    this.#counters.memoryPeakBytes = Math.max(this.#counters.memoryPeakBytes, done.memoryBytes);
    this.#counters.hostCalls = done.hostCalls;
    this.#counters.deniedHostCalls = done.deniedHostCalls;
    if (done.error !== undefined) {
      if (done.guestRan) this.#trapped();
      else this.#machine.moveTo(SandboxState.Ready);
      throw this.#error(done.error);
    }
    this.#machine.moveTo(SandboxState.Ready);
    return done;
  }

  #trapped(): void {
    if (this.#machine.current === SandboxState.Running) this.#machine.moveTo(SandboxState.Trapped);
    this.#counters.traps++;
    this.#init.onEvent?.("trap");
  }

  /** WASI capabilities whose every token was revoked since the last message. */
  #newlyRevoked(): string[] {
    const revoked: string[] = [];
    for (const name of this.#wasiGrants) {
      if (!this.#sentRevoked.has(name) && this.#init.capabilities.find(name) === undefined) {
        this.#sentRevoked.add(name);
        revoked.push(name);
      }
    }
    return revoked;
  }

  #spawn(): LiveWorker {
    const adapter = this.#settings.adapter ?? workerAdapter;
    const mailbox = createMailbox(MAILBOX_CAPACITY);
    const live = { pending: undefined, dead: false } as unknown as LiveWorker;
    live.receiver = new MailboxReceiver(mailbox, (bytes) => this.#dispatch(live, decodeMessage(bytes) as WorkerToHost));
    live.worker = adapter.start(WORKER_URL, (reason) => {
      if (live.dead) return;
      this.#kill(live);
      live.pending?.reject(new SandboxError("Trap", `plugin "${this.id}" worker failed: ${reason}`, { pluginId: this.id }));
    });
    this.#sentRevoked.clear();
    const prepared = this.#init.prepared;
    const init: InitMessage = {
      kind: "init",
      pluginId: this.id,
      mailbox,
      module: prepared.module,
      imports: prepared.imports,
      importSignatures: prepared.importSignatures,
      importedMemories: prepared.importedMemories,
      grants: this.#wasiGrants.map((capability) => ({ capability, scope: cloneableScope(this.#init, capability) })),
      revoked: this.#newlyRevoked(),
      linkDeniedAsStubs: this.#init.linkDeniedAsStubs,
      record: this.#init.recorder !== undefined,
      wasi: this.#settings.wasi,
      fuel: prepared.metered ? this.#fuelRemaining ?? 0n : undefined,
    };
    live.worker.postMessage(init);
    live.ready = this.#await(live, STARTUP_ALLOWANCE_MS, "instantiation").then((message) => {
      const ready = message as Extract<WorkerToHost, { kind: "ready" }>;
      // The start function ran on the sandbox's budget: book what it used.
      if (init.fuel !== undefined && typeof ready.fuelLeft === "bigint") {
        this.#fuelConsumed += init.fuel - ready.fuelLeft;
        this.#fuelRemaining = ready.fuelLeft > 0n ? ready.fuelLeft : 0n;
      }
      if (ready.error !== undefined) throw this.#error(ready.error);
      this.#memoryBytes = ready.memoryBytes;
    });
    // Observed by whoever calls next; never an unhandled rejection.
    live.ready.catch(() => {});
    return live;
  }

  /** Waits for the worker's next `ready` or `done`, killing it after `ms`. */
  #await(live: LiveWorker, ms: number, what: string): Promise<WorkerToHost> {
    return new Promise<WorkerToHost>((resolve, reject) => {
      if (live.dead) {
        reject(new SandboxError("InvalidState", `plugin "${this.id}" worker is gone; call reset()`, { pluginId: this.id }));
        return;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const arm = (limit: number) => {
        if (timer !== undefined) clearTimeout(timer);
        // A live timer also keeps the process alive while the call is pending.
        timer = setTimeout(() => {
          this.#kill(live);
          live.pending = undefined;
          reject(new SandboxError("Timeout", `plugin "${this.id}": ${what} did not finish within ${limit} ms; the worker was terminated`, { pluginId: this.id }));
        }, limit);
      };
      const settle = () => {
        clearTimeout(timer);
        live.pending = undefined;
      };
      live.pending = {
        resolve: (message) => {
          settle();
          resolve(message);
        },
        reject: (err) => {
          settle();
          reject(err);
        },
        rearm: arm,
      };
      arm(ms);
    });
  }

  #dispatch(live: LiveWorker, message: WorkerToHost): void {
    switch (message.kind) {
      case "records":
        for (const record of message.records) this.#init.recorder?.record(record);
        return;
      case "stdout":
        this.#settings.onStdout?.(message.chunk);
        return;
      case "stderr":
        this.#settings.onStderr?.(message.chunk);
        return;
      case "started":
        // The worker has loaded its code: instantiation gets the call's own limit.
        live.pending?.rearm(this.#settings.timeoutMs);
        return;
      case "ready":
      case "done":
        live.pending?.resolve(message);
        return;
    }
  }

  #kill(live: LiveWorker | undefined = this.#live): void {
    if (live === undefined || live.dead) return;
    live.dead = true;
    live.receiver.close();
    live.worker.terminate();
    if (live === this.#live) {
      this.#pastHostCalls.hostCalls += this.#counters.hostCalls;
      this.#pastHostCalls.deniedHostCalls += this.#counters.deniedHostCalls;
      this.#counters.hostCalls = 0;
      this.#counters.deniedHostCalls = 0;
      this.#live = undefined;
    }
  }

  #error(report: ErrorReport): SandboxError {
    return new SandboxError(report.code as SandboxErrorCode, report.message, { pluginId: this.id });
  }

  #inProcessOnly(what: string): SandboxError {
    return new SandboxError("InvalidState", `${what} is in-process only; plugin "${this.id}" runs in a worker (use call())`, { pluginId: this.id });
  }

  #requireMetered(): void {
    if (this.#fuelRemaining === undefined) {
      throw new SandboxError("InvalidState", `plugin "${this.id}" is not metered; load it with a fuel budget`, { pluginId: this.id });
    }
  }
}

/** The scope of the first live token for `capability`, if it survives structured cloning (WASI scopes are plain data). */
function cloneableScope(init: SandboxInit, capability: string): unknown {
  const scope = init.capabilities.tokensFor(capability)[0]?.scope;
  if (scope === undefined) return undefined;
  try {
    return structuredClone(scope);
  } catch {
    throw new SandboxError("InvalidArgument", `the scope of capability "${capability}" cannot be sent to a worker`, { pluginId: init.id });
  }
}

