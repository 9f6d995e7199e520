/**
 * The sandbox runtime manager: loads, tracks and unloads plugins, shares
 * compiled modules between them, and keeps runtime-wide statistics.
 *
 * @module
 */
import { AuditLog } from "./audit/audit_log.ts";
import { defaultSandboxConfig } from "./config.ts";
import type { SandboxConfig } from "./config.ts";
import { SandboxError } from "./errors.ts";
import { abiErrorConvention } from "./host/bridge.ts";
import type { HostCallRecorder, LinkableNamespace } from "./host/bridge.ts";
import { assemblyScriptEnv } from "./host/assemblyscript_env.ts";
import { GuestLogGate } from "./host/guest_logger.ts";
import { platformSandboxNamespace } from "./host/platform_sandbox_namespace.ts";
import { sochNamespace } from "./host/soch_namespace.ts";
import { DefaultHostContextProvider } from "./host/soch_provider.ts";
import type { HostContextProvider } from "./host/soch_namespace.ts";
import { linkableWasi, WASI_PREVIEW1 } from "./host/wasi_namespace.ts";
import { deterministicClock, seededRandom, systemClock, systemRandom, WasiHost } from "./wasi/mod.ts";
import { Capabilities, CapabilitySet, isCapabilityToken } from "./host/capabilities.ts";
import { execPolicyOf, sandboxExecFunction } from "./host/sandbox_exec.ts";
import { platformNetworkNamespace, validateNetworkGrants } from "./host/platform_network_namespace.ts";
import { createNetworkState } from "./net/state.ts";
import type { NetworkState } from "./net/state.ts";
import { validateSandboxPolicy } from "./exec/policy.ts";
import type { SandboxPolicy } from "./exec/policy.ts";
import { createExecState } from "./exec/state.ts";
import type { ExecState } from "./exec/state.ts";
import type { CapabilityToken } from "./host/capabilities.ts";
import type { HostFunctionRegistrar } from "./host/registrar.ts";
import { checkPluginOptions } from "./plugin_options.ts";
import type { PluginOptions } from "./plugin_options.ts";
import { ModuleCache } from "./module/cache.ts";
import { loadSource } from "./module/source.ts";
import type { PluginSource } from "./module/source.ts";
import { PluginSandbox } from "./sandbox/plugin_sandbox.ts";
import type { InstanceEnvironment, SandboxInit } from "./sandbox/plugin_sandbox.ts";
import type { PreparedModule } from "./module/prepare.ts";
import type { PluginInfo, SandboxRuntimeStats } from "./sandbox/types.ts";
import { describeCompiled, prepareModule, prepareOptionsFrom, prepareOptionsKey } from "./module/prepare.ts";
import { RewriteDiskCache } from "./module/disk_cache.ts";
import { hostPlatform } from "./platform/host_platform.ts";
import type { HostFileSystem } from "./platform/types.ts";
import { sha256Hex } from "./module/sha256.ts";
import { openPluginPool } from "./sandbox/plugin_pool.ts";
import type { PluginPool, PoolOptions } from "./sandbox/plugin_pool.ts";

/**
 * The WASM sandbox runtime manager.
 *
 * @example
 * ```ts
 * const runtime = new WasmSandboxRuntime({ maxMemoryPages: 64 });
 * const plugin = await runtime.loadPlugin("adder", wasmBytes);
 * console.log(await plugin.call("add", 2, 3));
 * runtime.unloadPlugin("adder");
 * ```
 */
export class WasmSandboxRuntime {
  /** The effective configuration (defaults merged with what was passed). */
  readonly config: Readonly<SandboxConfig>;
  readonly #plugins = new Map<string, PluginSandbox>();
  readonly #loading = new Set<string>();
  readonly #cache = new ModuleCache<PreparedModule>();
  /** Backs `soch` for plugins whose config names no provider: empty, in memory, one per runtime. */
  readonly #defaultProvider: HostContextProvider = new DefaultHostContextProvider();
  #counters = { pluginsLoaded: 0, pluginsUnloaded: 0, calls: 0, traps: 0, hostCalls: 0 };

