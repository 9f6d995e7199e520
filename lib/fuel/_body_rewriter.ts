// Rewrites one function body: walks its instructions once, copying unchanged
// byte ranges with a single set() and inserting fuel charges, checks and the
// call-depth guard at the few places they belong. See docs/FUEL.md for the
// model; the comments here say why each insertion point is where it is.
import { SandboxError } from "../errors.ts";
import { unsupportedFeature } from "../wasm/feature_error.ts";
import { Imm, OPCODE_INDEX_BASE, OPCODES } from "../wasm/opcodes.ts";
import { WasmReader } from "../wasm/reader.ts";
import { readValType } from "../wasm/value_types.ts";
import type { WasmWriter } from "../wasm/writer.ts";
import type { ResolvedCosts } from "./cost_table.ts";
import { buildSnippets, type InjectionTargets, type Snippets } from "./_injected_code.ts";

// How the hot loop treats each single-byte opcode: a "plain" immediate layout
// it skips inline, or one of the special cases handled in the switch.
const P_NONE = 0;
const P_LEB = 1;
const P_LEB2 = 2;
const P_F32 = 3;
const P_F64 = 4;
const P_MEMARG = 5;
const SPECIAL = 100;
const INVALID = 255;

const SINGLE_PLAN = new Uint8Array(256).fill(INVALID);
const PREFIX_IMM = {
  0xfc: new Uint8Array(256).fill(INVALID),
  0xfd: new Uint8Array(512).fill(INVALID),
  0xfe: new Uint8Array(256).fill(INVALID),
};
for (const op of OPCODES) {
  if (op.prefix !== 0) {
    PREFIX_IMM[op.prefix][op.code] = op.immediate;
    continue;
  }
  switch (op.immediate) {
    case Imm.None:
      SINGLE_PLAN[op.code] = P_NONE;
      break;
    case Imm.Index:
    case Imm.I32:
    case Imm.I64:
    case Imm.HeapType:
      SINGLE_PLAN[op.code] = P_LEB;
      break;
    case Imm.TwoIndices:
      SINGLE_PLAN[op.code] = P_LEB2;
      break;
    case Imm.F32:
      SINGLE_PLAN[op.code] = P_F32;
      break;
    case Imm.F64:
      SINGLE_PLAN[op.code] = P_F64;
      break;
    case Imm.MemArg:
      SINGLE_PLAN[op.code] = P_MEMARG;
      break;
    default:
      SINGLE_PLAN[op.code] = SPECIAL;
  }
}
// Instructions that end a stretch of straight-line code, move control
// elsewhere or whose cost depends on an operand: all handled in the switch.
for (const code of [
  0x00, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13,
  0x14, 0x15, 0x18, 0x19, 0x1c, 0x1f, 0x40, 0xd5, 0xd6, 0xfc, 0xfd, 0xfe,
]) SINGLE_PLAN[code] = SPECIAL;
// GC instructions: named, so the error says which feature is missing.
SINGLE_PLAN[0xfb] = SPECIAL;
SINGLE_PLAN[0xd3] = SPECIAL;

// Control frame kinds.
const K_FUNC = 0;
const K_BLOCK = 1;
const K_LOOP = 2;
const K_IF = 3;
const K_TRY = 4;
const K_TRY_TABLE = 5;
/** An if whose else has been seen. */
const K_ELSE = 6;

// Fold states of a loop frame.
const LOOP_HEADER_OPEN = 1;
const LOOP_FOLDED = 2;
const LOOP_PLAIN = 3;

// Fuel placement modes of one function. A function is first rewritten in
// global mode (fuel stays in the global, so calls need no write-back). One
// with loops but few calls is then redone with fuel cached in a local, which
// keeps hot loops fast; a cache costs a write-back and a reload around every
// call, so call-heavy functions, whose loops are dominated by their calls
// anyway, stay in global mode. One with a try_table is redone in the
// exception-safe mode.
const M_GLOBAL = 0;
const M_CACHED = 1;
const M_EH_SAFE = 2;
const MODE_MASK = 3;
// Flags on top of the mode: no folding of loop headers into back-edges (set
// when a loop turns out to have a conditional back-edge), no hoisting of the
// common part of if/else arms.
const NO_FOLD = 4;
const NO_HOIST = 8;

/**
 * A segment's charge is written before its first instruction, when its
 * total is not known yet: `i64.const` with a two-byte LEB128 placeholder,
 * patched when the segment ends. Two signed bytes hold up to 2^13 - 1; a
 * longer segment is split.
 */
