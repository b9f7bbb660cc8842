#include "protocol/http/Auth.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace std::string_literals;
using tinyice::protocol::http::base64_decode;
using tinyice::protocol::http::base64_encode;
using tinyice::protocol::http::parse_basic_auth;

namespace {

TEST(Base64, Rfc4648Vectors) {
    const std::pair<std::string, std::string> vectors[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : vectors) {
        EXPECT_EQ(base64_encode(plain), encoded);
        EXPECT_EQ(base64_decode(encoded), plain);
    }
}

TEST(Base64, BinaryRoundTrip) {
    std::string all;
    for (int i = 0; i < 256; ++i) {
        all += static_cast<char>(i);
    }
    for (std::size_t len = 0; len <= all.size(); len += 37) {
        const auto part = all.substr(0, len);
        EXPECT_EQ(base64_decode(base64_encode(part)), part);
    }
}

TEST(Base64, UnpaddedAccepted) {
    EXPECT_EQ(base64_decode("Zg"), "f");
    EXPECT_EQ(base64_decode("Zm8"), "fo");
}

TEST(Base64, Malformed) {
    for (std::string_view bad : {"Z", "Zm9vY", "Zg=", "Z===", "====", "Zg==Zg==", "Zm=v",
                                 "Zm9v YmFy", "Zm9v\n", "Zm9-", "Zm9_", "Zm9v!", "Zg==="}) {
        EXPECT_EQ(base64_decode(bad), std::nullopt) << bad;
    }
}

TEST(BasicAuth, SourceClients) {
    // Every source client in docs/icecast-protocol.md sends this for source:hackme.
    const auto creds = parse_basic_auth("Basic c291cmNlOmhhY2ttZQ==");
    ASSERT_TRUE(creds);
    EXPECT_EQ(creds->user, "source");
    EXPECT_EQ(creds->password, "hackme");
}

TEST(BasicAuth, SchemeCaseAndSpacing) {
    for (std::string_view v : {"basic c291cmNlOmhhY2ttZQ==", "BASIC c291cmNlOmhhY2ttZQ==",
                               "  Basic    c291cmNlOmhhY2ttZQ==  ", "Basic\tc291cmNlOmhhY2ttZQ==",
                               "Basic c291cmNlOmhhY2ttZQ"}) {
        const auto creds = parse_basic_auth(v);
        ASSERT_TRUE(creds) << v;
        EXPECT_EQ(creds->user, "source");
        EXPECT_EQ(creds->password, "hackme");
    }
}

TEST(BasicAuth, PasswordMayContainColons) {
    const auto creds = parse_basic_auth("Basic " + base64_encode("dj:pa:ss:"));
    ASSERT_TRUE(creds);
    EXPECT_EQ(creds->user, "dj");
    EXPECT_EQ(creds->password, "pa:ss:");
}

TEST(BasicAuth, EmptyUserOrPasswordIsSyntacticallyValid) {
    auto creds = parse_basic_auth("Basic " + base64_encode(":"));
    ASSERT_TRUE(creds);
    EXPECT_EQ(creds->user, "");
    EXPECT_EQ(creds->password, "");
    creds = parse_basic_auth("Basic " + base64_encode("source:"));
    ASSERT_TRUE(creds);
    EXPECT_EQ(creds->password, "");
}

TEST(BasicAuth, Utf8Passwords) {
    const auto creds = parse_basic_auth("Basic " + base64_encode("j\xc3\xbcrgen:p\xc3\xa4ss"));
    ASSERT_TRUE(creds);
    EXPECT_EQ(creds->user, "j\xc3\xbcrgen");
    EXPECT_EQ(creds->password, "p\xc3\xa4ss");
}

TEST(BasicAuth, Rejected) {
    const std::string cases[] = {
        "",
        "Basic",
        "Basic ",
        "Basic !!!!",
        "Basic c291cmNlOmhhY2ttZQ=",         // broken padding
        "Basic " + base64_encode("nocolon"), // no ':'
        "Bearer c291cmNlOmhhY2ttZQ==",       // other scheme
        "Digest username=\"source\"",
        "Basicc291cmNlOmhhY2ttZQ==",                  // no separator
        "Basic c291cmNl OmhhY2ttZQ==",                // space inside the token
        "Basic " + base64_encode("source:hack\0me"s), // NUL would truncate in C code
        "Basic " + base64_encode("source:hack\r\nme"),
        "Basic " + base64_encode("user:" + std::string(1020, 'p')), // 1025 bytes decoded
    };
    for (const auto& v : cases) {
        EXPECT_EQ(parse_basic_auth(v), std::nullopt) << v.substr(0, 60);
    }
}

TEST(BasicAuth, LimitIsInclusive) {
    const std::string plain = "user:" + std::string(1019, 'p'); // exactly 1024 bytes
    ASSERT_EQ(plain.size(), 1024U);
    const auto creds = parse_basic_auth("Basic " + base64_encode(plain));
    ASSERT_TRUE(creds);
    EXPECT_EQ(creds->password.size(), 1019U);
}

} // namespace
