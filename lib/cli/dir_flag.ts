/**
 * `--dir HOST::GUEST[:ro]`: a host directory mounted at a guest path.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";

/** One parsed `--dir` value. */
export interface DirMapping {
  hostPath: string;
  guestPath: string;
  readOnly: boolean;
}

/** Parses `HOST::GUEST[:ro]`, or a bare `DIR` (mounted at the same path, as wasmtime does). */
export function parseDirFlag(value: string): DirMapping {
  let spec = value;
  let readOnly = false;
  if (spec.endsWith(":ro")) {
    readOnly = true;
    spec = spec.slice(0, -3);
  }
  const split = spec.indexOf("::");
  const hostPath = split === -1 ? spec : spec.slice(0, split);
  const guestPath = split === -1 ? spec : spec.slice(split + 2);
  if (hostPath.length === 0 || guestPath.length === 0) {
    throw new SandboxError("InvalidArgument", `--dir "${value}" must be HOST::GUEST or HOST::GUEST:ro`);
  }
  return { hostPath, guestPath, readOnly };
}
