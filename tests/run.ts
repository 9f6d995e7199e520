// Test entry point for both runtimes: discovers tests/**/*_test.ts, queues each
// file's uvu suites, then runs them all. Arguments filter files by substring.
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

declare global {
  var UVU_DEFER: number;
  var UVU_INDEX: number;
  var UVU_QUEUE: unknown[][];
}

const testsDir = fileURLToPath(new URL(".", import.meta.url));
const filters = process.argv.slice(2);

function findTests(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findTests(path));
    else if (entry.name.endsWith("_test.ts")) found.push(path);
  }
  return found.sort();
}

const files = findTests(testsDir).filter((file) =>
  filters.length === 0 || filters.some((f) => file.includes(f))
);

globalThis.UVU_DEFER = 1;
globalThis.UVU_QUEUE = [];
for (const [index, file] of files.entries()) {
  globalThis.UVU_QUEUE.push([relative(testsDir, file)]);
  globalThis.UVU_INDEX = index;
  await import(pathToFileURL(file).href);
}

const { exec } = await import("uvu");
await exec();
