/**
 * Files the CLI itself writes after or during a run (`--stats-json`,
 * `--soch`, `--audit`). A guest with a writable mount, or a command it ran,
 * can plant symlinks in the host directories; these files must not be written
 * through them. So each output path is checked before the guest runs (its
 * directory resolved with realpath, the file itself not a symlink), and when
 * written: the directory must still resolve to the same place, and the file
 * is opened with O_NOFOLLOW, so a link put there is refused rather than
 * followed.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { hostPlatform } from "../platform/host_platform.ts";
import { HostNotFoundError } from "../platform/types.ts";

/** An output path checked before the run. */
export interface OutputFile {
  /** The path to open: the resolved directory plus the file name. */
  readonly path: string;
  /** Writes `text` as the whole file, refusing links planted since the check. */
  write(text: string): Promise<void>;
}

/**
 * Checks `path` (given with `flag`, for messages) before the guest runs:
 * its directory must exist, and the file, when present, must not be a
 * symlink or a directory.
 *
 * @example
 * ```ts
 * const stats = await prepareOutputFile("out/stats.json", "--stats-json");
 * // ... run the guest ...
 * await stats.write(JSON.stringify(summary));
 * ```
 */
export async function prepareOutputFile(path: string, flag: string): Promise<OutputFile> {
  const { fs } = await hostPlatform();
  const slash = path.lastIndexOf("/");
  const dir = slash === -1 ? "." : slash === 0 ? "/" : path.slice(0, slash);
  const name = path.slice(slash + 1);
  if (name === "" || name === "." || name === "..") {
    throw new SandboxError("InvalidArgument", `${flag} ${path} must name a file`);
  }
  const realDir = await fs.realPath(dir).catch((err) => {
    if (err instanceof HostNotFoundError) throw new SandboxError("NotFound", `${flag} ${path}: directory ${dir} does not exist`);
    throw new SandboxError("IoError", `${flag} ${path}: cannot resolve ${dir}: ${(err as Error).message}`, { cause: err });
  });
  const resolved = realDir.endsWith("/") ? realDir + name : `${realDir}/${name}`;
  const info = await fs.lstat(resolved).catch((err) => {
    if (err instanceof HostNotFoundError) return undefined;
    throw new SandboxError("IoError", `${flag} ${path}: ${(err as Error).message}`, { cause: err });
  });
  if (info?.kind === "symlink") {
    throw new SandboxError("InvalidArgument", `${flag} ${path} is a symlink; output files are never written through one, so name the file itself`);
  }
  if (info?.kind === "dir") throw new SandboxError("InvalidArgument", `${flag} ${path} is a directory`);

  return {
    path: resolved,
    async write(text) {
      // A directory on the way replaced by a symlink during the run now resolves elsewhere.
      const now = await fs.realPath(dir).catch(() => undefined);
      if (now !== realDir) {
        throw new SandboxError("IoError", `${flag} ${path} not written: its directory ${dir} ${now === undefined ? "is gone" : `now leads to ${now}`} (changed during the run)`);
      }
      try {
        await fs.writeFileNoFollow(resolved, new TextEncoder().encode(text));
      } catch (err) {
        const loop = (err as { code?: string }).code === "ELOOP";
        throw new SandboxError(
          "IoError",
          loop
            ? `${flag} ${path} not written: it became a symlink during the run, and output files are never written through one`
            : `${flag} ${path} not written: ${(err as Error).message}`,
          { cause: err },
        );
      }
    },
  };
}
