#include "protocol/http/Cookies.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

using namespace std::string_literals;
using tinyice::protocol::http::find_cookie;
using tinyice::protocol::http::format_set_cookie;
using tinyice::protocol::http::max_cookie_bytes;
using tinyice::protocol::http::max_cookies;
using tinyice::protocol::http::parse_cookies;
using tinyice::protocol::http::SetCookie;

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(ParseCookies, BrowserHeader) {
    EXPECT_EQ(parse_cookies("a=1; b=2"), (Pairs{{"a", "1"}, {"b", "2"}}));
    EXPECT_EQ(parse_cookies("tinyice_session=Zm9vYmFy-_x; csrf=abc"),
              (Pairs{{"tinyice_session", "Zm9vYmFy-_x"}, {"csrf", "abc"}}));
    EXPECT_EQ(parse_cookies("single=value"), (Pairs{{"single", "value"}}));
}

TEST(ParseCookies, LenientSpacingAndSeparators) {
    EXPECT_EQ(parse_cookies("  a = 1 ;b=2;;  ;\tc=3\t; "),
              (Pairs{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
    EXPECT_EQ(parse_cookies(""), Pairs{});
    EXPECT_EQ(parse_cookies(";;;"), Pairs{});
}

TEST(ParseCookies, QuotedValuesAndEmptyValues) {
    EXPECT_EQ(parse_cookies("a=\"quoted\"; b=\"\"; c=; d=\"half"),
              (Pairs{{"a", "quoted"}, {"b", ""}, {"c", ""}, {"d", "\"half"}}));
    EXPECT_EQ(parse_cookies("a=\"\"\""), (Pairs{{"a", "\""}})); // only one pair of quotes goes
}

TEST(ParseCookies, LenientValueCharacters) {
    // What scripts store comes back as is: spaces inside, commas, '=' and UTF-8.
    EXPECT_EQ(parse_cookies("pref=dark mode, large; b64=YQ==; name=K\xc3\xa4se"),
              (Pairs{{"pref", "dark mode, large"}, {"b64", "YQ=="}, {"name", "K\xc3\xa4se"}}));
}

TEST(ParseCookies, InvalidPairsAreSkipped) {
    EXPECT_EQ(parse_cookies("novalue; =anon; bad name=1; b@d=2; ok=3; ctl=a\x01z; nul=a\0z; "
                            "tab=a\tb; x=y"s),
              (Pairs{{"ok", "3"}, {"x", "y"}}));
}

TEST(ParseCookies, DuplicatesKeptInOrder) {
    EXPECT_EQ(parse_cookies("sid=specific; sid=general"),
              (Pairs{{"sid", "specific"}, {"sid", "general"}}));
    EXPECT_EQ(find_cookie("sid=specific; sid=general", "sid"), "specific");
}

TEST(ParseCookies, SizeCaps) {
    const std::string long_value(max_cookie_bytes, 'v');
    const std::string too_long(max_cookie_bytes + 1, 'v');
    EXPECT_EQ(parse_cookies("a=" + long_value + "; b=" + too_long + "; c=1"),
              (Pairs{{"a", long_value}, {"c", "1"}}));
    EXPECT_EQ(parse_cookies(std::string(max_cookie_bytes + 1, 'n') + "=1; c=1"),
              (Pairs{{"c", "1"}}));
    // Quotes do not count against the cap.
    EXPECT_EQ(parse_cookies("q=\"" + long_value + "\""), (Pairs{{"q", long_value}}));

    std::string many;
    for (std::size_t i = 0; i < 100; ++i) {
        many += "c" + std::to_string(i) + "=" + std::to_string(i) + "; junk; ";
    }
    const auto pairs = parse_cookies(many);
    ASSERT_EQ(pairs.size(), max_cookies);
    EXPECT_EQ(pairs.back().first, "c63");
    EXPECT_EQ(find_cookie(many, "c63"), "63");
    EXPECT_EQ(find_cookie(many, "c64"), std::nullopt); // consistent with parse_cookies
}

TEST(FindCookie, ExactCaseSensitiveName) {
    const std::string_view header = "Sid=upper; sid=lower; sid2=other";
    EXPECT_EQ(find_cookie(header, "sid"), "lower");
    EXPECT_EQ(find_cookie(header, "Sid"), "upper");
    EXPECT_EQ(find_cookie(header, "SID"), std::nullopt);
    EXPECT_EQ(find_cookie(header, "si"), std::nullopt);
    EXPECT_EQ(find_cookie(header, ""), std::nullopt);
    EXPECT_EQ(find_cookie("", "sid"), std::nullopt);
    EXPECT_EQ(find_cookie("sid=", "sid"), "");
    EXPECT_EQ(find_cookie("bad name=1; sid=\"q\"", "sid"), "q");
}

TEST(FormatSetCookie, DefaultsAreStrict) {
    const SetCookie c{.name = "sid", .value = "abc-_123"};
    EXPECT_EQ(format_set_cookie(c), "sid=abc-_123; Path=/; HttpOnly; SameSite=Strict");
}

TEST(FormatSetCookie, AllAttributes) {
    SetCookie c{.name = "__Host-sid", .value = "v", .max_age = 3600, .secure = true};
    c.same_site = "lax";
    EXPECT_EQ(format_set_cookie(c),
              "__Host-sid=v; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Lax");

    SetCookie plain{.name = "csrf", .value = "t", .path = "", .http_only = false};
    plain.same_site = "";
    EXPECT_EQ(format_set_cookie(plain), "csrf=t");

    SetCookie none{.name = "x", .value = "1", .path = "/admin", .secure = true};
    none.same_site = "None";
    EXPECT_EQ(format_set_cookie(none), "x=1; Path=/admin; Secure; HttpOnly; SameSite=None");
}

TEST(FormatSetCookie, DeletionUsesMaxAgeZero) {
    const SetCookie gone{.name = "sid", .value = "", .max_age = 0};
    EXPECT_EQ(format_set_cookie(gone), "sid=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
    const SetCookie negative{.name = "sid", .value = "", .max_age = -20};
    EXPECT_EQ(format_set_cookie(negative), "sid=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
}

TEST(FormatSetCookie, RefusesInjection) {
    auto bad = [](SetCookie c) {
        EXPECT_THROW(format_set_cookie(c), std::invalid_argument) << c.name << "=" << c.value;
    };
    bad({.name = "", .value = "v"});
    bad({.name = "a b", .value = "v"});
    bad({.name = "a=b", .value = "v"});
    bad({.name = "sid", .value = "v; Domain=evil.example"});
    bad({.name = "sid", .value = "v\r\nSet-Cookie: x=y"});
    bad({.name = "sid", .value = "with space"});
    bad({.name = "sid", .value = "\"quoted\""});
    bad({.name = "sid", .value = "a,b"});
    bad({.name = "sid", .value = "a\\b"});
    bad({.name = "sid", .value = "K\xc3\xa4se"});
    bad({.name = "sid", .value = std::string(max_cookie_bytes + 1, 'v')});
    bad({.name = "sid", .value = "v", .path = "admin"});
    bad({.name = "sid", .value = "v", .path = "/a; Secure"});
    bad({.name = "sid", .value = "v", .path = "/a\r\n"});
    SetCookie odd{.name = "sid", .value = "v"};
    odd.same_site = "Sometimes";
    bad(odd);
}

TEST(FormatSetCookie, RefusesWhatBrowsersWouldDrop) {
    SetCookie none{.name = "sid", .value = "v"};
    none.same_site = "None";
    EXPECT_THROW(format_set_cookie(none), std::invalid_argument);
    EXPECT_THROW(format_set_cookie({.name = "__Secure-sid", .value = "v"}), std::invalid_argument);
    EXPECT_THROW(format_set_cookie({.name = "__host-sid", .value = "v"}), std::invalid_argument);
    EXPECT_THROW(
        format_set_cookie({.name = "__Host-sid", .value = "v", .path = "/admin", .secure = true}),
        std::invalid_argument);
    EXPECT_NO_THROW(format_set_cookie(
        {.name = "__Secure-sid", .value = "v", .path = "/admin", .secure = true}));
}

TEST(FormatSetCookie, RoundTripsThroughParse) {
    const std::string value = "!#$%&'()*+-./0123456789:<=>?@AZ[]^_`az{|}~";
    const std::string header = format_set_cookie({.name = "k", .value = value});
    const std::string pair = header.substr(0, header.find(';'));
    EXPECT_EQ(find_cookie(pair, "k"), value);
    EXPECT_EQ(find_cookie("other=1; " + pair, "k"), value);
}

} // namespace
