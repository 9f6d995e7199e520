/**
 * IP address literals as bytes: strict parsers for the canonical forms that
 * WHATWG `URL` and `dns.lookup` produce, and CIDR ranges over them. Other
 * spellings (`0x7f.1`, `2130706433`, `0177.0.0.1`) never reach these
 * parsers: `URL` rewrites them to dotted decimal first (see
 * {@linkcode urlHostAddress} in address_class.ts), and a string that is not
 * canonical is not an address here — it is a name, and names are resolved.
 *
 * @module
 */

/** An address as 4 (IPv4) or 16 (IPv6) bytes. */
export type IpBytes = Uint8Array;

/**
 * Parses dotted-decimal IPv4 (`"192.168.0.1"`): four decimal parts 0–255,
 * no leading zeros. Returns undefined for anything else.
 *
 * @example
 * ```ts
 * parseIpv4("127.0.0.1"); // Uint8Array [127, 0, 0, 1]
 * parseIpv4("0177.0.0.1"); // undefined (URL normalizes it first)
 * ```
 */
export function parseIpv4(text: string): IpBytes | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i];
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    bytes[i] = value;
  }
  return bytes;
}

/**
 * Parses IPv6 text (`"::1"`, `"fe80::1%eth0"`, `"::ffff:127.0.0.1"`), without
 * brackets. A zone (`%eth0`) is ignored: it picks an interface, not an
 * address. Returns undefined for anything else.
 */
export function parseIpv6(text: string): IpBytes | undefined {
  const zone = text.indexOf("%");
  let rest = zone >= 0 ? text.slice(0, zone) : text;
  if (rest.length === 0 || rest.length > 45) return undefined;
  const bytes = new Uint8Array(16);
  // An embedded IPv4 tail fills the last 4 bytes.
  let tail: IpBytes | undefined;
  const lastColon = rest.lastIndexOf(":");
  if (rest.indexOf(".", lastColon) >= 0) {
    tail = parseIpv4(rest.slice(lastColon + 1));
    if (tail === undefined) return undefined;
    rest = rest.slice(0, lastColon + 1) + "0:0"; // two placeholder groups, overwritten below
  }
  const halves = rest.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string) => half === "" ? [] : half.split(":");
  const head = groups(halves[0]);
  const after = halves.length === 2 ? groups(halves[1]) : [];
  const total = head.length + after.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const all = [...head, ...new Array<string>(8 - total).fill("0"), ...after];
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(all[i])) return undefined;
    const value = parseInt(all[i], 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  }
  if (tail !== undefined) bytes.set(tail, 12);
  return bytes;
}

/** Parses either family (IPv6 without brackets). */
export function parseIp(text: string): IpBytes | undefined {
  return text.includes(":") ? parseIpv6(text) : parseIpv4(text);
}

/** Text of an address: dotted decimal, or IPv6 groups without zero compression. */
export function formatIp(bytes: IpBytes): string {
  if (bytes.length === 4) return bytes.join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return groups.join(":");
}

/** A network range: the first `prefix` bits of `base`. */
export interface Cidr {
  base: IpBytes;
  prefix: number;
}

/**
 * Parses `"10.0.0.0/8"`, `"fc00::/7"` or a single address (a full-length
 * prefix). Returns undefined for anything else, including host bits set
 * beyond the prefix (`"10.0.0.1/8"` is a typo more often than a meaning).
 */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  const base = parseIp(slash >= 0 ? text.slice(0, slash) : text);
  if (base === undefined) return undefined;
  const bits = base.length * 8;
  let prefix = bits;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > bits) return undefined;
    prefix = Number(p);
  }
  if (!sameAfterMask(base, prefix)) return undefined;
  return { base, prefix };
}

function sameAfterMask(bytes: IpBytes, prefix: number): boolean {
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    if ((bytes[bit >> 3] >> (7 - (bit & 7))) & 1) return false;
  }
  return true;
}

/** True when `address` lies in `range` (same family only). */
export function inCidr(address: IpBytes, range: Cidr): boolean {
  if (address.length !== range.base.length) return false;
  const full = range.prefix >> 3;
  for (let i = 0; i < full; i++) if (address[i] !== range.base[i]) return false;
  const rest = range.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (address[full] & mask) === (range.base[full] & mask);
}
