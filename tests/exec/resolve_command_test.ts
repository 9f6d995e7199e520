// Command resolution asks the host file system (not the command runner) where
// a path really leads and whether an executable file is there.
import { chmodSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { commandRefusal, findOnSearchPath, resolveCommand } from "../../lib/exec/resolve_command.ts";
import { resolveWorkingDirectory } from "../../lib/exec/working_directory.ts";
import { hostPlatform } from "../../lib/platform/host_platform.ts";
import type { HostFileSystem } from "../../lib/platform/types.ts";
import { tempDir } from "../_helpers/temp.ts";

const { fs } = await hostPlatform();

/** bin/tool (executable), bin/data (not executable), bin/dir/, bin/link → tool, bin/dangling → missing. */
async function fixture(): Promise<string> {
  const root = realpathSync(await tempDir("wasm-sandbox-resolve-"));
  mkdirSync(`${root}/bin/dir`, { recursive: true });
  writeFileSync(`${root}/bin/tool`, "#!/bin/sh\n");
  chmodSync(`${root}/bin/tool`, 0o755);
  writeFileSync(`${root}/bin/data`, "");
  chmodSync(`${root}/bin/data`, 0o644);
  symlinkSync("tool", `${root}/bin/link`);
  symlinkSync("missing", `${root}/bin/dangling`);
  return root;
}

test("resolveCommand() answers with the real path of an executable file, and nothing else", async () => {
  const root = await fixture();
  const policy = { searchPath: [`${root}/bin`] };
  assert.is(await resolveCommand(fs, "tool", policy, root), `${root}/bin/tool`);
  assert.is(await resolveCommand(fs, "link", policy, root), `${root}/bin/tool`, "a symlink runs as its target");
  assert.is(await resolveCommand(fs, "./bin/link", policy, root), `${root}/bin/tool`);
  for (const name of ["data", "dir", "dangling", "nothing"]) {
    assert.is(await resolveCommand(fs, name, policy, root), undefined, name);
  }
});

test("command resolution uses the file system it is given", async () => {
  const root = await fixture();
  // The same tree, but this file system reports no execute bits anywhere.
  const noExec: HostFileSystem = { ...fs, lstat: async (path) => ({ ...(await fs.lstat(path)), mode: 0o644 }) };
  assert.is(await findOnSearchPath(fs, "tool", [`${root}/bin`]), `${root}/bin/tool`);
  assert.is(await findOnSearchPath(noExec, "tool", [`${root}/bin`]), undefined);
});

test("commandRefusal() matches allow and block entries by real path", async () => {
  const root = await fixture();
  const policy = { allowedCommands: [`${root}/bin/link`], blockedCommands: [], searchPath: [`${root}/bin`] };
  assert.is(await commandRefusal(fs, `${root}/bin/tool`, "tool", policy), undefined);
  const blocked = { ...policy, blockedCommands: ["link"] };
  assert.match(String(await commandRefusal(fs, `${root}/bin/tool`, "link", blocked)), /blocked/);
});

test("resolveWorkingDirectory() keeps the cwd inside the policy's directory, by real path", async () => {
  const root = await fixture();
  symlinkSync("/", `${root}/out`);
  assert.equal(await resolveWorkingDirectory(fs, root, "bin/dir"), { cwd: `${root}/bin/dir`, root });
  assert.match(JSON.stringify(await resolveWorkingDirectory(fs, root, "out")), /outside the working directory/);
  assert.match(JSON.stringify(await resolveWorkingDirectory(fs, root, "bin/tool")), /not a directory/);
  assert.match(JSON.stringify(await resolveWorkingDirectory(fs, root, "nope")), /does not exist/);
  assert.match(JSON.stringify(await resolveWorkingDirectory(fs, `${root}/bin/tool`, undefined)), /does not exist/);
});

test.run();
