/**
 * A bounded min-heap keeping the `k` best (score, row) pairs seen so far:
 * O(n log k) time and O(k) memory for a search over n vectors, instead of
 * sorting all n scores. Ties are broken by key, smaller first, so results
 * are deterministic.
 *
 * @module
 */

/** The k best rows by score. `keyOf` names a row for tie-breaking. */
export class TopK {
  readonly #scores: Float64Array;
  readonly #rows: Int32Array;
  readonly #keyOf: (row: number) => string;
  #size = 0;

  constructor(k: number, keyOf: (row: number) => string) {
    this.#scores = new Float64Array(k);
    this.#rows = new Int32Array(k);
    this.#keyOf = keyOf;
  }

  /** True when (scoreA, rowA) ranks below (scoreB, rowB). */
  #worse(scoreA: number, rowA: number, scoreB: number, rowB: number): boolean {
    if (scoreA !== scoreB) return scoreA < scoreB;
    return this.#keyOf(rowA) > this.#keyOf(rowB);
  }

  /** Offers one candidate; kept only if it beats the worst of a full heap. */
  offer(score: number, row: number): void {
    const scores = this.#scores, rows = this.#rows;
    if (this.#size < scores.length) {
      // Sift up from the new leaf.
      let i = this.#size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.#worse(score, row, scores[parent], rows[parent])) break;
        scores[i] = scores[parent];
        rows[i] = rows[parent];
        i = parent;
      }
      scores[i] = score;
      rows[i] = row;
      return;
    }
    if (scores.length === 0 || !this.#worse(scores[0], rows[0], score, row)) return;
    // Replace the root (the worst kept) and sift down.
    let i = 0;
    const n = this.#size;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.#worse(scores[right], rows[right], scores[left], rows[left]) ? right : left;
      if (!this.#worse(scores[child], rows[child], score, row)) break;
      scores[i] = scores[child];
      rows[i] = rows[child];
      i = child;
    }
    scores[i] = score;
    rows[i] = row;
  }

  /** True once `k` candidates are kept (later ones must beat the worst). */
  get full(): boolean {
    return this.#size === this.#scores.length;
  }

  /** The score of the worst kept candidate (the heap's root); -Infinity when none is kept. */
  get worstScore(): number {
    return this.#size === 0 ? -Infinity : this.#scores[0];
  }

  /** The kept pairs, best first. */
  sorted(): Array<{ row: number; score: number }> {
    const out: Array<{ row: number; score: number }> = [];
    for (let i = 0; i < this.#size; i++) out.push({ row: this.#rows[i], score: this.#scores[i] });
    return out.sort((a, b) => this.#worse(a.score, a.row, b.score, b.row) ? 1 : -1);
  }
}
