/**
 * `wasm-sandbox instrument IN.wasm -o OUT.wasm`: writes the same pre-metered
 * module the runtime runs (the same rewrite function, the same defaults), for
 * hosts that want to ship metered modules. Its remaining fuel is the exported
 * mutable i64 global `__wasm_sandbox_fuel`, and its start function, if any,
 * is exported as `__wasm_sandbox_start` for the host to call once it has set
 * the budget (docs/FUEL.md).
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { prepareOptionsFrom, rewriteModule } from "../module/prepare.ts";
import { assertValidModule } from "../wasm/validate.ts";
import { defaultSandboxConfig } from "../config.ts";
import { loadSource } from "../module/source.ts";
import { hostPlatform } from "../platform/host_platform.ts";
import { integerFlag, parseArgs, stringFlag } from "./args.ts";
import type { Terminal } from "./terminal.ts";

/** Rewrites IN to OUT; returns the exit code. */
export async function instrumentCommand(argv: readonly string[], terminal: Terminal): Promise<number> {
  const args = parseArgs(argv, {
    o: { kind: "string" },
    output: { kind: "string" },
    "no-fuel": { kind: "boolean" },
    "max-stack-depth": { kind: "string" },
    "max-memory-pages": { kind: "string" },
    "max-table-elements": { kind: "string" },
  });
  const input = args.positionals[0];
  const output = stringFlag(args, "output") ?? stringFlag(args, "o");
  if (input === undefined || output === undefined || args.positionals.length > 1) {
    throw new SandboxError("InvalidArgument", "usage: wasm-sandbox instrument [flags] IN.wasm -o OUT.wasm");
  }
  const { fs } = await hostPlatform();
  const loaded = await loadSource(input, { maxBytes: defaultSandboxConfig().maxModuleBytes, fs });
  if (loaded.kind !== "bytes") throw new SandboxError("InvalidArgument", "instrument needs module bytes");
  const started = performance.now();
  // The runtime's own defaults and rewrite function: the output is exactly what `run` would execute.
  const defaults = defaultSandboxConfig();
  const config = {
    ...defaults,
    maxStackDepth: integerFlag(args, "max-stack-depth") ?? defaults.maxStackDepth,
    maxMemoryPages: integerFlag(args, "max-memory-pages") ?? defaults.maxMemoryPages,
    maxTableElements: integerFlag(args, "max-table-elements") ?? defaults.maxTableElements,
  };
  assertValidModule(loaded.bytes);
  const rewritten = rewriteModule(loaded.bytes, prepareOptionsFrom(config, args.flags.get("no-fuel") !== true));
  const elapsedMs = performance.now() - started;
  await fs.writeFile(output, rewritten);
  await terminal.writeErr(
    `${input}: ${loaded.bytes.byteLength} → ${rewritten.byteLength} bytes ` +
      `(${(rewritten.byteLength / Math.max(1, loaded.bytes.byteLength)).toFixed(2)}×) in ${elapsedMs.toFixed(1)} ms\n`,
  );
  return 0;
}
