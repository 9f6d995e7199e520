// Reads vector_search's JSON answer, [{"key":"…","score":0.93},…], into
// SearchHit objects, so that a plugin needs no JSON library to use its hits.
// Only that shape is accepted (it is all the host writes): any other JSON, or
// text that is not JSON, gives null rather than a guess.

/** One search result: a key and its cosine similarity to the query, in [-1, 1]. */
export class SearchHit {
  key: string;
  score: f64;

  constructor(key: string, score: f64) {
    this.key = key;
    this.score = score;
  }
}

/** The hits in `json`, best first as the host sent them; null if it is not a hit list. */
export function parseSearchHits(json: string): SearchHit[] | null {
  return new HitReader(json).list();
}

const QUOTE: i32 = 0x22;
const BACKSLASH: i32 = 0x5c;

/** A cursor over the JSON text; every reader method returns null (or NaN) on anything unexpected. */
class HitReader {
  text: string;
  pos: i32 = 0;

  constructor(text: string) {
    this.text = text;
  }

  list(): SearchHit[] | null {
    const hits = new Array<SearchHit>();
    if (!this.eat(0x5b)) return null; // [
    if (!this.eat(0x5d)) { // ]
      do {
        const hit = this.hit();
        if (hit === null) return null;
        hits.push(hit);
      } while (this.eat(0x2c)); // ,
      if (!this.eat(0x5d)) return null;
    }
    this.skipSpace();
    return this.pos == this.text.length ? hits : null;
  }

  hit(): SearchHit | null {
    if (!this.eat(0x7b)) return null; // {
    let key: string | null = null;
    let score: f64 = NaN;
    do {
      const name = this.string();
      if (name === null || !this.eat(0x3a)) return null; // :
      if (name == "key" && key === null) {
        key = this.string();
        if (key === null) return null;
      } else if (name == "score" && isNaN(score)) {
        score = this.number();
        if (isNaN(score)) return null;
      } else {
        return null; // an unknown or repeated field: not the host's answer
      }
    } while (this.eat(0x2c));
    if (!this.eat(0x7d) || key === null || isNaN(score)) return null; // }
    return new SearchHit(key, score);
  }

  /** A JSON string literal, unescaped. */
  string(): string | null {
    this.skipSpace();
    const text = this.text;
    if (this.peek() != QUOTE) return null;
    this.pos++;
    let out = "";
    let start = this.pos;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c == QUOTE) {
        out += text.substring(start, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) return null; // control characters must be escaped
      if (c != BACKSLASH) {
        this.pos++;
        continue;
      }
      out += text.substring(start, this.pos);
      const escaped = this.escape();
      if (escaped < 0) return null;
      out += String.fromCharCode(escaped);
      start = this.pos;
    }
    return null; // unterminated
  }

  /** The UTF-16 unit of the escape at pos (a backslash), or -1. A surrogate pair is two \u escapes, so two units. */
  escape(): i32 {
    const text = this.text;
    if (this.pos + 1 >= text.length) return -1;
    const e = text.charCodeAt(this.pos + 1);
    this.pos += 2;
    switch (e) {
      case QUOTE: return QUOTE;
      case BACKSLASH: return BACKSLASH;
      case 0x2f: return 0x2f; // /
      case 0x62: return 0x08; // b
      case 0x66: return 0x0c; // f
      case 0x6e: return 0x0a; // n
      case 0x72: return 0x0d; // r
      case 0x74: return 0x09; // t
      case 0x75: { // uXXXX
        if (this.pos + 4 > text.length) return -1;
        let unit: i32 = 0;
        for (let i = 0; i < 4; i++) {
          const digit = hexValue(text.charCodeAt(this.pos + i));
          if (digit < 0) return -1;
          unit = (unit << 4) | digit;
        }
        this.pos += 4;
        return unit;
      }
      default: return -1;
    }
  }

  /** A JSON number (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?), or NaN. */
  number(): f64 {
    this.skipSpace();
    const start = this.pos;
    if (this.peek() == 0x2d) this.pos++; // -
    if (this.peek() == 0x30) this.pos++; // a leading 0 stands alone
    else if (this.digits() == 0) return NaN;
    if (this.peek() == 0x2e) { // .
      this.pos++;
      if (this.digits() == 0) return NaN;
    }
    const e = this.peek();
    if (e == 0x65 || e == 0x45) {
      this.pos++;
      const sign = this.peek();
      if (sign == 0x2b || sign == 0x2d) this.pos++;
      if (this.digits() == 0) return NaN;
    }
    return F64.parseFloat(this.text.substring(start, this.pos));
  }

  /** Skips decimal digits; returns how many. */
  digits(): i32 {
    const start = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
    }
    return this.pos - start;
  }

  /** Skips whitespace; consumes `c` if it comes next. */
  eat(c: i32): bool {
    this.skipSpace();
    if (this.peek() != c) return false;
    this.pos++;
    return true;
  }

  peek(): i32 {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1;
  }

  skipSpace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) return;
      this.pos++;
    }
  }
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}