const PLACEHOLDER_MAX = 8191;

/** Settings shared by every function of a module. */
export interface BodyRewriterOptions {
  targets: InjectionTargets;
  costs: ResolvedCosts;
  meterFuel: boolean;
  /** Merge charges across if/else arms and into loop back-edges (same totals, fewer charges). */
  mergeSegments: boolean;
}

/** Per function: its index, parameter count and the encoded block type of its wrapper block. */
export interface FunctionShape {
  /** Function index (imports included), for messages. */
  index: number;
  paramCount: number;
  wrapperBlockType: Uint8Array;
}

/** V8's limit on a function's locals, parameters included (Node and Deno alike). */
const ENGINE_MAX_LOCALS = 50_000;

let lebEnd = 0;

/** Decodes a u32 LEB128 at `pos` without bounds checks; the end lands in `lebEnd`. */
function u32At(bytes: Uint8Array, pos: number): number {
  let result = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = bytes[pos++] ?? 0;
    result |= (byte & 0x7f) << shift;
    shift += 7;
  } while ((byte & 0x80) !== 0 && shift < 35);
  lebEnd = pos;
  return result >>> 0;
}

function skipLebAt(bytes: Uint8Array, pos: number): number {
  // Past the end, bytes[pos] is undefined (→ 0) and stops the scan; the
  // caller's end check then reports the truncation.
  while (((bytes[pos++] ?? 0) & 0x80) !== 0);
  return pos;
}

function skipBlockType(bytes: Uint8Array, pos: number): number {
  const first = bytes[pos];
  if (first === 0x63 || first === 0x64) pos++;
  return skipLebAt(bytes, pos);
}

/**
 * Moves `buffer[from, to)` down to `write` and returns the new write offset.
 * Ranges are mostly a few bytes, where a loop beats a native copyWithin().
 */
function moveDown(buffer: Uint8Array, write: number, from: number, to: number): number {
  if (write === from) return to;
  if (to - from > 64) {
    buffer.copyWithin(write, from, to);
    return write + (to - from);
  }
  for (let i = from; i < to; i++) buffer[write++] = buffer[i]!;
  return write;
}

/** A copy of `array` twice as long. */
function doubled<T extends Int32Array | Uint8Array>(array: T): T {
  const grown = new (array.constructor as new (length: number) => T)(array.length * 2);
  grown.set(array);
  return grown;
}

function malformed(offset: number, what: string): SandboxError {
  return new SandboxError("InvalidModule", `malformed function body: ${what} (at byte ${offset})`, { offset });
}

function tooManyLocals(shape: FunctionShape, declared: number, added: number): SandboxError {
  const used = shape.paramCount + declared;
  return new SandboxError(
    "InvalidModule",
    `function ${shape.index} has ${used} locals (${shape.paramCount} parameters, ${declared} declared); fuel and depth ` +
      `metering add ${added} more, over the engine's limit of ${ENGINE_MAX_LOCALS} locals per function (parameters ` +
      `included), so at most ${ENGINE_MAX_LOCALS - added} can be metered; split the function or use fewer locals`,
  );
}

const ZERO_COSTS = new Int32Array(0x500);

/**
 * Instruments function bodies into a {@linkcode WasmWriter}. One instance per
 * module; it caches the injected sequences by local layout.
 */
export class BodyRewriter {
  readonly #bytes: Uint8Array;
  readonly #out: WasmWriter;
  readonly #options: BodyRewriterOptions;
  readonly #fuel: boolean;
  readonly #depthOn: boolean;
  readonly #cost: Int32Array;
  readonly #snippets = new Map<number, Snippets>();
  #kinds = new Uint8Array(64);
  #targeted = new Uint8Array(64);
  // Per control frame: for an if, the charge before it and the first charge
  // of each arm; for a loop, the charge before it, its header charge, the
  // header's cost once folded, and its fold state.
  #frameA = new Int32Array(64);
  #frameB = new Int32Array(64);
  #frameC = new Int32Array(64);
  #frameState = new Uint8Array(64);
  // Charges written in this function: where the 2-byte amount is, where the
  // whole sequence starts and ends, the amount, and whether it carries a
  // check (which stays even at 0). Amounts are patched freely until the
  // function ends, when one compaction pass drops zero charges and shortens
  // small amounts to one byte.
  #phAt = new Int32Array(256);
  #phStart = new Int32Array(256);
  #phEnd = new Int32Array(256);
  #phValue = new Int32Array(256);
  #phCheck = new Uint8Array(256);
  #phCount = 0;
  // The frame whose arm just started (its first charge is hoistable), or -1.
  #armFrame = -1;
  // The loop frame whose header charge is the open one, or -1.
  #headerFrame = -1;
  // The open segment: its accumulated cost and where its placeholder is.
  #acc = 0;
  // Loops and calls seen in the current attempt (to pick the mode).
  #loops = 0;
  #calls = 0;
  #chargeAt = -1;
  #copyFrom = 0;
  #s!: Snippets;

