/**
 * `wasm-sandbox run [flags] FILE.wasm [-- ARGS...]`: runs a WASI command the
 * way `wasmtime run` does, inside the sandbox.
 *
 * @module
 */
import { AuditLog } from "../audit/audit_log.ts";
import { jsonLinesFileSink } from "../audit/jsonl_file_sink.ts";
import { readAuditTail } from "../audit/verify_audit.ts";
import { SandboxError } from "../errors.ts";
import { DefaultHostContextProvider } from "../host/soch_provider.ts";
import { PgliteHostContextProvider } from "../host/soch_pglite_provider.ts";
import { defaultSandboxPolicy, validateSandboxPolicy } from "../exec/policy.ts";
import type { NetworkIsolation, SandboxPolicy } from "../exec/policy.ts";
import { defaultNetworkPolicy, validateNetworkPolicy } from "../net/policy.ts";
import type { NetworkPolicy } from "../net/policy.ts";
import { BUILTIN_CAPABILITIES, Capabilities, grant } from "../host/capabilities.ts";
import type { CapabilityToken } from "../host/capabilities.ts";
import { hostPlatform } from "../platform/host_platform.ts";
import { HostNotFoundError } from "../platform/types.ts";
import { WasmSandboxRuntime } from "../runtime.ts";
import type { SandboxConfig } from "../config.ts";
import { assertDisjointMounts, formatWriteBackReport, mountHostDirectory } from "../wasi/mod.ts";
import type { HostMount, Preopen } from "../wasi/mod.ts";
import { bigintFlag, integerFlag, listFlag, parseArgs, sizeFlag, stringFlag } from "./args.ts";
import type { FlagSpec, ParsedArgs } from "./args.ts";
import type { RunResult } from "../sandbox/plugin_sandbox.ts";
import { parseDirFlag } from "./dir_flag.ts";
import type { DirMapping } from "./dir_flag.ts";
import { prepareOutputFile } from "./output_file.ts";
import type { OutputFile } from "./output_file.ts";
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
  "max-memory": { kind: "string" },
  "max-memory-pages": { kind: "string" },
  "max-stack-depth": { kind: "string" },
  fuel: { kind: "string" },
  "cache-dir": { kind: "string" },
  "max-output-bytes": { kind: "string" },
  timeout: { kind: "string" },
  audit: { kind: "string" },
  soch: { kind: "string" },
  "soch-db": { kind: "string" },
  "soch-import": { kind: "string" },
  invoke: { kind: "string" },
  "allow-exec": { kind: "list" },
  "block-exec": { kind: "list" },
  "exec-timeout": { kind: "string" },
  "exec-max-output": { kind: "string" },
  "exec-cwd": { kind: "string" },
  "exec-env": { kind: "list" },
  "exec-allow-network": { kind: "boolean" },
  "exec-isolation": { kind: "string" },
  "allow-http": { kind: "list" },
  "allow-http-private": { kind: "list" },
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
  const allow = listFlag(args, "allow", true);
  const execPolicy = await execPolicyFromFlags(args);
  if (allow.includes(Capabilities.SandboxExec) && !execPolicy) {
    // A bare sandbox:exec token carries the deny-all policy: granting it alone would silently run nothing.
    throw new SandboxError(
      "InvalidArgument",
      "--allow sandbox:exec needs --allow-exec CMD[,CMD...] to name the commands the plugin may run",
    );
  }
  const networkPolicy = networkPolicyFromFlags(args);
  if (allow.includes(Capabilities.NetworkHttp) && !networkPolicy) {
    // Like sandbox:exec: a bare network:http token carries the reach-nothing policy.
    throw new SandboxError("InvalidArgument", "--allow network:http needs --allow-http HOST[:PORT][,...] to name the hosts the plugin may reach");
  }
  // The exec and network tokens are the ones their flags describe; bare ones beside them would only add deny-all policies.
  const granted = allow.filter((name) => name !== Capabilities.SandboxExec && name !== Capabilities.NetworkHttp);
  const capabilities = capabilityTokens(granted, listFlag(args, "deny", true), dirs.length > 0);
  if (execPolicy) {
    validateSandboxPolicy(execPolicy);
    capabilities.push(grant(Capabilities.SandboxExec, execPolicy));
  }
  if (networkPolicy) capabilities.push(grant(Capabilities.NetworkHttp, networkPolicy));
  const config: Partial<SandboxConfig> = {
    deterministic: args.flags.get("deterministic") === true,
    maxMemoryPages: memoryPagesFromFlags(args),
    // Streamed to the terminal, never held: uncapped unless the user sets a cap.
    maxOutputBytes: integerFlag(args, "max-output-bytes") ?? Infinity,
    maxStackDepth: integerFlag(args, "max-stack-depth"),
    fuel: bigintFlag(args, "fuel"),
    cacheDir: stringFlag(args, "cache-dir"),
  };

  await refuseOverlappingDirs(dirs);
  const { fs } = await hostPlatform();
  const mounts: Array<{ guestPath: string; mount: HostMount }> = [];
  for (const dir of dirs) {
    mounts.push({ guestPath: dir.guestPath, mount: await mountHostDirectory(dir.hostPath, { fs, readOnly: dir.readOnly }) });
  }
  const preopens: Preopen[] = mounts.map(({ guestPath, mount }) => ({ guestPath, dir: mount.dir }));
  const stdinPath = stringFlag(args, "stdin");

  // Output files are checked now, before the guest can plant links on their way (lib/cli/output_file.ts).
  const statsOut = await optionalOutputFile(args, "stats-json");
  const auditOut = await optionalOutputFile(args, "audit");
  const audit = auditOut === undefined ? undefined : new AuditLog({
    sinks: [jsonLinesFileSink(auditOut.path)], // opened with O_NOFOLLOW
    resumeFrom: await readAuditTail(auditOut.path), // continue an existing, verified chain
  });
  const sochPath = stringFlag(args, "soch");
  const sochDb = stringFlag(args, "soch-db");
  if (sochPath !== undefined && sochDb !== undefined) {
    throw new SandboxError("InvalidArgument", "give --soch FILE.json or --soch-db DIR, not both (to move a JSON store into a database: --soch-db DIR --soch-import FILE.json)");
  }
  const sochImportPath = stringFlag(args, "soch-import");
  if (sochImportPath !== undefined && sochDb === undefined) {
    throw new SandboxError("InvalidArgument", "--soch-import FILE.json loads the file into a database: give --soch-db DIR too");
  }
  // Read before the database opens: a missing or malformed file then leaves nothing to close.
  const sochImport = sochImportPath === undefined ? undefined : await readSochJson(sochImportPath, "--soch-import");
  const sochFile = sochPath === undefined ? undefined : DefaultHostContextProvider.fromJSON(await readSochJson(sochPath, "--soch"));
  // Either write capability can change the store (values or vectors), so either means writing it back.
  const sochOut = sochPath !== undefined &&
      capabilities.some((t) => t.capability === Capabilities.SochWrite || t.capability === Capabilities.SochVectorWrite)
    ? await prepareOutputFile(sochPath, "--soch")
    : undefined;
  const timeoutMs = integerFlag(args, "timeout");
  if (timeoutMs === 0) throw new SandboxError("InvalidArgument", "--timeout must be a positive number of milliseconds");
  // A database store is kept as it is written: nothing to write back, only to close, whatever happens from here
  // (it holds its directory's lock until then). Opened last, so no check above can leave it open.
  const database = sochDb === undefined ? undefined : await PgliteHostContextProvider.open(sochDb);
  if (database && sochImport !== undefined) {
    // One transaction: all of the file or, on bad data (InvalidArgument naming the part), none of it.
    await database.importJSON(sochImport).catch(async (err) => {
      await database.close().catch((closeErr) => reportLateError(closeErr, terminal));
      throw err;
    });
  }
  const runtime = new WasmSandboxRuntime({ ...config, audit, provider: database ?? sochFile });
  const started = performance.now();
  const plugin = await runtime.loadPlugin(baseName(file), file, {
    capabilities,
    wasi: {
      args: [baseName(file), ...args.passthrough],
      env: parseEnv(listFlag(args, "env")),
      stdin: stdinPath === undefined ? undefined : await readHostFile(stdinPath, "--stdin"),
      preopens,
      onStdout: (chunk) => void terminal.writeOut(chunk),
      onStderr: (chunk) => void terminal.writeErr(chunk),
      captureOutput: false,
    },
    // A wall-clock limit runs the guest in a worker that is terminated when it passes (docs/ISOLATION.md).
    isolation: timeoutMs === undefined ? undefined : { timeoutMs },
    // A refused sandbox_exec is only -2 to the guest: the person running the CLI is told why.
    onExec: (e) => {
      if (e.outcome !== "ran") void terminal.writeErr(`wasm-sandbox: sandbox_exec "${e.command}" ${e.outcome}: ${e.reason}\n`);
    },
    // The same for http_request: a refusal or failure is a negative code to the guest, with its reason here.
    onNetwork: (e) => {
      if (e.outcome !== "response") void terminal.writeErr(`wasm-sandbox: http_request ${e.method} ${e.host} ${e.outcome}: ${e.reason ?? ""}\n`);
    },
  }).catch(async (err) => {
    await database?.close().catch((closeErr) => reportLateError(closeErr, terminal));
    throw err;
  });

  let exitCode: number | undefined;
  try {
    const invoke = stringFlag(args, "invoke");
    if (invoke === undefined) {
      const result = await plugin.run();
      exitCode = result.exitCode;
      await announceTruncation(result, integerFlag(args, "max-output-bytes"), terminal);
    } else {
      const result = await plugin.call(invoke, ...args.passthrough.map(parseInvokeArgument));
      await terminal.writeOut(`${formatResult(result)}\n`);
      exitCode = 0;
    }
    // The command finished (whatever its exit code): its changes go back to the host. From here on a
    // failure is reported on stderr and the guest's exit code stands (docs/WASI.md, "Host mounts").
    for (const { guestPath, mount } of mounts) {
      if (mount.readOnly) continue;
      const report = await mount.writeBack();
      for (const line of formatWriteBackReport(report, `${mount.hostPath} (${guestPath})`)) await terminal.writeErr(`${line}\n`);
    }
    if (sochOut && sochFile) {
      await sochOut.write(JSON.stringify(sochFile.toJSON(), null, 2) + "\n").catch((err) => reportLateError(err, terminal));
    }
    return exitCode;
  } finally {
    await database?.close().catch((err) => reportLateError(err, terminal));
    await audit?.close();
    const summary = runStats(plugin.stats(), performance.now() - started, exitCode, audit?.head);
    if (args.flags.get("stats") === true) await terminal.writeErr(formatRunStats(summary));
    await statsOut?.write(JSON.stringify(summary, null, 2) + "\n").catch((err) => reportLateError(err, terminal));
  }
}