  /** The audit log every host call is recorded in. */
  readonly audit: AuditLog;

  constructor(config: Partial<SandboxConfig> = {}) {
    this.config = Object.freeze({ ...defaultSandboxConfig(), ...configOverrides(config) });
    this.audit = this.config.audit || new AuditLog({ ringCapacity: this.config.audit === false ? 0 : undefined });
  }

  /** Loads, checks, compiles (once per distinct bytes and options) and instantiates a plugin. */
  async loadPlugin(id: string, source: PluginSource, options: PluginOptions = {}): Promise<PluginSandbox> {
    if (typeof id !== "string" || id.length === 0 || id.length > 256) {
      throw new SandboxError("InvalidArgument", "a plugin id must be a non-empty string of at most 256 characters");
    }
    if (this.#plugins.has(id) || this.#loading.has(id)) {
      throw new SandboxError("InvalidState", `a plugin with id "${id}" is already loaded; unload it first`, { pluginId: id });
    }
    this.#loading.add(id);
    try {
      checkPluginOptions(options, id);
      const settings: SandboxConfig = { ...this.config, ...configOverrides(options) };
      checkRegistrars(options.registrars ?? []);
      const capabilities = new CapabilitySet(options.capabilities ?? []);
      const logGate = new GuestLogGate();
      const execState = createExecState();
      const networkState = createNetworkState();
      validateExecGrants(options.capabilities ?? []);
      validateNetworkGrants(options.capabilities ?? []);
      const { fs } = await hostPlatform();
      const loaded = await loadSource(source, { maxBytes: settings.maxModuleBytes, fs });
      const prepared = loaded.kind === "module"
        ? this.#acceptPrecompiled(loaded.module, settings)
        : await this.#prepare(loaded.bytes, settings, fs);
      const imported = new Set(prepared.imports.map((i) => i.module));
      const audit = settings.audit === false ? undefined : settings.audit ?? this.audit;
      // Open the audit sinks before any guest code runs, so records can be written synchronously (docs/AUDIT.md).
      await audit?.ready();
      const init: SandboxInit = {
        id,
        origin: loaded.origin,
        prepared,
        capabilities,
        linkDeniedAsStubs: options.linkDeniedAsStubs ?? false,
        recorder: combineRecorders(audit, options.recorder),
        logGate,
        fuel: settings.fuel,
        hostFuelPerByte: settings.fuelCosts?.bulkPerUnit,
        // Deterministic mode: record times from a clock of their own and no durations, so the audit
        // chain's head is a receipt: the same on every runtime and every run (docs/AUDIT.md).
        recordTime: settings.deterministic ? auditClockMs(settings) : undefined,
        auditDurations: settings.auditDurations,
        execState,
        environment: () => this.#environment(id, options, settings, { logGate, execState, networkState }, imported),
        onEvent: (event) => {
          if (event === "call") this.#counters.calls++;
          else this.#counters.traps++;
        },
        isolation: options.isolation?.mode,
        timeoutMs: options.isolation?.timeoutMs,
      };
      const sandbox = await PluginSandbox.create(init);
      this.#plugins.set(id, sandbox);
      this.#counters.pluginsLoaded++;
      return sandbox;
    } catch (err) {
      if (err instanceof SandboxError) throw err;
      throw new SandboxError("InvalidModule", `cannot load plugin "${id}": ${(err as Error)?.message ?? err}`, { pluginId: id, cause: err });
    } finally {
      this.#loading.delete(id);
    }
  }

  /** The loaded plugin with this id, if any. */
  getPlugin(id: string): PluginSandbox | undefined {
    return this.#plugins.get(id);
  }

