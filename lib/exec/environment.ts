/**
 * The command's environment: built from nothing. Only whitelisted names
 * pass, from the host or from the request, and names that change how
 * loaders, shells or interpreters behave never pass, whitelisted or not.
 *
 * @module
 */
import type { SandboxPolicy } from "./policy.ts";

/** Names that never reach a command (they inject code or reconfigure a loader, shell or interpreter). */
export const FORBIDDEN_ENV_NAMES: ReadonlySet<string> = new Set([
  "BASH_ENV", "ENV", "PS4", "SHELLOPTS", "BASHOPTS", "IFS", "CDPATH", "GLOBIGNORE", "PROMPT_COMMAND",
  "NODE_OPTIONS", "NODE_PATH", "NODE_EXTRA_CA_CERTS",
  "PYTHONSTARTUP", "PYTHONPATH", "PYTHONHOME", "PYTHONINSPECT", "PYTHONWARNINGS", "PYTHONBREAKPOINT",
  "PERL5OPT", "PERL5LIB", "PERLLIB", "PERL5DB", "RUBYOPT", "RUBYLIB",
  "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH",
  "GCONV_PATH", "LOCPATH", "NLSPATH", "HOSTALIASES", "RES_OPTIONS", "LOCALDOMAIN",
  "GIT_EXEC_PATH", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_CONFIG_GLOBAL", "EDITOR", "VISUAL", "PAGER",
  "PATH", // set from the policy's search path, never from the host or the guest
]);

/** Name prefixes that never reach a command. */
export const FORBIDDEN_ENV_PREFIXES: readonly string[] = ["LD_", "DYLD_", "BASH_FUNC_", "MALLOC_", "GLIBC_"];

/** True when `name` may never be passed to a command. */
export function isForbiddenEnvName(name: string): boolean {
  return FORBIDDEN_ENV_NAMES.has(name) || FORBIDDEN_ENV_PREFIXES.some((p) => name.startsWith(p));
}

/** The environment for a command, or the reason the request is refused. */
export type EnvironmentResult = { env: Record<string, string> } | { refusal: string };

/**
 * Builds the command's environment: PATH from the policy's search path;
 * whitelisted host variables; request variables (whitelisted, not
 * forbidden — otherwise the request is refused, so nothing is silently dropped).
 */
export function buildEnvironment(
  policy: Pick<SandboxPolicy, "environmentWhitelist" | "searchPath">,
  hostEnv: Readonly<Record<string, string>>,
  requested: Readonly<Record<string, string>>,
): EnvironmentResult {
  const whitelist = new Set(policy.environmentWhitelist);
  for (const name of Object.keys(requested)) {
    if (isForbiddenEnvName(name)) return { refusal: `environment variable ${name} is never passed to commands` };
    if (!whitelist.has(name)) return { refusal: `environment variable ${name} is not in the policy's whitelist` };
  }
  // A null prototype: a guest-chosen "__proto__" stays an ordinary key.
  const env: Record<string, string> = Object.create(null);
  for (const name of whitelist) {
    if (isForbiddenEnvName(name)) continue;
    if (Object.hasOwn(requested, name)) env[name] = requested[name];
    else if (Object.hasOwn(hostEnv, name)) env[name] = hostEnv[name];
  }
  env.PATH = policy.searchPath.join(":");
  return { env };
}
