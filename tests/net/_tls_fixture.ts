// A self-signed certificate for test.example and *.test.example (EC P-256,
// valid 2024–2124), made with openssl for the tests only: a server on
// 127.0.0.1 presents it, and clients trust it through the `ca` option.
// The key protects nothing.

/** The certificate (PEM); also the only CA the tests trust. */
export const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBdDCCARqgAwIBAgIBATAKBggqhkjOPQQDAjAXMRUwEwYDVQQDDAx0ZXN0LmV4
YW1wbGUwIBcNMjQwMTAxMDAwMDAwWhgPMjEyNDAxMDEwMDAwMDBaMBcxFTATBgNV
BAMMDHRlc3QuZXhhbXBsZTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABMC/awdC
3mkxGrYTz/wDVREjaszN6/d8G3qpcA2XgBb1eXY/CTQXdE6UN5Domco/BnKV1DKc
Pz1sSXQc/ogQQTijVTBTMCcGA1UdEQQgMB6CDHRlc3QuZXhhbXBsZYIOKi50ZXN0
LmV4YW1wbGUwCQYDVR0TBAIwADAdBgNVHQ4EFgQULmPj8u5hhbzWR5GhgYJWzFoE
ASwwCgYIKoZIzj0EAwIDSAAwRQIhAM2+6hXpAjCr04x+l/lueb1IOXqnWPeV1MNh
6Ppr98YXAiBsi7CPRPq6YCf4yes1FgaK3Fe7LC1qyUC8zKpCGeSQdw==
-----END CERTIFICATE-----
`;

/** Its private key (PEM). */
export const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgHwfOqCIfeyf1jI2O
8Q4vwjeEJRzkCXDv4tjZm01TiiWhRANCAATAv2sHQt5pMRq2E8/8A1URI2rMzev3
fBt6qXANl4AW9Xl2Pwk0F3ROlDeQ6JnKPwZyldQynD89bEl0HP6IEEE4
-----END PRIVATE KEY-----
`;