  constructor(bytes: Uint8Array, out: WasmWriter, options: BodyRewriterOptions) {
    this.#bytes = bytes;
    this.#out = out;
    this.#options = options;
    this.#fuel = options.meterFuel;
    this.#depthOn = options.targets.maxStackDepth !== undefined;
    this.#cost = options.meterFuel ? options.costs.static : ZERO_COSTS;
  }

  /** Writes the instrumented form of the body at `[start, end)` (without its size prefix). */
  rewrite(start: number, end: number, shape: FunctionShape): void {
    const mark = this.#out.length;
    let mode = this.#options.mergeSegments ? M_GLOBAL : M_GLOBAL | NO_FOLD | NO_HOIST;
    for (;;) {
      const retry = this.#rewriteIn(start, end, shape, mode);
      if (retry < 0) return;
      this.#out.truncate(mark);
      mode = retry;
    }
  }

  #rewriteIn(start: number, end: number, shape: FunctionShape, mode: number): number {
    const out = this.#out;
    const reader = new WasmReader(this.#bytes, start, end);
    const groups = reader.readCount(2);
    const groupsStart = reader.offset;
    let declared = 0;
    for (let i = 0; i < groups; i++) {
      const at = reader.offset;
      declared += reader.readU32();
      if (declared > ENGINE_MAX_LOCALS) throw reader.error(`a function declares more than ${ENGINE_MAX_LOCALS} locals`, at);
      readValType(reader);
    }
    const localsEnd = reader.offset;
    const fuel = this.#fuel;
    // New locals go after the existing ones, so no existing index moves.
    let next = shape.paramCount + declared;
    const fuelLocal = fuel && (mode & MODE_MASK) === M_CACHED ? next++ : -1;
    const scratchLocal = fuel ? next++ : -1;
    const depthLocal = this.#depthOn ? next++ : -1;
    const tempLocal = fuel && fuelLocal < 0 ? next++ : -1;
    const key = (((fuelLocal + 1) * 65536 + (scratchLocal + 1)) * 65536 + (depthLocal + 1)) * 2 + (tempLocal >= 0 ? 1 : 0);
    let snippets = this.#snippets.get(key);
    if (snippets === undefined) {
      snippets = buildSnippets(this.#options.targets, { fuelLocal, scratchLocal, depthLocal, tempLocal, meterFuel: fuel });
      this.#snippets.set(key, snippets);
    }
    this.#s = snippets;

    const added = (fuelLocal >= 0 ? 1 : 0) + (scratchLocal >= 0 ? 1 : 0) + (depthLocal >= 0 ? 1 : 0) + (tempLocal >= 0 ? 1 : 0);
    if (next > ENGINE_MAX_LOCALS) throw tooManyLocals(shape, declared, added);
    out.writeU32(groups + added);
    out.copyRange(this.#bytes, groupsStart, localsEnd);
    if (fuelLocal >= 0) this.#writeLocal(0x7e);
    if (scratchLocal >= 0) this.#writeLocal(0x7f);
    if (depthLocal >= 0) this.#writeLocal(0x7f);
    if (tempLocal >= 0) this.#writeLocal(0x7e);
    out.writeBytes(snippets.prologue);
    // The body is wrapped in a block when something must run on every way
    // out, so that a branch to the function's own label runs it too.
    const wrapped = fuelLocal >= 0 || depthLocal >= 0;
    if (wrapped) {
      out.writeU8(0x02);
      out.writeBytes(shape.wrapperBlockType);
    }
    this.#acc = 0;
    this.#chargeAt = -1;
    this.#copyFrom = localsEnd;
    this.#loops = 0;
    this.#calls = 0;
    this.#phCount = 0;
    this.#armFrame = -1;
    this.#headerFrame = -1;
    if (fuel) this.#openCharge(true);
    return this.#instructions(localsEnd, end, mode, wrapped);
  }

  #writeLocal(type: number): void {
    this.#out.writeU8(1);
    this.#out.writeU8(type);
  }

  /** Copies the input not yet copied, up to `at`. */
  #flushInput(at: number): void {
    this.#out.copyRange(this.#bytes, this.#copyFrom, at);
    this.#copyFrom = at;
  }

