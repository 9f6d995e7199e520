/**
 * The opcode table: every instruction of the current core spec (MVP,
 * sign extension, saturating truncation, bulk memory, reference types,
 * multi-value, SIMD with relaxed SIMD, tail calls, exception handling in both
 * its legacy and exnref forms, typed function references, multi-memory) plus
 * the threads proposal's atomics, each with the kind of its immediates.
 * Lookups by code and by name are derived from this one table.
 *
 * GC (`0xfb`) and memory64 are deliberately absent: callers refuse them.
 *
 * @module
 */

/** Immediate operand layouts. */
export const Imm = {
  /** No immediates. */
  None: 0,
  /** A block type (`0x40`, a value type, or an s33 type index). */
  BlockType: 1,
  /** One u32 index (label, function, local, global, table, tag, type, data, elem, memory). */
  Index: 2,
  /** Two u32 indices (call_indirect, memory.init, memory.copy, table.init, table.copy). */
  TwoIndices: 3,
  /** `br_table`: a vector of labels and a default label. */
  BrTable: 4,
  /** A signed LEB128 of up to 32 bits (`i32.const`). */
  I32: 5,
  /** A signed LEB128 of up to 64 bits (`i64.const`). */
  I64: 6,
  /** Four raw bytes (`f32.const`). */
  F32: 7,
  /** Eight raw bytes (`f64.const`). */
  F64: 8,
  /** A memory argument: alignment flags (bit 6 = memory index follows), [memory], offset. */
  MemArg: 9,
  /** A memory argument and a lane index byte (SIMD lane loads/stores). */
  MemArgLane: 10,
  /** A lane index byte. */
  Lane: 11,
  /** Sixteen raw bytes (`v128.const`, `i8x16.shuffle`). */
  Bytes16: 12,
  /** `select t*`: a vector of value types. */
  SelectTypes: 13,
  /** A heap type (`ref.null`). */
  HeapType: 14,
  /** `try_table`: a block type and a vector of catch clauses. */
  TryTable: 15,
  /** One zero byte (`atomic.fence`). */
  ZeroByte: 16,
} as const;

/** One of the values of {@linkcode Imm}. */
export type Imm = typeof Imm[keyof typeof Imm];

/** One instruction: its prefix (0 for single-byte opcodes), code, name and immediates. */
export interface OpcodeInfo {
  readonly prefix: 0 | 0xfc | 0xfd | 0xfe;
  readonly code: number;
  readonly name: string;
  readonly immediate: Imm;
}

const { None, BlockType, Index, TwoIndices, BrTable, I32, I64, F32, F64, MemArg, MemArgLane, Lane, Bytes16, SelectTypes, HeapType, TryTable, ZeroByte } = Imm;

type Row = readonly [code: number, name: string, immediate: Imm];

