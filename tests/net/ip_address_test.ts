import { suite } from "uvu";
import * as assert from "uvu/assert";
import { formatIp, inCidr, parseCidr, parseIpv4, parseIpv6 } from "../../lib/net/ip_address.ts";

const test = suite("ip_address");

test("parseIpv4() reads dotted decimal and nothing else", () => {
  assert.equal([...parseIpv4("192.168.0.1")!], [192, 168, 0, 1]);
  for (const bad of ["0177.0.0.1", "0x7f.0.0.1", "2130706433", "127.1", "256.0.0.1", "1.2.3.4.5", "", "1.2.3.", " 1.2.3.4"]) {
    assert.is(parseIpv4(bad), undefined, bad);
  }
});

test("parseIpv6() reads compressed, full, zoned and IPv4-tailed forms", () => {
  assert.is(formatIp(parseIpv6("::1")!), "0:0:0:0:0:0:0:1");
  assert.is(formatIp(parseIpv6("::")!), "0:0:0:0:0:0:0:0");
  assert.is(formatIp(parseIpv6("fe80::1%eth0")!), "fe80:0:0:0:0:0:0:1");
  assert.is(formatIp(parseIpv6("::ffff:127.0.0.1")!), "0:0:0:0:0:ffff:7f00:1");
  assert.is(formatIp(parseIpv6("2001:db8:0:0:0:0:0:1")!), "2001:db8:0:0:0:0:0:1");
  for (const bad of ["1::2::3", "12345::", ":::", "1:2:3:4:5:6:7:8:9", "::ffff:1.2.3", "g::1", ""]) {
    assert.is(parseIpv6(bad), undefined, bad);
  }
});

test("parseCidr() takes ranges and single addresses, refuses host bits past the prefix", () => {
  const ten = parseCidr("10.0.0.0/8")!;
  assert.ok(inCidr(parseIpv4("10.255.1.2")!, ten));
  assert.not.ok(inCidr(parseIpv4("11.0.0.0")!, ten));
  assert.ok(inCidr(parseIpv6("fd00::1")!, parseCidr("fc00::/7")!));
  assert.not.ok(inCidr(parseIpv6("fe00::1")!, parseCidr("fc00::/7")!));
  assert.ok(inCidr(parseIpv4("127.0.0.1")!, parseCidr("127.0.0.1")!));
  assert.not.ok(inCidr(parseIpv4("127.0.0.2")!, parseCidr("127.0.0.1")!));
  assert.not.ok(inCidr(parseIpv6("::ffff:a00:1")!, ten), "families never match each other");
  assert.is(parseCidr("10.0.0.1/8"), undefined);
  assert.is(parseCidr("10.0.0.0/33"), undefined);
  assert.is(parseCidr("10.0.0.0/08"), undefined);
  assert.is(parseCidr("example.com"), undefined);
});

test.run();
