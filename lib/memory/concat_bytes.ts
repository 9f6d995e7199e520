/**
 * Joins byte chunks into one array: pipe output, response bodies, gathered
 * guest writes, framed messages. It lives with the other byte-buffer helpers
 * in lib/memory/ because exec, WASI, isolation, networking and module
 * loading all need it, and none of those areas should import another's
 * internals for it.
 *
 * @module
 */

/**
 * A new array holding the chunks one after the other, cut at `maxBytes` when
 * given: only the bytes that fit are copied, in one allocation no larger than
 * what is kept, so a huge input costs nothing beyond the cap. The result never
 * shares memory with a chunk, so chunks that are views of guest memory (or of
 * a buffer that is reused) can change afterwards without changing it.
 *
 * @example
 * ```ts
 * concatBytes([new Uint8Array([1, 2]), new Uint8Array([3])]); // Uint8Array [1, 2, 3]
 * concatBytes([new Uint8Array([1, 2]), new Uint8Array([3])], 2); // Uint8Array [1, 2]
 * ```
 */
export function concatBytes(chunks: readonly Uint8Array[], maxBytes = Infinity): Uint8Array {
  let total = 0;
  for (const chunk of chunks) total += chunk.byteLength;
  const length = Math.max(0, Math.min(total, maxBytes));
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    if (at === length) break;
    if (chunk.byteLength <= length - at) out.set(chunk, at);
    else out.set(chunk.subarray(0, length - at), at);
    at += Math.min(chunk.byteLength, length - at);
  }
  return out;
}
