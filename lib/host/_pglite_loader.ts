/**
 * Loads PGlite and its pgvector extension only when a PGlite soch store is
 * opened: both are optional peer dependencies, so hosts that never use the
 * store never install or load them.
 *
 * @module
 */
import type { Extension, PGlite } from "@electric-sql/pglite";
import { SandboxError } from "../errors.ts";

/** The two packages, at the versions known to work together (pgvector builds are tied to one PGlite build). */
export const PGLITE_PACKAGES = "@electric-sql/pglite@0.5.15 @electric-sql/pglite-pgvector@0.0.16";

/** What the store needs from the packages. */
export interface PgliteModules {
  PGlite: typeof PGlite;
  vector: Extension;
}

/** Imports one package; replaceable so the missing-package path can be tested. */
export type PackageImporter = (name: "@electric-sql/pglite" | "@electric-sql/pglite-pgvector") => Promise<unknown>;

// Literal specifiers, so bundlers and Deno see the (optional, lazy) dependency.
const importPackage: PackageImporter = (name) =>
  name === "@electric-sql/pglite" ? import("@electric-sql/pglite") : import("@electric-sql/pglite-pgvector");

/**
 * Imports PGlite and pgvector, or fails with `NotFound` saying how to install them.
 *
 * @example
 * ```ts
 * const { PGlite, vector } = await loadPglite();
 * ```
 */
export async function loadPglite(importer: PackageImporter = importPackage): Promise<PgliteModules> {
  const load = async (name: "@electric-sql/pglite" | "@electric-sql/pglite-pgvector") => {
    try {
      return await importer(name) as Record<string, unknown>;
    } catch (err) {
      throw new SandboxError(
        "NotFound",
        `the PGlite soch store needs the optional package ${name}, which could not be loaded ` +
          `(${err instanceof Error ? err.message : String(err)}). Install both with ` +
          `\`npm install --save-exact ${PGLITE_PACKAGES}\` (Deno: map them to npm: specifiers in your import map)`,
        { cause: err },
      );
    }
  };
  const pglite = await load("@electric-sql/pglite");
  const pgvector = await load("@electric-sql/pglite-pgvector");
  if (typeof pglite.PGlite !== "function" || typeof pgvector.vector !== "object" || pgvector.vector === null) {
    throw new SandboxError("NotFound", `the installed PGlite packages do not export PGlite and vector; install ${PGLITE_PACKAGES}`);
  }
  return { PGlite: pglite.PGlite as typeof PGlite, vector: pgvector.vector as Extension };
}
