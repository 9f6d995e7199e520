/**
 * Exec requests: the untrusted JSON a guest sends, parsed and validated
 * strictly. Anything unexpected — bad UTF-8, unknown fields, wrong types, NUL
 * bytes, sizes over the caps below — is refused, never repaired.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { firstInvalidUtf8Offset, utf8OffsetOf } from "./_utf8.ts";

/** How stdout and stderr are encoded in the response. */
export type OutputEncoding = "utf8" | "base64";

/** A validated exec request. */
export interface ExecRequest {
  /** A name (looked up on the policy's search path) or a path. */
  command: string;
  args: string[];
  /** Text written to the command's stdin, then closed. Empty stdin when absent. */
  stdin?: string;
  /** Extra variables; every name must be in the policy's whitelist. */
  env: Record<string, string>;
  /** Directory relative to the policy's working directory. */
  cwd?: string;
  /** Wall-clock limit; the policy's limit applies when absent or larger. */
  timeoutMs?: number;
  output: OutputEncoding;
}

/** Size caps on requests. Exceeding any of them makes the request invalid. */
export const REQUEST_LIMITS = {
  /** The whole JSON document. */
  requestBytes: 2 * 1024 * 1024,
  /** The command string, in UTF-8 bytes. */
  commandBytes: 4096,
  /** Number of arguments. */
  args: 1024,
  /** One argument (Linux refuses longer ones: MAX_ARG_STRLEN). */
  argBytes: 128 * 1024,
  /** All arguments together. */
  totalArgBytes: 1024 * 1024,
  /** The stdin text. */
  stdinBytes: 1024 * 1024,
  /** Number of env entries. */
  envEntries: 128,
  /** One env name. */
  envNameBytes: 255,
  /** One env value. */
  envValueBytes: 32 * 1024,
  /** The cwd string. */
  cwdBytes: 4096,
  /** The largest timeout_ms accepted (the policy usually caps it far lower). */
  timeoutMs: 3_600_000,
} as const;

const KNOWN_FIELDS = new Set(["command", "args", "stdin", "env", "cwd", "timeout_ms", "output"]);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const encoder = new TextEncoder();

function invalid(message: string, offset?: number): never {
  throw new SandboxError("InvalidArgument", `invalid exec request: ${message}`, offset === undefined ? {} : { offset });
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function byteLength(text: string): number {
  return encoder.encode(text).byteLength;
}

function checkString(field: string, value: unknown, maxBytes: number, allowNul = false): string {
  if (typeof value !== "string") invalid(`"${field}" must be a string`);
  // length first: a UTF-16 unit is at least one UTF-8 byte, so huge strings are refused before encoding.
  if (value.length > maxBytes || byteLength(value) > maxBytes) invalid(`"${field}" is longer than ${maxBytes} bytes`);
  if (!allowNul && value.includes("\0")) invalid(`"${field}" contains a NUL byte`);
  // JSON escapes can smuggle in "\ud800", which no UTF-8 encoding can carry.
  if (LONE_SURROGATE.test(value)) invalid(`"${field}" contains a lone surrogate`);
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Validates an already-decoded request object (from a guest or a host).
 * JSON field names are snake_case (`timeout_ms`); unknown fields are refused.
 *
 * @throws {SandboxError} `InvalidArgument` naming the bad field.
 */
export function validateExecRequest(value: unknown): ExecRequest {
  if (!isPlainObject(value)) invalid("the request must be a JSON object");
  for (const key of Object.keys(value)) if (!KNOWN_FIELDS.has(key)) invalid(`unknown field "${key.slice(0, 64)}"`);

  const command = checkString("command", value.command, REQUEST_LIMITS.commandBytes);
  if (command === "") invalid(`"command" is empty`);

  const args: string[] = [];
  if (value.args !== undefined) {
    if (!Array.isArray(value.args)) invalid(`"args" must be an array of strings`);
    if (value.args.length > REQUEST_LIMITS.args) invalid(`more than ${REQUEST_LIMITS.args} args`);
    let total = 0;
    for (const arg of value.args) {
      const checked = checkString("args[]", arg, REQUEST_LIMITS.argBytes);
      total += byteLength(checked);
      if (total > REQUEST_LIMITS.totalArgBytes) invalid(`args total more than ${REQUEST_LIMITS.totalArgBytes} bytes`);
      args.push(checked);
    }
  }

  // stdin is data, not a C string: NUL is allowed there.
  const stdin = value.stdin === undefined ? undefined : checkString("stdin", value.stdin, REQUEST_LIMITS.stdinBytes, true);

  const env: Record<string, string> = Object.create(null);
  if (value.env !== undefined) {
    if (!isPlainObject(value.env)) invalid(`"env" must be an object of strings`);
    const entries = Object.entries(value.env);
    if (entries.length > REQUEST_LIMITS.envEntries) invalid(`more than ${REQUEST_LIMITS.envEntries} env entries`);
    for (const [name, v] of entries) {
      if (name.length > REQUEST_LIMITS.envNameBytes || !ENV_NAME.test(name)) {
        invalid(`env name "${name.slice(0, 64)}" is not [A-Za-z_][A-Za-z0-9_]*`);
      }
      env[name] = checkString(`env.${name}`, v, REQUEST_LIMITS.envValueBytes);
    }
  }

  const cwd = value.cwd === undefined ? undefined : checkString("cwd", value.cwd, REQUEST_LIMITS.cwdBytes);

  let timeoutMs: number | undefined;
  if (value.timeout_ms !== undefined) {
    const t = value.timeout_ms;
    if (typeof t !== "number" || !Number.isSafeInteger(t) || t < 1 || t > REQUEST_LIMITS.timeoutMs) {
      invalid(`"timeout_ms" must be an integer in [1, ${REQUEST_LIMITS.timeoutMs}]`);
    }
    timeoutMs = t;
  }

  const output = value.output ?? "utf8";
  if (output !== "utf8" && output !== "base64") invalid(`"output" must be "utf8" or "base64"`);

  const request: ExecRequest = { command, args, env, output };
  if (stdin !== undefined) request.stdin = stdin;
  if (cwd !== undefined) request.cwd = cwd;
  if (timeoutMs !== undefined) request.timeoutMs = timeoutMs;
  return request;
}

/**
 * Parses an exec request from untrusted UTF-8 JSON bytes.
 *
 * @throws {SandboxError} `InvalidArgument`; `offset` is the byte offset of
 * bad UTF-8 or of a JSON syntax error when the runtime reports one.
 *
 * @example
 * ```ts
 * const request = parseExecRequest(new TextEncoder().encode('{"command":"ls","args":["-l"]}'));
 * ```
 */
export function parseExecRequest(bytes: Uint8Array): ExecRequest {
  if (bytes.byteLength > REQUEST_LIMITS.requestBytes) {
    invalid(`request is ${bytes.byteLength} bytes, more than ${REQUEST_LIMITS.requestBytes}`);
  }
  const badUtf8 = firstInvalidUtf8Offset(bytes);
  if (badUtf8 >= 0) invalid("request is not valid UTF-8", badUtf8);
  // ignoreBOM keeps a BOM in the text, where JSON.parse then refuses it.
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const position = /position (\d+)/.exec(String((err as Error).message))?.[1];
    invalid(`malformed JSON: ${(err as Error).message}`, position === undefined ? undefined : utf8OffsetOf(text, Number(position)));
  }
  return validateExecRequest(value);
}
