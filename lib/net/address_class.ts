/**
 * Which addresses a plugin may not reach unless the policy names them:
 * loopback, private, link-local (cloud metadata included), unspecified,
 * multicast and reserved ranges, in both families — and IPv6 forms that
 * carry an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible
 * `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by the
 * IPv4 address inside. See docs/NETWORK.md for the table.
 *
 * @module
 */
import { formatIp, inCidr, parseCidr, parseIpv4, parseIpv6 } from "./ip_address.ts";
import type { Cidr, IpBytes } from "./ip_address.ts";

/** Why an address is not public. */
export type AddressClass =
  | "unspecified"
  | "loopback"
  | "private"
  | "link_local"
  | "metadata"
  | "multicast"
  | "reserved";

/** A non-public address: its class, and the IPv4 address it carries when it is an IPv6 wrapper. */
export interface AddressClassification {
  class: AddressClass;
  /** The embedded IPv4 address (mapped, compatible, NAT64, 6to4), when that decided the class. */
  embedded?: string;
}

function ranges(list: Array<[string, AddressClass]>): Array<[Cidr, AddressClass]> {
  return list.map(([text, cls]) => [parseCidr(text)!, cls]);
}

// Most specific first: the first match decides.
const IPV4_RANGES = ranges([
  ["169.254.169.254/32", "metadata"], // AWS, GCP, Azure, OpenStack instance metadata
  ["100.100.100.200/32", "metadata"], // Alibaba Cloud instance metadata
  ["0.0.0.0/8", "unspecified"],
  ["10.0.0.0/8", "private"],
  ["100.64.0.0/10", "private"], // carrier-grade NAT (shared address space)
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link_local"],
  ["172.16.0.0/12", "private"],
  ["192.0.0.0/24", "reserved"], // IETF protocol assignments
  ["192.168.0.0/16", "private"],
  ["198.18.0.0/15", "reserved"], // benchmarking
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved"], // includes 255.255.255.255
]);

const IPV6_RANGES = ranges([
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["fd00:ec2::254/128", "metadata"], // AWS instance metadata over IPv6
  ["64:ff9b:1::/48", "private"], // local-use NAT64
  ["2001::/32", "reserved"], // Teredo: the IPv4 address inside is obfuscated, so it cannot be judged
  ["fc00::/7", "private"], // unique local
  ["fe80::/10", "link_local"],
  ["fec0::/10", "private"], // deprecated site-local
  ["ff00::/8", "multicast"],
]);

// IPv6 prefixes whose addresses carry an IPv4 address, and where it sits.
const IPV4_CARRIERS: Array<[Cidr, number]> = [
  [parseCidr("::ffff:0:0/96")!, 12], // IPv4-mapped
  [parseCidr("::/96")!, 12], // IPv4-compatible (deprecated; :: and ::1 are matched before)
  [parseCidr("64:ff9b::/96")!, 12], // NAT64
  [parseCidr("2002::/16")!, 2], // 6to4
];

function classifyV4(bytes: IpBytes): AddressClass | undefined {
  for (const [range, cls] of IPV4_RANGES) if (inCidr(bytes, range)) return cls;
  return undefined;
}

/**
 * The class of a non-public address, or undefined for a public one.
 * `address` is an address as bytes (see ip_address.ts).
 */
export function classifyBytes(bytes: IpBytes): AddressClassification | undefined {
  if (bytes.length === 4) {
    const cls = classifyV4(bytes);
    return cls === undefined ? undefined : { class: cls };
  }
  for (const [range, cls] of IPV6_RANGES) if (inCidr(bytes, range)) return { class: cls };
  for (const [range, at] of IPV4_CARRIERS) {
    if (!inCidr(bytes, range)) continue;
    const inner = bytes.slice(at, at + 4);
    const cls = classifyV4(inner);
    return cls === undefined ? undefined : { class: cls, embedded: formatIp(inner) };
  }
  return undefined;
}

/**
 * Classifies an address given as text (`"10.1.2.3"`, `"::ffff:127.0.0.1"`).
 *
 * @throws {TypeError} when `address` is not an IP address.
 *
 * @example
 * ```ts
 * classifyAddress("127.0.0.1"); // { class: "loopback" }
 * classifyAddress("::ffff:7f00:1"); // { class: "loopback", embedded: "127.0.0.1" }
 * classifyAddress("93.184.215.14"); // undefined: public
 * ```
 */
export function classifyAddress(address: string): AddressClassification | undefined {
  const bytes = address.includes(":") ? parseIpv6(address) : parseIpv4(address);
  if (bytes === undefined) throw new TypeError(`"${address}" is not an IP address`);
  return classifyBytes(bytes);
}

/**
 * The IP address a parsed URL names directly, or undefined when its host is
 * a name. WHATWG `URL` has already rewritten every IPv4 spelling
 * (`2130706433`, `0177.0.0.1`, `0x7f.1`) to dotted decimal and IPv6 to its
 * compressed form in brackets, so only those two forms need reading here.
 */
export function urlHostAddress(url: URL): string | undefined {
  const host = url.hostname;
  if (host.startsWith("[") && host.endsWith("]")) {
    return parseIpv6(host.slice(1, -1)) === undefined ? undefined : host.slice(1, -1);
  }
  return parseIpv4(host) === undefined ? undefined : host;
}
