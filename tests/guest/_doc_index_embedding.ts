// The embedding guest/examples/doc_index.ts documents, computed here
// independently of the guest, so tests can check the guest computes exactly
// it: words are runs of ASCII letters and digits or of non-ASCII UTF-16
// units, ASCII letters lower-cased; each adds 1 to dimension
// fnv1a32(its UTF-16 units) % 32.

export const DOC_INDEX_DIM = 32;

export function docIndexEmbedding(text: string): Float32Array {
  const vector = new Float32Array(DOC_INDEX_DIM);
  for (const word of text.match(/[0-9A-Za-z\u0080-\uffff]+/g) ?? []) {
    const lower = word.replace(/[A-Z]/g, (c) => c.toLowerCase()); // ASCII letters only, as the guest does
    let hash = 0x811c9dc5;
    for (let i = 0; i < lower.length; i++) hash = Math.imul(hash ^ lower.charCodeAt(i), 0x01000193) >>> 0;
    vector[hash % DOC_INDEX_DIM] += 1;
  }
  return vector;
}
