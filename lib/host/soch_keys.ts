/**
 * Validation of soch keys, shared by the provider and the host functions
 * that decode keys from guest memory. A key is 1 to `maxKeyBytes` bytes of
 * well-formed UTF-8; anything else is refused with the ABI code the guest
 * sees (INVALID_ARGUMENT or LIMIT_EXCEEDED).
 *
 * @module
 */
import { AbiCode } from "./abi_codes.ts";
import { SochProviderError } from "./soch_namespace.ts";

/** The longest key accepted unless a provider is configured otherwise, in UTF-8 bytes. */
export const DEFAULT_MAX_KEY_BYTES = 1024;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();
// In a `u` regex a surrogate pair is one code point, so this matches only lone surrogates.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Decodes a key read from guest memory. Throws {@linkcode SochProviderError}
 * with INVALID_ARGUMENT for an empty key or invalid UTF-8, LIMIT_EXCEEDED
 * for one longer than `maxKeyBytes`.
 *
 * @example
 * ```ts
 * decodeSochKey(new Uint8Array([0x6b, 0x31])); // "k1"
 * ```
 */
export function decodeSochKey(bytes: Uint8Array, maxKeyBytes: number = DEFAULT_MAX_KEY_BYTES): string {
  if (bytes.byteLength === 0) throw new SochProviderError(AbiCode.INVALID_ARGUMENT, "a soch key must not be empty");
  if (bytes.byteLength > maxKeyBytes) {
    throw new SochProviderError(AbiCode.LIMIT_EXCEEDED, `a soch key is at most ${maxKeyBytes} bytes, got ${bytes.byteLength}`);
  }
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new SochProviderError(AbiCode.INVALID_ARGUMENT, "a soch key must be valid UTF-8");
  }
}

/**
 * Checks a key given as a JS string (which may hold lone surrogates that no
 * UTF-8 text can carry). Throws like {@linkcode decodeSochKey}; returns the
 * key's UTF-8 length.
 */
export function validateSochKey(key: string, maxKeyBytes: number = DEFAULT_MAX_KEY_BYTES): number {
  if (typeof key !== "string" || key.length === 0) {
    throw new SochProviderError(AbiCode.INVALID_ARGUMENT, "a soch key must be a non-empty string");
  }
  if (LONE_SURROGATE.test(key)) {
    throw new SochProviderError(AbiCode.INVALID_ARGUMENT, "a soch key must be valid Unicode (it holds a lone surrogate)");
  }
  // Cheap bound first: UTF-8 never takes fewer bytes than UTF-16 units.
  const bytes = key.length > maxKeyBytes ? key.length : encoder.encode(key).byteLength;
  if (bytes > maxKeyBytes) {
    throw new SochProviderError(AbiCode.LIMIT_EXCEEDED, `a soch key is at most ${maxKeyBytes} bytes`);
  }
  return bytes;
}
