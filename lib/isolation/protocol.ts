/**
 * The messages between an {@linkcode IsolatedPluginSandbox} and its worker.
 * Host → worker messages go by `postMessage` (structured clone: the compiled
 * module is shared, not recompiled); worker → host messages go through the
 * mailbox ({@linkcode sendToHost}), encoded by `codec.ts`.
 *
 * @module
 */
import type { HostCallRecord } from "../host/bridge.ts";
import type { FuncType } from "../wasm/module_summary.ts";
import type { SandboxValue } from "../sandbox/values.ts";

/** WASI settings the worker builds its `WasiHost` from (only cloneable data). */
export interface IsolatedWasiSettings {
  args: string[];
  env: Record<string, string>;
  stdin: Uint8Array | undefined;
  maxOutputBytes: number;
  fsQuotaBytes: number;
  /** Stream stdout / stderr chunks to the host as they are written. */
  streamStdout: boolean;
  streamStderr: boolean;
  deterministic: boolean;
  clockStartMs: number;
  clockStepMs: number;
  randomSeed: number;
}

/** Starts the worker's instance. */
export interface InitMessage {
  kind: "init";
  pluginId: string;
  mailbox: SharedArrayBuffer;
  module: WebAssembly.Module;
  imports: WebAssembly.ModuleImportDescriptor[];
  importSignatures: ReadonlyMap<string, FuncType> | undefined;
  importedMemories: Array<{ module: string; name: string; initial: number; maximum: number; shared: boolean }>;
  /** The WASI capabilities granted (revoked ones included: they decide linking). */
  grants: Array<{ capability: string; scope: unknown }>;
  /** Of those, the ones with no live token left. */
  revoked: string[];
  linkDeniedAsStubs: boolean;
  /** Send a record of every host call back to the host. */
  record: boolean;
  wasi: IsolatedWasiSettings | undefined;
  /** The budget the module's start function runs on, when the module is metered. */
  fuel: bigint | undefined;
}

/** Calls an export (`call`) or runs `_start` (`run`). */
export interface InvokeMessage {
  kind: "call" | "run";
  exportName: string;
  args: SandboxValue[];
  /** The fuel budget of this call, when the module is metered. */
  fuel: bigint | undefined;
  /** Capabilities revoked on the host since the last message. */
  revoked: string[];
}

/** Any message the host posts to the worker. */
export type HostToWorker = InitMessage | InvokeMessage;

/** A failure, as the worker reports it. */
export interface ErrorReport {
  code: string;
  message: string;
}

/** Worker → host: the worker has loaded its code and is creating the instance. */
export interface StartedMessage {
  kind: "started";
}

/** Worker → host: the instance exists (or could not be created). */
export interface ReadyMessage {
  kind: "ready";
  error?: ErrorReport;
  memoryBytes: number;
  /** Fuel left after the start function, when the module is metered. */
  fuelLeft?: bigint;
}

/** Worker → host: a batch of host-call records. */
export interface RecordsMessage {
  kind: "records";
  records: HostCallRecord[];
}

/** Worker → host: output as the guest writes it. */
export interface OutputMessage {
  kind: "stdout" | "stderr";
  chunk: Uint8Array;
}

/** Worker → host: the end of a call or run. */
export interface DoneMessage {
  kind: "done";
  /** The export's result, or a run's `{ exitCode, stdout, stderr }`. */
  value?: unknown;
  error?: ErrorReport;
  /** False when the failure happened before guest code ran (the sandbox stays usable). */
  guestRan: boolean;
  fuelLeft: bigint | undefined;
  memoryBytes: number;
  hostCalls: number;
  deniedHostCalls: number;
}

/** Any message the worker sends the host. */
export type WorkerToHost = StartedMessage | ReadyMessage | RecordsMessage | OutputMessage | DoneMessage;
