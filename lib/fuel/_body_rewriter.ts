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

/** Rewrites [`try_table` found in cached-fuel mode]: the body is redone with fuel in the global. */
const RETRY_IN_GLOBAL_MODE = -1;

/** Settings shared by every function of a module. */
export interface BodyRewriterOptions {
  targets: InjectionTargets;
  costs: ResolvedCosts;
  meterFuel: boolean;
}

/** Per function: its parameter count and the encoded block type of its wrapper block. */
export interface FunctionShape {
  paramCount: number;
  wrapperBlockType: Uint8Array;
}

let lebEnd = 0;

/** Decodes a u32 LEB128 at `pos` without bounds checks (the caller checks `lebEnd`). */
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
  // Reading past the end yields undefined (→ 0) and stops; the caller's end check catches it.
  while (((bytes[pos++] ?? 0) & 0x80) !== 0);
  return pos;
}

function skipBlockType(bytes: Uint8Array, pos: number): number {
  const first = bytes[pos];
  if (first === 0x63 || first === 0x64) pos++;
  return skipLebAt(bytes, pos);
}

function malformed(offset: number, what: string): SandboxError {
  return new SandboxError("InvalidModule", `malformed function body: ${what} (at byte ${offset})`, { offset });
}

/**
 * Instruments function bodies into a {@linkcode WasmWriter}. One instance per
 * module; it caches the injected sequences by local layout.
 */
export class BodyRewriter {
  readonly #bytes: Uint8Array;
  readonly #out: WasmWriter;
  readonly #options: BodyRewriterOptions;
  readonly #depthOn: boolean;
  readonly #snippets = new Map<string, Snippets>();
  #kinds = new Uint8Array(64);
  #targeted = new Uint8Array(64);

  constructor(bytes: Uint8Array, out: WasmWriter, options: BodyRewriterOptions) {
    this.#bytes = bytes;
    this.#out = out;
    this.#options = options;
    this.#depthOn = options.targets.maxStackDepth !== undefined;
  }

  /** Writes the instrumented form of the body at `[start, end)` (without its size prefix). */
  rewrite(start: number, end: number, shape: FunctionShape): void {
    const mark = this.#out.length;
    if (this.#rewriteIn(start, end, shape, false) === RETRY_IN_GLOBAL_MODE) {
      this.#out.truncate(mark);
      this.#rewriteIn(start, end, shape, true);
    }
  }

  #rewriteIn(start: number, end: number, shape: FunctionShape, ehSafe: boolean): number {
    const out = this.#out;
    const reader = new WasmReader(this.#bytes, start, end);
    const groups = reader.readCount(2);
    const groupsStart = reader.offset;
    let declared = 0;
    for (let i = 0; i < groups; i++) {
      const at = reader.offset;
      declared += reader.readU32();
      if (declared > 50_000) throw reader.error("a function declares more than 50000 locals", at);
      readValType(reader);
    }
    const localsEnd = reader.offset;
    const meterFuel = this.#options.meterFuel;
    // New locals go after the existing ones, so no existing index moves.
    let next = shape.paramCount + declared;
    const fuelLocal = meterFuel && !ehSafe ? next++ : -1;
    const scratchLocal = meterFuel ? next++ : -1;
    const depthLocal = this.#depthOn ? next++ : -1;
    const key = `${fuelLocal},${scratchLocal},${depthLocal}`;
    let snippets = this.#snippets.get(key);
    if (snippets === undefined) {
      snippets = buildSnippets(this.#options.targets, { fuelLocal, scratchLocal, depthLocal, meterFuel });
      this.#snippets.set(key, snippets);
    }

    out.writeU32(groups + (fuelLocal >= 0 ? 1 : 0) + (scratchLocal >= 0 ? 1 : 0) + (depthLocal >= 0 ? 1 : 0));
    out.copyRange(this.#bytes, groupsStart, localsEnd);
    if (fuelLocal >= 0) {
      out.writeU8(1);
      out.writeU8(0x7e); // i64
    }
    if (scratchLocal >= 0) {
      out.writeU8(1);
      out.writeU8(0x7f); // i32
    }
    if (depthLocal >= 0) {
      out.writeU8(1);
      out.writeU8(0x7f);
    }
    out.writeBytes(snippets.prologue);
    out.writeU8(0x02);
    out.writeBytes(shape.wrapperBlockType);
    return this.#instructions(localsEnd, end, snippets, ehSafe);
  }

  #charge(snippets: Snippets, amount: number, toGlobal: boolean): void {
    const out = this.#out;
    out.writeBytes(snippets.chargeHead);
    out.writeU8(0x42);
    out.writeS64(amount);
    out.writeBytes(toGlobal ? snippets.chargeToGlobalTail : snippets.chargeTail);
  }

  #dynamicCharge(snippets: Snippets, perUnit: number): void {
    const out = this.#out;
    out.writeBytes(snippets.dynamicHead);
    if (perUnit !== 1) {
      out.writeU8(0x42);
      out.writeS64(perUnit);
      out.writeU8(0x7e); // i64.mul
    }
    out.writeBytes(snippets.chargeTail);
  }

