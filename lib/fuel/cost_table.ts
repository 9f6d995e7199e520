/**
 * How much fuel each instruction costs. The default follows Wasmtime: one
 * unit per operator, nothing for instructions that generate no machine code
 * of their own (`nop`, `drop`, `block`, `loop`, `end`, `else`, `unreachable`,
 * `return`). On top of that, instructions whose work grows with an operand
 * are charged per unit of that operand at run time.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { OPCODE_INDEX_LIMIT, OPCODES, opcodeIndex } from "../wasm/opcodes.ts";

/**
 * A cost model. Override any part through `InstrumentOptions.costs`; the
 * parts given replace the defaults, except `operators`, which is merged into
 * the default operator costs.
 */
export interface CostTable {
  /** Fuel for an operator that `operators` does not name. Default 1. */
  defaultCost: number;
  /**
   * Fuel per operator, keyed by text-format name (`"i64.div_s"`, `"call"`,
   * `"memory.copy"`) or by a group: a name prefix ending in `.*`
   * (`"f64.*"`, `"i8x16.*"`, `"memory.*"`). An exact name beats a group; a
   * longer group beats a shorter one. Unknown names are rejected, so a typo
   * cannot silently leave an instruction at the default.
   */
  operators: Readonly<Record<string, number>>;
  /**
   * Extra fuel per byte moved or set by `memory.copy`, `memory.fill` and
   * `memory.init`, and per element by `table.copy`, `table.init`,
   * `table.fill` and `table.grow`, charged at run time from the length
   * operand before the instruction runs. Default 1.
   */
  bulkPerUnit: number;
  /** Extra fuel per page requested by `memory.grow`, charged at run time. Default 1. */
  memoryGrowPerPage: number;
}

/** The default (Wasmtime-like) cost model. */
export const DEFAULT_COST_TABLE: Readonly<CostTable> = Object.freeze({
  defaultCost: 1,
  operators: Object.freeze({
    nop: 0,
    drop: 0,
    block: 0,
    loop: 0,
    end: 0,
    else: 0,
    unreachable: 0,
    return: 0,
  }),
  bulkPerUnit: 1,
  memoryGrowPerPage: 1,
});

/** Costs resolved for the rewriter: one entry per dense opcode index. */
export interface ResolvedCosts {
  /** Static fuel per opcode, indexed by `opcodeIndex()`. */
  readonly static: Int32Array;
  readonly bulkPerUnit: number;
  readonly memoryGrowPerPage: number;
}

/** Costs above this cannot overflow the i64 arithmetic of a charge, however large a function is. */
const MAX_COST = 2 ** 31 - 1;

function checkCost(what: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_COST) {
    throw new SandboxError("InvalidArgument", `cost of ${what} must be an integer between 0 and ${MAX_COST}, got ${String(value)}`);
  }
  return value;
}

/**
 * Merges overrides into the default table and resolves a cost per opcode.
 * Throws `SandboxError("InvalidArgument")` for unknown operator names and for
 * costs that are not integers in [0, 2^31).
 *
 * @example
 * ```ts
 * const costs = resolveCosts({ operators: { "f64.*": 2, call: 10 } });
 * ```
 */
export function resolveCosts(overrides: Partial<CostTable> = {}): ResolvedCosts {
  const defaultCost = checkCost("defaultCost", overrides.defaultCost ?? DEFAULT_COST_TABLE.defaultCost);
  const bulkPerUnit = checkCost("bulkPerUnit", overrides.bulkPerUnit ?? DEFAULT_COST_TABLE.bulkPerUnit);
  const memoryGrowPerPage = checkCost("memoryGrowPerPage", overrides.memoryGrowPerPage ?? DEFAULT_COST_TABLE.memoryGrowPerPage);
  const operators: Record<string, number> = { ...DEFAULT_COST_TABLE.operators, ...overrides.operators };

  const exact = new Map<string, number>();
  const groups: Array<{ prefix: string; cost: number }> = [];
  for (const [key, value] of Object.entries(operators)) {
    const cost = checkCost(JSON.stringify(key), value);
    if (key.endsWith(".*")) {
      const prefix = key.slice(0, -1);
      if (!OPCODES.some((op) => op.name.startsWith(prefix))) {
        throw new SandboxError("InvalidArgument", `cost group ${JSON.stringify(key)} matches no instruction`);
      }
      groups.push({ prefix, cost });
    } else {
      if (!OPCODES.some((op) => op.name === key)) {
        throw new SandboxError("InvalidArgument", `unknown instruction ${JSON.stringify(key)} in the cost table`);
      }
      exact.set(key, cost);
    }
  }
  groups.sort((a, b) => b.prefix.length - a.prefix.length);

  const table = new Int32Array(OPCODE_INDEX_LIMIT).fill(defaultCost);
  for (const op of OPCODES) {
    const cost = exact.get(op.name) ?? groups.find((g) => op.name.startsWith(g.prefix))?.cost ?? defaultCost;
    table[opcodeIndex(op)] = cost;
  }
  return { static: table, bulkPerUnit, memoryGrowPerPage };
}
