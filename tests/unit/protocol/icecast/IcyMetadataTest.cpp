#include "protocol/icecast/IcyMetadata.hpp"

#include "protocol/icecast/Utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tinyice::protocol::icecast {
namespace {

using namespace std::string_literals;

// The text of a rendered block, checking its length-byte structure on the way.
std::string block_text(const std::string& block) {
    EXPECT_GE(block.size(), 17U);
    const auto units = static_cast<unsigned char>(block[0]);
    EXPECT_EQ(block.size(), 1U + 16U * units);
    std::string text = block.substr(1);
    const auto nul = text.find('\0');
    EXPECT_NE(nul, std::string::npos) << "a block always ends in at least one NUL";
    for (std::size_t i = nul; i < text.size(); ++i) {
        EXPECT_EQ(text[i], '\0') << "padding at " << i;
    }
    return text.substr(0, nul);
}

std::string title_of(const std::string& block) {
    const auto fields = parse_icy_text(block.substr(1));
    EXPECT_TRUE(fields.has_value());
    if (!fields || fields->empty()) {
        return {};
    }
    EXPECT_EQ(fields->front().first, "StreamTitle");
    return fields->front().second;
}

TEST(IcyMetadata, EmptyTitleIsOneUnit) {
    EXPECT_EQ(render_icy_block(""), "\x01StreamTitle='';\0"s);
}

TEST(IcyMetadata, MatchesIcecastLayout) {
    // From a capture of Icecast 2.4.4 (docs/icecast-protocol.md §2.3).
    const std::string block = render_icy_block("Some Artist - Some Title");
    EXPECT_EQ(block[0], '\x03');
    EXPECT_EQ(block, "\x03StreamTitle='Some Artist - Some Title';" + std::string(9, '\0'));
    const std::string utf8 = render_icy_block("Artist One - Song \xc3\xa4");
    EXPECT_EQ(utf8, "\x03StreamTitle='Artist One - Song \xc3\xa4';" + std::string(13, '\0'));
}

TEST(IcyMetadata, TextOfExactlySixteenBytesGetsAnotherUnit) {
    // "StreamTitle='x';" is 16 bytes: Icecast reserves a NUL, so two units.
    const std::string block = render_icy_block("x");
    EXPECT_EQ(block.size(), 33U);
    EXPECT_EQ(block[0], '\x02');
    EXPECT_EQ(block_text(block), "StreamTitle='x';");
}

TEST(IcyMetadata, WithUrl) {
    const std::string block = render_icy_block("T", "http://example.org/");
    EXPECT_EQ(block_text(block), "StreamTitle='T';StreamUrl='http://example.org/';");
    const auto fields = parse_icy_text(block.substr(1));
    ASSERT_TRUE(fields);
    ASSERT_EQ(fields->size(), 2U);
    EXPECT_EQ((*fields)[1], std::make_pair("StreamUrl"s, "http://example.org/"s));
}

TEST(IcyMetadata, DropsControlCharacters) {
    EXPECT_EQ(block_text(render_icy_block("a\nb\r\tc\x7f\x01"
                                          "d",
                                          "u\nrl")),
              "StreamTitle='abcd';StreamUrl='url';");
}

TEST(IcyMetadata, BreaksQuoteSemicolonInsideValues) {
    const std::string block = render_icy_block("Rock';Roll';StreamUrl='evil", "x';y");
    EXPECT_EQ(block_text(block), "StreamTitle='Rock' ;Roll' ;StreamUrl='evil';StreamUrl='x' ;y';");
    const auto fields = parse_icy_text(block.substr(1));
    ASSERT_TRUE(fields);
    ASSERT_EQ(fields->size(), 2U);
    EXPECT_EQ((*fields)[0].second, "Rock' ;Roll' ;StreamUrl='evil");
    EXPECT_EQ((*fields)[1].second, "x' ;y");
    // A control character between the quote and the ';' must not defeat the rule.
    EXPECT_EQ(block_text(render_icy_block("a'\n;b")), "StreamTitle='a' ;b';");
}

TEST(IcyMetadata, ApostrophesSurvive) {
    EXPECT_EQ(title_of(render_icy_block("Don't Stop")), "Don't Stop");
    EXPECT_EQ(title_of(render_icy_block("quoted'")), "quoted'");
    EXPECT_EQ(title_of(render_icy_block("'")), "'");
}

TEST(IcyMetadata, LongTitleIsTruncatedToFit) {
    const std::string block = render_icy_block(std::string(5000, 'a'));
    EXPECT_EQ(block.size(), 1U + max_icy_block);
    EXPECT_EQ(static_cast<unsigned char>(block[0]), 255U);
    const std::string text = block_text(block);
    EXPECT_EQ(text.size(), max_icy_block - 1);
    EXPECT_EQ(title_of(block), std::string(max_icy_block - 1 - 15, 'a'));
}

TEST(IcyMetadata, TruncationNeverSplitsUtf8) {
    // Shift a run of 2-, 3- and 4-byte characters across the cut at every alignment.
    for (const std::string& ch : {"\xc3\xa9"s, "\xe2\x82\xac"s, "\xf0\x9f\x8e\xb5"s}) {
        for (std::size_t pad = 0; pad < ch.size() + 1; ++pad) {
            std::string title(pad, 'x');
            while (title.size() < 4200) {
                title += ch;
            }
            const std::string block = render_icy_block(title);
            EXPECT_LE(block.size(), 1U + max_icy_block);
            const std::string value = title_of(block);
            EXPECT_TRUE(is_valid_utf8(value)) << "pad " << pad << " char size " << ch.size();
            EXPECT_GT(value.size() + ch.size(), max_icy_block - 1 - 15);
            EXPECT_EQ(value, title.substr(0, value.size()));
        }
    }
}

TEST(IcyMetadata, UrlIsDroppedBeforeTitleIsCut) {
    const std::string title(4000, 't');
    const std::string block = render_icy_block(title, std::string(100, 'u'));
    const std::string text = block_text(block);
    EXPECT_EQ(text.find("StreamUrl"), std::string::npos);
    EXPECT_EQ(title_of(block), title);
    // Exactly fits: 15 + 4049 + 15 bytes of text and the NUL.
    const std::string fits = block_text(render_icy_block(std::string(4049, 't'), "uu"));
    EXPECT_EQ(fits.size(), max_icy_block - 1);
    EXPECT_NE(fits.find("StreamUrl='uu';"), std::string::npos);
    const std::string dropped = block_text(render_icy_block(std::string(4050, 't'), "uu"));
    EXPECT_EQ(dropped.find("StreamUrl"), std::string::npos);
    EXPECT_EQ(dropped.size(), 15U + 4050U);
}

TEST(IcyMetadata, ParseTolerance) {
    using Fields = std::vector<std::pair<std::string, std::string>>;
    EXPECT_EQ(parse_icy_text("StreamTitle='abc'"), (Fields{{"StreamTitle", "abc"}}));
    EXPECT_EQ(parse_icy_text("StreamTitle='abc"), (Fields{{"StreamTitle", "abc"}}));
    EXPECT_EQ(parse_icy_text("StreamTitle='';\0\0\0"s), (Fields{{"StreamTitle", ""}}));
    EXPECT_EQ(parse_icy_text("StreamTitle='It's';StreamUrl='u';"),
              (Fields{{"StreamTitle", "It's"}, {"StreamUrl", "u"}}));
    // Icecast does not escape: "';" followed by something that is not a field stays in the value.
    EXPECT_EQ(parse_icy_text("StreamTitle='a';b';StreamUrl='u';"),
              (Fields{{"StreamTitle", "a';b"}, {"StreamUrl", "u"}}));
    EXPECT_EQ(parse_icy_text("StreamTitle='a';junk"), (Fields{{"StreamTitle", "a"}}));
    EXPECT_EQ(parse_icy_text("StreamTitle='a'; StreamNext='b';"),
              (Fields{{"StreamTitle", "a"}, {"StreamNext", "b"}}));
    EXPECT_EQ(parse_icy_text("StreamTitle='a=';x='y';"),
              (Fields{{"StreamTitle", "a="}, {"x", "y"}}));
}

TEST(IcyMetadata, ParseRejectsNonFields) {
    EXPECT_FALSE(parse_icy_text(""));
    EXPECT_FALSE(parse_icy_text("\0\0\0"s));
    EXPECT_FALSE(parse_icy_text("hello"));
    EXPECT_FALSE(parse_icy_text("StreamTitle=abc;"));
    EXPECT_FALSE(parse_icy_text("='abc';"));
    EXPECT_FALSE(parse_icy_text("Stream Title='abc';"));
    EXPECT_FALSE(parse_icy_text(std::string(100, 'k') + "='v';"));
}

TEST(IcyMetadata, RenderParseRoundTrip) {
    for (const std::string& title :
         {""s, "plain"s, "Caf\xc3\xa9 \xe2\x82\xac"s, "a'b"s, "=';x='"s, "  spaced  "s}) {
        const std::string block = render_icy_block(title, "http://x/");
        const auto fields = parse_icy_text(block.substr(1));
        ASSERT_TRUE(fields) << title;
        ASSERT_EQ(fields->size(), 2U) << title;
        std::string expected;
        for (std::size_t i = 0; i < title.size(); ++i) {
            if (title[i] == ';' && i > 0 && title[i - 1] == '\'') {
                expected.push_back(' ');
            }
            expected.push_back(title[i]);
        }
        EXPECT_EQ((*fields)[0].second, expected);
        EXPECT_EQ((*fields)[1].second, "http://x/");
    }
}

TEST(Charset, Latin1ToUtf8) {
    EXPECT_EQ(to_utf8("Caf\xe9", "ISO-8859-1"), "Caf\xc3\xa9");
    EXPECT_EQ(to_utf8("Caf\xe9", "iso8859-1"), "Caf\xc3\xa9");
    EXPECT_EQ(to_utf8("\x80", "WINDOWS-1252"), "\xe2\x82\xac");
}

TEST(Charset, Utf8FastPathRepairs) {
    EXPECT_EQ(to_utf8("Caf\xc3\xa9", "UTF-8"), "Caf\xc3\xa9");
    EXPECT_EQ(to_utf8("Caf\xc3\xa9", "utf8"), "Caf\xc3\xa9");
    EXPECT_EQ(to_utf8("Caf\xe9", "utf-8"), "Caf\xef\xbf\xbd");
}

TEST(Charset, InvalidInputBecomesReplacementCharacter) {
    // 0x81 is undefined in Windows-1252; a lone lead byte is truncated Shift_JIS.
    EXPECT_EQ(to_utf8("a\x81z", "WINDOWS-1252"), "a\xef\xbf\xbdz");
    EXPECT_EQ(to_utf8("a\x82", "SHIFT_JIS"), "a\xef\xbf\xbd");
}

TEST(Charset, UnknownCharset) {
    EXPECT_EQ(to_utf8("x", "NO-SUCH-CHARSET"), std::nullopt);
    EXPECT_EQ(to_utf8("x", ""), std::nullopt);
    EXPECT_EQ(to_utf8("x", "UTF-8//IGNORE"), std::nullopt);
    EXPECT_EQ(to_utf8("x", std::string(65, 'a')), std::nullopt);
    EXPECT_FALSE(charset_supported("NO-SUCH-CHARSET"));
    EXPECT_TRUE(charset_supported("ISO-8859-1"));
    EXPECT_TRUE(charset_supported("UTF8"));
}

TEST(Charset, FromUtf8) {
    EXPECT_EQ(from_utf8("Caf\xc3\xa9", "ISO-8859-1"), "Caf\xe9");
    EXPECT_EQ(from_utf8("Caf\xc3\xa9", "UTF-8"), "Caf\xc3\xa9");
    // Characters Latin-1 lacks are transliterated or become '?', never dropped silently
    // or passed through as UTF-8.
    const std::string cjk = from_utf8("a\xe6\x97\xa5z", "ISO-8859-1");
    EXPECT_EQ(cjk, "a?z");
    const std::string euro = from_utf8("\xe2\x82\xac", "ISO-8859-1");
    EXPECT_FALSE(euro.empty());
    EXPECT_EQ(euro.find('\xe2'), std::string::npos);
    // Invalid UTF-8 input.
    EXPECT_EQ(from_utf8("a\xffz", "ISO-8859-1"), "a?z");
    // Unknown charset: unchanged.
    EXPECT_EQ(from_utf8("Caf\xc3\xa9", "NO-SUCH-CHARSET"), "Caf\xc3\xa9");
}

TEST(Charset, LongInputCrossesBufferBoundary) {
    std::string latin1;
    std::string expected;
    for (int i = 0; i < 5000; ++i) {
        latin1 += '\xe9';
        expected += "\xc3\xa9";
    }
    EXPECT_EQ(to_utf8(latin1, "ISO-8859-1"), expected);
    EXPECT_EQ(from_utf8(expected, "ISO-8859-1"), latin1);
}

} // namespace
} // namespace tinyice::protocol::icecast