  /** Writes a charge with a placeholder amount at the current output position. */
  #openCharge(check: boolean): void {
    const out = this.#out;
    const s = this.#s;
    const k = this.#phCount;
    if (k >= this.#phAt.length) this.#growPlaceholders();
    this.#phStart[k] = out.length;
    out.writeBytes(s.getFuel);
    out.writeU8(0x42);
    this.#phAt[k] = out.length;
    out.writeU8(0x80);
    out.writeU8(0x00);
    out.writeBytes(check ? s.subSetCheck : s.subSet);
    this.#phEnd[k] = out.length;
    this.#phValue[k] = 0;
    this.#phCheck[k] = check ? 1 : 0;
    this.#phCount = k + 1;
    this.#chargeAt = k;
    this.#acc = 0;
    if (this.#armFrame >= 0 && !check) {
      // The first charge of an if arm runs exactly once per entry into the arm.
      if (this.#kinds[this.#armFrame] === K_ELSE) this.#frameC[this.#armFrame] = k;
      else this.#frameB[this.#armFrame] = k;
    }
    this.#armFrame = -1;
  }

  #growPlaceholders(): void {
    this.#phAt = doubled(this.#phAt);
    this.#phStart = doubled(this.#phStart);
    this.#phEnd = doubled(this.#phEnd);
    this.#phValue = doubled(this.#phValue);
    this.#phCheck = doubled(this.#phCheck);
  }