const SINGLE_BYTE: readonly Row[] = [
  [0x00, "unreachable", None],
  [0x01, "nop", None],
  [0x02, "block", BlockType],
  [0x03, "loop", BlockType],
  [0x04, "if", BlockType],
  [0x05, "else", None],
  [0x06, "try", BlockType],
  [0x07, "catch", Index],
  [0x08, "throw", Index],
  [0x09, "rethrow", Index],
  [0x0a, "throw_ref", None],
  [0x0b, "end", None],
  [0x0c, "br", Index],
  [0x0d, "br_if", Index],
  [0x0e, "br_table", BrTable],
  [0x0f, "return", None],
  [0x10, "call", Index],
  [0x11, "call_indirect", TwoIndices],
  [0x12, "return_call", Index],
  [0x13, "return_call_indirect", TwoIndices],
  [0x14, "call_ref", Index],
  [0x15, "return_call_ref", Index],
  [0x18, "delegate", Index],
  [0x19, "catch_all", None],
  [0x1a, "drop", None],
  [0x1b, "select", None],
  [0x1c, "select_t", SelectTypes],
  [0x1f, "try_table", TryTable],
  [0x20, "local.get", Index],
  [0x21, "local.set", Index],
  [0x22, "local.tee", Index],
  [0x23, "global.get", Index],
  [0x24, "global.set", Index],
  [0x25, "table.get", Index],
  [0x26, "table.set", Index],
  [0x28, "i32.load", MemArg],
  [0x29, "i64.load", MemArg],
  [0x2a, "f32.load", MemArg],
  [0x2b, "f64.load", MemArg],
  [0x2c, "i32.load8_s", MemArg],
  [0x2d, "i32.load8_u", MemArg],
  [0x2e, "i32.load16_s", MemArg],
  [0x2f, "i32.load16_u", MemArg],
  [0x30, "i64.load8_s", MemArg],
  [0x31, "i64.load8_u", MemArg],
  [0x32, "i64.load16_s", MemArg],
  [0x33, "i64.load16_u", MemArg],
  [0x34, "i64.load32_s", MemArg],
  [0x35, "i64.load32_u", MemArg],
  [0x36, "i32.store", MemArg],
  [0x37, "i64.store", MemArg],
  [0x38, "f32.store", MemArg],
  [0x39, "f64.store", MemArg],
  [0x3a, "i32.store8", MemArg],
  [0x3b, "i32.store16", MemArg],
  [0x3c, "i64.store8", MemArg],
  [0x3d, "i64.store16", MemArg],
  [0x3e, "i64.store32", MemArg],
  [0x3f, "memory.size", Index],
  [0x40, "memory.grow", Index],
  [0x41, "i32.const", I32],
  [0x42, "i64.const", I64],
  [0x43, "f32.const", F32],
  [0x44, "f64.const", F64],
  ...names(0x45, None, [
    "i32.eqz", "i32.eq", "i32.ne", "i32.lt_s", "i32.lt_u", "i32.gt_s", "i32.gt_u", "i32.le_s", "i32.le_u", "i32.ge_s", "i32.ge_u",
    "i64.eqz", "i64.eq", "i64.ne", "i64.lt_s", "i64.lt_u", "i64.gt_s", "i64.gt_u", "i64.le_s", "i64.le_u", "i64.ge_s", "i64.ge_u",
    "f32.eq", "f32.ne", "f32.lt", "f32.gt", "f32.le", "f32.ge",
    "f64.eq", "f64.ne", "f64.lt", "f64.gt", "f64.le", "f64.ge",
    "i32.clz", "i32.ctz", "i32.popcnt", "i32.add", "i32.sub", "i32.mul", "i32.div_s", "i32.div_u", "i32.rem_s", "i32.rem_u",
    "i32.and", "i32.or", "i32.xor", "i32.shl", "i32.shr_s", "i32.shr_u", "i32.rotl", "i32.rotr",
    "i64.clz", "i64.ctz", "i64.popcnt", "i64.add", "i64.sub", "i64.mul", "i64.div_s", "i64.div_u", "i64.rem_s", "i64.rem_u",
    "i64.and", "i64.or", "i64.xor", "i64.shl", "i64.shr_s", "i64.shr_u", "i64.rotl", "i64.rotr",
    "f32.abs", "f32.neg", "f32.ceil", "f32.floor", "f32.trunc", "f32.nearest", "f32.sqrt",
    "f32.add", "f32.sub", "f32.mul", "f32.div", "f32.min", "f32.max", "f32.copysign",
    "f64.abs", "f64.neg", "f64.ceil", "f64.floor", "f64.trunc", "f64.nearest", "f64.sqrt",
    "f64.add", "f64.sub", "f64.mul", "f64.div", "f64.min", "f64.max", "f64.copysign",
    "i32.wrap_i64", "i32.trunc_f32_s", "i32.trunc_f32_u", "i32.trunc_f64_s", "i32.trunc_f64_u",
    "i64.extend_i32_s", "i64.extend_i32_u", "i64.trunc_f32_s", "i64.trunc_f32_u", "i64.trunc_f64_s", "i64.trunc_f64_u",
    "f32.convert_i32_s", "f32.convert_i32_u", "f32.convert_i64_s", "f32.convert_i64_u", "f32.demote_f64",
    "f64.convert_i32_s", "f64.convert_i32_u", "f64.convert_i64_s", "f64.convert_i64_u", "f64.promote_f32",
    "i32.reinterpret_f32", "i64.reinterpret_f64", "f32.reinterpret_i32", "f64.reinterpret_i64",
    "i32.extend8_s", "i32.extend16_s", "i64.extend8_s", "i64.extend16_s", "i64.extend32_s",
  ]),
  [0xd0, "ref.null", HeapType],
  [0xd1, "ref.is_null", None],
  [0xd2, "ref.func", Index],
  [0xd4, "ref.as_non_null", None],
  [0xd5, "br_on_null", Index],
  [0xd6, "br_on_non_null", Index],
];