  /**
   * Loads `size` worker-isolated instances of one plugin (ids `${id}#0`,
   * `${id}#1`, ...) and spreads calls over them (docs/ISOLATION.md, "Pools").
   * Each instance is loaded with `options`, so each has the capabilities,
   * limits and fuel budget a single plugin would (the budget is per
   * instance); all record into the runtime's audit log under their own ids.
   *
   * @example
   * ```ts
   * const pool = await runtime.loadPool("resize", bytes, { capabilities }, { size: 4 });
   * const results = await Promise.all(images.map((ptr) => pool.call("resize", ptr)));
   * await pool.close();
   * ```
   */
  async loadPool(id: string, source: PluginSource, options: PluginOptions = {}, pool: PoolOptions = {}): Promise<PluginPool> {
    return await openPluginPool(this, id, source, options, pool);
  }

  /** Unloads a plugin; it becomes Terminated. Returns false when no such plugin was loaded. */
  unloadPlugin(id: string): boolean {
    const sandbox = this.#plugins.get(id);
    if (!sandbox) return false;
    sandbox.terminate();
    this.#counters.hostCalls += sandbox.stats().hostCalls; // keep the unloaded plugin's share
    this.#plugins.delete(id);
    this.#counters.pluginsUnloaded++;
    return true;
  }

  /** Information on every loaded plugin. */
  listPlugins(): PluginInfo[] {
    return [...this.#plugins.values()].map((p) => p.info());
  }

  stats(): SandboxRuntimeStats {
    const cache = this.#cache.stats();
    let liveHostCalls = 0;
    for (const plugin of this.#plugins.values()) liveHostCalls += plugin.stats().hostCalls;
    return {
      plugins: this.#plugins.size,
      ...this.#counters,
      hostCalls: this.#counters.hostCalls + liveHostCalls,
      modulesCompiled: cache.misses,
      moduleCacheHits: cache.hits,
    };
  }

  async #prepare(bytes: Uint8Array, settings: SandboxConfig, fs: HostFileSystem): Promise<PreparedModule> {
    const options = prepareOptionsFrom(settings);
    const hash = sha256Hex(bytes);
    const key = `${hash}:${prepareOptionsKey(options)}`;
    const diskCache = settings.cacheDir === undefined ? undefined : new RewriteDiskCache(settings.cacheDir, fs);
    return await this.#cache.get(key, () =>
      prepareModule(bytes, hash, options, diskCache && ((rewrite) => diskCache.get(key, rewrite))));
  }

  #acceptPrecompiled(module: WebAssembly.Module, settings: SandboxConfig): PreparedModule {
    if (!settings.allowPrecompiledModules) {
      throw new SandboxError(
        "InvalidArgument",
        "a precompiled WebAssembly.Module cannot be inspected or rewritten, so its memory, stack and fuel limits " +
          "cannot be enforced; pass the module's bytes instead, or set allowPrecompiledModules: true",
      );
    }
    return describeCompiled(module, "", false);
  }

  #environment(
    id: string,
    options: PluginOptions,
    settings: SandboxConfig,
    { logGate, execState, networkState }: { logGate: GuestLogGate; execState: ExecState; networkState: NetworkState },
    imported: ReadonlySet<string>,
  ): InstanceEnvironment {
    // One clock per instance, shared by WASI and get_timestamp, so the plugin sees one time.
    const clock = settings.deterministic ? deterministicClock(settings.clockStartMs, settings.clockStepMs) : systemClock();
    // Only the namespaces the module imports are built: the others would be work thrown away at every load and reset.
    const builtins = [
      imported.has("env") && assemblyScriptEnv({
        trace: options.onTrace ?? (() => {}),
        seed: settings.deterministic ? () => settings.randomSeed : () => Date.now(),
      }),
      imported.has("soch") && sochNamespace(settings.provider ?? this.#defaultProvider),
      imported.has("platform_sandbox") && platformSandboxNamespace({
        realtimeNs: () => clock.realtimeNs(),
        logger: settings.logger,
        logGate,
        sandboxExec: sandboxExecFunction(execState, options.onExec),
      }),
      imported.has("platform_network") &&
      platformNetworkNamespace({ state: networkState, client: settings.httpClient, observer: options.onNetwork }),
    ].filter((registrar) => registrar !== false);
    const namespaces: LinkableNamespace[] = [...builtins, ...(options.registrars ?? [])]
      .map((registrar) => ({ registrar, errors: abiErrorConvention }));
    if (!imported.has(WASI_PREVIEW1)) return { namespaces };

    const io = options.wasi ?? {};
    const wasi = new WasiHost({
      args: io.args ?? [id],
      env: io.env ?? {},
      stdin: io.stdin,
      stdout: { maxBytes: settings.maxOutputBytes, onData: io.onStdout, capture: io.captureOutput },
      stderr: { maxBytes: settings.maxOutputBytes, onData: io.onStderr, capture: io.captureOutput },
      preopens: io.preopens ?? [],
      fsQuotaBytes: settings.fsQuotaBytes,
      clock,
      random: settings.deterministic ? seededRandom(settings.randomSeed) : systemRandom(),
      // poll_oneoff is an async host function: its plugins run with JSPI or in a worker.
      asyncSleep: true,
      maxSleepMs: settings.maxSleepMs,
    });
    namespaces.push(linkableWasi(wasi));
    return {
      namespaces,
      onInstance: (memory) => wasi.bindMemory(memory),
      commandResult: (exitCode) => wasi.commandResult(exitCode),
    };
  }
}

