/**
 * Captured standard output and error, with a byte cap and an optional
 * streaming callback.
 *
 * @module
 */
import { concatBytes } from "../memory/concat_bytes.ts";

/** How one output stream is captured. */
export interface OutputOptions {
  /** Bytes kept at most (`Infinity` for no cap); anything beyond is dropped and `truncated` is set. */
  maxBytes: number;
  /** Called with each kept chunk as the guest writes it. */
  onData?: (chunk: Uint8Array) => void;
  /**
   * Keep the chunks for {@linkcode OutputSink.bytes} (default true). A host
   * that only streams (`onData`) turns this off, so an uncapped stream costs
   * no host memory.
   */
  capture?: boolean;
}

/** Collects one output stream up to its cap. */
export class OutputSink {
  readonly #max: number;
  readonly #onData?: (chunk: Uint8Array) => void;
  readonly #capture: boolean;
  readonly #chunks: Uint8Array[] = [];
  #length = 0;
  /** True once the guest wrote more than `maxBytes`. */
  truncated = false;

  constructor(options: OutputOptions) {
    this.#max = Math.max(0, Math.floor(options.maxBytes));
    if (options.onData !== undefined) this.#onData = options.onData;
    this.#capture = options.capture ?? true;
  }

  /** Bytes the sink can still keep before it starts dropping. */
  get room(): number {
    return this.#max - this.#length;
  }

  /**
   * Accepts the concatenation of `chunks` (views of guest memory, copied
   * here). Only the bytes that fit under the cap are copied, in one
   * allocation no larger than what is kept, so a huge gathered write costs
   * the host nothing beyond the cap. Always reports the whole length as
   * written so the guest does not spin retrying once the cap is reached.
   */
  write(chunks: readonly Uint8Array[]): number {
    const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    const keep = Math.min(total, this.room);
    if (keep < total) this.truncated = true;
    if (keep > 0) {
      const kept = concatBytes(chunks, keep);
      if (this.#capture) this.#chunks.push(kept);
      this.#length += keep;
      this.#onData?.(kept);
    }
    return total;
  }

  /** Everything kept so far, as one array (empty when not capturing). */
  bytes(): Uint8Array {
    return concatBytes(this.#chunks);
  }
}
