import { test } from "uvu";
import * as assert from "uvu/assert";
import { isSandboxError, SandboxError } from "../lib/errors.ts";

test("SandboxError carries a stable code and an offset", () => {
  const err = new SandboxError("InvalidModule", "bad magic", { offset: 4 });
  assert.instance(err, Error);
  assert.is(err.code, "InvalidModule");
  assert.is(err.offset, 4);
  assert.ok(isSandboxError(err, "InvalidModule"));
  assert.not.ok(isSandboxError(err, "Trap"));
  assert.not.ok(isSandboxError(new Error("x")));
});

test.run();
