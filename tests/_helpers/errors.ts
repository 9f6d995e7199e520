// Assertions on SandboxErrors for tests.
import * as assert from "uvu/assert";
import { SandboxError } from "../../lib/errors.ts";

/** The SandboxError `promise` rejects with; fails the test for a resolve or any other error. */
export async function sandboxError(promise: Promise<unknown>): Promise<SandboxError> {
  try {
    await promise;
  } catch (e) {
    assert.instance(e, SandboxError);
    return e as SandboxError;
  }
  assert.unreachable("expected a SandboxError, but the promise resolved");
  throw new Error("unreachable");
}

/** The code of the SandboxError `promise` rejects with. */
export async function errorCode(promise: Promise<unknown>): Promise<string> {
  return (await sandboxError(promise)).code;
}
