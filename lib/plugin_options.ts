/**
 * The options of one plugin ({@linkcode PluginOptions}) and their checks:
 * `loadPlugin` refuses what it would otherwise ignore (an unknown or moved
 * key, a mode it does not know) before anything is loaded.
 *
 * @module
 */
import type { SandboxConfig } from "./config.ts";
import { defaultSandboxConfig } from "./config.ts";
import { SandboxError } from "./errors.ts";
import type { HostCallRecorder } from "./host/bridge.ts";
import type { CapabilityToken } from "./host/capabilities.ts";
import type { HostFunctionRegistrar } from "./host/registrar.ts";
import type { ExecObserver } from "./host/sandbox_exec.ts";
import type { NetworkObserver } from "./host/platform_network_namespace.ts";
import type { Preopen } from "./wasi/mod.ts";

/**
 * Options for one plugin.
 *
 * Runtime settings (`fuel`, `maxMemoryPages`, `deterministic`, `provider`, …)
 * stay at the top level, spelled as in {@linkcode SandboxConfig}: whatever the
 * runtime's constructor takes, one plugin may override under the same name,
 * and what is left out comes from the runtime. The plugin's own settings are
 * grouped by what they concern: `wasi` (what a WASI command sees) and
 * `isolation` (where the guest runs). Unknown keys are refused, so a
 * misspelled or moved option fails the load instead of being ignored.
 *
 * @example
 * ```ts
 * import { grant, WasmSandboxRuntime } from "wasm-sandbox";
 *
 * const runtime = new WasmSandboxRuntime();
 * const plugin = await runtime.loadPlugin("tool", "./tool.wasm", {
 *   capabilities: [grant("wasi:args"), grant("wasi:stdio")],
 *   fuel: 50_000_000n,
 *   wasi: { args: ["tool", "--version"], onStdout: (chunk) => console.log(new TextDecoder().decode(chunk)) },
 * });
 * const { exitCode } = await plugin.run();
 * ```
 */
export interface PluginOptions extends Partial<SandboxConfig> {
  /** Capability tokens from `grant()`. Nothing is reachable without one. */
  capabilities?: CapabilityToken[];
  /** Extra host namespaces, linked next to the built-in ones. */
  registrars?: HostFunctionRegistrar[];
  /** Link imports the plugin holds no capability for to refusing stubs instead of failing the load. */
  linkDeniedAsStubs?: boolean;
  /** Receives one record per host call, besides the runtime's audit log. */
  recorder?: HostCallRecorder;
  /** Where AssemblyScript `trace` output goes (default: dropped). */
  onTrace?: (message: string) => void;
  /** Told of each `sandbox_exec` request: ran (with the isolation it got), denied or invalid, and why. */
  onExec?: ExecObserver;
  /** Told of each `http_request`: the method, host, outcome, status and, for a refusal or failure, why. */
  onNetwork?: NetworkObserver;
  /** What a WASI command sees: argv, environment, stdio and directories. Ignored by plugins that import no WASI. */
  wasi?: WasiOptions;
  /** Where the guest runs. Default: in process, on the calling thread. */
  isolation?: IsolationOptions;
}

/**
 * The WASI side of {@linkcode PluginOptions}: only what is given here reaches
 * the guest (never the host's argv, environment or files), and only under the
 * matching `wasi:*` capability.
 *
 * @example
 * ```ts
 * import { grant, memoryTree, WasmSandboxRuntime } from "wasm-sandbox";
 * import type { WasiOptions } from "wasm-sandbox";
 *
 * const wasi: WasiOptions = {
 *   args: ["wc", "/data/input.txt"],
 *   env: { LANG: "C" },
 *   preopens: [{ guestPath: "/data", dir: memoryTree({ "input.txt": "one two three\n" }) }],
 *   onStdout: (chunk) => console.log(new TextDecoder().decode(chunk)),
 *   captureOutput: false,
 * };
 * const runtime = new WasmSandboxRuntime();
 * const plugin = await runtime.loadPlugin("wc", "./wc.wasm", {
 *   capabilities: ["wasi:args", "wasi:env", "wasi:stdio", "wasi:fs"].map((c) => grant(c)),
 *   wasi,
 * });
 * await plugin.run();
 * ```
 */