  /** Ends the open segment: records its total for its placeholder. */
  #closeCharge(): void {
    const k = this.#chargeAt;
    if (k >= 0) {
      this.#phValue[k] = this.#acc;
      this.#chargeAt = -1;
      this.#armFrame = -1;
      const loop = this.#headerFrame;
      if (loop >= 0) {
        this.#headerFrame = -1;
        this.#closeHeader(loop, k);
      }
    }
    this.#acc = 0;
  }

  /** A segment boundary: the open charge ends and no arm is starting any more. */
  #boundary(): void {
    this.#closeCharge();
    this.#armFrame = -1;
  }

  /**
   * A loop's header segment just ended with cost h. Every later entry into
   * the header is either the fall-in (whose preceding charge takes h now) or
   * an unconditional `br` back-edge (whose charge takes h when it is seen),
   * so the header itself charges nothing and only checks.
   */
  #closeHeader(loop: number, header: number): void {
    if (this.#frameState[loop] !== LOOP_HEADER_OPEN) return;
    const entry = this.#frameA[loop]!;
    const h = this.#phValue[header]!;
    if (entry < 0 || h === 0 || this.#phValue[entry]! + h > PLACEHOLDER_MAX) {
      this.#frameState[loop] = LOOP_PLAIN;
      return;
    }
    this.#phValue[entry] += h;
    this.#phValue[header] = 0;
    this.#frameC[loop] = h;
    this.#frameState[loop] = LOOP_FOLDED;
  }

  /**
   * Drops charges of 0 (keeping checks) and writes amounts below 64 in one
   * byte, moving the function's output back over the gaps in one pass.
   */
  #compact(): void {
    const count = this.#phCount;
    if (count === 0) return;
    const out = this.#out;
    const buffer = out.buffer;
    let write = this.#phStart[0]!;
    let read = write;
    for (let k = 0; k < count; k++) {
      const start = this.#phStart[k]!;
      write = moveDown(buffer, write, read, start);
      const value = this.#phValue[k]!;
      if (value === 0 && this.#phCheck[k] === 0) {
        read = this.#phEnd[k]!;
        continue;
      }
      const at = this.#phAt[k]!;
      write = moveDown(buffer, write, start, at);
      if (value < 64) {
        buffer[write++] = value;
      } else {
        buffer[write++] = 0x80 | (value & 0x7f);
        buffer[write++] = (value >> 7) & 0x3f;
      }
      read = at + 2;
    }
    write = moveDown(buffer, write, read, out.length);
    out.truncate(write);
  }

  /**
   * Slow path of charging `cost` for the instruction at `at`: opens a segment
   * there, or splits one that would overflow its placeholder. A single cost
   * too large for any placeholder is charged on its own, exactly.
   */
  #chargeSlow(at: number, cost: number): void {
    // A segment split for length is checked where it splits, so straight-line
    // code cannot run more than one placeholder's worth past the budget.
    const split = this.#chargeAt >= 0;
    this.#closeCharge();
    this.#flushInput(at);
    if (cost > PLACEHOLDER_MAX) {
      this.#exactCharge(cost);
      return;
    }
    this.#openCharge(split);
    this.#acc = cost;
  }

  /** Charges one instruction too costly for a placeholder, and checks: its cost is not small. */
  #exactCharge(amount: number): void {
    const out = this.#out;
    out.writeBytes(this.#s.getFuel);
    out.writeU8(0x42);
    out.writeS64(amount);
    out.writeBytes(this.#s.subSetCheck);
  }

  /**
   * After an instruction charged by its operand: traps if that charge left
   * the fuel negative. Checked after the instruction, as every charge is
   * (charge, then check), so a bulk operation over budget runs once and the
   * next instruction never does.
   */
  #checkAfter(pos: number, perUnit: number): void {
    if (perUnit === 0) return;
    this.#flushInput(pos);
    this.#out.writeBytes(this.#s.check);
  }

  /** Charges `length operand × perUnit` at run time, before the instruction at `at`. */
  #dynamicCharge(at: number, perUnit: number): void {
    if (perUnit === 0) return;
    this.#flushInput(at);
    const out = this.#out;
    out.writeBytes(this.#s.dynamicHead);
    if (perUnit !== 1) {
      out.writeU8(0x42);
      out.writeS64(perUnit);
      out.writeU8(0x7e); // i64.mul
    }
    out.writeBytes(this.#s.subSet);
  }

  #push(sp: number, kind: number): number {
    if (sp >= this.#kinds.length) {
      this.#kinds = doubled(this.#kinds);
      this.#targeted = doubled(this.#targeted);
      this.#frameA = doubled(this.#frameA);
      this.#frameB = doubled(this.#frameB);
      this.#frameC = doubled(this.#frameC);
      this.#frameState = doubled(this.#frameState);
    }
    this.#kinds[sp] = kind;
    this.#targeted[sp] = 0;
    this.#frameA[sp] = -1;
    this.#frameB[sp] = -1;
    this.#frameC[sp] = -1;
    this.#frameState[sp] = 0;
    return sp + 1;
  }

  /** Adds `cost` to the open segment (opening or splitting one as needed). */
  #addCost(at: number, cost: number): void {
    if (this.#chargeAt >= 0 && this.#acc + cost <= PLACEHOLDER_MAX) this.#acc += cost;
    else this.#chargeSlow(at, cost);
  }

  /**
   * A branch to `label`: marks a block target, and keeps loop folding exact:
   * an unconditional back-edge pays the folded header, a conditional one
   * cannot (its fall-through would pay too), so the function is redone
   * without folding. Returns a mode to redo the function in, or -1.
   */
  #branchTo(label: number, sp: number, at: number, conditional: boolean, mode: number): number {
    if (label >= sp) return -1;
    const frame = sp - 1 - label;
    this.#targeted[frame] = 1;
    if (this.#kinds[frame] !== K_LOOP) return -1;
    const state = this.#frameState[frame];
    if (state === LOOP_HEADER_OPEN) {
      // This branch ends the header segment itself: nothing to fold.
      this.#frameState[frame] = LOOP_PLAIN;
    } else if (state === LOOP_FOLDED) {
      if (conditional) return mode | NO_FOLD;
      this.#addCost(at, this.#frameC[frame]!);
    }
    return -1;
  }

  /**
   * At the end of an if/else: both arms start with a charge that runs once
   * per entry into the arm, so their common part moves into the charge that
   * runs before the `if`, and an arm whose first charge drops to 0 loses it.
   */
  #hoistArms(frame: number): void {
    const before = this.#frameA[frame]!;
    const thenFirst = this.#frameB[frame]!;
    const elseFirst = this.#frameC[frame]!;
    if (before < 0 || thenFirst < 0 || elseFirst < 0) return;
    const common = Math.min(this.#phValue[thenFirst]!, this.#phValue[elseFirst]!);
    if (common === 0 || this.#phValue[before]! + common > PLACEHOLDER_MAX) return;
    this.#phValue[before] += common;
    this.#phValue[thenFirst] -= common;
    this.#phValue[elseFirst] -= common;
  }

  /** Returns -1 when done, or the mode to redo the function in. */
  #instructions(pos: number, end: number, mode: number, wrapped: boolean): number {
    const bytes = this.#bytes;
    const out = this.#out;
    const cost = this.#cost;
    const { bulkPerUnit, memoryGrowPerPage } = this.#options.costs;
    const fuel = this.#fuel;
    const cached = (mode & MODE_MASK) === M_CACHED;
    const ehSafe = (mode & MODE_MASK) === M_EH_SAFE;
    const fold = (mode & NO_FOLD) === 0;
    const hoist = (mode & NO_HOIST) === 0;
    const depthOn = this.#depthOn;
    const s = this.#s;
    let sp = this.#push(0, K_FUNC);
    // The open segment's state, shadowed in locals for the plain-instruction
    // fast path and synced with the fields around everything else.
    let acc = this.#acc;
    let chargeAt = this.#chargeAt;

    while (pos < end) {
      const at = pos;
      const op = bytes[pos++]!;
      const plan = SINGLE_PLAN[op]!;
      if (plan < SPECIAL) {
        const c = cost[op]!;
        if (c !== 0) {
          if (chargeAt >= 0 && acc + c <= PLACEHOLDER_MAX) {
            acc += c;
          } else {
            this.#acc = acc;
            this.#chargeAt = chargeAt;
            this.#chargeSlow(at, c);
            acc = this.#acc;
            chargeAt = this.#chargeAt;
          }
        }
        switch (plan) {
          case P_LEB:
            pos = skipLebAt(bytes, pos);
            break;
          case P_LEB2:
            pos = skipLebAt(bytes, skipLebAt(bytes, pos));
            break;
          case P_F32:
            pos += 4;
            break;
          case P_F64:
            pos += 8;
            break;
          case P_MEMARG: {
            // Alignment flags: one byte below 0x40 unless a memory index follows.
            const flags = bytes[pos] ?? 0;
            if (flags < 0x40) {
              pos++;
            } else {
              const decoded = u32At(bytes, pos);
              pos = lebEnd;
              if ((decoded & 0x40) !== 0) pos = skipLebAt(bytes, pos);
            }
            pos = skipLebAt(bytes, pos);
            break;
          }
        }
        continue;
      }
      if (plan === INVALID) throw malformed(at, `unknown opcode 0x${op.toString(16)}`);
      this.#acc = acc;
      this.#chargeAt = chargeAt;

      // The cost of the instruction, charged to the segment it ends (Wasmtime's
      // model); a catch clause's cost is charged to the handler it starts.
      let index = op;
      let sub = 0;
      if (op >= 0xfc && op <= 0xfe) {
        sub = u32At(bytes, pos);
        pos = lebEnd;
        const table = PREFIX_IMM[op as 0xfc | 0xfd | 0xfe];
        if (sub >= table.length || table[sub] === INVALID) throw malformed(at, `unknown opcode 0x${op.toString(16)} ${sub}`);
        index = OPCODE_INDEX_BASE[op as 0xfc | 0xfd | 0xfe] + sub;
      }
      if (op !== 0x07 && op !== 0x19) {
        const c = cost[index]!;
        if (c !== 0) {
          if (this.#chargeAt >= 0 && this.#acc + c <= PLACEHOLDER_MAX) this.#acc += c;
          else this.#chargeSlow(at, c);
        }
      }

      switch (op) {
        case 0x02: // block: entered by falling through, so the segment goes on.
        case 0x06: // try
          pos = skipBlockType(bytes, pos);
          sp = this.#push(sp, op === 0x02 ? K_BLOCK : K_TRY);
          break;

        case 0x03: { // loop: the header starts a segment, charged and checked.
          this.#loops++;
          const entry = this.#chargeAt;
          this.#boundary();
          pos = skipBlockType(bytes, pos);
          sp = this.#push(sp, K_LOOP);
          this.#flushInput(pos);
          if (fuel) {
            this.#openCharge(true);
            if (fold) {
              this.#frameA[sp - 1] = entry;
              this.#frameB[sp - 1] = this.#chargeAt;
              this.#frameState[sp - 1] = LOOP_HEADER_OPEN;
              this.#headerFrame = sp - 1;
            }
          }
          // A try_table may catch into this loop: its header is a landing.
          if (ehSafe) out.writeBytes(s.depthRestore);
          break;
        }

        case 0x04: { // if: each arm is its own segment.
          const before = this.#chargeAt;
          this.#boundary();
          pos = skipBlockType(bytes, pos);
          sp = this.#push(sp, K_IF);
          if (hoist && fuel) {
            this.#frameA[sp - 1] = before;
            this.#armFrame = sp - 1;
          }
          break;
        }

        case 0x05: // else
          this.#boundary();
          if (this.#kinds[sp - 1] === K_IF) this.#kinds[sp - 1] = K_ELSE;
          if (hoist && fuel) this.#armFrame = sp - 1;
          break;

        case 0x07: // catch tag
        case 0x19: { // catch_all
          this.#boundary();
          if (op === 0x07) pos = skipLebAt(bytes, pos);
          this.#flushInput(pos);
          // An exception arrives with the thrower's consumption in the global
          // and the unwound frames' depth still counted: resync both.
          if (cached) out.writeBytes(s.reload);
          if (depthOn) out.writeBytes(s.depthRestore);
          const c = cost[op]!;
          if (c !== 0) this.#chargeSlow(pos, c);
          break;
        }

        case 0x18: // delegate: ends the try block.
          this.#boundary();
          pos = skipLebAt(bytes, pos);
          sp--;
          if (sp < 1) throw malformed(at, "delegate outside a try block");
          break;

        case 0x0b: { // end
          const kind = this.#kinds[--sp]!;
          if (kind === K_FUNC) {
            this.#boundary();
            this.#flushInput(pos);
            if (wrapped) out.writeBytes(s.epilogue);
            if (pos !== end) throw malformed(pos, "bytes after the final end");
            if ((mode & MODE_MASK) === M_GLOBAL && fuel && this.#loops > 0 && this.#calls <= this.#loops) {
              return M_CACHED | (mode & ~MODE_MASK);
            }
            this.#compact();
            return -1;
          }
          if (kind === K_LOOP && this.#frameState[sp] === LOOP_HEADER_OPEN) {
            // No branch back: the header segment simply goes on past the end.
            this.#frameState[sp] = LOOP_PLAIN;
            if (this.#headerFrame === sp) this.#headerFrame = -1;
          }
          // Only a loop's end and an untargeted block's end are reached by
          // falling through alone; anywhere else, paths merge.
          if (kind === K_IF || kind === K_ELSE || kind === K_TRY || this.#targeted[sp] === 1) {
            this.#boundary();
            if (kind === K_ELSE) this.#hoistArms(sp);
            if (ehSafe && depthOn) {
              this.#flushInput(pos);
              out.writeBytes(s.depthRestore);
            }
          }
          break;
        }

        case 0x0c: // br
        case 0x0d: // br_if
        case 0xd5: // br_on_null
        case 0xd6: { // br_on_non_null
          const label = u32At(bytes, pos);
          pos = lebEnd;
          const retry = this.#branchTo(label, sp, at, op !== 0x0c, mode);
          if (retry >= 0) return retry;
          this.#boundary();
          break;
        }

        case 0x0e: { // br_table
          const count = u32At(bytes, pos);
          pos = lebEnd;
          if (count > end - pos) throw malformed(at, "br_table longer than the body");
          for (let i = 0; i <= count; i++) {
            const label = u32At(bytes, pos);
            pos = lebEnd;
            const retry = this.#branchTo(label, sp, at, true, mode);
            if (retry >= 0) return retry;
          }
          this.#boundary();
          break;
        }

        case 0x0f: // return
        case 0x12: // return_call
        case 0x13: // return_call_indirect
        case 0x15: // return_call_ref
        case 0x00: // unreachable
        case 0x08: // throw
        case 0x09: // rethrow
        case 0x0a: // throw_ref
          this.#boundary();
          // Control leaves this frame: the global must hold the exact fuel,
          // and a return or tail call gives its depth back.
          if (cached || (depthOn && (op === 0x0f || op === 0x12 || op === 0x13 || op === 0x15))) {
            this.#flushInput(at);
            if (cached) out.writeBytes(s.writeBack);
            if (op === 0x0f || op === 0x12 || op === 0x13 || op === 0x15) out.writeBytes(s.depthExit);
          }
          if (op === 0x13) pos = skipLebAt(bytes, skipLebAt(bytes, pos));
          else if (op === 0x12 || op === 0x15 || op === 0x08 || op === 0x09) pos = skipLebAt(bytes, pos);
          break;

        case 0x10: // call
        case 0x11: // call_indirect
        case 0x14: // call_ref
          // The segment goes on after the call (it was paid for in full);
          // a cached fuel value is handed to the callee through the global.
          if (op === 0x11) pos = skipLebAt(bytes, skipLebAt(bytes, pos));
          else pos = skipLebAt(bytes, pos);
          this.#calls++;
          if (cached) {
            this.#flushInput(at);
            out.writeBytes(s.writeBack);
            this.#flushInput(pos);
            out.writeBytes(s.reload);
          }
          break;

        case 0x1c: { // select with types
          const count = u32At(bytes, pos);
          pos = lebEnd;
          if (count > end - pos) throw malformed(at, "select type vector longer than the body");
          for (let i = 0; i < count; i++) {
            const type = bytes[pos++];
            if (type === 0x63 || type === 0x64) pos = skipLebAt(bytes, pos);
          }
          break;
        }

        case 0x1f: { // try_table
          // A catch lands at a label that normal code reaches too, where a
          // cached fuel local could not tell which value is current: such
          // functions keep fuel in the global and resync depth at every join.
          if (!ehSafe && (fuel || depthOn)) return M_EH_SAFE | (mode & ~MODE_MASK);
          pos = skipBlockType(bytes, pos);
          const count = u32At(bytes, pos);
          pos = lebEnd;
          if (count > end - pos) throw malformed(at, "try_table catch vector longer than the body");
          for (let i = 0; i < count; i++) {
            const kind = bytes[pos++];
            if (kind === 0 || kind === 1) pos = skipLebAt(bytes, pos);
            else if (kind !== 2 && kind !== 3) throw malformed(at, `unknown catch kind ${kind}`);
            // Catch labels are resolved outside the try_table itself.
            const label = u32At(bytes, pos);
            pos = lebEnd;
            const retry = this.#branchTo(label, sp, at, true, mode);
            if (retry >= 0) return retry;
          }
          sp = this.#push(sp, K_TRY_TABLE);
          break;
        }

        case 0x40: // memory.grow: charged per page requested, then checked.
          if (fuel) this.#dynamicCharge(at, memoryGrowPerPage);
          pos = skipLebAt(bytes, pos);
          if (fuel) this.#checkAfter(pos, memoryGrowPerPage);
          break;

        case 0xfc: {
          // memory.init/copy/fill, table.init/copy/grow/fill: the length (or
          // delta) is the top operand; it is charged before the work is done
          // and checked right after it.
          const scaled = fuel && (sub === 8 || sub === 10 || sub === 11 || sub === 12 || sub === 14 || sub === 15 || sub === 17);
          if (scaled) this.#dynamicCharge(at, bulkPerUnit);
          const imm = PREFIX_IMM[0xfc][sub];
          if (imm === Imm.TwoIndices) pos = skipLebAt(bytes, skipLebAt(bytes, pos));
          else if (imm === Imm.Index) pos = skipLebAt(bytes, pos);
          if (scaled) this.#checkAfter(pos, bulkPerUnit);
          break;
        }

        case 0xfd: {
          const imm = PREFIX_IMM[0xfd][sub];
          if (imm === Imm.MemArg || imm === Imm.MemArgLane) {
            const flags = u32At(bytes, pos);
            pos = lebEnd;
            if ((flags & 0x40) !== 0) pos = skipLebAt(bytes, pos);
            pos = skipLebAt(bytes, pos);
            if (imm === Imm.MemArgLane) pos++;
          } else if (imm === Imm.Lane) {
            pos++;
          } else if (imm === Imm.Bytes16) {
            pos += 16;
          }
          break;
        }

        case 0xfe: {
          if (PREFIX_IMM[0xfe][sub] === Imm.ZeroByte) {
            pos++;
          } else {
            const flags = u32At(bytes, pos);
            pos = lebEnd;
            if ((flags & 0x40) !== 0) pos = skipLebAt(bytes, pos);
            pos = skipLebAt(bytes, pos);
          }
          break;
        }

        case 0xfb:
        case 0xd3:
          throw unsupportedFeature("GC instructions", at);

        default:
          throw malformed(at, `unhandled opcode 0x${op.toString(16)}`);
      }
      acc = this.#acc;
      chargeAt = this.#chargeAt;
    }
    throw malformed(end, pos > end ? "an instruction runs past the end of the body" : "missing final end");
  }
}
