// Compiles AssemblyScript to wasm at test time with the `assemblyscript`
// package's programmatic asc API and an in-memory file system. The entry
// source is virtual; files it imports are looked up in `options.files` first,
// then read from the project's guest/ folder (so `./sdk/index` and
// `../sdk/index` resolve to the real SDK).
import asc from "assemblyscript/asc";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join, normalize } from "node:path";

const projectRoot = fileURLToPath(new URL("../../", import.meta.url));

/** Options of {@linkcode compileAssemblyScript}. */
export interface CompileOptions {
  /** Virtual path of the entry file, relative to the project root (default guest/_test_input.ts). */
  path?: string;
  /** Extra virtual files, by project-relative path. */
  files?: Record<string, string>;
  /** Extra asc flags, e.g. ["--use", "abort=..."] or ["-O3"]. */
  flags?: string[];
}

function readGuestFile(path: string): string | null {
  const clean = normalize(path).replaceAll("\\", "/");
  // Only the guest sources are reachable, never the rest of the disk.
  if (!clean.startsWith("guest/") || clean.includes("..")) return null;
  try {
    return readFileSync(join(projectRoot, clean), "utf8");
  } catch {
    return null;
  }
}

/** Compiles `source` (AssemblyScript) to a wasm binary; throws with asc's diagnostics on error. */
export async function compileAssemblyScript(source: string, options: CompileOptions = {}): Promise<Uint8Array> {
  const entry = options.path ?? "guest/_test_input.ts";
  const files: Record<string, string> = { ...options.files, [entry]: source };
  let binary: Uint8Array | undefined;
  let diagnostics = "";
  const stream = { write: (text: string) => void (diagnostics += text), toString: () => diagnostics };
  const result = await asc.main([entry, "--outFile", "out.wasm", "--runtime", "incremental", ...(options.flags ?? [])], {
    readFile: (name: string) => (Object.hasOwn(files, name) ? files[name] : readGuestFile(name)),
    writeFile: (name: string, contents: Uint8Array | string) => {
      if (name === "out.wasm" && typeof contents !== "string") binary = contents;
    },
    listFiles: () => [],
    stdout: stream,
    stderr: stream,
  });
  if (result.error || binary === undefined) {
    throw new Error(`AssemblyScript compilation of ${entry} failed: ${result.error?.message ?? "no output"}\n${diagnostics}`);
  }
  return binary;
}

/** Compiles a file that exists under guest/ (e.g. "guest/examples/kv_counter.ts"). */
export function compileGuestFile(path: string, flags: string[] = []): Promise<Uint8Array> {
  const source = readGuestFile(path);
  if (source === null) throw new Error(`${path} is not a readable file under guest/`);
  return compileAssemblyScript(source, { path, flags });
}
