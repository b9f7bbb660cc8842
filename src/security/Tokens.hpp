#pragma once
// Random tokens (session ids, CSRF tokens, API tokens) and the digest and comparison used to
// store and check them. Thread-safe.
//
// A token is stored only as sha256_hex(token): a leaked database then holds nothing a client
// could present. 32 random bytes make guessing hopeless, so a fast hash (not a password hash)
// is the right tool here.

#include <cstddef>
#include <string>
#include <string_view>

namespace tinyice::security {

// `bytes` random bytes from RAND_bytes, base64url-encoded (RFC 4648 §5: A-Z a-z 0-9 '-' '_')
// without padding, i.e. ceil(bytes * 4 / 3) characters, safe in cookies, URLs and headers.
// Throws std::runtime_error if the random source fails. random_token(0) is "".
std::string random_token(std::size_t bytes = 32); // RAND_bytes, base64url without padding

// SHA-256 of `data` as 64 lower-case hex digits. Throws std::runtime_error only if OpenSSL
// itself fails (out of memory).
std::string sha256_hex(std::string_view data);

// Byte-wise equality in time that depends only on the length (CRYPTO_memcmp), for comparing a
// presented secret with a stored one. Different lengths return false at once: lengths are not
// secret. Two empty strings are equal, so reject empty secrets before comparing.
bool constant_time_equal(std::string_view a, std::string_view b); // CRYPTO_memcmp; length leak ok

} // namespace tinyice::security
