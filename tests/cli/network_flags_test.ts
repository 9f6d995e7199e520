import { suite } from "uvu";
import * as assert from "uvu/assert";
import { writeFileSync } from "node:fs";
import { parseArgs } from "../../lib/cli/args.ts";
import { main } from "../../lib/cli/main.ts";
import { networkPolicyFromFlags, RUN_FLAGS } from "../../lib/cli/run_command.ts";
import { defaultNetworkPolicy } from "../../lib/net/policy.ts";
import { fakeTerminal } from "../_helpers/fake_terminal.ts";
import { tempDir } from "../_helpers/temp.ts";
import { wat } from "../_helpers/wat.ts";
import { answer, httpServer } from "../net/_servers.ts";

const test = suite("cli network flags");

async function cli(args: string[]) {
  const terminal = fakeTerminal(args);
  const code = await main(terminal, "test");
  return { code, stdout: terminal.stdout(), stderr: terminal.stderr() };
}

const policyOf = (argv: string[]) => networkPolicyFromFlags(parseArgs([...argv, "x.wasm"], RUN_FLAGS, { stopAtPositional: true }));

test("--allow-http names the hosts (http and https); --allow-http-private opens addresses explicitly", () => {
  assert.is(policyOf([]), undefined);
  assert.equal(policyOf(["--allow-http", "api.example.com,*.cdn.example:8443", "--allow-http", "127.0.0.1:8080", "--allow-http-private", "127.0.0.1"]), {
    ...defaultNetworkPolicy(),
    allowedHosts: ["api.example.com", "*.cdn.example:8443", "127.0.0.1:8080"],
    allowedSchemes: ["http", "https"],
    allowPrivate: ["127.0.0.1"],
  });
  assert.equal(policyOf(["--allow-http", "api.example.com"])!.allowPrivate, [], "nothing private without the flag");
});

test("bad hosts or addresses, and --allow-http-private alone, are InvalidArgument", async () => {
  const dir = await tempDir();
  const wasm = `${dir}/empty.wasm`;
  writeFileSync(wasm, await wat(`(module (func (export "_start")))`));
  const cases: Array<[string[], RegExp]> = [
    [["--allow-http", "https://api.example.com"], /not a host/],
    [["--allow-http", "api.example.com", "--allow-http-private", "localhost"], /allowPrivate entry "localhost"/],
    [["--allow-http-private", "127.0.0.1"], /--allow-http-private only applies with --allow-http/],
    [["--allow", "network:http"], /--allow network:http needs --allow-http/],
  ];
  for (const [flags, message] of cases) {
    const r = await cli(["run", ...flags, wasm]);
    assert.is(r.code, 125, flags.join(" "));
    assert.match(r.stderr, /error\[InvalidArgument\]/);
    assert.match(r.stderr, message, flags.join(" "));
  }
  const ok = await cli(["run", "--allow-http", "api.example.com", wasm]);
  assert.is(ok.code, 0, ok.stderr);
});

test("the usage text documents both flags", async () => {
  const r = await cli(["--help"]);
  assert.match(r.stdout, /--allow-http HOST\[:PORT\]/);
  assert.match(r.stdout, /--allow-http-private ADDR/);
});

/** A guest whose `fetch` export sends `request` (JSON in a data segment) and returns http_request's result. */
function fetchGuest(request: unknown): string {
  const json = JSON.stringify(request);
  const escaped = [...new TextEncoder().encode(json)].map((b) => `\\${b.toString(16).padStart(2, "0")}`).join("");
  return `(module
    (import "platform_network" "http_request" (func $http (param i32 i32 i32 i32) (result i64)))
    (memory (export "memory") 2)
    (data (i32.const 0) "${escaped}")
    (func (export "fetch") (result i64) (call $http (i32.const 0) (i32.const ${json.length}) (i32.const 4096) (i32.const 4096))))`;
}

test("through the CLI, --allow-http reaches the host it names and nothing else; a refusal is explained on stderr", async () => {
  const server = await httpServer(answer("hello"));
  const dir = await tempDir();
  try {
    const allowed = ["--allow-http", `127.0.0.1:${server.port}`, "--allow-http-private", "127.0.0.1"];
    const reach = async (url: string, flags: string[]) => {
      const wasm = `${dir}/fetch-${Math.random().toString(36).slice(2)}.wasm`;
      writeFileSync(wasm, await wat(fetchGuest({ url })));
      return await cli(["run", ...flags, "--invoke", "fetch", wasm]);
    };
    const ok = await reach(`http://127.0.0.1:${server.port}/x`, allowed);
    assert.is(ok.code, 0, ok.stderr);
    assert.ok(Number(ok.stdout.trim()) > 0, `a response's size, got ${ok.stdout}`);
    assert.is(server.seen.length, 1);

    const unlisted = await reach(`http://127.0.0.1:${server.port + 1}/x`, allowed);
    assert.is(unlisted.stdout.trim(), "-2", "an unlisted port is refused");
    assert.match(unlisted.stderr, /http_request GET 127\.0\.0\.1:\d+ denied: .*allowed hosts/);

    const privateRefused = await reach(`http://127.0.0.1:${server.port}/x`, ["--allow-http", `127.0.0.1:${server.port}`]);
    assert.is(privateRefused.stdout.trim(), "-2", "a private address needs --allow-http-private");
    assert.match(privateRefused.stderr, /denied/);

    const noGrant = await reach(`http://127.0.0.1:${server.port}/x`, []);
    assert.is(noGrant.code, 125);
    assert.match(noGrant.stderr, /error\[CapabilityDenied\].*network:http/s);
    assert.is(server.seen.length, 1, "nothing else reached the server");
  } finally {
    await server.close();
  }
});

test.run();
