/**
 * Byte offset of the first ill-formed UTF-8 sequence (overlong forms,
 * surrogates and code points past U+10FFFF included), or -1 when `bytes` is
 * well-formed. TextDecoder's fatal mode says *that* input is bad, not *where*.
 */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min, cp] = [1, 0x80, b & 0x1f];
    else if (b >= 0xe0 && b <= 0xef) [need, min, cp] = [2, 0x800, b & 0x0f];
    else if (b >= 0xf0 && b <= 0xf4) [need, min, cp] = [3, 0x10000, b & 0x07];
    else return i;
    if (i + need >= bytes.length) return i; // truncated sequence
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Byte offset of UTF-16 index `charIndex` in the UTF-8 encoding of `text`. */
export function utf8OffsetOf(text: string, charIndex: number): number {
  return new TextEncoder().encode(text.slice(0, charIndex)).byteLength;
}