export interface WasiOptions {
  /** WASI argv, argv[0] included. Default: `[id]`. */
  args?: string[];
  /** WASI environment: only what is given here, never the host's. */
  env?: Record<string, string>;
  /** WASI stdin bytes. Default: empty. */
  stdin?: Uint8Array;
  /** Preopened directories: in-memory trees (`memoryTree`) or host mounts (`mountHostDirectory(...).dir`). */
  preopens?: Preopen[];
  /** Receives stdout as the guest writes it (within the cap). */
  onStdout?: (chunk: Uint8Array) => void;
  /** Receives stderr as the guest writes it (within the cap). */
  onStderr?: (chunk: Uint8Array) => void;
  /**
   * Keep stdout and stderr for `run()`'s result (default true). Turn it off
   * when `onStdout`/`onStderr` stream the output elsewhere, e.g. with
   * `maxOutputBytes: Infinity`, so the host holds none of it.
   */
  captureOutput?: boolean;
}

/**
 * Where a plugin's guest runs (docs/ISOLATION.md).
 *
 * @example
 * ```ts
 * import { WasmSandboxRuntime } from "wasm-sandbox";
 *
 * const runtime = new WasmSandboxRuntime();
 * // In its own worker: a call that runs longer than 2 s is killed with `Timeout`; `reset()` starts a fresh worker.
 * const plugin = await runtime.loadPlugin("job", "./job.wasm", { isolation: { timeoutMs: 2_000 } });
 * ```
 */
export interface IsolationOptions {
  /**
   * Where the guest runs. Unset (the default): on the calling thread, with
   * JSPI when it imports async host functions, and in a worker where the
   * runtime has no JSPI or `timeoutMs` is set. `"worker"`: always in its own
   * worker thread. `"in-process"`: never in a worker (a plugin that needs
   * async host functions without JSPI is then refused). Every host function
   * runs on the host thread in every mode (docs/ISOLATION.md).
   */
  mode?: "in-process" | "worker";
  /**
   * Wall-clock limit of each call, in ms, for any plugin: it then runs in a
   * worker, which is terminated when a call passes the limit (the call
   * rejects with `Timeout`, the sandbox is Trapped until `reset()`).
   * Default for worker-isolated plugins: 30 000.
   */
  timeoutMs?: number;
}

const PLUGIN_KEYS = new Set([
  "capabilities",
  "registrars",
  "linkDeniedAsStubs",
  "recorder",
  "onTrace",
  "onExec",
  "onNetwork",
  "wasi",
  "isolation",
  ...Object.keys(defaultSandboxConfig()),
]);
const WASI_KEYS = new Set(["args", "env", "stdin", "preopens", "onStdout", "onStderr", "captureOutput"]);
const ISOLATION_KEYS = new Set(["mode", "timeoutMs"]);
const ISOLATION_MODES = new Set(["in-process", "worker"]);

/** Where the flat keys of 0.1 went, so the refusal says what to write instead. */
const MOVED: Record<string, string> = {
  ...Object.fromEntries([...WASI_KEYS].map((key) => [key, `wasi.${key}`])),
  timeoutMs: "isolation: { timeoutMs }",
};

/**
 * Refuses options `loadPlugin` would otherwise ignore or misread.
 *
 * @throws {SandboxError} `InvalidArgument` naming the key and, for a key that
 * moved into a group, where it went.
 */
export function checkPluginOptions(options: unknown, pluginId: string): asserts options is PluginOptions {
  const refuse = (message: string) => new SandboxError("InvalidArgument", message, { pluginId });
  if (!isPlainObject(options)) throw refuse("plugin options must be an object");
  for (const key of Object.keys(options)) {
    if (PLUGIN_KEYS.has(key)) continue;
    const moved = MOVED[key];
    throw refuse(moved ? `unknown plugin option "${key}": it is now ${moved}` : `unknown plugin option "${key}"`);
  }
  const { wasi, isolation } = options;
  if (wasi !== undefined) {
    if (!isPlainObject(wasi)) throw refuse("the wasi option must be an object ({ args, env, stdin, preopens, onStdout, onStderr, captureOutput })");
    for (const key of Object.keys(wasi)) if (!WASI_KEYS.has(key)) throw refuse(`unknown wasi option "${key}"`);
  }
  if (isolation !== undefined) {
    if (!isPlainObject(isolation)) {
      throw refuse(`the isolation option must be an object such as { mode: "worker", timeoutMs: 5000 }, not ${JSON.stringify(isolation)}`);
    }
    for (const key of Object.keys(isolation)) if (!ISOLATION_KEYS.has(key)) throw refuse(`unknown isolation option "${key}"`);
    if (isolation.mode !== undefined && !ISOLATION_MODES.has(isolation.mode as string)) {
      throw refuse(`isolation.mode must be "in-process" or "worker", not ${JSON.stringify(isolation.mode)}`);
    }
    // A limit that could never fire must not look as if it held.
    if (isolation.mode === "in-process" && isolation.timeoutMs !== undefined) {
      throw refuse(`isolation.timeoutMs needs a worker: an in-process call cannot be stopped by the clock (leave mode out, or use fuel)`);
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
