#include "codec/OggMuxer.hpp"

#include "codec/CodecTestUtil.hpp"
#include "codec/OggPage.hpp"

#include <gtest/gtest.h>

#include <numeric>

namespace tinyice::codec {
namespace {

using test::Bytes;

Bytes packet_of(std::size_t size, std::uint8_t seed) {
    Bytes p(size);
    std::iota(p.begin(), p.end(), seed);
    return p;
}

struct ParsedPage {
    std::uint8_t flags = 0;
    std::int64_t granule = 0;
    std::uint32_t serial = 0;
    std::uint32_t sequence = 0;
    Bytes lacing;
    std::size_t body_size = 0;
};

// Every page must parse with a valid CRC and nothing may be skipped between pages.
std::vector<ParsedPage> parse_all(const Bytes& stream) {
    std::vector<ParsedPage> pages;
    OggPageReader reader;
    reader.feed(stream, [&](std::uint64_t, const OggPageView& v) {
        pages.push_back({v.flags, v.granule, v.serial, v.sequence,
                         Bytes(v.segment_table.begin(), v.segment_table.end()), v.body.size()});
    });
    EXPECT_EQ(reader.skipped_bytes(), 0U);
    EXPECT_EQ(reader.offset(), stream.size());
    return pages;
}

TEST(OggMuxer, LacesPacketsOfEveryAwkwardSize) {
    const std::vector<std::size_t> sizes = {0, 1, 254, 255, 256, 510, 70000, 3};
    OggMuxer mux;
    Bytes out;
    mux.begin_stream(0x1234, out);
    EXPECT_TRUE(out.empty()); // nothing until a packet comes
    std::vector<Bytes> packets;
    std::int64_t granule = 0;
    for (const std::size_t size : sizes) {
        packets.push_back(packet_of(size, static_cast<std::uint8_t>(size)));
        granule += 1000;
        mux.add_packet(packets.back(), granule, out);
    }
    mux.end_stream(out);
    EXPECT_FALSE(mux.stream_open());

    // The packets come back exactly, in order.
    const auto back = test::read_packets(out);
    ASSERT_EQ(back.size(), packets.size());
    for (std::size_t i = 0; i < packets.size(); ++i) {
        EXPECT_EQ(back[i].data, packets[i]) << "packet " << i << " of " << sizes[i] << " bytes";
        EXPECT_EQ(back[i].serial, 0x1234U);
    }

    const auto pages = parse_all(out);
    ASSERT_GE(pages.size(), 17U); // 70000 bytes at ~4 KiB a page
    std::int64_t last_granule = -1;
    for (std::size_t i = 0; i < pages.size(); ++i) {
        const ParsedPage& p = pages[i];
        EXPECT_EQ(p.serial, 0x1234U);
        EXPECT_EQ(p.sequence, i);
        EXPECT_EQ((p.flags & OggPageView::flag_bos) != 0, i == 0);
        EXPECT_EQ((p.flags & OggPageView::flag_eos) != 0, i + 1 == pages.size());
        EXPECT_LE(p.lacing.size(), 255U);
        EXPECT_EQ(p.body_size, std::accumulate(p.lacing.begin(), p.lacing.end(), std::size_t{0}));
        // A page continues a packet exactly when the previous one ended on a 255 lacing value.
        const bool prev_open = i > 0 && pages[i - 1].lacing.back() == 255;
        EXPECT_EQ((p.flags & OggPageView::flag_continued) != 0, prev_open) << "page " << i;
        const bool packet_ends =
            std::any_of(p.lacing.begin(), p.lacing.end(), [](std::uint8_t v) { return v < 255; });
        if (packet_ends) {
            EXPECT_GT(p.granule, last_granule);
            last_granule = p.granule;
        } else {
            EXPECT_EQ(p.granule, -1) << "page " << i << " completes no packet";
        }
    }
    EXPECT_EQ(pages.back().granule, granule);
}

TEST(OggMuxer, LacingValuesFollowTheRfc) {
    const std::vector<std::pair<std::size_t, Bytes>> cases = {
        {0, {0}}, {254, {254}}, {255, {255, 0}}, {256, {255, 1}}, {510, {255, 255, 0}},
    };
    for (const auto& [size, lacing] : cases) {
        OggMuxer mux;
        Bytes out;
        mux.begin_stream(7, out);
        mux.add_packet(packet_of(size, 1), 5, out);
        EXPECT_EQ(mux.pending_packets(), 1U);
        EXPECT_EQ(mux.pending_bytes(), size);
        mux.flush(out);
        EXPECT_EQ(mux.pending_packets(), 0U);
        const auto pages = parse_all(out);
        ASSERT_EQ(pages.size(), 1U);
        EXPECT_EQ(pages[0].lacing, lacing) << size;
        EXPECT_EQ(pages[0].granule, 5);
    }
}

TEST(OggMuxer, A255SegmentPageLimitSplitsHugePackets) {
    // With a page target larger than any page, only the 255-segment limit splits.
    OggMuxer mux(1 << 20);
    Bytes out;
    mux.begin_stream(9, out);
    const Bytes big = packet_of(70000, 3);
    mux.add_packet(big, 42, out);
    mux.end_stream(out);
    const auto pages = parse_all(out);
    ASSERT_EQ(pages.size(), 2U);
    EXPECT_EQ(pages[0].lacing.size(), 255U);
    EXPECT_EQ(pages[0].body_size, 255U * 255);
    EXPECT_EQ(pages[0].granule, -1);
    EXPECT_EQ(pages[1].flags & OggPageView::flag_continued, OggPageView::flag_continued);
    EXPECT_EQ(pages[1].granule, 42);
    EXPECT_EQ(test::read_packets(out).at(0).data, big);
}

TEST(OggMuxer, EmitsAPageOnceTheTargetIsReached) {
    OggMuxer mux(1000);
    Bytes out;
    mux.begin_stream(1, out);
    mux.add_packet(packet_of(600, 0), 1, out);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(mux.pending_packets(), 1U);
    // Segments 255, 255, 90: after the second the body is 1110 >= 1000, so the page ends inside
    // this packet (as libogg does) and the last 90 bytes wait for the next page.
    mux.add_packet(packet_of(600, 0), 2, out);
    EXPECT_FALSE(out.empty());
    EXPECT_EQ(mux.pending_packets(), 1U);
    EXPECT_EQ(mux.pending_bytes(), 90U);
    mux.flush(out);
    const auto pages = parse_all(out);
    ASSERT_EQ(pages.size(), 2U);
    EXPECT_EQ(pages[0].granule, 1); // only the first packet ends there
    EXPECT_EQ(pages[0].flags, OggPageView::flag_bos);
    EXPECT_EQ(pages[0].body_size, 1110U);
    EXPECT_EQ(pages[1].granule, 2);
    EXPECT_EQ(pages[1].flags, OggPageView::flag_continued);
    EXPECT_EQ(pages[1].lacing, Bytes{90});

    // Packets that end exactly at a segment boundary fill pages up to the target.
    OggMuxer small(500);
    Bytes out2;
    small.begin_stream(2, out2);
    for (int i = 0; i < 4; ++i) {
        small.add_packet(packet_of(200, 0), i + 1, out2);
    }
    const auto pages2 = parse_all(out2);
    ASSERT_EQ(pages2.size(), 1U); // 3 x 200 = 600 >= 500
    EXPECT_EQ(pages2[0].granule, 3);
    EXPECT_EQ(small.pending_packets(), 1U);
}

TEST(OggMuxer, HeadersStandAloneWhenFlushed) {
    OggMuxer mux;
    Bytes out;
    mux.begin_stream(77, out);
    mux.add_packet(test::bytes_of("OpusHead-ish"), 0, out);
    mux.flush(out);
    mux.add_packet(test::bytes_of("OpusTags-ish"), 0, out);
    mux.flush(out);
    mux.flush(out); // nothing queued: no page
    mux.add_packet(packet_of(100, 0), 960, out);
    mux.end_stream(out);
    const auto pages = parse_all(out);
    ASSERT_EQ(pages.size(), 3U);
    EXPECT_EQ(pages[0].flags, OggPageView::flag_bos);
    EXPECT_EQ(pages[0].granule, 0);
    EXPECT_EQ(pages[1].flags, 0);
    EXPECT_EQ(pages[2].flags, OggPageView::flag_eos);
    EXPECT_EQ(pages[2].granule, 960);
}

TEST(OggMuxer, EmptyEndStreamWritesAnEosPageWithTheLastGranule) {
    OggMuxer mux;
    Bytes out;
    mux.begin_stream(5, out);
    mux.add_packet(packet_of(10, 0), 480, out);
    mux.flush(out);
    mux.end_stream(out);
    const auto pages = parse_all(out);
    ASSERT_EQ(pages.size(), 2U);
    EXPECT_TRUE(pages[1].lacing.empty());
    EXPECT_EQ(pages[1].flags, OggPageView::flag_eos);
    EXPECT_EQ(pages[1].granule, 480);
    EXPECT_EQ(pages[1].sequence, 1U);
}

TEST(OggMuxer, BeginStreamEndsTheOpenOneAndRestartsSequences) {
    OggMuxer mux;
    Bytes out;
    mux.begin_stream(1, out);
    mux.add_packet(packet_of(10, 0), 100, out);
    mux.begin_stream(2, out); // ends stream 1 with EOS
    EXPECT_EQ(mux.serial(), 2U);
    mux.add_packet(packet_of(10, 0), 50, out);
    mux.end_stream(out);
    mux.end_stream(out); // already ended: nothing
    const auto pages = parse_all(out);
    ASSERT_EQ(pages.size(), 2U);
    EXPECT_EQ(pages[0].serial, 1U);
    EXPECT_EQ(pages[0].flags, OggPageView::flag_bos | OggPageView::flag_eos);
    EXPECT_EQ(pages[0].granule, 100);
    EXPECT_EQ(pages[1].serial, 2U);
    EXPECT_EQ(pages[1].sequence, 0U);
    EXPECT_EQ(pages[1].flags, OggPageView::flag_bos | OggPageView::flag_eos);
}

TEST(OggMuxer, AddPacketWithoutStreamIsALogicError) {
    OggMuxer mux;
    Bytes out;
    EXPECT_THROW(mux.add_packet(packet_of(1, 0), 0, out), std::logic_error);
}

TEST(OggMuxer, ManySmallPacketsRespectTheSegmentLimit) {
    OggMuxer mux(1 << 20);
    Bytes out;
    mux.begin_stream(3, out);
    for (int i = 0; i < 600; ++i) {
        mux.add_packet(packet_of(1, 0), i + 1, out);
    }
    mux.end_stream(out);
    const auto pages = parse_all(out);
    ASSERT_EQ(pages.size(), 3U); // 255 + 255 + 90
    EXPECT_EQ(pages[0].granule, 255);
    EXPECT_EQ(pages[1].granule, 510);
    EXPECT_EQ(pages[2].granule, 600);
    EXPECT_EQ(test::read_packets(out).size(), 600U);
}

} // namespace
} // namespace tinyice::codec
