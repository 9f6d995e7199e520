/**
 * The host side of a worker-isolated sandbox: it starts the worker that
 * holds the guest's instance, answers the guest's host calls on the host
 * thread (running the same bridge-wrapped functions an in-process plugin
 * gets, sync or async), and bounds every invocation by a wall-clock
 * deadline, terminating the worker when it passes.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { decodeMessage } from "./worker_codec.ts";
import { createMailbox, MailboxReceiver } from "./worker_mailbox.ts";
import { workers as workerAdapter } from "../platform/workers.ts";
import type { HostWorker, WorkerAdapter } from "../platform/types.ts";
import type { Invocation, Outcome } from "./engine.ts";
import { createHostCallChannel, HostCallOutcome, HostCallServer } from "./host_call_channel.ts";
import type { HostCallAnswer } from "./host_call_channel.ts";
import type { DoneMessage, ForwardedImport, HostToWorker, ReadyMessage, WorkerToHost } from "./worker_protocol.ts";

const WORKER_URL = new URL(`./worker_entry${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url);

/**
 * How long a worker may take to load its code and create the instance. Not
 * the call's limit: loading the worker's own code can take a second or more
 * (TypeScript sources, a loaded machine), and no guest code runs meanwhile.
 */
const START_TIMEOUT_MS = 30_000;

/** Bytes of the worker → host mailbox (messages larger than this go in chunks). */
const MAILBOX_BYTES = 64 * 1024;

/** What the executor needs to start one instance in a worker. */
export interface WorkerInstanceSpec {
  pluginId: string;
  /** The module with its memories turned into shared imports. */
  module: WebAssembly.Module;
  memories: Array<{ module: string; name: string; memory: WebAssembly.Memory }>;
  /** The forwarded imports, and the host functions that answer them, in the same order. */
  imports: ForwardedImport[];
  functions: Array<(...args: unknown[]) => unknown>;
  /** Fuel the host charged during the current host call (taken, so reset, by each answer). */
  takeFuelCharge(): bigint;
  /** Wall-clock limit of each invocation, in ms. */
  timeoutMs: number;
  /** Tests may pass their own adapter. */
  adapter?: WorkerAdapter;
}

/** One worker holding one instance; a reset starts another. */
export class WorkerExecutor {
  readonly #spec: WorkerInstanceSpec;
  readonly #worker: HostWorker;
  readonly #receiver: MailboxReceiver;
  readonly #server: HostCallServer;
  #waiting: ((message: WorkerToHost) => void) | undefined;
  #failure: ((error: SandboxError) => void) | undefined;
  #dead: SandboxError | undefined;

  private constructor(spec: WorkerInstanceSpec) {
    this.#spec = spec;
    const mailbox = createMailbox(MAILBOX_BYTES);
    const channel = createHostCallChannel();
    this.#receiver = new MailboxReceiver(mailbox, (bytes) => this.#waiting?.(decodeMessage(bytes) as WorkerToHost));
    this.#server = new HostCallServer(channel, spec.imports.map((i) => i.signature), (index, args) => this.#answer(index, args));
    this.#worker = (spec.adapter ?? workerAdapter).start(WORKER_URL, (reason) => {
      this.#dead ??= new SandboxError("InvalidState", `plugin "${spec.pluginId}": its worker stopped (${reason})`, { pluginId: spec.pluginId });
      this.#failure?.(this.#dead);
    });
    this.#post({
      kind: "init",
      pluginId: spec.pluginId,
      mailbox,
      channel,
      module: spec.module,
      memories: spec.memories,
      imports: spec.imports,
    });
  }

  /** Starts a worker and waits until its instance exists. */
  static async start(spec: WorkerInstanceSpec): Promise<WorkerExecutor> {
    const executor = new WorkerExecutor(spec);
    const ready = await executor.#next(START_TIMEOUT_MS, "start") as ReadyMessage;
    if (ready.error !== undefined) {
      executor.terminate();
      throw new SandboxError(ready.error.code as SandboxError["code"], ready.error.message, { pluginId: spec.pluginId });
    }
    return executor;
  }

  /** Runs `invocation` in the worker; a deadline passed is a `Timeout` outcome and the worker is gone. */
  async invoke(invocation: Invocation): Promise<Outcome & { fuelAtStop?: bigint }> {
    this.#post({ kind: "invoke", invocation });
    let done: DoneMessage;
    try {
      done = await this.#next(this.#spec.timeoutMs, "call") as DoneMessage;
    } catch (err) {
      this.terminate();
      return { error: err as SandboxError, guestRan: true, fuelLeft: undefined };
    }
    const error = done.error === undefined
      ? undefined
      : new SandboxError(done.error.code as SandboxError["code"], done.error.message, { pluginId: this.#spec.pluginId });
    return { value: done.value, error, guestRan: done.guestRan, fuelLeft: done.fuelLeft, fuelAtStop: done.fuelAtStop };
  }

  /** Stops the worker at once, whatever it is doing. */
  terminate(): void {
    this.#dead ??= new SandboxError("InvalidState", `plugin "${this.#spec.pluginId}": its worker was terminated`, { pluginId: this.#spec.pluginId });
    this.#server.close();
    this.#receiver.close();
    this.#worker.terminate();
  }

  #post(message: HostToWorker): void {
    this.#worker.postMessage(message);
  }

  /** The worker's next message, or a Timeout after `timeoutMs`. */
  #next(timeoutMs: number, what: string): Promise<WorkerToHost> {
    if (this.#dead !== undefined) return Promise.reject(this.#dead);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        settle();
        reject(
          new SandboxError(
            "Timeout",
            `plugin "${this.#spec.pluginId}" did not finish its ${what} within ${timeoutMs} ms; its worker was terminated`,
            { pluginId: this.#spec.pluginId },
          ),
        );
      }, timeoutMs);
      const settle = () => {
        clearTimeout(timer);
        this.#waiting = undefined;
        this.#failure = undefined;
      };
      this.#waiting = (message) => {
        settle();
        resolve(message);
      };
      this.#failure = (error) => {
        settle();
        reject(error);
      };
    });
  }

  /** Runs import `index` on the host thread for the guest. Any throw is a stop (the bridge recorded it). */
  async #answer(index: number, args: unknown[]): Promise<HostCallAnswer> {
    try {
      let value = this.#spec.functions[index](...args);
      if (value instanceof Promise) value = await value;
      return { outcome: HostCallOutcome.Value, value, fuelCharged: this.#spec.takeFuelCharge() };
    } catch {
      return { outcome: HostCallOutcome.Stop, fuelCharged: this.#spec.takeFuelCharge() };
    }
  }
}
