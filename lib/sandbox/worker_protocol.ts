/**
 * The messages between a worker-isolated sandbox and its worker. Host →
 * worker messages go by the worker adapter's `postMessage` (structured
 * clone: the compiled module and the shared memories are shared, not
 * copied); worker → host messages go through the mailbox (`mailbox.ts`),
 * encoded by `codec.ts`; host calls go through the host-call channel.
 *
 * @module
 */
import type { ChannelSignature } from "./host_call_channel.ts";
import type { Invocation } from "./engine.ts";

/** A function import the worker forwards to the host, by its index in `imports`. */
export interface ForwardedImport {
  module: string;
  name: string;
  signature: ChannelSignature;
}

/** Creates the worker's instance. */
export interface InitMessage {
  kind: "init";
  pluginId: string;
  mailbox: SharedArrayBuffer;
  channel: SharedArrayBuffer;
  /** The module, with every memory turned into a shared import (`importMemoriesAsShared`). */
  module: WebAssembly.Module;
  /** The shared memories the host created, by import name. */
  memories: Array<{ module: string; name: string; memory: WebAssembly.Memory }>;
  imports: ForwardedImport[];
}

/** Runs an invocation on the worker's instance. */
export interface InvokeMessage {
  kind: "invoke";
  invocation: Invocation;
}

/** Any message the host posts to the worker. */
export type HostToWorker = InitMessage | InvokeMessage;

/** A failure as the worker reports it (already a SandboxError there). */
export interface ErrorReport {
  code: string;
  message: string;
}

/** Worker → host: the instance exists, or could not be created. */
export interface ReadyMessage {
  kind: "ready";
  error?: ErrorReport;
}

/** Worker → host: how an invocation ended. */
export interface DoneMessage {
  kind: "done";
  value?: unknown;
  error?: ErrorReport;
  guestRan: boolean;
  fuelLeft: bigint | undefined;
  /** The fuel the guest had when the host stopped it, when it did. */
  fuelAtStop: bigint | undefined;
}

/** Any message the worker sends the host. */
export type WorkerToHost = ReadyMessage | DoneMessage;
