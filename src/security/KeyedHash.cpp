#include "security/KeyedHash.hpp"

#include <openssl/rand.h>

#include <array>
#include <bit>
#include <cstring>
#include <random>

namespace tinyice::security {

namespace {

std::uint64_t load_le64(const unsigned char* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) {
        v = (v << 8U) | p[i];
    }
    return v;
}

struct SipState {
    std::uint64_t v0, v1, v2, v3;

    void round() {
        v0 += v1;
        v1 = std::rotl(v1, 13);
        v1 ^= v0;
        v0 = std::rotl(v0, 32);
        v2 += v3;
        v3 = std::rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = std::rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = std::rotl(v1, 17);
        v1 ^= v2;
        v2 = std::rotl(v2, 32);
    }

    void compress(std::uint64_t m) {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }
};

struct ProcessKey {
    std::uint64_t k0 = 0;
    std::uint64_t k1 = 0;
};

ProcessKey make_process_key() {
    std::array<unsigned char, 16> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        // Only reachable if OpenSSL cannot seed itself; the kernel's generator behind
        // random_device is then the best remaining source, and a hash function must not throw.
        std::random_device rd;
        for (auto& b : bytes) {
            b = static_cast<unsigned char>(rd());
        }
    }
    return ProcessKey{load_le64(bytes.data()), load_le64(bytes.data() + 8)};
}

} // namespace

std::uint64_t siphash24(std::uint64_t k0, std::uint64_t k1, std::string_view data) {
    SipState s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
               k1 ^ 0x7465646279746573ULL};
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    const std::size_t n = data.size();
    const std::size_t whole = n - n % 8;
    for (std::size_t i = 0; i < whole; i += 8) {
        s.compress(load_le64(p + i));
    }
    // The last block carries the remaining bytes and the message length (mod 256) on top.
    std::array<unsigned char, 8> last{};
    if (n > whole) {
        std::memcpy(last.data(), p + whole, n - whole);
    }
    last[7] = static_cast<unsigned char>(n & 0xffU);
    s.compress(load_le64(last.data()));

    s.v2 ^= 0xffU;
    for (int i = 0; i < 4; ++i) {
        s.round();
    }
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

std::uint64_t keyed_hash(std::string_view data) {
    static const ProcessKey key = make_process_key();
    return siphash24(key.k0, key.k1, data);
}

} // namespace tinyice::security
