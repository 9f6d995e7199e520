import { test } from "uvu";
import * as assert from "uvu/assert";
import { hostPlatform, isDeno } from "../../lib/platform/host_platform.ts";
import { HostNotFoundError } from "../../lib/platform/types.ts";
import { workers } from "../../lib/platform/workers.ts";
import { tempDir } from "../_helpers/temp.ts";

test("hostPlatform() loads the running runtime's adapters, once", async () => {
  const platform = await hostPlatform();
  assert.is(platform.name, isDeno ? "deno" : "node");
  assert.is(await hostPlatform(), platform, "the same platform every time");
  assert.is(platform.workers, workers, "one worker adapter on both runtimes");
  assert.type(platform.commands.spawn, "function");
  assert.type(platform.terminal.writeOut, "function");
  assert.is(platform.fs.cwd(), process.cwd());
});

test("host fs round-trips files, lists dirs and reports symlinks without following them", async () => {
  const { fs } = await hostPlatform();
  const dir = await tempDir();
  await fs.mkdir(`${dir}/sub/deeper`, { recursive: true });
  await fs.writeFile(`${dir}/sub/a.txt`, new TextEncoder().encode("hello"));
  await fs.symlink("a.txt", `${dir}/sub/link`);
  assert.equal(new TextDecoder().decode(await fs.readFile(`${dir}/sub/a.txt`)), "hello");
  const names = (await fs.readDir(`${dir}/sub`)).map((e) => `${e.name}:${e.kind}`).sort();
  assert.equal(names, ["a.txt:file", "deeper:dir", "link:symlink"]);
  assert.is((await fs.lstat(`${dir}/sub/link`)).kind, "symlink");
  assert.is(await fs.readLink(`${dir}/sub/link`), "a.txt");
  assert.is(await fs.realPath(`${dir}/sub/link`), await fs.realPath(`${dir}/sub/a.txt`));
  await fs.remove(dir, { recursive: true });
});

test("host fs turns a missing path into HostNotFoundError", async () => {
  const { fs } = await hostPlatform();
  try {
    await fs.readFile("/definitely/not/here.wasm");
    assert.unreachable();
  } catch (err) {
    assert.instance(err, HostNotFoundError);
  }
});

test.run();
