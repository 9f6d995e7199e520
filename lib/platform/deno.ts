/** {@linkcode HostPlatform} for Deno, over the `Deno` namespace. @module */
import { HostNotFoundError } from "./types.ts";
import type { HostFileInfo, HostFileKind, HostPlatform } from "./types.ts";

/** The slice of the `Deno` namespace this adapter uses (typed here so tsc needs no Deno types). */
interface DenoFileInfo {
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
  size: number;
  mtime: Date | null;
}
interface DenoFile {
  write(data: Uint8Array): Promise<number>;
  close(): void;
}
interface DenoFs {
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  readDir(path: string): AsyncIterable<{ name: string; isFile: boolean; isDirectory: boolean; isSymlink: boolean }>;
  lstat(path: string): Promise<DenoFileInfo>;
  realPath(path: string): Promise<string>;
  readLink(path: string): Promise<string>;
  mkdir(path: string, options?: { recursive?: boolean }): Promise<void>;
  remove(path: string, options?: { recursive?: boolean }): Promise<void>;
  symlink(target: string, path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  open(path: string, options: { append?: boolean; create?: boolean }): Promise<DenoFile>;
  cwd(): string;
  errors: { NotFound: new (...args: never[]) => Error };
}

const deno = (globalThis as unknown as { Deno: DenoFs }).Deno;

function kindOf(s: { isFile: boolean; isDirectory: boolean; isSymlink: boolean }): HostFileKind {
  if (s.isSymlink) return "symlink";
  if (s.isFile) return "file";
  if (s.isDirectory) return "dir";
  return "other";
}

function info(s: DenoFileInfo): HostFileInfo {
  return { kind: kindOf(s), size: s.size, mtimeMs: s.mtime?.getTime() ?? 0 };
}

async function mapNotFound<T>(path: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof deno.errors.NotFound) throw new HostNotFoundError(path, { cause: err });
    throw err;
  }
}

/** The Deno implementation. */
export const denoPlatform: HostPlatform = {
  name: "deno",
  cwd: () => deno.cwd(),
  fs: {
    readFile: (path) => mapNotFound(path, () => deno.readFile(path)),
    writeFile: (path, data) => deno.writeFile(path, data),
    readDir: (path) =>
      mapNotFound(path, async () => {
        const entries = [];
        for await (const e of deno.readDir(path)) entries.push({ name: e.name, kind: kindOf(e) });
        return entries;
      }),
    lstat: (path) => mapNotFound(path, async () => info(await deno.lstat(path))),
    realPath: (path) => mapNotFound(path, () => deno.realPath(path)),
    readLink: (path) => mapNotFound(path, () => deno.readLink(path)),
    mkdir: (path, options) => deno.mkdir(path, { recursive: options?.recursive ?? false }),
    remove: (path, options) => deno.remove(path, { recursive: options?.recursive ?? false }),
    symlink: (target, path) => deno.symlink(target, path),
    rename: (from, to) => deno.rename(from, to),
    openAppend: async (path) => {
      const file = await deno.open(path, { append: true, create: true });
      return {
        // A single write may be partial; loop until every byte is out.
        write: async (data) => {
          for (let offset = 0; offset < data.byteLength;) offset += await file.write(data.subarray(offset));
        },
        close: () => Promise.resolve(file.close()),
      };
    },
  },
};
