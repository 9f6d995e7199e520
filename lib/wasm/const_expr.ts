/**
 * Constant expressions (global initialisers, segment offsets, table
 * initialisers): skipped instruction by instruction up to their `end`, with
 * only the instructions a constant expression may contain accepted.
 *
 * @module
 */
import { unsupportedFeature } from "./feature_error.ts";
import type { WasmReader } from "./reader.ts";
import { readHeapType } from "./value_types.ts";

/**
 * Advances `reader` past one constant expression, including its `end`.
 *
 * @example
 * ```ts
 * // i32.const 1, end
 * skipConstExpr(new WasmReader(new Uint8Array([0x41, 0x01, 0x0b])));
 * ```
 */
export function skipConstExpr(reader: WasmReader): void {
  for (;;) {
    const start = reader.offset;
    const opcode = reader.readU8();
    switch (opcode) {
      case 0x0b: // end
        return;
      case 0x41: // i32.const
      case 0x23: // global.get
      case 0xd2: // ref.func
        reader.skipLeb(5);
        break;
      case 0x42: // i64.const
        reader.skipLeb(10);
        break;
      case 0x43: // f32.const
        reader.skip(4);
        break;
      case 0x44: // f64.const
        reader.skip(8);
        break;
      case 0xd0: // ref.null
        readHeapType(reader);
        break;
      case 0x6a: // i32.add, i32.sub, i32.mul, i64.add, i64.sub, i64.mul (extended-const)
      case 0x6b:
      case 0x6c:
      case 0x7c:
      case 0x7d:
      case 0x7e:
        break;
      case 0xfd: // v128.const
        if (reader.readU32() !== 0x0c) throw reader.error("only v128.const may appear in a constant expression", start);
        reader.skip(16);
        break;
      case 0xfb:
        throw unsupportedFeature("GC instructions", start);
      default:
        throw reader.error(`opcode 0x${opcode.toString(16)} is not allowed in a constant expression`, start);
    }
  }
}
