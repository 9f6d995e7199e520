// The byte sequences the rewriter injects into a function, built once per
// (local layout, mode) and cached: every sequence is stack-neutral, so it can
// sit between any two instructions without changing what the guest computes.
import { writeS32, writeU32 } from "../wasm/leb128.ts";

/** Indices the injected code refers to. */
export interface InjectionTargets {
  fuelGlobal: number;
  reasonGlobal: number;
  depthGlobal: number;
  maxStackDepth: number | undefined;
}

/**
 * Per-function injected sequences. A charge is `getFuel`, `i64.const c`,
 * then `subSet` (or `subSetCheck` at function entry and loop headers).
 */
export interface Snippets {
  /** Pushes the current fuel (from the cached local, or the global). */
  getFuel: Uint8Array;
  /** `i64.sub` and stores the fuel back where it lives. */
  subSet: Uint8Array;
  /** Like `subSet`, then traps with reason 1 when the fuel is negative. */
  subSetCheck: Uint8Array;
  /** Traps with reason 1 when the fuel is negative (after an operation charged by its operand). */
  check: Uint8Array;
  /** Copies the cached fuel to the global (before a call, return or trap). Empty without a cache. */
  writeBack: Uint8Array;
  /** Reloads the cached fuel from the global (after a call, at a handler). Empty without a cache. */
  reload: Uint8Array;
  /** Function entry: depth increment and check, then fuel cache load. */
  prologue: Uint8Array;
  /** After the wrapper block: writes fuel back, decrements depth, then `end`. */
  epilogue: Uint8Array;
  /** Before `return` and tail calls: depth back to the caller's. */
  depthExit: Uint8Array;
  /** Restores the depth global from the local after a caught exception. */
  depthRestore: Uint8Array;
  /** Dynamic charge head: keeps the length operand and pushes fuel and the length as i64. */
  dynamicHead: Uint8Array;
}

const GLOBAL_GET = 0x23;
const GLOBAL_SET = 0x24;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_CONST = 0x41;
const I64_CONST = 0x42;
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_GT_U = 0x4b;
const I64_LT_S = 0x53;
const I64_SUB = 0x7d;
const I64_EXTEND_I32_U = 0xad;
const IF = 0x04;
const EMPTY = 0x40;
const UNREACHABLE = 0x00;
const END = 0x0b;

class Bytes {
  readonly #bytes: number[] = [];
  op(code: number, index?: number): this {
    this.#bytes.push(code);
    if (index !== undefined) this.u32(index);
    return this;
  }
  u32(value: number): this {
    const tmp = new Uint8Array(5);
    const n = writeU32(tmp, 0, value);
    for (let i = 0; i < n; i++) this.#bytes.push(tmp[i]!);
    return this;
  }
  s32(value: number): this {
    const tmp = new Uint8Array(5);
    const n = writeS32(tmp, 0, value);
    for (let i = 0; i < n; i++) this.#bytes.push(tmp[i]!);
    return this;
  }
  raw(bytes: Uint8Array): this {
    for (const b of bytes) this.#bytes.push(b);
    return this;
  }
  done(): Uint8Array {
    return new Uint8Array(this.#bytes);
  }
}

/** Where the fuel lives in a function: a cached local, or the global itself. */
export interface FunctionLayout {
  /** Local holding the cached fuel; `-1` when fuel stays in the global. */
  fuelLocal: number;
  /** Local holding this frame's depth; `-1` without a depth limit. */
  depthLocal: number;
  /** Scratch i32 local for the length operand of dynamic charges; `-1` without fuel. */
  scratchLocal: number;
  /** Scratch i64 local for checks when fuel stays in the global; `-1` otherwise. */
  tempLocal: number;
  meterFuel: boolean;
}

/** Builds every sequence for one function layout. */
export function buildSnippets(targets: InjectionTargets, layout: FunctionLayout): Snippets {
  const { fuelGlobal: F, reasonGlobal: R, depthGlobal: D, maxStackDepth } = targets;
  const { fuelLocal: f, depthLocal: d, scratchLocal: n, meterFuel } = layout;
  const cached = f >= 0;
  const getFuel = () => (cached ? new Bytes().op(LOCAL_GET, f) : new Bytes().op(GLOBAL_GET, F));
  const setFuel = (b: Bytes) => (cached ? b.op(LOCAL_SET, f) : b.op(GLOBAL_SET, F));
  const trap = (reason: number, b: Bytes) =>
    b.op(IF).op(EMPTY).op(I32_CONST).s32(reason).op(GLOBAL_SET, R).op(UNREACHABLE).op(END);

  const writeBack = cached ? new Bytes().op(LOCAL_GET, f).op(GLOBAL_SET, F).done() : new Uint8Array(0);
  const subSetCheck = new Bytes().op(I64_SUB);
  if (cached) subSetCheck.op(LOCAL_TEE, f);
  else if (layout.tempLocal >= 0) subSetCheck.op(LOCAL_TEE, layout.tempLocal).op(GLOBAL_SET, F).op(LOCAL_GET, layout.tempLocal);
  else subSetCheck.op(GLOBAL_SET, F).op(GLOBAL_GET, F);
  // Leave the exact (negative) remainder in the global for the host.
  const trapIfNegative = (b: Bytes) =>
    b.op(I64_CONST).s32(0).op(I64_LT_S).op(IF).op(EMPTY)
      .raw(writeBack).op(I32_CONST).s32(1).op(GLOBAL_SET, R).op(UNREACHABLE).op(END);
  trapIfNegative(subSetCheck);

  const prologue = new Bytes();
  if (maxStackDepth !== undefined) {
    prologue.op(GLOBAL_GET, D).op(I32_CONST).s32(1).op(I32_ADD).op(LOCAL_TEE, d).op(GLOBAL_SET, D);
    prologue.op(LOCAL_GET, d).op(I32_CONST).s32(maxStackDepth | 0).op(I32_GT_U);
    trap(2, prologue);
  }
  if (meterFuel && cached) prologue.op(GLOBAL_GET, F).op(LOCAL_SET, f);

  const depthExit = maxStackDepth === undefined
    ? new Uint8Array(0)
    : new Bytes().op(LOCAL_GET, d).op(I32_CONST).s32(1).op(I32_SUB).op(GLOBAL_SET, D).done();
  const epilogue = new Bytes();
  if (meterFuel) epilogue.raw(writeBack);
  epilogue.raw(depthExit).op(END);

  return {
    getFuel: getFuel().done(),
    subSet: setFuel(new Bytes().op(I64_SUB)).done(),
    subSetCheck: subSetCheck.done(),
    check: trapIfNegative(getFuel()).done(),
    writeBack,
    reload: cached ? new Bytes().op(GLOBAL_GET, F).op(LOCAL_SET, f).done() : new Uint8Array(0),
    prologue: prologue.done(),
    epilogue: epilogue.done(),
    depthExit,
    depthRestore: maxStackDepth === undefined ? new Uint8Array(0) : new Bytes().op(LOCAL_GET, d).op(GLOBAL_SET, D).done(),
    dynamicHead: n < 0
      ? new Uint8Array(0)
      : new Bytes().op(LOCAL_TEE, n).raw(getFuel().done()).op(LOCAL_GET, n).op(I64_EXTEND_I32_U).done(),
  };
}
