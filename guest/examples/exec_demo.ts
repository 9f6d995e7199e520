// Example plugin: runs a host command through the sandbox's exec policy and
// stores the JSON response under "exec_result". Needs sandbox:exec,
// sandbox:time, soch:write and sandbox:log.
import { errorName, exec, INFO, jsonString, lastError, log, sochWriteString, timestamp, WARN } from "../sdk/index";

/** Runs `echo <message>`; returns the response size in bytes, or a negative ABI code. */
export function run(): i32 {
  const started = timestamp();
  const request = "{\"command\":\"echo\",\"args\":[" + jsonString("hello from the sandbox") + "],\"timeout_ms\":1000}";
  const response = exec(request);
  if (response === null) {
    const code = lastError();
    log(WARN, "sandbox_exec failed: " + errorName(code));
    return code;
  }
  log(INFO, "exec took " + (timestamp() - started).toString() + " ms: " + response);
  const written = sochWriteString("exec_result", response);
  if (written < 0) return written;
  return String.UTF8.byteLength(response);
}
