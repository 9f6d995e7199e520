/**
 * A pool of worker-isolated instances of one plugin, so that calls of one
 * plugin use several cores. Each instance is an ordinary `PluginSandbox`
 * loaded by the runtime with the pool's options (same capabilities, limits,
 * fuel budget and audit log as a single plugin), under the id `${id}#${n}`.
 *
 * A call goes to an idle instance, or waits in a FIFO queue; an instance
 * never runs two calls at once. A call that leaves its instance Trapped
 * (OutOfFuel, Timeout, a trap) rejects with that error, and the instance is
 * reset before it serves again; one that cannot be reset is replaced by a
 * fresh load on the fuel the old one had left (a replacement never refills a
 * budget). An instance that cannot be replaced either is taken out of
 * service and counted in `stats().outOfService`; when none is left, waiting
 * and new calls reject with the reason.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import type { PluginSource } from "../module/source.ts";
import type { PluginOptions } from "../plugin_options.ts";
import { availableParallelism } from "../platform/parallelism.ts";
import type { CallOptions, PluginSandbox } from "./plugin_sandbox.ts";
import { SandboxState } from "./state.ts";
import type { SandboxValue } from "./values.ts";

/**
 * How the pool is sized and how many calls may wait.
 *
 * @example
 * ```ts
 * const pool = await runtime.loadPool("p", bytes, {}, { size: 2, maxQueue: 100 });
 * ```
 */
export interface PoolOptions {
  /** Worker-isolated instances, 1 to 1024. Default: the host's available parallelism. */
  size?: number;
  /** Calls that may wait for an instance; one more is refused with `InvalidState`. Default 10 000. */
  maxQueue?: number;
}

/** Totals over the pool's instances (replaced ones included), with what is running and waiting now. */
export interface PoolStats {
  instances: number;
  /** Instances running a call or being reset. */
  busy: number;
  queued: number;
  calls: number;
  traps: number;
  resets: number;
  hostCalls: number;
  deniedHostCalls: number;
  fuelConsumed: bigint;
  /** Instances replaced because they could not be reset. */
  replaced: number;
  /** Instances that could be neither reset nor replaced. */
  outOfService: number;
}

/** What a pool needs from the runtime (`WasmSandboxRuntime` has all three). */
export interface PoolHost {
  loadPlugin(id: string, source: PluginSource, options?: PluginOptions): Promise<PluginSandbox>;
  unloadPlugin(id: string): boolean;
  getPlugin(id: string): PluginSandbox | undefined;
}

interface Waiting {
  name: string;
  args: SandboxValue[];
  options: CallOptions;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

const DEFAULT_MAX_QUEUE = 10_000;
const MAX_SIZE = 1024;
const POOL_KEYS = new Set(["size", "maxQueue"]);

/**
 * Loads the instances of a pool: the first alone (a refused load, say a
 * missing capability, costs one worker), the rest side by side. Used by
 * `runtime.loadPool()`.
 *
 * @example
 * ```ts
 * const pool = await openPluginPool(runtime, "p", bytes, {}, { size: 2 });
 * ```
 */
export async function openPluginPool(
  host: PoolHost,
  id: string,
  source: PluginSource,
  options: PluginOptions = {},
  pool: PoolOptions = {},
): Promise<PluginPool> {
  const { size, maxQueue } = checkPoolOptions(pool);
  if (options?.isolation?.mode === "in-process") {
    throw new SandboxError("InvalidArgument", `pool "${id}": its instances run in workers; leave isolation.mode unset or "worker"`);
  }
  const instanceOptions: PluginOptions = { ...options, isolation: { ...options?.isolation, mode: "worker" } };
  const first = await host.loadPlugin(`${id}#0`, source, instanceOptions);
  const rest = await Promise.allSettled(
    Array.from({ length: size - 1 }, (_, i) => loadSame(host, `${id}#${i + 1}`, source, instanceOptions, first.info().hash)),
  );
  const instances = [first, ...rest.flatMap((r) => r.status === "fulfilled" ? [r.value] : [])];
  const failed = rest.find((r) => r.status === "rejected");
  if (failed !== undefined) {
    for (const instance of instances) host.unloadPlugin(instance.id);
    throw (failed as PromiseRejectedResult).reason;
  }
  return new PluginPool(id, host, source, instanceOptions, instances, maxQueue);
}

function checkPoolOptions(pool: PoolOptions): { size: number; maxQueue: number } {
  if (pool === null || typeof pool !== "object") throw new SandboxError("InvalidArgument", "pool options must be an object ({ size, maxQueue })");
  for (const key of Object.keys(pool)) {
    if (!POOL_KEYS.has(key)) throw new SandboxError("InvalidArgument", `unknown pool option "${key}" (known: size, maxQueue)`);
  }
  const size = pool.size ?? Math.min(MAX_SIZE, Math.max(1, availableParallelism()));
  const maxQueue = pool.maxQueue ?? DEFAULT_MAX_QUEUE;
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_SIZE) {
    throw new SandboxError("InvalidArgument", `a pool's size must be an integer from 1 to ${MAX_SIZE}, not ${String(size)}`);
  }
  if (!Number.isSafeInteger(maxQueue) || maxQueue < 0) {
    throw new SandboxError("InvalidArgument", `a pool's maxQueue must be a non-negative integer, not ${String(maxQueue)}`);
  }
  return { size, maxQueue };
}

