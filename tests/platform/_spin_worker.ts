// Test worker: on its first message (a SharedArrayBuffer) it flags that it
// started, then spins in WebAssembly for ever — no JS on the stack to interrupt.
import { workers } from "../../lib/platform/workers.ts";

// (module (func (export "spin") (loop (br 0))))
const SPIN_WASM = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: () -> ()
  0x03, 0x02, 0x01, 0x00, // function section
  0x07, 0x08, 0x01, 0x04, 0x73, 0x70, 0x69, 0x6e, 0x00, 0x00, // export "spin"
  0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, // code: loop br 0 end end
]);

workers.onParentMessage((message) => {
  const started = new Int32Array(message as SharedArrayBuffer);
  const spin = new WebAssembly.Instance(new WebAssembly.Module(SPIN_WASM)).exports.spin as () => void;
  Atomics.store(started, 0, 1);
  Atomics.notify(started, 0);
  spin();
});
