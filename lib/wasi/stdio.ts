/**
 * Captured standard output and error, with a byte cap and an optional
 * streaming callback.
 *
 * @module
 */

/** How one output stream is captured. */
export interface OutputOptions {
  /** Bytes kept at most; anything beyond is dropped and `truncated` is set. */
  maxBytes: number;
  /** Called with each kept chunk as the guest writes it. */
  onData?: (chunk: Uint8Array) => void;
}

/** Collects one output stream up to its cap. */
export class OutputSink {
  readonly #max: number;
  readonly #onData?: (chunk: Uint8Array) => void;
  readonly #chunks: Uint8Array[] = [];
  #length = 0;
  /** True once the guest wrote more than `maxBytes`. */
  truncated = false;

  constructor(options: OutputOptions) {
    this.#max = Math.max(0, Math.floor(options.maxBytes));
    if (options.onData !== undefined) this.#onData = options.onData;
  }

  /**
   * Accepts `data` (copied). Always reports the whole length as written so
   * the guest does not spin retrying once the cap is reached.
   */
  write(data: Uint8Array): number {
    const room = this.#max - this.#length;
    const kept = data.byteLength <= room ? data.slice() : data.slice(0, Math.max(0, room));
    if (kept.byteLength < data.byteLength) this.truncated = true;
    if (kept.byteLength > 0) {
      this.#chunks.push(kept);
      this.#length += kept.byteLength;
      this.#onData?.(kept);
    }
    return data.byteLength;
  }

  /** Everything kept so far, as one array. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    return out;
  }
}
