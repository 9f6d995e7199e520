import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parsePrivateAllowances } from "../../lib/net/policy.ts";
import { addressRefusal, resolveTarget, systemLookup } from "../../lib/net/resolve.ts";
import type { HostLookup, ResolvedAddress } from "../../lib/net/resolve.ts";

const test = suite("resolve under the policy");

const table = (entries: Record<string, string[]>): HostLookup => async (name) => {
  const found = entries[name];
  if (found === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: "ENOTFOUND" });
  return found.map((address): ResolvedAddress => ({ address, family: address.includes(":") ? 6 : 4 }));
};
const none = parsePrivateAllowances([]);

test("a public name resolves to its checked addresses", async () => {
  const outcome = await resolveTarget(new URL("https://api.example/"), none, table({ "api.example": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"] }));
  assert.equal(outcome, {
    kind: "ok",
    addresses: [{ address: "93.184.215.14", family: 4 }, { address: "2606:2800:21f:cb07:6820:80da:af6b:8b2c", family: 6 }],
  });
});

test("one private answer refuses the whole name (DNS rebinding looks like this)", async () => {
  const outcome = await resolveTarget(new URL("https://rebind.example/"), none, table({ "rebind.example": ["93.184.215.14", "127.0.0.1"] }));
  assert.is(outcome.kind, "denied");
  if (outcome.kind === "denied") assert.match(outcome.reason, /rebind\.example resolves to 127\.0\.0\.1 is a loopback address/);
});

test("names resolving to metadata, mapped and private addresses are refused", async () => {
  const lookup = table({
    "meta.example": ["169.254.169.254"],
    "mapped.example": ["::ffff:127.0.0.1"],
    "lan.example": ["192.168.1.10"],
    "v6.example": ["fe80::1%eth0"],
  });
  for (const name of ["meta.example", "mapped.example", "lan.example", "v6.example"]) {
    assert.is((await resolveTarget(new URL(`https://${name}/`), none, lookup)).kind, "denied", name);
  }
});

test("a literal address is checked without any lookup", async () => {
  const never: HostLookup = () => Promise.reject(new Error("no lookup expected"));
  assert.is((await resolveTarget(new URL("http://0x7f.1/"), none, never)).kind, "denied");
  assert.is((await resolveTarget(new URL("http://[::ffff:127.0.0.1]/"), none, never)).kind, "denied");
  const allowed = await resolveTarget(new URL("http://0x7f.1/"), parsePrivateAllowances(["127.0.0.1"]), never);
  assert.equal(allowed, { kind: "ok", addresses: [{ address: "127.0.0.1", family: 4 }] });
});

test("allowPrivate opens exactly what it names; an IPv4 entry also opens its mapped form", () => {
  const allowed = parsePrivateAllowances(["127.0.0.1", "10.0.0.0/8"]);
  assert.is(addressRefusal("127.0.0.1", allowed), undefined);
  assert.is(addressRefusal("::ffff:127.0.0.1", allowed), undefined);
  assert.is(addressRefusal("10.20.30.40", allowed), undefined);
  assert.match(addressRefusal("127.0.0.2", allowed)!, /loopback/);
  assert.match(addressRefusal("::1", allowed)!, /loopback/);
  assert.match(addressRefusal("169.254.169.254", allowed)!, /metadata/);
  assert.is(addressRefusal("8.8.8.8", []), undefined);
});

test("a name that does not resolve is not_found; a resolver failure is failed", async () => {
  assert.is((await resolveTarget(new URL("https://nowhere.example/"), none, table({}))).kind, "not_found");
  assert.is((await resolveTarget(new URL("https://empty.example/"), none, table({ "empty.example": [] }))).kind, "not_found");
  const broken: HostLookup = () => Promise.reject(Object.assign(new Error("server failure"), { code: "ESERVFAIL" }));
  assert.is((await resolveTarget(new URL("https://x.example/"), none, broken)).kind, "failed");
});

test("localhost, through the system resolver, is refused unless its addresses are allowed", async () => {
  const refused = await resolveTarget(new URL("http://localhost/"), none, systemLookup);
  assert.is(refused.kind, "denied");
  if (refused.kind === "denied") assert.match(refused.reason, /localhost resolves to .* loopback/);
  const allowed = await resolveTarget(new URL("http://localhost/"), parsePrivateAllowances(["127.0.0.0/8", "::1"]), systemLookup);
  assert.is(allowed.kind, "ok");
});

test.run();