/** Refuses `--dir` values that name the same host directory, or one inside another (after realpath). */
async function refuseOverlappingDirs(dirs: readonly DirMapping[]): Promise<void> {
  if (dirs.length < 2) return;
  const { fs } = await hostPlatform();
  const resolved = [];
  for (const dir of dirs) {
    const hostPath = await fs.realPath(dir.hostPath).catch(() => {
      throw new SandboxError("NotFound", `--dir ${dir.hostPath} does not exist`);
    });
    resolved.push({ hostPath, label: `--dir ${dir.hostPath}` });
  }
  assertDisjointMounts(resolved);
}

async function optionalOutputFile(args: ParsedArgs, flag: string): Promise<OutputFile | undefined> {
  const path = stringFlag(args, flag);
  return path === undefined ? undefined : await prepareOutputFile(path, `--${flag}`);
}

/** A failure after the guest finished: said on stderr; the exit code stays the guest's. */
async function reportLateError(err: unknown, terminal: Terminal): Promise<void> {
  const error = err instanceof SandboxError ? err : new SandboxError("IoError", String((err as Error)?.message ?? err), { cause: err });
  await terminal.writeErr(`error[${error.code}]: ${error.message.replaceAll("\n", " ")}\n`);
}

/** Says on stderr which stream `--max-output-bytes` cut: output is never cut silently. */
async function announceTruncation(result: RunResult, cap: number | undefined, terminal: Terminal): Promise<void> {
  for (const [name, cut] of [["stdout", result.stdoutTruncated], ["stderr", result.stderrTruncated]] as const) {
    if (cut) await terminal.writeErr(`wasm-sandbox: the guest's ${name} was cut at ${cap} bytes (--max-output-bytes)\n`);
  }
}

