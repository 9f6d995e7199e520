import { test } from "uvu";
import * as assert from "uvu/assert";
import wabtInit from "wabt";
import { Imm, OPCODES, type OpcodeInfo, opcodeByCode, opcodeByName } from "../../lib/wasm/opcodes.ts";
import { WasmWriter } from "../../lib/wasm/writer.ts";
import { ALL_FEATURES } from "../_helpers/wat.ts";

// wabt decodes typed function references only with this flag, which the shared WAT helper leaves off.
const FEATURES = { ...ALL_FEATURES, function_references: true };

/** Block-structured instructions cannot stand alone in a body; the rewriter tests cover them. */
const STRUCTURAL = new Set([
  "block", "loop", "if", "else", "try", "catch", "catch_all", "end", "delegate", "try_table", "rethrow",
]);
/** Typed function references, which wabt 1.0.39 decodes only partly: checked against the engine instead. */
const TYPED_REFS = new Set(["call_ref", "return_call_ref", "ref.as_non_null", "br_on_null", "br_on_non_null"]);

/** Natural alignment (log2) of an atomic access, which atomics must state exactly. */
function atomicAlignment(name: string): number {
  if (/8(_u)?$|8\.|rmw8/.test(name)) return 0;
  if (/16(_u)?$|16\.|rmw16/.test(name)) return 1;
  if (/32(_u)?$|32\.|rmw32|wait32|notify/.test(name)) return 2;
  return name.startsWith("i64") || name.endsWith("wait64") ? 3 : 2;
}

function immediates(op: OpcodeInfo): number[] {
  switch (op.immediate) {
    case Imm.None:
      return [];
    case Imm.Index:
    case Imm.I32:
    case Imm.I64:
      return [0];
    case Imm.TwoIndices:
      return [0, 0];
    case Imm.BrTable:
      return [0, 0];
    case Imm.F32:
      return [0, 0, 0, 0];
    case Imm.F64:
      return new Array(8).fill(0);
    case Imm.MemArg:
      return [op.prefix === 0xfe ? atomicAlignment(op.name) : 0, 0];
    case Imm.MemArgLane:
      return [0, 0, 0];
    case Imm.Lane:
      return [0];
    case Imm.Bytes16:
      return new Array(16).fill(0);
    case Imm.SelectTypes:
      return [1, 0x7f];
    case Imm.HeapType:
      return [0x70];
    case Imm.ZeroByte:
      return [0];
    default:
      throw new Error(`no sample for ${op.name}`);
  }
}

/** One module, one function per instruction: `unreachable; <instruction>; end`. */
function moduleOf(ops: OpcodeInfo[]): Uint8Array {
  const w = new WasmWriter();
  w.writeBytes(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  const section = (id: number, body: () => void) => {
    w.writeU8(id);
    const start = w.length;
    body();
    w.prefixSize(start);
  };
  section(1, () => w.writeBytes(new Uint8Array([1, 0x60, 0, 0])));
  section(3, () => {
    w.writeU32(ops.length);
    for (let i = 0; i < ops.length; i++) w.writeU8(0);
  });
  section(4, () => w.writeBytes(new Uint8Array([1, 0x70, 0, 1])));
  section(5, () => w.writeBytes(new Uint8Array([1, 0x03, 1, 1])));
  section(13, () => w.writeBytes(new Uint8Array([1, 0, 0])));
  section(6, () => w.writeBytes(new Uint8Array([1, 0x7f, 1, 0x41, 0, 0x0b])));
  // A passive empty segment, and a declarative one so that ref.func 0 validates.
  section(9, () => w.writeBytes(new Uint8Array([2, 1, 0, 0, 3, 0, 1, 0])));
  section(12, () => w.writeU8(1));
  section(10, () => {
    w.writeU32(ops.length);
    for (const op of ops) {
      const start = w.length;
      w.writeBytes(new Uint8Array([1, 1, 0x7f, 0x00])); // one i32 local; unreachable
      if (op.prefix !== 0) {
        w.writeU8(op.prefix);
        w.writeU32(op.code);
      } else {
        w.writeU8(op.code);
      }
      w.writeBytes(new Uint8Array(immediates(op)));
      w.writeBytes(new Uint8Array([0x00, 0x0b])); // unreachable; end

      w.prefixSize(start);
    }
  });
  section(11, () => w.writeBytes(new Uint8Array([1, 1, 0]))); // passive, empty
  return w.toBytes();
}

test("every opcode in the table decodes to the same instruction in wabt", async () => {
  const wabt = await wabtInit();
  const ops = OPCODES.filter((op) => !STRUCTURAL.has(op.name) && !TYPED_REFS.has(op.name));
  const module = wabt.readWasm(moduleOf(ops), { readDebugNames: false, ...FEATURES });
  try {
    module.validate(FEATURES);
    const text = module.toText({ foldExprs: false, inlineExport: false });
    const bodies = text.split("(func ").slice(1);
    assert.is(bodies.length, ops.length);
    const mismatches: string[] = [];
    bodies.forEach((body, i) => {
      const lines = body.split("\n").map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith("(local"));
      const instruction = lines[2]?.split(" ")[0];
      const expected = ops[i]!.name === "select_t" ? "select" : ops[i]!.name;
      if (instruction !== expected) mismatches.push(`${expected} decoded as ${instruction}`);
    });
    assert.equal(mismatches, []);
  } finally {
    module.destroy();
  }
});

test("opcodeByName() and opcodeByCode() are inverse lookups of the one table", () => {
  for (const op of OPCODES) {
    assert.is(opcodeByName(op.name), op);
    assert.is(opcodeByCode(op.prefix, op.code), op);
  }
  assert.is(opcodeByCode(0, 0x27), undefined);
  assert.is(opcodeByCode(0xfd, 0x9a), undefined);
  assert.is(opcodeByCode(0xfd, 100000), undefined);
  assert.is(opcodeByName("i32.frobnicate"), undefined);
});

test("the table covers every SIMD and relaxed SIMD opcode", () => {
  const simd = OPCODES.filter((op) => op.prefix === 0xfd);
  // 236 SIMD instructions in the final proposal, 20 relaxed ones.
  assert.is(simd.length, 256);
  assert.is(opcodeByCode(0xfd, 0x113)?.name, "i32x4.relaxed_dot_i8x16_i7x16_add_s");
});

test.run();
