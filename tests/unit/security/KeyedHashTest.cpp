#include "security/KeyedHash.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tinyice::security {
namespace {

// The reference key of the SipHash paper: bytes 00..0f.
constexpr std::uint64_t k0 = 0x0706050403020100ULL;
constexpr std::uint64_t k1 = 0x0f0e0d0c0b0a0908ULL;

std::string counting_bytes(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        s += static_cast<char>(i);
    }
    return s;
}

TEST(SipHash24, ReferenceVectors) {
    // From the SipHash paper (Appendix A) and its reference implementation's vectors.h:
    // message i is the bytes 00 .. i-1.
    EXPECT_EQ(siphash24(k0, k1, counting_bytes(0)), 0x726fdb47dd0e0e31ULL);
    EXPECT_EQ(siphash24(k0, k1, counting_bytes(1)), 0x74f839c593dc67fdULL);
    EXPECT_EQ(siphash24(k0, k1, counting_bytes(8)), 0x93f5f5799a932462ULL);
    EXPECT_EQ(siphash24(k0, k1, counting_bytes(15)), 0xa129ca6149be45e5ULL);
    EXPECT_EQ(siphash24(k0, k1, counting_bytes(63)), 0x958a324ceb064572ULL);
}

TEST(KeyedHash, StableWithinTheProcess) {
    EXPECT_EQ(keyed_hash("/wp-login.php"), keyed_hash("/wp-login.php"));
    EXPECT_NE(keyed_hash("/wp-login.php"), keyed_hash("/wp-login.php "));
    EXPECT_NE(keyed_hash(""), keyed_hash(std::string(1, '\0')));
    // The process key is random: the result differs from the zero-key hash.
    EXPECT_NE(keyed_hash("abc"), siphash24(0, 0, "abc"));
}

} // namespace
} // namespace tinyice::security