/**
 * Loads one more instance and checks it runs the same module as the first:
 * a path or URL is read again for each, and a file swapped meanwhile must
 * not give one instance other code.
 */
async function loadSame(host: PoolHost, id: string, source: PluginSource, options: PluginOptions, hash: string): Promise<PluginSandbox> {
  const instance = await host.loadPlugin(id, source, options);
  if (instance.info().hash !== hash) {
    host.unloadPlugin(id);
    throw new SandboxError("InvalidModule", `pool instance "${id}": the module changed since the pool was loaded (another hash)`, { pluginId: id });
  }
  return instance;
}

/**
 * Spreads calls of one plugin over worker-isolated instances. Made by `runtime.loadPool()`.
 *
 * @example
 * ```ts
 * const pool = await runtime.loadPool("hash", bytes, { fuel: 10_000_000n }, { size: 2 });
 * const digests = await Promise.all(inputs.map((n) => pool.call("digest", n)));
 * console.log(pool.stats().calls);
 * await pool.close();
 * ```
 */
export class PluginPool {
  readonly id: string;
  readonly #host: PoolHost;
  readonly #source: PluginSource;
  readonly #options: PluginOptions;
  readonly #hash: string;
  readonly #instances: PluginSandbox[];
  readonly #idle: number[];
  readonly #queue: Waiting[] = [];
  readonly #maxQueue: number;
  /** Dispatched calls, with the reset that follows them; close() waits for these. */
  readonly #inFlight = new Set<Promise<void>>();
  /** Statistics of instances that were replaced, so the totals never go back. */
  readonly #retired = { calls: 0, traps: 0, resets: 0, hostCalls: 0, deniedHostCalls: 0, fuelConsumed: 0n };
  #closed = false;
  #replaced = 0;
  readonly #outOfService = new Set<number>();
  /** Why the last instance went out of service. */
  #lastFailure: SandboxError | undefined;

  /** @internal Made by {@linkcode openPluginPool}. */
  constructor(id: string, host: PoolHost, source: PluginSource, options: PluginOptions, instances: PluginSandbox[], maxQueue: number) {
    this.id = id;
    this.#host = host;
    this.#source = source;
    this.#options = options;
    this.#hash = instances[0].info().hash;
    this.#instances = instances;
    this.#idle = instances.map((_, n) => n);
    this.#maxQueue = maxQueue;
  }

  /** The instances, to inspect (`info()`, `stats()`, `fuelRemaining`); calling one directly bypasses the queue. */
  get instances(): readonly PluginSandbox[] {
    return this.#instances;
  }

  /** Calls an export on the next idle instance (waiting in line when all are busy). */
  call(exportName: string, ...args: SandboxValue[]): Promise<unknown> {
    return this.callWith({}, exportName, ...args);
  }