  #push(sp: number, kind: number): number {
    if (sp >= this.#kinds.length) {
      const kinds = new Uint8Array(this.#kinds.length * 2);
      kinds.set(this.#kinds);
      this.#kinds = kinds;
      const targeted = new Uint8Array(this.#targeted.length * 2);
      targeted.set(this.#targeted);
      this.#targeted = targeted;
    }
    this.#kinds[sp] = kind;
    this.#targeted[sp] = 0;
    return sp + 1;
  }

  #instructions(pos: number, end: number, s: Snippets, ehSafe: boolean): number {
    const bytes = this.#bytes;
    const out = this.#out;
    const cost = this.#options.costs.static;
    const { bulkPerUnit, memoryGrowPerPage } = this.#options.costs;
    const fuel = this.#options.meterFuel;
    const cached = fuel && !ehSafe;
    const depthOn = this.#depthOn;
    let acc = 0;
    let copyFrom = pos;
    let sp = this.#push(0, K_FUNC);

    while (pos < end) {
      const at = pos;
      const op = bytes[pos++]!;
      const plan = SINGLE_PLAN[op]!;
      if (plan < SPECIAL) {
        acc += cost[op]!;
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
            const flags = u32At(bytes, pos);
            pos = lebEnd;
            if ((flags & 0x40) !== 0) pos = skipLebAt(bytes, pos);
            pos = skipLebAt(bytes, pos);
            break;
          }
        }
        continue;
      }
      if (plan === INVALID) throw malformed(at, `unknown opcode 0x${op.toString(16)}`);

      switch (op) {
        case 0x02: // block
        case 0x06: // try
          acc += cost[op]!;
          pos = skipBlockType(bytes, pos);
          sp = this.#push(sp, op === 0x02 ? K_BLOCK : K_TRY);
          break;

        case 0x03: // loop: code before it is charged once, then the header checks.
        case 0x04: // if: the branch taken is only known at run time.
          acc += cost[op]!;
          if (fuel && acc > 0) {
            out.copyRange(bytes, copyFrom, at);
            copyFrom = at;
            this.#charge(s, acc, false);
          }
          acc = 0;
          pos = skipBlockType(bytes, pos);
          if (op === 0x03) {
            sp = this.#push(sp, K_LOOP);
            out.copyRange(bytes, copyFrom, pos);
            copyFrom = pos;
            out.writeBytes(s.loopCheck);
            // A try_table may catch into this loop: the landing is its header.
            if (ehSafe) out.writeBytes(s.depthRestore);
          } else {
            sp = this.#push(sp, K_IF);
          }
          break;

        case 0x05: // else: the then-arm's code ends here.
          acc += cost[op]!;
          if (fuel && acc > 0) {
            out.copyRange(bytes, copyFrom, at);
            copyFrom = at;
            this.#charge(s, acc, false);
          }
          acc = 0;
          break;

        case 0x07: // catch tag
        case 0x19: { // catch_all
          if (fuel && acc > 0) {
            out.copyRange(bytes, copyFrom, at);
            copyFrom = at;
            this.#charge(s, acc, false);
          }
          if (op === 0x07) pos = skipLebAt(bytes, pos);
          out.copyRange(bytes, copyFrom, pos);
          copyFrom = pos;
          // An exception arrives with the thrower's consumption in the global
          // and the unwound frames' depth still counted: resync both.
          if (cached) out.writeBytes(s.reload);
          if (depthOn) out.writeBytes(s.depthRestore);
          acc = cost[op]!;
          break;
        }

        case 0x18: // delegate: ends the try block like `end`.
          acc += cost[op]!;
          if (fuel && acc > 0) {
            out.copyRange(bytes, copyFrom, at);
            copyFrom = at;
            this.#charge(s, acc, false);
          }
          acc = 0;
          pos = skipLebAt(bytes, pos);
          sp--;
          if (sp < 1) throw malformed(at, "delegate outside a try block");
          break;

        case 0x0b: { // end
          acc += cost[op]!;
          const kind = this.#kinds[--sp]!;
          // A loop's end is reached only by falling through, and an untargeted
          // block's too, so their code just continues the current stretch.
          const merges = kind === K_IF || kind === K_TRY || kind === K_FUNC || this.#targeted[sp] === 1;
          if (fuel && acc > 0 && merges) {
            out.copyRange(bytes, copyFrom, at);
            copyFrom = at;
            this.#charge(s, acc, false);
            acc = 0;
          }
          if (kind === K_FUNC) {
            out.copyRange(bytes, copyFrom, pos);
            copyFrom = pos;
            out.writeBytes(s.epilogue);
            if (pos !== end) throw malformed(pos, "bytes after the final end");
            return 0;
          }
          if (ehSafe && depthOn && kind !== K_LOOP) {
            out.copyRange(bytes, copyFrom, pos);
            copyFrom = pos;
            out.writeBytes(s.depthRestore);
          }
          break;
        }

        case 0x0c: // br
        case 0x0d: // br_if
        case 0xd5: // br_on_null
        case 0xd6: { // br_on_non_null
          const label = u32At(bytes, pos);
          pos = lebEnd;
          if (label < sp) this.#targeted[sp - 1 - label] = 1;
          acc += cost[op]!;
          if (fuel && acc > 0) {
            out.copyRange(bytes, copyFrom, at);
            copyFrom = at;
            this.#charge(s, acc, false);
          }
          acc = 0;
          break;
        }

        case 0x0e: { // br_table
          const count = u32At(bytes, pos);
          pos = lebEnd;
          if (count > end - pos) throw malformed(at, "br_table longer than the body");
          for (let i = 0; i <= count; i++) {
            const label = u32At(bytes, pos);
            pos = lebEnd;
            if (label < sp) this.#targeted[sp - 1 - label] = 1;
          }
          acc += cost[op]!;
          if (fuel && acc > 0) {
            out.copyRange(bytes, copyFrom, at);
            copyFrom = at;
            this.#charge(s, acc, false);
          }
          acc = 0;
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
        case 0x10: // call
        case 0x11: // call_indirect
        case 0x14: { // call_ref
          acc += cost[op]!;
          out.copyRange(bytes, copyFrom, at);
          copyFrom = at;
          // Control leaves this frame: the global must hold the exact fuel.
          if (cached) {
            if (acc > 0) this.#charge(s, acc, true);
            else out.writeBytes(s.writeBack);
          } else if (fuel && acc > 0) {
            this.#charge(s, acc, false);
          }
          acc = 0;
          if (op === 0x0f || op === 0x12 || op === 0x13 || op === 0x15) out.writeBytes(s.depthExit);
          if (op === 0x11 || op === 0x13) pos = skipLebAt(bytes, skipLebAt(bytes, pos));
          else if (op !== 0x0f && op !== 0x00 && op !== 0x0a) pos = skipLebAt(bytes, pos);
          if (cached && (op === 0x10 || op === 0x11 || op === 0x14)) {
            // The callee spent fuel from the global: reload the cache.
            out.copyRange(bytes, copyFrom, pos);
            copyFrom = pos;
            out.writeBytes(s.reload);
          }
          break;
        }

        case 0x1c: { // select with types
          acc += cost[op]!;
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
          if (!ehSafe && (fuel || depthOn)) return RETRY_IN_GLOBAL_MODE;
          acc += cost[op]!;
          pos = skipBlockType(bytes, pos);
          const count = u32At(bytes, pos);
          pos = lebEnd;
          if (count > end - pos) throw malformed(at, "try_table catch vector longer than the body");
          for (let i = 0; i < count; i++) {
            const kind = bytes[pos++];
            if (kind === 0 || kind === 1) pos = skipLebAt(bytes, pos);
            else if (kind !== 2 && kind !== 3) throw malformed(at, `unknown catch kind ${kind}`);
            const label = u32At(bytes, pos);
            pos = lebEnd;
            if (label < sp) this.#targeted[sp - 1 - label] = 1;
          }
          sp = this.#push(sp, K_TRY_TABLE);
          break;
        }

        case 0x40: // memory.grow: charged per page requested.
          acc += cost[op]!;
          if (fuel && memoryGrowPerPage > 0) {
            out.copyRange(bytes, copyFrom, at);
            copyFrom = at;
            this.#dynamicCharge(s, memoryGrowPerPage);
          }
          pos = skipLebAt(bytes, pos);
          break;

        case 0xfc: {
          const sub = u32At(bytes, pos);
          pos = lebEnd;
          const imm = sub < 256 ? PREFIX_IMM[0xfc][sub]! : INVALID;
          if (imm === INVALID) throw malformed(at, `unknown opcode 0xfc ${sub}`);
          acc += cost[OPCODE_INDEX_BASE[0xfc] + sub]!;
          // memory.init/copy/fill, table.init/copy/grow/fill: the length (or
          // delta) is the top operand; charge for it before the work is done.
          if (fuel && bulkPerUnit > 0 && (sub === 8 || sub === 10 || sub === 11 || sub === 12 || sub === 14 || sub === 15 || sub === 17)) {
            out.copyRange(bytes, copyFrom, at);
            copyFrom = at;
            this.#dynamicCharge(s, bulkPerUnit);
          }
          if (imm === Imm.TwoIndices) pos = skipLebAt(bytes, skipLebAt(bytes, pos));
          else if (imm === Imm.Index) pos = skipLebAt(bytes, pos);
          break;
        }

        case 0xfd: {
          const sub = u32At(bytes, pos);
          pos = lebEnd;
          const imm = sub < 512 ? PREFIX_IMM[0xfd][sub]! : INVALID;
          if (imm === INVALID) throw malformed(at, `unknown SIMD opcode 0xfd ${sub}`);
          acc += cost[OPCODE_INDEX_BASE[0xfd] + sub]!;
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
          const sub = u32At(bytes, pos);
          pos = lebEnd;
          const imm = sub < 256 ? PREFIX_IMM[0xfe][sub]! : INVALID;
          if (imm === INVALID) throw malformed(at, `unknown atomic opcode 0xfe ${sub}`);
          acc += cost[OPCODE_INDEX_BASE[0xfe] + sub]!;
          if (imm === Imm.ZeroByte) {
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
    }
    throw malformed(end, pos > end ? "an instruction runs past the end of the body" : "missing final end");
  }
}