const PREFIX_FC: readonly Row[] = [
  ...names(0x00, None, [
    "i32.trunc_sat_f32_s", "i32.trunc_sat_f32_u", "i32.trunc_sat_f64_s", "i32.trunc_sat_f64_u",
    "i64.trunc_sat_f32_s", "i64.trunc_sat_f32_u", "i64.trunc_sat_f64_s", "i64.trunc_sat_f64_u",
  ]),
  [0x08, "memory.init", TwoIndices],
  [0x09, "data.drop", Index],
  [0x0a, "memory.copy", TwoIndices],
  [0x0b, "memory.fill", Index],
  [0x0c, "table.init", TwoIndices],
  [0x0d, "elem.drop", Index],
  [0x0e, "table.copy", TwoIndices],
  [0x0f, "table.grow", Index],
  [0x10, "table.size", Index],
  [0x11, "table.fill", Index],
];

const SIMD_LOADS: readonly string[] = [
  "v128.load", "v128.load8x8_s", "v128.load8x8_u", "v128.load16x4_s", "v128.load16x4_u", "v128.load32x2_s",
  "v128.load32x2_u", "v128.load8_splat", "v128.load16_splat", "v128.load32_splat", "v128.load64_splat", "v128.store",
];

function compareOps(shape: string, signed: boolean): string[] {
  const base = signed
    ? ["eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"]
    : ["eq", "ne", "lt", "gt", "le", "ge"];
  return base.map((op) => `${shape}.${op}`);
}

