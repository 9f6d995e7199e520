// Compiles WAT test fixtures to wasm at test time with the `wabt` npm package.
import wabtInit from "wabt";

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
let wabt: Promise<Wabt> | undefined;

/** Every feature flag wabt knows, so fixtures may use any current proposal. */
export const ALL_FEATURES = {
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
  gc: false,
  memory64: false,
  extended_const: true,
  relaxed_simd: true,
  multi_memory: true,
};

/** Compiles WAT text to a wasm binary. Throws with wabt's message on a syntax error. */
export async function wat(source: string, name = "fixture.wat"): Promise<Uint8Array> {
  wabt ??= wabtInit();
  const api = await wabt;
  const module = api.parseWat(name, source, ALL_FEATURES);
  try {
    module.resolveNames();
    // wabt.js accepts the feature set here too (its typings omit it); without it, it validates with defaults.
    (module.validate as (features?: typeof ALL_FEATURES) => void)(ALL_FEATURES);
    return new Uint8Array(module.toBinary({ write_debug_names: true }).buffer);
  } finally {
    module.destroy();
  }
}
