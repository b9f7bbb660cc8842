#include "protocol/http/Query.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace std::string_literals;
using tinyice::protocol::http::normalize_mount_path;
using tinyice::protocol::http::QueryParams;
using tinyice::protocol::http::url_encode;

namespace {

TEST(QueryParams, MetadataUpdateFromButt) {
    const QueryParams q("mode=updinfo&mount=/m&charset=UTF-8&song=Artist%20-%20Title");
    EXPECT_EQ(q.get("mode"), "updinfo");
    EXPECT_EQ(q.get("mount"), "/m");
    EXPECT_EQ(q.get("charset"), "UTF-8");
    EXPECT_EQ(q.get("song"), "Artist - Title");
    EXPECT_EQ(q.items().size(), 4U);
}

TEST(QueryParams, LibshoutAdminCgi) {
    const QueryParams q("mode=updinfo&pass=hackme&song=libshout%20Artist%20%2d%20libshout%20Song");
    EXPECT_EQ(q.get("pass"), "hackme");
    EXPECT_EQ(q.get("song"), "libshout Artist - libshout Song");
}

TEST(QueryParams, PlusIsSpaceAndEscapedPlusIsPlus) {
    const QueryParams q("song=AC%2FDC+-+Back+In+Black&math=1%2B1&k+ey=v");
    EXPECT_EQ(q.get("song"), "AC/DC - Back In Black");
    EXPECT_EQ(q.get("math"), "1+1");
    EXPECT_EQ(q.get("k ey"), "v");
}

TEST(QueryParams, InvalidEscapesKeptLiterally) {
    const QueryParams q("a=%zz&b=100%&c=%2&d=%41%zz%42&e=%%41");
    EXPECT_EQ(q.get("a"), "%zz");
    EXPECT_EQ(q.get("b"), "100%");
    EXPECT_EQ(q.get("c"), "%2");
    EXPECT_EQ(q.get("d"), "A%zzB"); // valid escapes around a bad one still decode
    EXPECT_EQ(q.get("e"), "%A");
}

TEST(QueryParams, RawBytesPassThrough) {
    const QueryParams q("song=K\xc3\xa4se|\"x\"");
    EXPECT_EQ(q.get("song"), "K\xc3\xa4se|\"x\"");
}

TEST(QueryParams, Utf8AndLatin1Escapes) {
    const QueryParams q("song=Caf%C3%A9&latin=Caf%E9&nul=a%00b");
    EXPECT_EQ(q.get("song"), "Caf\xc3\xa9");
    EXPECT_EQ(q.get("latin"), "Caf\xe9"); // charset conversion is the caller's job
    EXPECT_EQ(q.get("nul"), "a\0b"s);
}

TEST(QueryParams, EmptyPiecesAndFlags) {
    const QueryParams q("&&a=1&&flag&=nokey&b=&a=2&");
    EXPECT_EQ(q.get("a"), "1"); // first match
    EXPECT_TRUE(q.has("flag"));
    EXPECT_EQ(q.get("flag"), "");
    EXPECT_EQ(q.get(""), "nokey");
    EXPECT_EQ(q.get("b"), "");
    EXPECT_FALSE(q.has("c"));
    EXPECT_EQ(q.get("c"), std::nullopt);
    EXPECT_EQ(q.items().size(), 5U);
}

TEST(QueryParams, ValueMaySplitAtFirstEqualsOnly) {
    const QueryParams q("expr=a=b=c");
    EXPECT_EQ(q.get("expr"), "a=b=c");
}

TEST(QueryParams, KeysAreExactAndDecoded) {
    const QueryParams q("Mode=x&mo%64e=y");
    EXPECT_FALSE(q.get("MODE"));
    EXPECT_EQ(q.get("Mode"), "x");
    EXPECT_EQ(q.get("mode"), "y");
}

TEST(QueryParams, EmptyQuery) {
    const QueryParams q("");
    EXPECT_TRUE(q.items().empty());
    EXPECT_FALSE(q.has(""));
}

TEST(QueryParams, AtMost64Parameters) {
    std::string query;
    for (int i = 0; i < 100; ++i) {
        query += "k" + std::to_string(i) + "=" + std::to_string(i) + "&";
    }
    const QueryParams q(query);
    EXPECT_EQ(q.items().size(), QueryParams::max_params);
    EXPECT_TRUE(q.has("k63"));
    EXPECT_FALSE(q.has("k64"));
}

TEST(QueryParams, ValuesCutAt8KiB) {
    const QueryParams q("big=" + std::string(9000, 'x') + "&enc=" + std::string(3000, 'y') +
                        std::string("%41") + "&next=1");
    EXPECT_EQ(q.get("big")->size(), QueryParams::max_value_bytes);
    EXPECT_EQ(q.get("enc")->size(), 3001U);
    EXPECT_EQ(q.get("next"), "1");
}

TEST(UrlEncode, UnreservedKept) {
    EXPECT_EQ(url_encode("AZaz09-._~"), "AZaz09-._~");
    EXPECT_EQ(url_encode("a b+c/d?e&f=g%h"), "a%20b%2Bc%2Fd%3Fe%26f%3Dg%25h");
    EXPECT_EQ(url_encode("\xc3\xa9"), "%C3%A9");
    EXPECT_EQ(url_encode(""), "");
    EXPECT_EQ(url_encode("\0"s), "%00");
}

TEST(UrlEncode, RoundTripsThroughQueryParams) {
    const std::string nasty = "AC/DC & Friends = 100% + \"quotes\" \xc3\xa9\n";
    const QueryParams q("song=" + url_encode(nasty));
    EXPECT_EQ(q.get("song"), nasty);
}

struct MountCase {
    std::string_view raw;
    std::optional<std::string> expected;
};

TEST(NormalizeMountPath, Cases) {
    const MountCase cases[] = {
        {"/live", "/live"},
        {"/live.mp3", "/live.mp3"},
        {"//live", "/live"},
        {"/a//b///c", "/a/b/c"},
        {"/live/", "/live/"},
        {"/", "/"},
        {"/my%20stream", "/my stream"},
        {"/a%2Fb", "/a/b"},
        {"/a%2f%2fb", "/a/b"},
        {"/caf%C3%A9", "/caf\xc3\xa9"},
        {"/a+b", "/a+b"}, // '+' is only a space in queries
        {"/admin/!POKE", "/admin/!POKE"},
        {"/..a", "/..a"},
        {"/a..", "/a.."},
        {"/.hidden", "/.hidden"},
        {"", std::nullopt},
        {"live", std::nullopt},
        {"%2Flive", std::nullopt},
        {"*", std::nullopt},
        {"/..", std::nullopt},
        {"/../etc/passwd", std::nullopt},
        {"/a/../b", std::nullopt},
        {"/a/..", std::nullopt},
        {"/.", std::nullopt},
        {"/a/./b", std::nullopt},
        {"/%2e%2e", std::nullopt},
        {"/%2E%2E/x", std::nullopt},
        {"/a%2f..%2fb", std::nullopt},
        {"/.%2e", std::nullopt},
        {"/%2e", std::nullopt},
        {"/a%00b", std::nullopt},
        {"/a%0d%0aX: y", std::nullopt},
        {"/a%7f", std::nullopt},
        {"/a\\b", std::nullopt},
        {"/a%5cb", std::nullopt},
        {"/a%zz", std::nullopt},
        {"/a%2", std::nullopt},
        {"/a%", std::nullopt},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(normalize_mount_path(c.raw), c.expected) << c.raw;
    }
}

TEST(NormalizeMountPath, LengthLimit) {
    const std::string ok = "/" + std::string(254, 'm');
    EXPECT_EQ(normalize_mount_path(ok), ok);
    EXPECT_EQ(normalize_mount_path(ok + "m"), std::nullopt);
    // The limit applies to the result: collapsed slashes do not count.
    EXPECT_EQ(normalize_mount_path("//" + ok.substr(1)), ok);
    // Encoded form may be longer than 255 as long as the decoded name fits.
    std::string encoded = "/";
    for (int i = 0; i < 100; ++i) {
        encoded += "%41";
    }
    EXPECT_EQ(normalize_mount_path(encoded), "/" + std::string(100, 'A'));
    EXPECT_EQ(normalize_mount_path("/" + std::string(100000, 'x')), std::nullopt);
}

} // namespace