const PREFIX_FD: readonly Row[] = [
  ...names(0x00, MemArg, SIMD_LOADS),
  [0x0c, "v128.const", Bytes16],
  [0x0d, "i8x16.shuffle", Bytes16],
  ...names(0x0e, None, ["i8x16.swizzle", "i8x16.splat", "i16x8.splat", "i32x4.splat", "i64x2.splat", "f32x4.splat", "f64x2.splat"]),
  ...names(0x15, Lane, [
    "i8x16.extract_lane_s", "i8x16.extract_lane_u", "i8x16.replace_lane",
    "i16x8.extract_lane_s", "i16x8.extract_lane_u", "i16x8.replace_lane",
    "i32x4.extract_lane", "i32x4.replace_lane", "i64x2.extract_lane", "i64x2.replace_lane",
    "f32x4.extract_lane", "f32x4.replace_lane", "f64x2.extract_lane", "f64x2.replace_lane",
  ]),
  ...names(0x23, None, [
    ...compareOps("i8x16", true), ...compareOps("i16x8", true), ...compareOps("i32x4", true),
    ...compareOps("f32x4", false), ...compareOps("f64x2", false),
    "v128.not", "v128.and", "v128.andnot", "v128.or", "v128.xor", "v128.bitselect", "v128.any_true",
  ]),
  ...names(0x54, MemArgLane, [
    "v128.load8_lane", "v128.load16_lane", "v128.load32_lane", "v128.load64_lane",
    "v128.store8_lane", "v128.store16_lane", "v128.store32_lane", "v128.store64_lane",
  ]),
  [0x5c, "v128.load32_zero", MemArg],
  [0x5d, "v128.load64_zero", MemArg],
  ...names(0x5e, None, [
    "f32x4.demote_f64x2_zero", "f64x2.promote_low_f32x4",
    "i8x16.abs", "i8x16.neg", "i8x16.popcnt", "i8x16.all_true", "i8x16.bitmask", "i8x16.narrow_i16x8_s", "i8x16.narrow_i16x8_u",
    "f32x4.ceil", "f32x4.floor", "f32x4.trunc", "f32x4.nearest",
    "i8x16.shl", "i8x16.shr_s", "i8x16.shr_u", "i8x16.add", "i8x16.add_sat_s", "i8x16.add_sat_u",
    "i8x16.sub", "i8x16.sub_sat_s", "i8x16.sub_sat_u", "f64x2.ceil", "f64x2.floor",
    "i8x16.min_s", "i8x16.min_u", "i8x16.max_s", "i8x16.max_u", "f64x2.trunc", "i8x16.avgr_u",
    "i16x8.extadd_pairwise_i8x16_s", "i16x8.extadd_pairwise_i8x16_u", "i32x4.extadd_pairwise_i16x8_s", "i32x4.extadd_pairwise_i16x8_u",
    "i16x8.abs", "i16x8.neg", "i16x8.q15mulr_sat_s", "i16x8.all_true", "i16x8.bitmask", "i16x8.narrow_i32x4_s", "i16x8.narrow_i32x4_u",
    "i16x8.extend_low_i8x16_s", "i16x8.extend_high_i8x16_s", "i16x8.extend_low_i8x16_u", "i16x8.extend_high_i8x16_u",
    "i16x8.shl", "i16x8.shr_s", "i16x8.shr_u", "i16x8.add", "i16x8.add_sat_s", "i16x8.add_sat_u",
    "i16x8.sub", "i16x8.sub_sat_s", "i16x8.sub_sat_u", "f64x2.nearest", "i16x8.mul",
    "i16x8.min_s", "i16x8.min_u", "i16x8.max_s", "i16x8.max_u",
  ]),
  ...names(0x9b, None, [
    "i16x8.avgr_u", "i16x8.extmul_low_i8x16_s", "i16x8.extmul_high_i8x16_s", "i16x8.extmul_low_i8x16_u", "i16x8.extmul_high_i8x16_u",
    "i32x4.abs", "i32x4.neg",
  ]),
  ...names(0xa3, None, ["i32x4.all_true", "i32x4.bitmask"]),
  ...names(0xa7, None, [
    "i32x4.extend_low_i16x8_s", "i32x4.extend_high_i16x8_s", "i32x4.extend_low_i16x8_u", "i32x4.extend_high_i16x8_u",
    "i32x4.shl", "i32x4.shr_s", "i32x4.shr_u", "i32x4.add",
  ]),
  [0xb1, "i32x4.sub", None],
  ...names(0xb5, None, ["i32x4.mul", "i32x4.min_s", "i32x4.min_u", "i32x4.max_s", "i32x4.max_u", "i32x4.dot_i16x8_s"]),
  ...names(0xbc, None, [
    "i32x4.extmul_low_i16x8_s", "i32x4.extmul_high_i16x8_s", "i32x4.extmul_low_i16x8_u", "i32x4.extmul_high_i16x8_u",
    "i64x2.abs", "i64x2.neg",
  ]),
  ...names(0xc3, None, ["i64x2.all_true", "i64x2.bitmask"]),
  ...names(0xc7, None, [
    "i64x2.extend_low_i32x4_s", "i64x2.extend_high_i32x4_s", "i64x2.extend_low_i32x4_u", "i64x2.extend_high_i32x4_u",
    "i64x2.shl", "i64x2.shr_s", "i64x2.shr_u", "i64x2.add",
  ]),
  [0xd1, "i64x2.sub", None],
  ...names(0xd5, None, [
    "i64x2.mul", "i64x2.eq", "i64x2.ne", "i64x2.lt_s", "i64x2.gt_s", "i64x2.le_s", "i64x2.ge_s",
    "i64x2.extmul_low_i32x4_s", "i64x2.extmul_high_i32x4_s", "i64x2.extmul_low_i32x4_u", "i64x2.extmul_high_i32x4_u",
    "f32x4.abs", "f32x4.neg",
  ]),
  ...names(0xe3, None, [
    "f32x4.sqrt", "f32x4.add", "f32x4.sub", "f32x4.mul", "f32x4.div", "f32x4.min", "f32x4.max", "f32x4.pmin", "f32x4.pmax",
    "f64x2.abs", "f64x2.neg",
  ]),
  ...names(0xef, None, [
    "f64x2.sqrt", "f64x2.add", "f64x2.sub", "f64x2.mul", "f64x2.div", "f64x2.min", "f64x2.max", "f64x2.pmin", "f64x2.pmax",
    "i32x4.trunc_sat_f32x4_s", "i32x4.trunc_sat_f32x4_u", "f32x4.convert_i32x4_s", "f32x4.convert_i32x4_u",
    "i32x4.trunc_sat_f64x2_s_zero", "i32x4.trunc_sat_f64x2_u_zero", "f64x2.convert_low_i32x4_s", "f64x2.convert_low_i32x4_u",
    // Relaxed SIMD.
    "i8x16.relaxed_swizzle", "i32x4.relaxed_trunc_f32x4_s", "i32x4.relaxed_trunc_f32x4_u",
    "i32x4.relaxed_trunc_f64x2_s_zero", "i32x4.relaxed_trunc_f64x2_u_zero",
    "f32x4.relaxed_madd", "f32x4.relaxed_nmadd", "f64x2.relaxed_madd", "f64x2.relaxed_nmadd",
    "i8x16.relaxed_laneselect", "i16x8.relaxed_laneselect", "i32x4.relaxed_laneselect", "i64x2.relaxed_laneselect",
    "f32x4.relaxed_min", "f32x4.relaxed_max", "f64x2.relaxed_min", "f64x2.relaxed_max",
    "i16x8.relaxed_q15mulr_s", "i16x8.relaxed_dot_i8x16_i7x16_s", "i32x4.relaxed_dot_i8x16_i7x16_add_s",
  ]),
];

