/**
 * `wasm-sandbox run [flags] FILE.wasm [-- ARGS...]`: runs a WASI command the
 * way `wasmtime run` does, inside the sandbox.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { BUILTIN_CAPABILITIES, Capabilities, grant } from "../host/capabilities.ts";
import type { CapabilityToken } from "../host/capabilities.ts";
import { hostPlatform } from "../platform/host_platform.ts";
import { HostNotFoundError } from "../platform/types.ts";
import { WasmSandboxRuntime } from "../runtime.ts";
import type { SandboxConfig } from "../config.ts";
import { mountHostDirectory } from "../wasi/mod.ts";
import type { HostMount, Preopen } from "../wasi/mod.ts";
import { integerFlag, listFlag, parseArgs, stringFlag } from "./args.ts";
import type { FlagSpec, ParsedArgs } from "./args.ts";
import type { SandboxStats } from "../plugin_types.ts";
import { parseDirFlag } from "./dir_flag.ts";
import { formatRunStats, runStats } from "./run_stats.ts";
import type { Terminal } from "./terminal.ts";

/** The flags `run` accepts. */
export const RUN_FLAGS: Readonly<Record<string, FlagSpec>> = {
  dir: { kind: "list" },
  env: { kind: "list" },
  stdin: { kind: "string" },
  deterministic: { kind: "boolean" },
  stats: { kind: "boolean" },
  "stats-json": { kind: "string" },
  allow: { kind: "list" },
  deny: { kind: "list" },
  "max-memory-pages": { kind: "string" },
  "max-output-bytes": { kind: "string" },
};

/** What a WASI command gets without asking, as with `wasmtime run` (plus `wasi:fs` for each `--dir`). */
const DEFAULT_COMMAND_CAPABILITIES = [
  Capabilities.WasiArgs,
  Capabilities.WasiEnv,
  Capabilities.WasiStdio,
  Capabilities.WasiClock,
  Capabilities.WasiRandom,
  Capabilities.WasiProc,
];

/** Runs the command; returns the process exit code. */
export async function runCommand(argv: readonly string[], terminal: Terminal): Promise<number> {
  const args = parseArgs(argv, RUN_FLAGS, { stopAtPositional: true });
  const file = args.positionals[0];
  if (file === undefined) throw new SandboxError("InvalidArgument", "run needs a .wasm file: wasm-sandbox run [flags] FILE.wasm [-- ARGS...]");
  const dirs = listFlag(args, "dir").map(parseDirFlag);
  const capabilities = capabilityTokens(listFlag(args, "allow", true), listFlag(args, "deny", true), dirs.length > 0);
  const config: Partial<SandboxConfig> = {
    deterministic: args.flags.get("deterministic") === true,
    maxMemoryPages: integerFlag(args, "max-memory-pages"),
    maxOutputBytes: integerFlag(args, "max-output-bytes"),
  };

  const mounts: Array<{ guestPath: string; mount: HostMount }> = [];
  for (const dir of dirs) {
    mounts.push({ guestPath: dir.guestPath, mount: await mountHostDirectory(dir.hostPath, { readOnly: dir.readOnly }) });
  }
  const preopens: Preopen[] = mounts.map(({ guestPath, mount }) => ({ guestPath, dir: mount.dir }));
  const stdinPath = stringFlag(args, "stdin");

  const runtime = new WasmSandboxRuntime(config);
  const started = performance.now();
  const plugin = await runtime.loadPlugin(baseName(file), file, {
    capabilities,
    args: [baseName(file), ...args.passthrough],
    env: parseEnv(listFlag(args, "env")),
    stdin: stdinPath === undefined ? undefined : await readHostFile(stdinPath, "--stdin"),
    preopens,
    onStdout: (chunk) => void terminal.writeOut(chunk),
    onStderr: (chunk) => void terminal.writeErr(chunk),
  });

  let exitCode: number | undefined;
  try {
    exitCode = (await plugin.run()).exitCode;
    // The command finished (whatever its exit code): its changes to read-write mounts go back to the host.
    for (const { mount } of mounts) if (!mount.readOnly) await mount.writeBack();
    return exitCode;
  } finally {
    await reportStats(args, plugin.stats(), performance.now() - started, exitCode, terminal);
  }
}

function capabilityTokens(allow: string[], deny: string[], withFs: boolean): CapabilityToken[] {
  for (const name of [...allow, ...deny]) {
    if (!BUILTIN_CAPABILITIES.includes(name)) {
      throw new SandboxError("InvalidArgument", `unknown capability "${name}"; known: ${BUILTIN_CAPABILITIES.join(", ")}`);
    }
  }
  const names = new Set([...DEFAULT_COMMAND_CAPABILITIES, ...(withFs ? [Capabilities.WasiFs] : []), ...allow]);
  for (const name of deny) names.delete(name);
  return [...names].map((name) => grant(name));
}

function parseEnv(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new SandboxError("InvalidArgument", `--env "${pair}" must be NAME=VALUE`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

async function readHostFile(path: string, flag: string): Promise<Uint8Array> {
  const { fs } = await hostPlatform();
  try {
    return await fs.readFile(path);
  } catch (err) {
    if (err instanceof HostNotFoundError) throw new SandboxError("NotFound", `${flag} file ${path} does not exist`);
    throw new SandboxError("IoError", `cannot read ${flag} file ${path}: ${(err as Error).message}`);
  }
}

async function reportStats(
  args: ParsedArgs,
  stats: SandboxStats,
  wallTimeMs: number,
  exitCode: number | undefined,
  terminal: Terminal,
): Promise<void> {
  const summary = runStats(stats, wallTimeMs, exitCode);
  if (args.flags.get("stats") === true) await terminal.writeErr(formatRunStats(summary));
  const jsonPath = stringFlag(args, "stats-json");
  if (jsonPath !== undefined) {
    const { fs } = await hostPlatform();
    await fs.writeFile(jsonPath, new TextEncoder().encode(JSON.stringify(summary, null, 2) + "\n"));
  }
}

function baseName(path: string): string {
  return path.replace(/[/\\]+$/, "").split(/[/\\]/).pop() ?? path;
}
