// Deno's and Node's export maps must offer the same entry points, each entry
// must load, and the root export must stay the small, documented API.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { SUBPATH_RUNTIME_NAMES } from "./_helpers/subpath_exports.ts";

const root = new URL("../", import.meta.url);
const read = (name: string) => JSON.parse(readFileSync(new URL(name, root), "utf8"));
const source = (path: string) => readFileSync(new URL(path, root), "utf8");

/** The largest root export this project accepts (README's API table plus its types). */
const MAX_ROOT_NAMES = 32;

test("deno.json and package.json export the same entry points, at the same version", () => {
  const deno = read("deno.json");
  const pkg = read("package.json");
  assert.equal(Object.keys(deno.exports).sort(), Object.keys(pkg.exports).sort());
  assert.is(deno.exports["."], "./mod.ts");
  assert.is(pkg.exports["."].default, "./dist/mod.js");
  assert.is(deno.version, pkg.version);
});

test("each subpath points at the same file in both maps: the .ts source for Deno, its build with types for Node", () => {
  const deno: Record<string, string> = read("deno.json").exports;
  const pkg: Record<string, { types: string; default: string }> = read("package.json").exports;
  assert.ok(Object.keys(deno).length > 1, "there are subpath exports");
  for (const [subpath, file] of Object.entries(deno)) {
    assert.match(file, /^\.\/.+\.ts$/, `${subpath} points at a .ts file`);
    const stem = file.slice(2, -3);
    assert.equal(pkg[subpath], { types: `./dist/${stem}.d.ts`, default: `./dist/${stem}.js` }, subpath);
    source(file); // exists
  }
});

test("every deno.json export path loads on this runtime and offers what the docs import from it", async () => {
  const deno: Record<string, string> = read("deno.json").exports;
  assert.equal(Object.keys(deno).sort(), Object.keys(SUBPATH_RUNTIME_NAMES).sort());
  for (const [subpath, file] of Object.entries(deno)) {
    const module = await import(new URL(file, root).href);
    for (const name of SUBPATH_RUNTIME_NAMES[subpath]) assert.ok(name in module, `${subpath} (${file}) exports ${name}`);
  }
});

if ("Deno" in globalThis) {
  test("Deno: every export resolves by package name through deno.json's map", async () => {
    const { name, exports } = read("deno.json") as { name: string; exports: Record<string, string> };
    for (const [subpath, file] of Object.entries(exports)) {
      const specifier = subpath === "." ? name : `${name}${subpath.slice(1)}`;
      const byName = await import(specifier);
      const byPath = await import(new URL(file, root).href);
      assert.is(byName, byPath, `${specifier} is ${file}`);
    }
  });
}

test("entry files only re-export", () => {
  for (const file of Object.values(read("deno.json").exports) as string[]) {
    const code = source(file)
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/^\s*\/\/.*$/gm, "");
    const statements = code.split(";").map((s) => s.trim()).filter((s) => s.length > 0);
    for (const statement of statements) {
      assert.match(statement, /^export (type )?\{[^}]*\} from "[^"]+"$/, `${file}: ${statement.slice(0, 80)}`);
    }
  }
});

/** Each name the root exports, with the file it comes from. */
function rootExports(): Array<{ name: string; from: string }> {
  const names: Array<{ name: string; from: string }> = [];
  for (const m of source("mod.ts").matchAll(/export (?:type )?\{([^}]*)\} from "\.\/([^"]+)"/g)) {
    for (const name of m[1].split(",").map((n) => n.trim()).filter(Boolean)) names.push({ name, from: m[2] });
  }
  return names;
}

test(`the root export carries at most ${MAX_ROOT_NAMES} names, each declared with a JSDoc @example`, () => {
  const names = rootExports();
  assert.ok(names.length > 10 && names.length <= MAX_ROOT_NAMES, `${names.length} root exports`);
  for (const { name, from } of names) {
    const { file, doc } = declarationOf(name, from);
    assert.ok(doc !== undefined, `${name} is declared with a JSDoc comment in ${file}`);
    assert.match(doc!, /@example/, `${name}'s JSDoc in ${file} has an @example`);
  }
});

/** The JSDoc of `name`'s declaration, following re-exports from `file`. */
function declarationOf(name: string, file: string): { file: string; doc: string | undefined } {
  const text = source(file);
  const declaration = new RegExp(
    `/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*export (?:declare )?(?:abstract )?(?:class|function|async function|const|let|interface|type) ${name}\\b`,
  );
  const doc = text.match(declaration);
  if (doc) return { file, doc: doc[1] };
  for (const m of text.matchAll(/export (?:type )?\{([^}]*)\} from "([^"]+)"/g)) {
    if (m[1].split(",").some((n) => n.trim() === name)) return declarationOf(name, new URL(m[2], new URL(file, root)).href.slice(root.href.length));
  }
  return { file, doc: undefined };
}

test("the root export leaves out plumbing that has a subpath", async () => {
  const rootModule = await import(new URL("mod.ts", root).href);
  for (const internal of ["parseExecRequest", "encodeExecResponse", "createExecState", "DEPTH_GLOBAL_EXPORT", "TRAP_REASON_GLOBAL_EXPORT", "isCapabilityToken", "LOG_LEVELS"]) {
    assert.not.ok(internal in rootModule, `${internal} is not in the root export`);
  }
});

test("the CLI reports the package version", () => {
  const cli = readFileSync(new URL("cli.ts", root), "utf8");
  assert.match(cli, new RegExp(`const VERSION = "${read("package.json").version.replaceAll(".", "\\.")}"`));
});

test.run();
