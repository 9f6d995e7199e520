// WAT fixtures that need every proposal *validated* too (multi-memory, shared
// memories): the shared helper parses with all features but validates with
// wabt's defaults, so these fixtures compile here instead.
import wabtInit from "wabt";

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
let wabt: Promise<Wabt> | undefined;

const FEATURES = {
  exceptions: true,
  mutable_globals: true,
  sat_float_to_int: true,
  sign_extension: true,
  simd: true,
  threads: true,
  multi_value: true,
  tail_call: true,
  bulk_memory: true,
  reference_types: true,
  annotations: true,
  extended_const: true,
  relaxed_simd: true,
  multi_memory: true,
};

/** Compiles WAT text to a wasm binary with every non-GC, non-memory64 feature on. */
export async function watAll(source: string): Promise<Uint8Array> {
  wabt ??= wabtInit();
  const api = await wabt;
  const module = api.parseWat("fixture.wat", source, FEATURES);
  try {
    module.resolveNames();
    module.validate(FEATURES);
    return new Uint8Array(module.toBinary({ write_debug_names: true }).buffer);
  } finally {
    module.destroy();
  }
}
