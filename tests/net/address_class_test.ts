import { suite } from "uvu";
import * as assert from "uvu/assert";
import { classifyAddress, urlHostAddress } from "../../lib/net/address_class.ts";

const test = suite("address_class");

test("classifyAddress() names every non-public IPv4 range", () => {
  const cases: Array<[string, string]> = [
    ["0.0.0.0", "unspecified"],
    ["0.255.255.255", "unspecified"],
    ["10.0.0.1", "private"],
    ["10.255.255.255", "private"],
    ["100.64.0.1", "private"],
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["169.254.0.1", "link_local"],
    ["169.254.169.254", "metadata"],
    ["100.100.100.200", "metadata"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["192.0.0.8", "reserved"],
    ["198.18.0.1", "reserved"],
    ["224.0.0.1", "multicast"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.255", "reserved"],
  ];
  for (const [address, cls] of cases) assert.is(classifyAddress(address)?.class, cls, address);
});

test("classifyAddress() leaves public IPv4 addresses alone, right next to the ranges", () => {
  for (const address of ["8.8.8.8", "9.255.255.255", "11.0.0.0", "172.15.255.255", "172.32.0.0", "192.167.255.255", "192.169.0.0", "169.253.255.255", "126.255.255.255", "128.0.0.0", "100.63.255.255", "100.128.0.0", "223.255.255.255"]) {
    assert.is(classifyAddress(address), undefined, address);
  }
});

test("classifyAddress() names every non-public IPv6 range", () => {
  const cases: Array<[string, string]> = [
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["fc00::1", "private"],
    ["fd12:3456::1", "private"],
    ["fd00:ec2::254", "metadata"],
    ["fe80::1", "link_local"],
    ["febf::1", "link_local"],
    ["fec0::1", "private"],
    ["ff02::1", "multicast"],
    ["2001::1", "reserved"],
    ["64:ff9b:1::1", "private"],
  ];
  for (const [address, cls] of cases) assert.is(classifyAddress(address)?.class, cls, address);
  assert.is(classifyAddress("2606:4700::1111"), undefined);
  assert.is(classifyAddress("fe7f::1"), undefined, "just below fe80::/10... and above fc00::/7");
});

test("classifyAddress() judges IPv6 wrappers by the IPv4 address inside", () => {
  const cases: Array<[string, string, string]> = [
    ["::ffff:127.0.0.1", "loopback", "127.0.0.1"],
    ["::ffff:7f00:1", "loopback", "127.0.0.1"],
    ["::ffff:10.1.2.3", "private", "10.1.2.3"],
    ["::ffff:169.254.169.254", "metadata", "169.254.169.254"],
    ["::ffff:0.0.0.0", "unspecified", "0.0.0.0"],
    ["::127.0.0.1", "loopback", "127.0.0.1"],
    ["64:ff9b::a9fe:a9fe", "metadata", "169.254.169.254"],
    ["64:ff9b::192.168.0.1", "private", "192.168.0.1"],
    ["2002:7f00:1::", "loopback", "127.0.0.1"],
    ["2002:c0a8:101::1", "private", "192.168.1.1"],
  ];
  for (const [address, cls, embedded] of cases) {
    assert.equal(classifyAddress(address), { class: cls, embedded }, address);
  }
  assert.is(classifyAddress("::ffff:8.8.8.8"), undefined, "a public address inside is public");
  assert.is(classifyAddress("2002:808:808::1"), undefined);
});

test("classifyAddress() refuses a non-address instead of calling it public", () => {
  assert.throws(() => classifyAddress("localhost"), TypeError);
  assert.throws(() => classifyAddress("0177.0.0.1"), TypeError);
});

test("urlHostAddress() sees through every spelling URL accepts for 127.0.0.1 and ::1", () => {
  const spellings: Array<[string, string]> = [
    ["http://127.0.0.1/", "127.0.0.1"],
    ["http://2130706433/", "127.0.0.1"],
    ["http://0177.0.0.1/", "127.0.0.1"],
    ["http://0x7f.1/", "127.0.0.1"],
    ["http://0x7f000001/", "127.0.0.1"],
    ["http://127.1/", "127.0.0.1"],
    ["http://017700000001/", "127.0.0.1"],
    ["http://127.0.0.1./", "127.0.0.1"],
    ["http://[::1]/", "::1"],
    ["http://[0:0:0:0:0:0:0:1]/", "::1"],
    ["http://[::ffff:127.0.0.1]/", "::ffff:7f00:1"],
    ["http://0/", "0.0.0.0"],
    ["http://[::]/", "::"],
  ];
  for (const [url, address] of spellings) {
    const found = urlHostAddress(new URL(url));
    assert.is(found, address, url);
    assert.ok(classifyAddress(found!) !== undefined, `${url} is not public`);
  }
  assert.is(urlHostAddress(new URL("http://example.com/")), undefined);
  assert.is(urlHostAddress(new URL("http://127.0.0.1.nip.io/")), undefined, "a name that looks like an address is resolved, not read");
});

test.run();
