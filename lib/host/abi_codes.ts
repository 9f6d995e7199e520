/**
 * Result codes of the guest ABI (docs/ABI.md): negative i64 results, the
 * same in every namespace.
 *
 * @module
 */
export const AbiCode = {
  NOT_FOUND: -1,
  PERMISSION_DENIED: -2,
  INVALID_ARGUMENT: -3,
  LIMIT_EXCEEDED: -4,
  TIMEOUT: -5,
  UNAVAILABLE: -6,
  NO_RESPONSE: -7,
} as const;

/** One of the values of {@linkcode AbiCode}. */
export type AbiCode = typeof AbiCode[keyof typeof AbiCode];
