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

test.run();
