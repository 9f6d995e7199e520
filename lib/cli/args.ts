/**
 * A small, strict command-line parser: known flags only, values checked,
 * errors that say which flag was wrong.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";

/** How one flag is read. */
export interface FlagSpec {
  /** `boolean` flags take no value; `string` flags take one; `list` flags may repeat. */
  kind: "boolean" | "string" | "list";
}

/** Parsed flags and positional arguments; everything after `--` is passed through untouched. */
export interface ParsedArgs {
  flags: Map<string, string | boolean | string[]>;
  positionals: string[];
  passthrough: string[];
}

/**
 * Parses `argv` against `specs` (keys without the leading `--`). With
 * `stopAtPositional`, the first positional ends flag parsing and everything
 * after it (less a leading `--`) is passed through, as `wasmtime run` does
 * with the guest's arguments.
 */
export function parseArgs(
  argv: readonly string[],
  specs: Readonly<Record<string, FlagSpec>>,
  options: { stopAtPositional?: boolean } = {},
): ParsedArgs {
  const flags = new Map<string, string | boolean | string[]>();
  const positionals: string[] = [];
  let passthrough: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      passthrough = argv.slice(i + 1);
      break;
    }
    const short = /^-[a-zA-Z]$/.test(arg);
    if ((!arg.startsWith("--") && !short) || arg === "-") {
      positionals.push(arg);
      if (options.stopAtPositional) {
        const rest = argv.slice(i + 1);
        passthrough = rest[0] === "--" ? rest.slice(1) : rest;
        break;
      }
      continue;
    }
    const eq = short ? -1 : arg.indexOf("=");
    const name = short ? arg.slice(1) : arg.slice(2, eq === -1 ? undefined : eq);
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec) throw new SandboxError("InvalidArgument", `unknown flag ${arg.split("=")[0]} (see --help)`);
    if (spec.kind === "boolean") {
      if (eq !== -1) throw new SandboxError("InvalidArgument", `--${name} takes no value`);
      flags.set(name, true);
      continue;
    }
    let value: string;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    else throw new SandboxError("InvalidArgument", `--${name} needs a value`);
    if (spec.kind === "string") flags.set(name, value);
    else flags.set(name, [...((flags.get(name) as string[] | undefined) ?? []), value]);
  }
  return { flags, positionals, passthrough };
}

/** A non-negative integer flag value, or `undefined` when absent. */
export function integerFlag(args: ParsedArgs, name: string): number | undefined {
  const raw = args.flags.get(name);
  if (raw === undefined) return undefined;
  if (typeof raw !== "string" || !/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new SandboxError("InvalidArgument", `--${name} must be a non-negative integer, got "${String(raw)}"`);
  }
  return Number(raw);
}

/** A non-negative integer flag value of any size, or `undefined` when absent. */
export function bigintFlag(args: ParsedArgs, name: string): bigint | undefined {
  const raw = args.flags.get(name);
  if (raw === undefined) return undefined;
  if (typeof raw !== "string" || !/^\d{1,19}$/.test(raw) || BigInt(raw) > 2n ** 63n - 1n) {
    throw new SandboxError("InvalidArgument", `--${name} must be a non-negative integer below 2^63, got "${String(raw)}"`);
  }
  return BigInt(raw);
}

/** A string flag value, or `undefined`. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const raw = args.flags.get(name);
  return typeof raw === "string" ? raw : undefined;
}

/** All values of a repeatable flag, comma lists split. */
export function listFlag(args: ParsedArgs, name: string, splitCommas = false): string[] {
  const raw = (args.flags.get(name) as string[] | undefined) ?? [];
  return splitCommas ? raw.flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean) : raw;
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  B: 1,
  K: 1000,
  KB: 1000,
  KIB: 1024,
  M: 1000 ** 2,
  MB: 1000 ** 2,
  MIB: 1024 ** 2,
  G: 1000 ** 3,
  GB: 1000 ** 3,
  GIB: 1024 ** 3,
};

/**
 * A size flag in bytes: a whole number with an optional unit (`512MiB`,
 * `4GiB`, `64k`, `1000`), case-insensitive; or `undefined` when absent.
 */
export function sizeFlag(args: ParsedArgs, name: string): number | undefined {
  const raw = args.flags.get(name);
  if (raw === undefined) return undefined;
  const match = typeof raw === "string" ? /^(\d+)\s*([a-zA-Z]*)$/.exec(raw.trim()) : null;
  const unit = match ? SIZE_UNITS[match[2].toUpperCase()] : undefined;
  const bytes = match && unit !== undefined ? Number(match[1]) * unit : NaN;
  if (!Number.isSafeInteger(bytes)) {
    throw new SandboxError(
      "InvalidArgument",
      `--${name} must be a size such as 512MiB, 4GiB or 1048576 (bytes), got "${String(raw)}"`,
    );
  }
  return bytes;
}
