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
 * fresh load. An instance that cannot be replaced either is taken out of
 * service and counted in `stats().outOfService`; when none is left, waiting
 * and new calls reject with the reason.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import type { PluginSandbox } from "./plugin_sandbox.ts";
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
  /** Worker-isolated instances. Default: the host's available parallelism (at least 1). */
  size?: number;
  /** Calls that may wait for an instance; one more is refused with `InvalidState`. Default 10 000. */
  maxQueue?: number;
}

/** Totals over the pool's instances. */
export interface PoolStats {
  instances: number;
  busy: number;
  queued: number;
  calls: number;
  traps: number;
  hostCalls: number;
  deniedHostCalls: number;
  fuelConsumed: bigint;
  /** Instances replaced because they could not be reset. */
  replaced: number;
  /** Instances that could be neither reset nor replaced. */
  outOfService: number;
}

/** Loads instance number `n` (the runtime's `loadPlugin` with the pool's options). */
export type InstanceLoader = (n: number) => Promise<PluginSandbox>;
/** Unloads one instance from the runtime. */
export type InstanceUnloader = (instance: PluginSandbox) => void;

interface Waiting {
  name: string;
  args: SandboxValue[];
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

export const DEFAULT_MAX_QUEUE = 10_000;

/**
 * Spreads calls of one plugin over worker-isolated instances. Made by `runtime.loadPool()`.
 *
 * @example
 * ```ts
 * const pool = await runtime.loadPool("hash", bytes, { fuel: 10_000_000n }, { size: 2 });
 * const digests = await Promise.all(inputs.map((n) => pool.call("digest", n)));
 * console.log(pool.stats().calls);
 * pool.close();
 * ```
 */
export class PluginPool {
  readonly id: string;
  readonly #instances: PluginSandbox[];
  readonly #idle: number[];
  readonly #queue: Waiting[] = [];
  readonly #maxQueue: number;
  readonly #load: InstanceLoader;
  readonly #unload: InstanceUnloader;
  #closed = false;
  #replaced = 0;
  #outOfService = 0;
  /** Why the last instance went out of service. */
  #lastFailure: SandboxError | undefined;

  /** @internal */
  constructor(id: string, instances: PluginSandbox[], maxQueue: number, load: InstanceLoader, unload: InstanceUnloader) {
    this.id = id;
    this.#instances = instances;
    this.#idle = instances.map((_, n) => n);
    this.#maxQueue = maxQueue;
    this.#load = load;
    this.#unload = unload;
  }

  /** The instances, e.g. to inspect `info()` or `stats()` of each. */
  get instances(): readonly PluginSandbox[] {
    return this.#instances;
  }

  /** Calls an export on the next idle instance (waiting in line when all are busy). */
  call(exportName: string, ...args: SandboxValue[]): Promise<unknown> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (this.#outOfService === this.#instances.length) return Promise.reject(this.#lastFailure);
    if (this.#idle.length === 0 && this.#queue.length >= this.#maxQueue) {
      return Promise.reject(new SandboxError("InvalidState", `pool "${this.id}": ${this.#maxQueue} calls are already waiting (maxQueue)`, { pluginId: this.id }));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ name: exportName, args, resolve, reject });
      this.#dispatch();
    });
  }

  /** Totals over the instances, with what is running and waiting now. */
  stats(): PoolStats {
    const total: PoolStats = {
      instances: this.#instances.length,
      busy: this.#instances.length - this.#idle.length - this.#outOfService,
      queued: this.#queue.length,
      calls: 0,
      traps: 0,
      hostCalls: 0,
      deniedHostCalls: 0,
      fuelConsumed: 0n,
      replaced: this.#replaced,
      outOfService: this.#outOfService,
    };
    for (const instance of this.#instances) {
      const s = instance.stats();
      total.calls += s.calls;
      total.traps += s.traps;
      total.hostCalls += s.hostCalls;
      total.deniedHostCalls += s.deniedHostCalls;
      total.fuelConsumed += s.fuelConsumed;
    }
    return total;
  }

  /** Unloads every instance; waiting calls reject with `InvalidState`, running ones end as their worker is stopped. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiting of this.#queue.splice(0)) waiting.reject(this.#closedError());
    for (const instance of this.#instances) this.#unload(instance);
  }

  #dispatch(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const n = this.#idle.shift()!;
      const waiting = this.#queue.shift()!;
      void this.#run(n, waiting);
    }
  }

  async #run(n: number, waiting: Waiting): Promise<void> {
    try {
      waiting.resolve(await this.#instances[n].call(waiting.name, ...waiting.args));
    } catch (err) {
      waiting.reject(err);
    }
    if (this.#closed) return;
    try {
      await this.#restore(n);
    } catch (err) {
      this.#outOfService++;
      this.#lastFailure = err as SandboxError;
      if (this.#outOfService === this.#instances.length) {
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
    const instance = this.#instances[n];
    if (instance.state === SandboxState.Ready) return;
    try {
      await instance.reset();
      return;
    } catch {
      // Its start function fails again (e.g. the budget is spent): replace it.
    }
    this.#unload(instance);
    try {
      this.#instances[n] = await this.#load(n);
      this.#replaced++;
    } catch (err) {
      // No way back for this slot: it stays out of service (counted in stats()).
      this.#instances[n] = instance;
      throw new SandboxError("InvalidState", `pool "${this.id}": instance ${n} could not be replaced: ${(err as Error).message}`, {
        pluginId: this.id,
        cause: err,
      });
    }
  }

  #closedError(): SandboxError {
    return new SandboxError("InvalidState", `pool "${this.id}" is closed`, { pluginId: this.id });
  }
}