  /**
   * Calls an export with per-call options, as `PluginSandbox.callWith`:
   * `fuel` gives this call its own budget, whichever instance runs it.
   */
  callWith(options: CallOptions, exportName: string, ...args: SandboxValue[]): Promise<unknown> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (this.#outOfService.size === this.#instances.length) return Promise.reject(this.#lastFailure);
    if (this.#idle.length === 0 && this.#queue.length >= this.#maxQueue) {
      return Promise.reject(
        new SandboxError("InvalidState", `pool "${this.id}": ${this.#maxQueue} calls are already waiting (maxQueue); retry later or raise it`, {
          pluginId: this.id,
        }),
      );
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ name: exportName, args, options, resolve, reject });
      this.#dispatch();
    });
  }

  /** Totals over the instances, with what is running and waiting now. */
  stats(): PoolStats {
    const total: PoolStats = {
      instances: this.#instances.length,
      busy: this.#instances.length - this.#idle.length - this.#outOfService.size,
      queued: this.#queue.length,
      ...this.#retired,
      replaced: this.#replaced,
      outOfService: this.#outOfService.size,
    };
    for (const instance of this.#instances) {
      const s = instance.stats();
      total.calls += s.calls;
      total.traps += s.traps;
      total.resets += s.resets;
      total.hostCalls += s.hostCalls;
      total.deniedHostCalls += s.deniedHostCalls;
      total.fuelConsumed += s.fuelConsumed;
    }
    return total;
  }

  /**
   * Settles when no call is waiting or running and no instance is being
   * reset: e.g. to read final `stats()`, or to let work end before `close()`.
   */
  async drain(): Promise<void> {
    // Each settled run may have dispatched a waiting call: look again until none is left.
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /**
   * Unloads every instance at once: waiting and later calls reject with
   * `InvalidState`, running ones as their worker is stopped. The promise
   * settles when no call or reset of the pool is left in flight (an
   * instance a reset brought back after close() is stopped too).
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      for (const waiting of this.#queue.splice(0)) waiting.reject(this.#closedError());
      for (const instance of this.#instances) this.#unload(instance);
    }
    return Promise.allSettled([...this.#inFlight]).then(() => undefined);
  }

  #dispatch(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const run = this.#run(this.#idle.shift()!, this.#queue.shift()!);
      this.#inFlight.add(run);
      void run.finally(() => this.#inFlight.delete(run));
    }
  }

  async #run(n: number, waiting: Waiting): Promise<void> {
    try {
      waiting.resolve(await this.#instances[n].callWith(waiting.options, waiting.name, ...waiting.args));
    } catch (err) {
      waiting.reject(err);
    }
    if (this.#closed) return;
    try {
      await this.#restore(n);
    } catch (err) {
      this.#outOfService.add(n);
      this.#lastFailure = err as SandboxError;
      if (this.#outOfService.size === this.#instances.length) {
        for (const left of this.#queue.splice(0)) left.reject(err);
      }
      return;
    }
    if (this.#closed) return;
    this.#idle.push(n);
    this.#dispatch();
  }

  /** Brings a Trapped (or Terminated) instance back to Ready: reset, or failing that a fresh load. */
  async #restore(n: number): Promise<void> {
    const old = this.#instances[n];
    if (old.state === SandboxState.Ready) return;
    let resetError: unknown;
    try {
      await old.reset();
    } catch (err) {
      resetError = err;
    }
    // close() unloaded it while the reset ran: the reset may have started a worker of its own.
    if (this.#closed) return old.terminate();
    if (resetError === undefined) return;
    // Its start function fails again: replace it, on what its budget has left (never a refill).
    const fuel = old.fuelRemaining;
    this.#unload(old);
    let fresh: PluginSandbox;
    try {
      fresh = await loadSame(this.#host, old.id, this.#source, fuel === undefined ? this.#options : { ...this.#options, fuel }, this.#hash);
    } catch (err) {
      // The slot keeps the old (stopped) instance, for its statistics; stats() counts it out of service.
      const code = err instanceof SandboxError ? err.code : "InvalidState";
      throw new SandboxError(
        code,
        `pool "${this.id}": instance ${old.id} is out of service: its reset failed (${(resetError as Error).message}) ` +
          `and so did a fresh load (${(err as Error).message})`,
        { pluginId: this.id, cause: err },
      );
    }
    if (this.#closed) return this.#unload(fresh);
    const s = old.stats();
    this.#retired.calls += s.calls;
    this.#retired.traps += s.traps;
    this.#retired.resets += s.resets;
    this.#retired.hostCalls += s.hostCalls;
    this.#retired.deniedHostCalls += s.deniedHostCalls;
    this.#retired.fuelConsumed += s.fuelConsumed;
    this.#instances[n] = fresh;
    this.#replaced++;
  }

  /** Unloads an instance from the runtime, or just stops it when the runtime no longer holds it. */
  #unload(instance: PluginSandbox): void {
    if (this.#host.getPlugin(instance.id) === instance) this.#host.unloadPlugin(instance.id);
    else instance.terminate();
  }

  #closedError(): SandboxError {
    return new SandboxError("InvalidState", `pool "${this.id}" is closed`, { pluginId: this.id });
  }
}
