// Deno's and Node's export maps must offer the same entry points.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";

const root = new URL("../", import.meta.url);
const read = (name: string) => JSON.parse(readFileSync(new URL(name, root), "utf8"));

test("deno.json and package.json export the same entry points, at the same version", () => {
  const deno = read("deno.json");
  const pkg = read("package.json");
  assert.equal(Object.keys(deno.exports).sort(), Object.keys(pkg.exports).sort());
  assert.is(deno.exports["."], "./mod.ts");
  assert.is(pkg.exports["."].default, "./dist/mod.js");
  assert.is(deno.version, pkg.version);
});

test("the CLI reports the package version", () => {
  const cli = readFileSync(new URL("cli.ts", root), "utf8");
  assert.match(cli, new RegExp(`const VERSION = "${read("package.json").version.replaceAll(".", "\\.")}"`));
});

test.run();
