#include "security/PasswordHash.hpp"

#include <gtest/gtest.h>

#include <crypt.h>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tinyice::security {
namespace {

// Computes a bcrypt hash with libxcrypt directly, independent of hash_password.
std::string bcrypt_hash(const char* prefix, const char* password) {
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    // Cost 4 is the bcrypt minimum: keeps the test fast while exercising the real scheme.
    if (crypt_gensalt_rn(prefix, 4, nullptr, 0, setting, sizeof(setting)) == nullptr) {
        return {};
    }
    auto data = std::make_unique<crypt_data>();
    const char* out = crypt_r(password, setting, data.get());
    return out != nullptr && out[0] != '*' ? std::string(out) : std::string();
}

TEST(PasswordHash, HashIsYescryptAndVerifies) {
    const std::string hash = hash_password("correct horse");
    EXPECT_TRUE(hash.starts_with("$y$")) << hash;
    EXPECT_TRUE(looks_like_hash(hash));
    EXPECT_TRUE(verify_password("correct horse", hash));
}

TEST(PasswordHash, WrongPasswordFails) {
    const std::string hash = hash_password("correct horse");
    EXPECT_FALSE(verify_password("correct hors", hash));
    EXPECT_FALSE(verify_password("correct horse ", hash));
    EXPECT_FALSE(verify_password("", hash));
}

TEST(PasswordHash, SaltsDiffer) {
    EXPECT_NE(hash_password("same"), hash_password("same"));
}

TEST(PasswordHash, EmptyPasswordCanBeHashed) {
    const std::string hash = hash_password("");
    EXPECT_TRUE(verify_password("", hash));
    EXPECT_FALSE(verify_password("x", hash));
}

TEST(PasswordHash, UnhashablePasswordsThrow) {
    EXPECT_THROW(hash_password(std::string("a\0b", 3)), std::runtime_error);
    EXPECT_THROW(hash_password(std::string(512, 'a')), std::runtime_error);
    EXPECT_NO_THROW(hash_password(std::string(511, 'a')));
}

TEST(PasswordHash, NulInPasswordNeverVerifies) {
    // A NUL must not truncate the candidate to a prefix that matches.
    const std::string hash = hash_password("abc");
    EXPECT_FALSE(verify_password(std::string("abc\0def", 7), hash));
}

TEST(PasswordHash, BcryptFromLibxcryptVerifies) {
    for (const char* prefix : {"$2a$", "$2b$", "$2y$"}) {
        const std::string hash = bcrypt_hash(prefix, "tinyice-bcrypt");
        ASSERT_FALSE(hash.empty()) << prefix;
        EXPECT_TRUE(hash.starts_with(prefix)) << hash;
        EXPECT_TRUE(looks_like_hash(hash)) << hash;
        EXPECT_TRUE(verify_password("tinyice-bcrypt", hash)) << hash;
        EXPECT_FALSE(verify_password("tinyice-bcrypT", hash)) << hash;
    }
}

TEST(PasswordHash, HardCodedHashesVerify) {
    // Generated once with crypt_gensalt_rn + crypt_r; the $2a$ form is what the Go TinyIce
    // (golang.org/x/crypto/bcrypt) writes, so these guard config compatibility.
    constexpr const char* bcrypt_2y =
        "$2y$04$wMdvyRQw2UC.nOhg9cNK3OC3M2VNf3oTSaW/a32ySq23e73ncITu6";
    constexpr const char* bcrypt_2a =
        "$2a$05$ZjqHR0b9.pUhypKZKCZieeY7sfZdI1Ff8gRAVFMrlDZLUjFrTjjaO";
    constexpr const char* sha512 = "$6$0nQBrHA22lgKZ50B$QuNqlgbnY02x0F6PGdI/"
                                   "0lZPp3oWw1xvfn3CONX7ddvSLCsq0FHFZ3SDM5SxA3b8RFWxNKV1"
                                   "mmSLLNwnLzpdR0";
    constexpr const char* yescrypt =
        "$y$j9T$/6k.2IU/5UE08g.1Bsk1E.$SA.gw2KF5XlVJTmNCWTzolFIDrEnykIZkwzucf3sQH/";
    for (const char* hash : {bcrypt_2y, bcrypt_2a, sha512}) {
        EXPECT_TRUE(looks_like_hash(hash)) << hash;
        EXPECT_TRUE(verify_password("tinyice-bcrypt", hash)) << hash;
        EXPECT_FALSE(verify_password("tinyice-bcryp", hash)) << hash;
    }
    EXPECT_TRUE(verify_password("change-me", yescrypt));
    EXPECT_FALSE(verify_password("change-you", yescrypt));
}

TEST(PasswordHash, MalformedHashesNeverVerify) {
    const std::string good = hash_password("pw");
    const std::vector<std::string> bad = {
        "",
        "*",
        "*0",
        "*1",
        "$y$",
        "$y$garbage",
        "$2b$04$short",
        "$2b$99$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
        "$zz$abc",
        good.substr(0, good.size() - 1),
        good + "x",
        good + std::string(1, '\0'),
        std::string(1000, '$'),
        "ab", // a bare DES salt: crypt accepts it as a setting but the result never equals it
    };
    for (const std::string& hash : bad) {
        EXPECT_FALSE(verify_password("pw", hash)) << hash;
        EXPECT_FALSE(verify_password("", hash)) << hash;
    }
}

TEST(PasswordHash, LooksLikeHash) {
    for (const char* yes :
         {"$y$j9T$abc$def", "$gy$j9T$a$b", "$7$CU..../....abc$def", "$2a$10$abc", "$2b$10$abc",
          "$2y$10$abc", "$6$rounds=5000$salt$hash", "$5$salt$hash"}) {
        EXPECT_TRUE(looks_like_hash(yes)) << yes;
    }
    for (const char* no :
         {"", "$", "$y$", "$2b$", "change-me", "y$j9T$abc", "$1$abc$def", "$2x$10$abc",
          "$y$has space", "$6$semi;colon", " $y$abc", "$2b$10$abc\n"}) {
        EXPECT_FALSE(looks_like_hash(no)) << no;
    }
}

TEST(PasswordHash, GeneratePasswordLengthAndCharset) {
    for (std::size_t len : {0U, 1U, 20U, 63U, 64U, 65U, 200U}) {
        const std::string pw = generate_password(len);
        ASSERT_EQ(pw.size(), len);
        for (char c : pw) {
            const bool alnum =
                (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            EXPECT_TRUE(alnum) << "unexpected character in " << pw;
        }
    }
    EXPECT_EQ(generate_password().size(), 20U);
}

TEST(PasswordHash, GeneratePasswordUsesWholeAlphabet) {
    // 62 symbols over 20000 draws: every symbol shows up unless the generator is broken.
    std::set<char> seen;
    for (char c : generate_password(20000)) {
        seen.insert(c);
    }
    EXPECT_EQ(seen.size(), 62U);
    EXPECT_NE(generate_password(), generate_password());
}

TEST(PasswordHash, ConcurrentUseIsSafe) {
    std::vector<std::thread> threads;
    std::vector<int> ok(4, 0);
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([i, &ok] {
            const std::string pw = "pw" + std::to_string(i);
            const std::string hash = hash_password(pw);
            ok[static_cast<std::size_t>(i)] =
                verify_password(pw, hash) && !verify_password(pw + "x", hash) ? 1 : 0;
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    for (int v : ok) {
        EXPECT_EQ(v, 1);
    }
}

} // namespace
} // namespace tinyice::security