/** `--max-memory SIZE` or `--max-memory-pages N` (not both), in 64 KiB pages. */
function memoryPagesFromFlags(args: ParsedArgs): number | undefined {
  const bytes = sizeFlag(args, "max-memory");
  const pages = integerFlag(args, "max-memory-pages");
  if (bytes !== undefined && pages !== undefined) {
    throw new SandboxError("InvalidArgument", "give --max-memory or --max-memory-pages, not both");
  }
  if (bytes === undefined) return pages;
  if (bytes % WASM_PAGE_BYTES !== 0) {
    throw new SandboxError("InvalidArgument", `--max-memory must be a whole number of 64 KiB pages, got ${bytes} bytes`);
  }
  return bytes / WASM_PAGE_BYTES;
}

const WASM_PAGE_BYTES = 65536;

/** The flags that shape the exec policy; meaningless without --allow-exec. */
const EXEC_POLICY_FLAGS = ["block-exec", "exec-timeout", "exec-max-output", "exec-cwd", "exec-env", "exec-allow-network", "exec-isolation"];

const ISOLATION_CHOICES: readonly NetworkIsolation[] = ["none", "netns", "bwrap", "auto"];

/** The `sandbox_exec` policy the exec flags describe, or undefined without `--allow-exec`. */
async function execPolicyFromFlags(args: ParsedArgs): Promise<SandboxPolicy | undefined> {
  const allowed = listFlag(args, "allow-exec", true);
  if (allowed.length === 0) {
    const orphans = EXEC_POLICY_FLAGS.filter((name) => args.flags.has(name));
    if (orphans.length > 0) {
      throw new SandboxError("InvalidArgument", `${orphans.map((n) => `--${n}`).join(", ")} only apply with --allow-exec CMD[,CMD...]`);
    }
    return undefined;
  }
  const policy = defaultSandboxPolicy();
  policy.allowedCommands = allowed;
  policy.blockedCommands = listFlag(args, "block-exec", true);
  policy.maxExecutionTimeMs = integerFlag(args, "exec-timeout") ?? policy.maxExecutionTimeMs;
  policy.maxOutputBytes = integerFlag(args, "exec-max-output") ?? policy.maxOutputBytes;
  // Explicitly allowing commands without --exec-cwd means: run them in the current directory.
  const { fs } = await hostPlatform();
  policy.workingDirectory = await fs.realPath(stringFlag(args, "exec-cwd") ?? fs.cwd()).catch(() => {
    throw new SandboxError("NotFound", `--exec-cwd ${stringFlag(args, "exec-cwd")} does not exist`);
  });
  policy.environmentWhitelist = listFlag(args, "exec-env", true);
  policy.allowNetwork = args.flags.get("exec-allow-network") === true;
  const isolation = stringFlag(args, "exec-isolation");
  if (isolation !== undefined) {
    if (!ISOLATION_CHOICES.includes(isolation as NetworkIsolation)) {
      throw new SandboxError("InvalidArgument", `--exec-isolation must be one of ${ISOLATION_CHOICES.join(", ")}`);
    }
    policy.networkIsolation = isolation as NetworkIsolation;
  }
  return policy;
}

