/**
 * What `log_message` does with a guest's message: levels clamped, size
 * capped, invalid UTF-8 replaced, and a per-sandbox rate limit whose drops
 * are counted. The sink is pluggable; the default writes one structured
 * JSON line per message to stderr.
 *
 * The rate limit runs on the host's real (monotonic) clock, never on the
 * sandbox clock the guest sees: in deterministic mode that clock advances by
 * a fixed step per reading, so a guest could make every message look like a
 * new window.
 *
 * @module
 */

/** Log levels 0–4 of the ABI. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error"] as const;

/** One of {@linkcode LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

/** A message as the host logger receives it. */
export interface GuestLogEntry {
  pluginId: string;
  level: LogLevel;
  message: string;
  /** True when the message was cut to the size cap. */
  truncated: boolean;
  /** Milliseconds since the Unix epoch (from the sandbox clock, so deterministic runs stay deterministic). */
  time: number;
}

/** Receives guest log messages. */
export type HostLogger = (entry: GuestLogEntry) => void;

/** The default logger: one JSON line per message on stderr. */
export const stderrLogger: HostLogger = (entry) => console.error(JSON.stringify(entry));

/** Limits of one sandbox's logging. */
export interface GuestLogLimits {
  /** Longest message kept, in bytes; longer ones are cut. Default 4096. */
  maxMessageBytes: number;
  /** Messages allowed per window; more are dropped and counted. Default 100. */
  maxMessagesPerWindow: number;
  /** The rate-limit window in milliseconds. Default 1000. */
  windowMs: number;
}

export const DEFAULT_LOG_LIMITS: Readonly<GuestLogLimits> = Object.freeze({
  maxMessageBytes: 4096,
  maxMessagesPerWindow: 100,
  windowMs: 1000,
});

const lenientUtf8 = new TextDecoder("utf-8", { fatal: false });

/** A real-time clock for rate limits: milliseconds, only ever moving forward. */
export type HostClockMs = () => number;

/** The host's monotonic clock (not the wall clock, which can jump back). */
export const hostMonotonicMs: HostClockMs = () => performance.now();

/** Rate limiting and formatting for one sandbox. */
export class GuestLogGate {
  readonly #limits: GuestLogLimits;
  readonly #now: HostClockMs;
  #windowStart = -Infinity;
  #inWindow = 0;
  /** Messages dropped by the rate limit so far. */
  dropped = 0;

  /**
   * @param limits overrides of {@linkcode DEFAULT_LOG_LIMITS}.
   * @param now the real clock the rate limit reads; inject one in tests.
   *   Never pass the sandbox's guest-visible clock.
   */
  constructor(limits: Partial<GuestLogLimits> = {}, now: HostClockMs = hostMonotonicMs) {
    this.#limits = { ...DEFAULT_LOG_LIMITS, ...limits };
    this.#now = now;
  }

  get maxMessageBytes(): number {
    return this.#limits.maxMessageBytes;
  }

  /** True when a message now is within the rate limit (and counts it); false counts a drop. */
  admit(): boolean {
    const nowMs = this.#now();
    if (nowMs - this.#windowStart >= this.#limits.windowMs) {
      this.#windowStart = nowMs;
      this.#inWindow = 0;
    }
    if (this.#inWindow >= this.#limits.maxMessagesPerWindow) {
      this.dropped++;
      return false;
    }
    this.#inWindow++;
    return true;
  }
}

/** The ABI level number clamped to 0–4, as a name. */
export function levelName(level: number): LogLevel {
  return LOG_LEVELS[Math.min(4, Math.max(0, level | 0))];
}

/** Decodes message bytes, replacing invalid UTF-8 with U+FFFD. */
export function decodeMessage(bytes: Uint8Array): string {
  return lenientUtf8.decode(bytes);
}