function atomicRmw(op: string): string[] {
  return [
    `i32.atomic.rmw.${op}`, `i64.atomic.rmw.${op}`, `i32.atomic.rmw8.${op}_u`, `i32.atomic.rmw16.${op}_u`,
    `i64.atomic.rmw8.${op}_u`, `i64.atomic.rmw16.${op}_u`, `i64.atomic.rmw32.${op}_u`,
  ];
}

const PREFIX_FE: readonly Row[] = [
  [0x00, "memory.atomic.notify", MemArg],
  [0x01, "memory.atomic.wait32", MemArg],
  [0x02, "memory.atomic.wait64", MemArg],
  [0x03, "atomic.fence", ZeroByte],
  ...names(0x10, MemArg, [
    "i32.atomic.load", "i64.atomic.load", "i32.atomic.load8_u", "i32.atomic.load16_u",
    "i64.atomic.load8_u", "i64.atomic.load16_u", "i64.atomic.load32_u",
    "i32.atomic.store", "i64.atomic.store", "i32.atomic.store8", "i32.atomic.store16",
    "i64.atomic.store8", "i64.atomic.store16", "i64.atomic.store32",
    ...atomicRmw("add"), ...atomicRmw("sub"), ...atomicRmw("and"), ...atomicRmw("or"), ...atomicRmw("xor"),
    ...atomicRmw("xchg"), ...atomicRmw("cmpxchg"),
  ]),
];

function names(first: number, immediate: Imm, list: readonly string[]): Row[] {
  return list.map((name, i) => [first + i, name, immediate] as const);
}

function build(prefix: OpcodeInfo["prefix"], rows: readonly Row[]): OpcodeInfo[] {
  return rows.map(([code, name, immediate]) => ({ prefix, code, name, immediate }));
}

/** Every instruction, single-byte first, then the 0xfc, 0xfd and 0xfe families. */
export const OPCODES: readonly OpcodeInfo[] = [
  ...build(0, SINGLE_BYTE),
  ...build(0xfc, PREFIX_FC),
  ...build(0xfd, PREFIX_FD),
  ...build(0xfe, PREFIX_FE),
];

/**
 * A dense index for every opcode, usable as an array subscript:
 * single-byte opcodes are 0..255, then each prefix family gets its own range.
 */
export const OPCODE_INDEX_BASE = { 0: 0, 0xfc: 0x100, 0xfd: 0x200, 0xfe: 0x400 } as const;

/** One past the largest dense opcode index. */
export const OPCODE_INDEX_LIMIT = 0x500;

/** The dense index of an opcode (see {@linkcode OPCODE_INDEX_BASE}). */
export function opcodeIndex(info: Pick<OpcodeInfo, "prefix" | "code">): number {
  return OPCODE_INDEX_BASE[info.prefix] + info.code;
}

const byIndex: (OpcodeInfo | undefined)[] = new Array(OPCODE_INDEX_LIMIT).fill(undefined);
const byName = new Map<string, OpcodeInfo>();
for (const info of OPCODES) {
  const index = opcodeIndex(info);
  if (byIndex[index] !== undefined || byName.has(info.name) || info.code >= OPCODE_INDEX_LIMIT - OPCODE_INDEX_BASE[info.prefix]) {
    throw new Error(`opcode table conflict at ${info.name}`);
  }
  byIndex[index] = info;
  byName.set(info.name, info);
}

/**
 * Looks an instruction up by prefix and code.
 *
 * @example
 * ```ts
 * opcodeByCode(0xfd, 0x0c)?.name; // "v128.const"
 * ```
 */
export function opcodeByCode(prefix: OpcodeInfo["prefix"], code: number): OpcodeInfo | undefined {
  if (!Number.isInteger(code) || code < 0) return undefined;
  const index = OPCODE_INDEX_BASE[prefix] + code;
  const limit = prefix === 0 ? 0x100 : prefix === 0xfc ? 0x200 : prefix === 0xfd ? 0x400 : OPCODE_INDEX_LIMIT;
  return index < limit ? byIndex[index] : undefined;
}

/**
 * Looks an instruction up by its text-format name.
 *
 * @example
 * ```ts
 * opcodeByName("i32.add")?.code; // 0x6a
 * ```
 */
export function opcodeByName(name: string): OpcodeInfo | undefined {
  return byName.get(name);
}