/**
 * The `network:http` policy of `--allow-http HOST[:PORT],...` (http and
 * https, the library's other defaults) and `--allow-http-private
 * ADDR[/BITS],...`, or undefined without `--allow-http`.
 *
 * @throws {SandboxError} `InvalidArgument` for a bad host or address, or
 * `--allow-http-private` alone.
 */
export function networkPolicyFromFlags(args: ParsedArgs): NetworkPolicy | undefined {
  const hosts = listFlag(args, "allow-http", true);
  const privateAddresses = listFlag(args, "allow-http-private", true);
  if (hosts.length === 0) {
    if (privateAddresses.length > 0) throw new SandboxError("InvalidArgument", "--allow-http-private only applies with --allow-http HOST[:PORT][,...]");
    return undefined;
  }
  const policy: NetworkPolicy = { ...defaultNetworkPolicy(), allowedHosts: hosts, allowedSchemes: ["http", "https"], allowPrivate: privateAddresses };
  validateNetworkPolicy(policy);
  return policy;
}

/** `--invoke` arguments: numbers, or bigints (i64) written with an `n` suffix, as in JavaScript. */
function parseInvokeArgument(text: string): number | bigint {
  if (/^-?\d+n$/.test(text)) return BigInt(text.slice(0, -1));
  const value = Number(text);
  if (text.trim() === "" || Number.isNaN(value)) {
    throw new SandboxError("InvalidArgument", `--invoke argument "${text}" is not a number (write i64 values as 42n)`);
  }
  return value;
}

function formatResult(result: unknown): string {
  if (result === undefined) return "";
  if (Array.isArray(result)) return result.map(formatResult).join(" ");
  return String(result);
}

/** The parsed JSON of a soch data file (docs/ABI.md, "The host's JSON data file"). */
async function readSochJson(path: string, flag: string): Promise<unknown> {
  const text = new TextDecoder().decode(await readHostFile(path, flag));
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SandboxError("InvalidArgument", `${flag} file ${path} is not JSON: ${(err as Error).message}`);
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

function baseName(path: string): string {
  return path.replace(/[/\\]+$/, "").split(/[/\\]/).pop() ?? path;
}
