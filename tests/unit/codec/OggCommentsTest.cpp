#include "codec/OggComments.hpp"

#include "codec/CodecTestUtil.hpp"

#include <gtest/gtest.h>

namespace tinyice::codec {
namespace {

using test::Bytes;

void put_le32(Bytes& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
        out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
}

Bytes comment_packet(std::string_view prefix, std::string_view vendor,
                     const std::vector<std::string>& entries) {
    Bytes out(prefix.begin(), prefix.end());
    put_le32(out, static_cast<std::uint32_t>(vendor.size()));
    out.insert(out.end(), vendor.begin(), vendor.end());
    put_le32(out, static_cast<std::uint32_t>(entries.size()));
    for (const auto& e : entries) {
        put_le32(out, static_cast<std::uint32_t>(e.size()));
        out.insert(out.end(), e.begin(), e.end());
    }
    return out;
}

Bytes first_packet_with(std::string_view fixture, std::string_view prefix) {
    for (const auto& p : test::read_packets(test::read_fixture(fixture))) {
        if (p.data.size() >= prefix.size() &&
            std::equal(prefix.begin(), prefix.end(), p.data.begin(),
                       [](char a, std::uint8_t b) { return static_cast<std::uint8_t>(a) == b; })) {
            return p.data;
        }
    }
    return {};
}

TEST(OggComments, ParsesOpusTagsFromFfmpeg) {
    const auto comments = parse_comment_packet(first_packet_with("sine.opus", "OpusTags"));
    ASSERT_TRUE(comments.has_value());
    EXPECT_EQ(comments->vendor.rfind("Lavf", 0), 0U) << comments->vendor;
    EXPECT_EQ(comments->title(), "Tone A");
    EXPECT_EQ(comments->artist(), "Artist A");
    EXPECT_EQ(comments->display_title(), "Artist A - Tone A");
}

TEST(OggComments, ParsesVorbisCommentsCaseInsensitively) {
    const auto comments = parse_comment_packet(first_packet_with("sine.ogg", "\x03vorbis"));
    ASSERT_TRUE(comments.has_value());
    EXPECT_EQ(comments->get("Title"), "Vorbis Tone");
    EXPECT_EQ(comments->get("artist"), "VA");
    EXPECT_EQ(comments->display_title(), "VA - Vorbis Tone");
    bool saw_upper = false;
    for (const auto& [k, v] : comments->tags) {
        saw_upper = saw_upper || k == "ARTIST";
    }
    EXPECT_TRUE(saw_upper) << "keys are kept as given";
}

TEST(OggComments, ParsesFlacTheoraAndSpeex) {
    auto flac = parse_comment_packet(first_packet_with("sine.oga", "\x84"));
    ASSERT_TRUE(flac.has_value());
    EXPECT_EQ(flac->title(), "Flac Tone");

    auto theora = parse_comment_packet(first_packet_with("theora_vorbis.ogv", "\x81theora"));
    ASSERT_TRUE(theora.has_value());
    EXPECT_EQ(theora->title(), "AV");

    const auto packets = test::read_packets(test::read_fixture("sine.spx"));
    ASSERT_GE(packets.size(), 2U);
    EXPECT_FALSE(parse_comment_packet(packets[1].data).has_value()); // no prefix in Speex
    auto speex = parse_vorbis_comment(packets[1].data);
    ASSERT_TRUE(speex.has_value());
    EXPECT_EQ(speex->title(), "Speex Tone");
}

TEST(OggComments, SyntheticPackets) {
    auto c = parse_comment_packet(
        comment_packet("OpusTags", "v", {"TITLE=a=b", "noequals", "artist=", "Title=second"}));
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->vendor, "v");
    ASSERT_EQ(c->tags.size(), 3U); // the entry without '=' is skipped
    EXPECT_EQ(c->title(), "a=b");  // first match; value may contain '='
    EXPECT_EQ(c->artist(), "");
    EXPECT_EQ(c->display_title(), "a=b");

