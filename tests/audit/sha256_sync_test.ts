import { test } from "uvu";
import * as assert from "uvu/assert";
import { sha256HexSync } from "../../lib/audit/sha256_sync.ts";

const encode = (text: string) => new TextEncoder().encode(text);

async function webCryptoHex(data: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

test("sha256HexSync() matches the FIPS 180-4 test vectors", () => {
  assert.is(sha256HexSync(encode("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert.is(sha256HexSync(encode("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.is(
    sha256HexSync(encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
});

test("sha256HexSync() agrees with WebCrypto at every padding boundary", async () => {
  for (let length = 0; length <= 200; length++) {
    const data = crypto.getRandomValues(new Uint8Array(length));
    assert.is(sha256HexSync(data), await webCryptoHex(data), `length ${length}`);
  }
});

test("sha256HexSync() hashes a view into a larger buffer, not the whole buffer", async () => {
  const backing = crypto.getRandomValues(new Uint8Array(300));
  const view = backing.subarray(17, 17 + 130);
  assert.is(sha256HexSync(view), await webCryptoHex(view.slice()));
});

test("sha256HexSync() agrees with WebCrypto on a 1 MiB input", async () => {
  const data = new Uint8Array(1 << 20);
  for (let i = 0; i < data.length; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
  assert.is(sha256HexSync(data), await webCryptoHex(data));
});

test.run();
