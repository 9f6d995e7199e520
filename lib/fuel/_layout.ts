// What the rewriter needs to know about a module before it writes anything:
// index-space sizes (where the injected globals go), the types of the defined
// functions (the wrapper block of each body), the export names (no clash with
// the reserved ones), the start function and every memory's and table's
// limits. All of it comes from the module's summary (lib/wasm/module_summary.ts),
// the one parse the runtime's checks use too: the rewriter has no parser of
// its own for these sections.
import { unsupportedFeature } from "../wasm/feature_error.ts";
import type { SizeLimits } from "../wasm/limits.ts";
import type { ModuleSummary } from "../wasm/module_summary.ts";
import { type SectionHeader, SectionId } from "../wasm/sections.ts";
import type { FuncType } from "../wasm/value_types.ts";

/** The module as the rewriter sees it. */
export interface ModuleLayout {
  sections: readonly SectionHeader[];
  types: readonly FuncType[];
  /** Type index of each module-defined function. */
  functionTypes: readonly number[];
  importedFunctions: number;
  importedGlobals: number;
  definedGlobals: number;
  exportNames: ReadonlySet<string>;
  hasMemoryOrTableImport: boolean;
  /** The start function's index, when the module has one. */
  startFunction: number | undefined;
  /** Limits of every memory and every table, imports first (index order). */
  memories: SizeLimits[];
  tables: SizeLimits[];
}

/**
 * The layout of the summarised module. Throws `InvalidModule` naming memory64
 * for a 64-bit memory or table, which the rewriter cannot cap (the offset is
 * that of the section declaring it).
 */
export function layoutOf(summary: ModuleSummary): ModuleLayout {
  const sectionStart = (id: number) => summary.sections.find((s) => s.id === id)?.start ?? 0;
  const layout: ModuleLayout = {
    sections: summary.sections,
    types: summary.types,
    functionTypes: summary.functionTypes,
    importedFunctions: 0,
    importedGlobals: 0,
    definedGlobals: summary.definedGlobals,
    exportNames: new Set(summary.exports.map((e) => e.name)),
    hasMemoryOrTableImport: false,
    startFunction: summary.startFunction,
    memories: [],
    tables: [],
  };
  for (const imp of summary.imports) {
    if (imp.kind === "func") layout.importedFunctions++;
    else if (imp.kind === "global") layout.importedGlobals++;
    else if (imp.memory) {
      if (imp.memory.memory64) throw unsupportedFeature("memory64", sectionStart(SectionId.Import));
      layout.memories.push(imp.memory);
      layout.hasMemoryOrTableImport = true;
    } else if (imp.table) {
      if (imp.table.table64) throw unsupportedFeature("memory64 (64-bit tables)", sectionStart(SectionId.Import));
      layout.tables.push(imp.table);
      layout.hasMemoryOrTableImport = true;
    }
  }
  for (const memory of summary.memories) {
    if (memory.memory64) throw unsupportedFeature("memory64", sectionStart(SectionId.Memory));
    layout.memories.push(memory);
  }
  for (const table of summary.tables) {
    if (table.table64) throw unsupportedFeature("memory64 (64-bit tables)", sectionStart(SectionId.Table));
    layout.tables.push(table);
  }
  return layout;
}
