/**
 * The `wasm-sandbox` command line: dispatches to a command and turns every
 * failure into one line `error[CODE]: message` and exit code 125.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { auditCommand } from "./audit_command.ts";
import { inspectCommand } from "./inspect_command.ts";
import { instrumentCommand } from "./instrument_command.ts";
import { runCommand } from "./run_command.ts";
import type { Terminal } from "./terminal.ts";

/** Exit code for a sandbox error (as `wasmtime` uses for its own failures). */
export const SANDBOX_ERROR_EXIT = 125;

const USAGE = `wasm-sandbox: run untrusted WebAssembly plugins safely

usage:
  wasm-sandbox run [flags] FILE.wasm [-- ARGS...]
  wasm-sandbox inspect [--json] FILE.wasm
  wasm-sandbox audit verify FILE
  wasm-sandbox instrument [--no-fuel] [--max-stack-depth N] [--max-memory-pages N] IN.wasm -o OUT.wasm
  wasm-sandbox --help | --version

run flags:
  --dir HOST::GUEST[:ro]   mount a host directory (loaded into memory; read-write ones are written back at exit)
  --env NAME=VALUE         set a guest environment variable (the host's environment is never passed)
  --stdin FILE             feed FILE to the guest's stdin
  --deterministic          fixed clocks and seeded randomness: identical runs
  --allow CAP[,CAP...]     grant capabilities (e.g. soch:read)
  --deny CAP[,CAP...]      remove capabilities from the defaults
                           (defaults: wasi:args,env,stdio,clock,random,proc; wasi:fs with --dir)
  --fuel N                 CPU budget in fuel units (about one per operator); OutOfFuel when spent
  --max-stack-depth N      call-depth limit (StackOverflow beyond it)
  --timeout MS             wall-clock limit of the run: the guest runs in a worker, terminated at the limit (Timeout)
  --max-memory SIZE        cap each linear memory, e.g. 512MiB or 1GiB (default 256MiB)
  --max-memory-pages N     the same cap in 64 KiB pages
  --cache-dir DIR          keep rewritten (metered) modules on disk; DIR must be trusted
  --max-output-bytes N     cap the guest's stdout and stderr, each (default: no cap); a cut is announced on stderr
  --soch FILE.json         seed the soch data (keys, values, vectors); written back when soch:write is granted
  --soch-db DIR            keep the soch data in a PGlite database in DIR (created on first use, kept across runs;
                           needs the optional @electric-sql/pglite and @electric-sql/pglite-pgvector packages)
  --soch-import FILE.json  with --soch-db: load a --soch file into the database first (all of it or, on bad data, none)
  --audit FILE             append a hash-chained JSON-lines record of every host call
  --invoke NAME            call export NAME with ARGS (numbers; i64 as 42n) instead of _start; prints the result
  --allow-exec CMD[,CMD]   let the plugin run these host commands (grants sandbox:exec with the policy below)
  --block-exec CMD         never run CMD (wins over --allow-exec)
  --exec-timeout MS        wall-clock limit per command (default 30000)
  --exec-max-output BYTES  cap on each of stdout and stderr (default 1 MiB)
  --exec-cwd DIR           directory commands run in (default: the current one); cwds must stay inside
  --exec-env NAME          let the environment variable NAME through (repeatable)
  --exec-allow-network     let commands use the network (off: a fresh network namespace)
  --exec-isolation MODE    none|netns|bwrap|auto: how network isolation is enforced
  --allow-http HOST[:PORT][,...]
                           let the plugin make HTTP(S) requests to these hosts (grants network:http;
                           *.example.com for subdomains; no port: 80/443 only; HOST:* any port)
  --allow-http-private ADDR[/BITS][,...]
                           also let it connect to these loopback/private/link-local addresses, which
                           are refused otherwise (after DNS resolution), e.g. 127.0.0.1 or 10.0.0.0/8
  --stats                  print a summary on stderr at the end
  --stats-json FILE        write the summary as JSON

exit code: the plugin's; 125 with "error[CODE]: message" on stderr for a sandbox error.
`;

/** Runs the CLI with `terminal.args`; returns the exit code. */
export async function main(terminal: Terminal, version: string): Promise<number> {
  const [command, ...rest] = terminal.args;
  try {
    switch (command) {
      case "run":
        return await runCommand(rest, terminal);
      case "inspect":
        return await inspectCommand(rest, terminal);
      case "audit":
        return await auditCommand(rest, terminal);
      case "instrument":
        return await instrumentCommand(rest, terminal);
      case "--version":
      case "version":
        await terminal.writeOut(`wasm-sandbox ${version}\n`);
        return 0;
      case undefined:
      case "--help":
      case "help":
      case "-h":
        await terminal.writeOut(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new SandboxError("InvalidArgument", `unknown command "${command}"; try wasm-sandbox --help`);
    }
  } catch (err) {
    const error = err instanceof SandboxError
      ? err
      : new SandboxError("IoError", `unexpected host failure: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    await terminal.writeErr(`error[${error.code}]: ${error.message.replaceAll("\n", " ")}\n`);
    return SANDBOX_ERROR_EXIT;
  }
}