/** A `sandbox:exec` token's scope is its policy: refuse a malformed one at load, not at the first call. */
function validateExecGrants(tokens: readonly CapabilityToken[]): void {
  for (const token of tokens) {
    if (isCapabilityToken(token) && token.capability === Capabilities.SandboxExec && token.scope !== undefined) {
      validateSandboxPolicy(execPolicyOf(token.scope as Partial<SandboxPolicy>));
    }
  }
}

/** One recorder feeding both the audit log and the plugin's own recorder, if any. */
function combineRecorders(
  audit: HostCallRecorder | undefined,
  extra: HostCallRecorder | undefined,
): HostCallRecorder | undefined {
  if (!audit || !extra) return audit ?? extra;
  return {
    record(event) {
      audit.record(event);
      extra.record(event);
    },
    // The stricter answer wins: a stop over a refusal over going ahead.
    admit() {
      const first = audit.admit?.();
      if (first instanceof SandboxError) return first;
      const second = extra.admit?.();
      return second instanceof SandboxError ? second : first ?? second;
    },
  };
}

const CONFIG_KEYS = Object.keys(defaultSandboxConfig()) as Array<keyof SandboxConfig>;

/** The configuration fields set in `value` (undefined ones do not override defaults). */
function configOverrides(value: Partial<SandboxConfig>): Partial<SandboxConfig> {
  const picked: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) if (value[key] !== undefined) picked[key] = value[key];
  return picked as Partial<SandboxConfig>;
}

/** Namespaces the runtime links itself; a registrar may not replace them. */
const RESERVED_NAMESPACES = new Set(["sandbox", "env", "wasi_snapshot_preview1", "wasi_unstable", "soch", "platform_sandbox", "platform_network"]);

function checkRegistrars(registrars: readonly HostFunctionRegistrar[]): void {
  const seen = new Set<string>();
  for (const registrar of registrars) {
    const ns = registrar?.namespace;
    if (typeof ns !== "string" || ns.length === 0 || RESERVED_NAMESPACES.has(ns) || seen.has(ns)) {
      throw new SandboxError("InvalidArgument", `registrar namespace "${String(ns)}" is empty, reserved or given twice`);
    }
    seen.add(ns);
  }
}

/** A deterministic clock for one plugin's audit records, in ms since the epoch (apart from the guest's, whose reads it must not shift). */
function auditClockMs(settings: SandboxConfig): () => number {
  const clock = deterministicClock(settings.clockStartMs, settings.clockStepMs);
  return () => Number(clock.realtimeNs() / 1_000n) / 1_000;
}