    c = parse_comment_packet(comment_packet("\x03vorbis", "", {}));
    ASSERT_TRUE(c.has_value());
    EXPECT_TRUE(c->tags.empty());
    EXPECT_EQ(c->display_title(), "");

    c = parse_comment_packet(comment_packet("OpusTags", "v", {"ARTIST=only"}));
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->display_title(), ""); // no title: nothing to show

    // Vorbis packets end with a framing bit; trailing bytes are fine.
    Bytes framed = comment_packet("\x03vorbis", "v", {"title=t"});
    framed.push_back(1);
    c = parse_comment_packet(framed);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->title(), "t");
}

TEST(OggComments, MalformedLengthsAreRejected) {
    const Bytes good = comment_packet("OpusTags", "vendor", {"title=t", "artist=a"});
    ASSERT_TRUE(parse_comment_packet(good).has_value());
    // Every truncation that cuts into the structure fails.
    for (std::size_t n = 0; n < good.size(); ++n) {
        EXPECT_FALSE(parse_comment_packet(std::span(good).first(n)).has_value()) << n;
    }
    const auto with_u32_at = [&](std::size_t at, std::uint32_t v) {
        Bytes b = good;
        for (int i = 0; i < 4; ++i) {
            b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
        }
        return b;
    };
    const std::size_t vendor_len = 8;
    const std::size_t count = vendor_len + 4 + 6;
    const std::size_t first_entry = count + 4;
    for (const std::uint32_t huge : {0xFFFFFFFFU, 0x80000000U, 0x7FFFFFFFU, 1000U}) {
        EXPECT_FALSE(parse_comment_packet(with_u32_at(vendor_len, huge)).has_value()) << huge;
        EXPECT_FALSE(parse_comment_packet(with_u32_at(count, huge)).has_value()) << huge;
        EXPECT_FALSE(parse_comment_packet(with_u32_at(first_entry, huge)).has_value()) << huge;
    }
    // Count of 3 with 2 entries present.
    EXPECT_FALSE(parse_comment_packet(with_u32_at(count, 3)).has_value());
    EXPECT_FALSE(parse_comment_packet(test::bytes_of("OpusTag")).has_value());
    EXPECT_FALSE(parse_comment_packet(test::bytes_of("NotTags\x00\x00\x00\x00\x00\x00\x00\x00"))
                     .has_value());
    // A FLAC block whose length disagrees with the packet.
    using namespace std::string_view_literals;
    Bytes flac = comment_packet("\x04\x00\x00\x00"sv, "v", {"title=t"});
    flac[3] = static_cast<std::uint8_t>(flac.size() - 4);
    EXPECT_TRUE(parse_comment_packet(flac).has_value());
    flac[3] += 1;
    EXPECT_FALSE(parse_comment_packet(flac).has_value());
}

TEST(OggComments, CodecFromFirstPacket) {
    const auto first = [](std::string_view fixture) {
        return codec_from_first_packet(
            test::read_packets(test::read_fixture(fixture)).front().data);
    };
    EXPECT_EQ(first("sine.opus"), "Opus");
    EXPECT_EQ(first("sine.ogg"), "Vorbis");
    EXPECT_EQ(first("sine.oga"), "FLAC");
    EXPECT_EQ(first("sine.spx"), "Speex");
    EXPECT_EQ(first("theora_vorbis.ogv"), "Theora");
    using namespace std::string_view_literals;
    EXPECT_EQ(codec_from_first_packet(test::bytes_of("fishead\0\3\0"sv)), "Skeleton");
    EXPECT_EQ(codec_from_first_packet(test::bytes_of("fLaC")), "FLAC");
    EXPECT_EQ(codec_from_first_packet(test::bytes_of("OpusHea")), "");
    EXPECT_EQ(codec_from_first_packet(test::bytes_of("\x01vorbi")), "");
    EXPECT_EQ(codec_from_first_packet(test::bytes_of("\x80kate\0\0\0"sv)), "");
    EXPECT_EQ(codec_from_first_packet({}), "");
}

} // namespace
} // namespace tinyice::codec
