/**
 * A description of a module for people and tools: imports grouped by
 * namespace with the capability each needs, exports, memory and table
 * limits. Used by `wasm-sandbox inspect`.
 *
 * @module
 */
import { assemblyScriptEnv } from "../host/assemblyscript_env.ts";
import { GuestLogGate } from "../host/guest_logger.ts";
import { platformSandboxNamespace } from "../host/platform_sandbox_namespace.ts";
import type { HostFunctionRegistrar } from "../host/registrar.ts";
import { ResponseSlot } from "../host/response_slot.ts";
import { sandboxNamespace } from "../host/sandbox_namespace.ts";
import { sochNamespace } from "../host/soch_namespace.ts";
import { DefaultHostContextProvider } from "../host/soch_provider.ts";
import { describeWasiCapability } from "../host/wasi_capabilities.ts";
import { WASI_PREVIEW1 } from "../host/wasi_namespace.ts";
import { summarizeModule } from "../wasm/module_summary.ts";
import type { MemoryLimits, TableLimits } from "../wasm/module_summary.ts";

/** One import and what it needs. */
export interface ImportReport {
  name: string;
  kind: string;
  /** The capability needed, "none", or why it cannot be linked. */
  capability: string;
}

/** The whole report. */
export interface ModuleReport {
  byteLength: number;
  imports: Record<string, ImportReport[]>;
  exports: Array<{ name: string; kind: string }>;
  memories: Array<MemoryLimits & { imported: boolean }>;
  tables: Array<TableLimits & { imported: boolean }>;
  hasStart: boolean;
}

/** The built-in namespaces, built only to read their declarations (nothing is called). */
function builtinNamespaces(): Map<string, HostFunctionRegistrar> {
  const registrars = [
    sandboxNamespace(new ResponseSlot()),
    assemblyScriptEnv({ trace: () => {}, seed: () => 0 }),
    sochNamespace(new DefaultHostContextProvider()),
    platformSandboxNamespace({ realtimeNs: () => 0n, logger: () => {}, logGate: new GuestLogGate() }),
  ];
  return new Map(registrars.map((r) => [r.namespace, r]));
}

/** Describes `bytes`; throws InvalidModule (with the offset) when they are not a module. */
export function reportModule(bytes: Uint8Array, extraRegistrars: readonly HostFunctionRegistrar[] = []): ModuleReport {
  const summary = summarizeModule(bytes);
  const namespaces = builtinNamespaces();
  for (const r of extraRegistrars) namespaces.set(r.namespace, r);
  const imports: Record<string, ImportReport[]> = {};
  for (const imp of summary.imports) {
    (imports[imp.module] ??= []).push({ name: imp.name, kind: imp.kind, capability: capabilityOf(imp.module, imp.name, imp.kind, namespaces) });
  }
  return {
    byteLength: bytes.byteLength,
    imports,
    exports: summary.exports.map((e) => ({ name: e.name, kind: e.kind })),
    memories: [
      ...summary.imports.flatMap((i) => (i.memory ? [{ ...i.memory, imported: true }] : [])),
      ...summary.memories.map((m) => ({ ...m, imported: false })),
    ],
    tables: [
      ...summary.imports.flatMap((i) => (i.table ? [{ ...i.table, imported: true }] : [])),
      ...summary.tables.map((t) => ({ ...t, imported: false })),
    ],
    hasStart: summary.hasStart,
  };
}

function capabilityOf(module: string, name: string, kind: string, namespaces: Map<string, HostFunctionRegistrar>): string {
  if (kind === "memory") return "none (created by the host, capped)";
  if (kind !== "func") return `not provided: the host offers no ${kind} imports`;
  if (module === WASI_PREVIEW1) return describeWasiCapability(name);
  const functions = namespaces.get(module)?.functions;
  const fn = functions && Object.hasOwn(functions, name) ? functions[name] : undefined;
  if (!fn) return "not provided: no host namespace has it";
  return fn.capability ?? "none";
}
