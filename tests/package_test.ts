// Packs the package as npm would publish it, installs the tarball into a fresh
// Node project and uses it there, as a user would.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SUBPATH_RUNTIME_NAMES } from "./_helpers/subpath_exports.ts";
import { tempDir } from "./_helpers/temp.ts";
import { wat } from "./_helpers/wat.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

test("the packed package installs into a fresh project and runs a plugin", async () => {
  const work = await tempDir("wasm-sandbox-pack-");
  execFileSync(npm, ["pack", "--pack-destination", work, "--silent"], { cwd: root, stdio: "pipe" });
  const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
  assert.ok(tarball, "npm pack wrote a tarball");

  const project = join(work, "user-project");
  execFileSync("mkdir", ["-p", project]);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "user-project", private: true, type: "module" }));
  execFileSync(npm, ["install", "--no-audit", "--no-fund", "--silent", join(work, tarball)], { cwd: project, stdio: "pipe" });

  writeFileSync(join(project, "add.wasm"), await wat(`(module (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1))))`));
  writeFileSync(
    join(project, "main.mjs"),
    `import { WasmSandboxRuntime, SandboxError } from "wasm-sandbox";
     const runtime = new WasmSandboxRuntime();
     const plugin = await runtime.loadPlugin("add", "./add.wasm");
     const sum = await plugin.call("add", 40, 2);
     let code = "none";
     try { await runtime.loadPlugin("bad", new Uint8Array([0, 1, 2])); } catch (e) { code = e instanceof SandboxError ? e.code : "other"; }
     // The exec worker is a separate file: it must be found inside the installed package too.
     const { execSync, createExecState, defaultSandboxPolicy, closeExecWorker } = await import("wasm-sandbox/exec");
     const policy = { ...defaultSandboxPolicy(), allowedCommands: ["echo"], workingDirectory: process.cwd(), networkIsolation: "none" };
     const ran = execSync({ command: "echo", args: ["ok"], env: {}, output: "utf8" }, policy, createExecState());
     closeExecWorker();
     const echoed = new TextDecoder().decode(ran.response.stdout);
     // Every subpath export resolves from the installed package, with what the docs import from it.
     const missing = [];
     for (const [subpath, names] of Object.entries(${JSON.stringify(SUBPATH_RUNTIME_NAMES)})) {
       const specifier = subpath === "." ? "wasm-sandbox" : "wasm-sandbox" + subpath.slice(1);
       const module = await import(specifier);
       for (const name of names) if (!(name in module)) missing.push(specifier + ": " + name);
     }
     console.log(JSON.stringify({ sum, code, echoed, missing }));`,
  );
  const out = execFileSync(process.platform === "win32" ? "node.exe" : "node", ["main.mjs"], { cwd: project, encoding: "utf8" });
  assert.equal(JSON.parse(out.trim()), { sum: 42, code: "InvalidModule", echoed: "ok\n", missing: [] });

  // Each export's types file is in the package, where package.json says.
  const installed = join(project, "node_modules/wasm-sandbox");
  const exportsMap: Record<string, { types: string }> = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")).exports;
  assert.equal(Object.keys(exportsMap).sort(), Object.keys(SUBPATH_RUNTIME_NAMES).sort());
  for (const [subpath, target] of Object.entries(exportsMap)) assert.ok(existsSync(join(installed, target.types)), `${subpath}: ${target.types}`);
  // ... and TypeScript resolves each export path to its types, as a user's project would (NodeNext).
  writeFileSync(
    join(project, "types_check.ts"),
    Object.keys(exportsMap).map((subpath, i) =>
      `import * as m${i} from "wasm-sandbox${subpath === "." ? "" : subpath.slice(1)}";\nexport const n${i}: number = Object.keys(m${i}).length;\n`
    ).join("") +
      `import type { PluginOptions, WasiOptions } from "wasm-sandbox";\nimport type { SandboxPolicy } from "wasm-sandbox/exec";\n` +
      `export const options: PluginOptions = { wasi: { args: ["x"] } satisfies WasiOptions };\nexport type P = SandboxPolicy;\n`,
  );
  execFileSync(process.execPath, [
    join(root, "node_modules/typescript/bin/tsc"),
    "--noEmit", "--strict", "--skipLibCheck", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--types", "node",
    "--typeRoots", join(root, "node_modules/@types"), "types_check.ts",
  ], { cwd: project, stdio: "pipe" });

  const version = execFileSync(join(project, "node_modules/.bin/wasm-sandbox"), ["--version"], { encoding: "utf8" });
  assert.match(version, /^wasm-sandbox \d/);

  const types = execFileSync("ls", [join(project, "node_modules/wasm-sandbox/dist")], { encoding: "utf8" });
  assert.match(types, /mod\.d\.ts/);
});

test.run();
