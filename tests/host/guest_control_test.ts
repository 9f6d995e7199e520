import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SandboxError } from "../../lib/errors.ts";
import { FUEL_GLOBAL_EXPORT, TRAP_REASON_GLOBAL_EXPORT } from "../../lib/fuel/instrument.ts";
import { GuestControl, HOST_STOP_TRAP_REASON } from "../../lib/host/guest_control.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("GuestControl");

/** An instance exporting the rewriter's fuel and trap-reason globals. */
async function metered(fuel: bigint) {
  const bytes = await wat(`(module
    (global (export "${FUEL_GLOBAL_EXPORT}") (mut i64) (i64.const ${fuel}))
    (global (export "${TRAP_REASON_GLOBAL_EXPORT}") (mut i32) (i32.const 0)))`);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  const control = new GuestControl();
  control.bind(instance);
  const fuelGlobal = instance.exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global;
  const reason = instance.exports[TRAP_REASON_GLOBAL_EXPORT] as WebAssembly.Global;
  return { control, fuelGlobal, reason };
}

test("chargeFuel() subtracts from the fuel global, and ignores zero and negative charges", async () => {
  const { control, fuelGlobal } = await metered(1000n);
  control.chargeFuel(300);
  control.chargeFuel(0);
  control.chargeFuel(-50);
  assert.is(fuelGlobal.value, 700n);
  assert.throws(() => control.chargeFuel(Number.NaN), RangeError);
});

test("chargeFuel() never lets the i64 global wrap round to a huge budget", async () => {
  const { control, fuelGlobal } = await metered(10n);
  for (let i = 0; i < 2000; i++) control.chargeFuel(Number.MAX_SAFE_INTEGER);
  const left = fuelGlobal.value as bigint;
  assert.ok(left < 0n && left >= -(2n ** 62n), String(left));
});

test("stop() forces the fuel negative, sets the trap reason, throws, and the first stop wins", async () => {
  const { control, fuelGlobal, reason } = await metered(5000n);
  const first = new SandboxError("InvalidState", "first");
  assert.throws(() => control.stop(first), (e: unknown) => e === first);
  assert.is(control.stopped, first);
  assert.is(control.fuelAtStop, 5000n);
  assert.ok((fuelGlobal.value as bigint) < 0n);
  assert.is(reason.value, HOST_STOP_TRAP_REASON);
  assert.throws(() => control.stop(new SandboxError("Timeout", "second")), (e: unknown) => e === first);
});

test("an unbound control (unmetered module) still records and rethrows the stop", () => {
  const control = new GuestControl();
  control.chargeFuel(1_000_000);
  const error = new SandboxError("InvalidState", "stop");
  assert.throws(() => control.stop(error), (e: unknown) => e === error);
  assert.is(control.stopped, error);
  assert.is(control.fuelAtStop, undefined);
});

test.run();
