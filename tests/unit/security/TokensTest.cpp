#include "security/Tokens.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

namespace tinyice::security {
namespace {

bool is_base64url_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

TEST(RandomToken, LengthFollowsByteCount) {
    EXPECT_EQ(random_token().size(), 43U); // 32 bytes -> ceil(256 / 6) characters
    EXPECT_EQ(random_token(0), "");
    EXPECT_EQ(random_token(1).size(), 2U);
    EXPECT_EQ(random_token(2).size(), 3U);
    EXPECT_EQ(random_token(3).size(), 4U);
    EXPECT_EQ(random_token(16).size(), 22U);
    EXPECT_EQ(random_token(1000).size(), 1334U);
}

TEST(RandomToken, Base64UrlAlphabetWithoutPadding) {
    for (int i = 0; i < 200; ++i) {
        const std::string t = random_token(i % 40 + 1);
        ASSERT_TRUE(std::all_of(t.begin(), t.end(), is_base64url_char)) << t;
    }
}

TEST(RandomToken, UniqueAndUsingTheWholeAlphabet) {
    std::set<std::string> seen;
    std::set<char> chars;
    for (int i = 0; i < 2000; ++i) {
        const std::string t = random_token();
        EXPECT_TRUE(seen.insert(t).second) << "duplicate token " << t;
        chars.insert(t.begin(), t.end());
    }
    // 86000 characters from 64 symbols: all of them turn up (missing one has odds ~1e-580).
    EXPECT_EQ(chars.size(), 64U);
}

TEST(Sha256Hex, KnownVectors) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Hex, BinaryInput) {
    const std::string with_nul("a\0b", 3);
    EXPECT_EQ(sha256_hex(with_nul).size(), 64U);
    EXPECT_NE(sha256_hex(with_nul), sha256_hex("a"));
}

TEST(ConstantTimeEqual, ComparesBytes) {
    EXPECT_TRUE(constant_time_equal("token", "token"));
    EXPECT_TRUE(constant_time_equal("", ""));
    EXPECT_FALSE(constant_time_equal("token", "tokeN"));
    EXPECT_FALSE(constant_time_equal("token", "Token"));
    EXPECT_FALSE(constant_time_equal("token", "token "));
    EXPECT_FALSE(constant_time_equal("", "x"));
    EXPECT_FALSE(constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
    EXPECT_TRUE(constant_time_equal(std::string("a\0b", 3), std::string("a\0b", 3)));
    const std::string t = random_token();
    EXPECT_TRUE(constant_time_equal(t, std::string(t)));
}

} // namespace
} // namespace tinyice::security
