/**
 * Name resolution under the policy: the host name is resolved here, once,
 * every address it resolves to is checked, and the client then connects to
 * one of those checked addresses — never to the name. So a name that
 * resolves to a private address (`localhost`, DNS rebinding) is caught the
 * same as a literal one, and no second lookup can answer differently.
 *
 * @module
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { classifyAddress, urlHostAddress } from "./address_class.ts";
import { inCidr, parseIp } from "./ip_address.ts";
import type { Cidr } from "./ip_address.ts";

/** One resolved address. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all its addresses (empty or a throw with `code: "ENOTFOUND"` when it has none). */
export type HostLookup = (hostname: string) => Promise<ResolvedAddress[]>;

/**
 * The system resolver (`getaddrinfo` through `node:dns`, on Node and Deno
 * alike), every address in the resolver's own order.
 */
export const systemLookup: HostLookup = async (hostname) => {
  const found = await dnsLookup(hostname, { all: true, verbatim: true });
  return found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

/** Where a request may connect, or why not. */
export type ResolveOutcome =
  | { kind: "ok"; addresses: ResolvedAddress[] }
  | { kind: "denied"; reason: string }
  | { kind: "not_found"; reason: string }
  | { kind: "failed"; reason: string };

/** Why `address` may not be connected to under `allowed`, or undefined when it may. */
export function addressRefusal(address: string, allowed: readonly Cidr[]): string | undefined {
  const bytes = parseIp(address);
  if (bytes === undefined) return `"${address}" is not an IP address`;
  const classification = classifyAddress(address);
  if (classification === undefined) return undefined;
  const embedded = classification.embedded === undefined ? undefined : parseIp(classification.embedded);
  if (allowed.some((range) => inCidr(bytes, range) || (embedded !== undefined && inCidr(embedded, range)))) return undefined;
  const inside = classification.embedded === undefined ? "" : ` (it carries ${classification.embedded})`;
  return `${address} is a ${classification.class.replace("_", "-")} address${inside}, which the policy does not open (allowPrivate)`;
}

/**
 * Resolves the URL's host and checks every address against the private
 * ranges and the policy's `allowPrivate`. One refused address refuses the
 * name: a name that mixes public and private answers is what a rebinding
 * attack looks like.
 */
export async function resolveTarget(url: URL, allowed: readonly Cidr[], lookup: HostLookup): Promise<ResolveOutcome> {
  const literal = urlHostAddress(url);
  let addresses: ResolvedAddress[];
  if (literal !== undefined) {
    addresses = [{ address: literal, family: literal.includes(":") ? 6 : 4 }];
  } else {
    try {
      addresses = await lookup(url.hostname);
    } catch (err) {
      const code = (err as { code?: unknown })?.code;
      if (code === "ENOTFOUND" || code === "ENODATA") return { kind: "not_found", reason: `${url.hostname} does not resolve` };
      return { kind: "failed", reason: `resolving ${url.hostname} failed: ${String((err as Error)?.message ?? err)}` };
    }
    if (addresses.length === 0) return { kind: "not_found", reason: `${url.hostname} does not resolve` };
  }
  for (const { address } of addresses) {
    const refusal = addressRefusal(address, allowed);
    if (refusal !== undefined) {
      return { kind: "denied", reason: literal === undefined ? `${url.hostname} resolves to ${refusal}` : refusal };
    }
  }
  return { kind: "ok", addresses };
}
