#pragma once
// Password hashing for admin, source and mount credentials.
//
// Only crypt(3)-style hashes are ever stored. New hashes are yescrypt ("$y$"), the libxcrypt
// default; verification accepts every scheme libxcrypt knows so that bcrypt hashes written by
// the Go TinyIce ("$2a$"...) keep working after an upgrade.
//
// Hashing and verifying are deliberately slow (tens of milliseconds): never call them on an I/O
// thread. All functions are thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

namespace tinyice::security {

// Hashes `password` with yescrypt and a fresh random salt from RAND_bytes.
// Throws std::runtime_error if the password contains a NUL byte, is longer than libxcrypt
// accepts (511 bytes), or the library or the random source fails.
std::string hash_password(std::string_view password);

// True when `password` hashes to `stored_hash`; the final comparison is constant-time.
// Accepts $y$, $gy$, $7$, $2a$/$2b$/$2y$, $6$, $5$ and the other schemes libxcrypt supports.
// Returns false (never throws) for empty or malformed hashes and for passwords that cannot be
// hashed (embedded NUL, over-long).
bool verify_password(std::string_view password, std::string_view stored_hash);

// True when `s` starts with a known crypt prefix ($y$, $gy$, $7$, $2a$, $2b$, $2y$, $6$, $5$)
// followed only by characters of the crypt alphabet. It is a cheap shape check used to tell a
// stored hash from a plain-text password; it does not prove the hash is well formed.
bool looks_like_hash(std::string_view s);

// A random password of `chars` characters from [A-Za-z0-9] (safe in URLs, shells and JSON),
// drawn from RAND_bytes without modulo bias. Throws std::runtime_error if RAND_bytes fails.
std::string generate_password(std::size_t chars = 20);

} // namespace tinyice::security
