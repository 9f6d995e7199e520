// Packs the package as npm would publish it, installs the tarball into a fresh
// Node project and uses it there, as a user would.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
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
     const { execSync, createExecState, defaultSandboxPolicy, closeExecWorker } = await import("wasm-sandbox");
     const policy = { ...defaultSandboxPolicy(), allowedCommands: ["echo"], workingDirectory: process.cwd(), networkIsolation: "none" };
     const ran = execSync({ command: "echo", args: ["ok"], env: {}, output: "utf8" }, policy, createExecState());
     closeExecWorker();
     const echoed = new TextDecoder().decode(ran.response.stdout);
     console.log(JSON.stringify({ sum, code, echoed }));`,
  );
  const out = execFileSync(process.platform === "win32" ? "node.exe" : "node", ["main.mjs"], { cwd: project, encoding: "utf8" });
  assert.equal(JSON.parse(out.trim()), { sum: 42, code: "InvalidModule", echoed: "ok\n" });

  const version = execFileSync(join(project, "node_modules/.bin/wasm-sandbox"), ["--version"], { encoding: "utf8" });
  assert.match(version, /^wasm-sandbox \d/);

  const types = execFileSync("ls", [join(project, "node_modules/wasm-sandbox/dist")], { encoding: "utf8" });
  assert.match(types, /mod\.d\.ts/);
});

test.run();
