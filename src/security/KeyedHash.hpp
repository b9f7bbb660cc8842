#pragma once
// Keyed hashing for hash tables whose keys an attacker chooses (client addresses, request
// paths). A fixed hash such as std::hash lets an attacker precompute thousands of colliding keys
// and turn every lookup under a lockout table's mutex into a linear scan; SipHash with a random
// per-process key makes collisions unpredictable. It is a hash-table PRF, not a MAC for data
// that leaves the process.

#include <cstdint>
#include <string_view>

namespace tinyice::security {

// SipHash-2-4 (Aumasson & Bernstein, 2012) of `data` under the 128-bit key (k0, k1), where k0
// and k1 are the key's first and second 8 bytes read little-endian.
std::uint64_t siphash24(std::uint64_t k0, std::uint64_t k1, std::string_view data);

// SipHash-2-4 under a key drawn from RAND_bytes on first use (thread-safe); stable for the
// lifetime of the process, different in every process.
std::uint64_t keyed_hash(std::string_view data);

} // namespace tinyice::security
