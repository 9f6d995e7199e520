/**
 * The life cycle of a {@linkcode PluginSandbox}: a small explicit state machine.
 *
 * ```
 *   Ready ──call──▶ Running ──ok──▶ Ready
 *                     │ trap / out of fuel / stack overflow
 *                     ▼
 *                  Trapped ──reset()──▶ Ready
 *   any ──unload / proc_exit of a command──▶ Terminated ──reset()──▶ Ready (unless unloaded)
 * ```
 *
 * @module
 */
import { SandboxError } from "../errors.ts";

/**
 * States a sandbox can be in.
 *
 * @example
 * ```ts
 * import { SandboxState } from "wasm-sandbox";
 *
 * if (plugin.state === SandboxState.Trapped) await plugin.reset();
 * ```
 */
export const SandboxState = {
  /** Instantiated and idle: calls are accepted. */
  Ready: "Ready",
  /** A call is executing (a reentrant call from a host function is refused). */
  Running: "Running",
  /** The guest trapped; its memory may be inconsistent, so calls are refused until `reset()`. */
  Trapped: "Trapped",
  /** A WASI command ran to its end, or the plugin was unloaded. */
  Terminated: "Terminated",
} as const;

/** One of the values of {@linkcode SandboxState}. */
export type SandboxState = typeof SandboxState[keyof typeof SandboxState];

// A lookup rather than a list search: every call makes two transitions.
const transitions: Record<SandboxState, Partial<Record<SandboxState, true>>> = {
  Ready: { Running: true, Terminated: true, Ready: true }, // Ready → Ready: reset() of an idle sandbox
  Running: { Ready: true, Trapped: true, Terminated: true },
  Trapped: { Ready: true, Terminated: true },
  Terminated: { Ready: true },
};

/** Holds the current state and refuses transitions the diagram does not allow. */
export class SandboxStateMachine {
  #state: SandboxState = SandboxState.Ready;
  readonly #pluginId: string;

  constructor(pluginId: string) {
    this.#pluginId = pluginId;
  }

  get current(): SandboxState {
    return this.#state;
  }

  /** Moves to `next`, or throws `InvalidState` when the transition is not allowed. */
  moveTo(next: SandboxState): void {
    if (transitions[this.#state][next] !== true) {
      throw new SandboxError(
        "InvalidState",
        `plugin "${this.#pluginId}" is ${this.#state} and cannot become ${next}`,
        { pluginId: this.#pluginId },
      );
    }
    this.#state = next;
  }

  /** Throws `InvalidState` unless the sandbox is Ready, with advice for each state. */
  assertReady(action: string): void {
    if (this.#state === SandboxState.Ready) return;
    const advice = this.#state === SandboxState.Running
      ? "it is already running a call (reentrant calls are not allowed)"
      : `it is ${this.#state}; call reset() first`;
    throw new SandboxError("InvalidState", `cannot ${action} plugin "${this.#pluginId}": ${advice}`, {
      pluginId: this.#pluginId,
    });
  }
}
