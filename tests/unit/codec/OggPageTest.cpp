#include "codec/OggPage.hpp"

#include "codec/CodecTestUtil.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace tinyice::codec {
namespace {

using test::Bytes;

// The textbook bit-at-a-time CRC the table-driven one must match.
std::uint32_t reference_crc(std::span<const std::uint8_t> bytes) {
    std::uint32_t crc = 0;
    for (const std::uint8_t b : bytes) {
        crc ^= std::uint32_t{b} << 24;
        for (int i = 0; i < 8; ++i) {
            crc = (crc & 0x80000000U) != 0 ? (crc << 1) ^ 0x04c11db7U : crc << 1;
        }
    }
    return crc;
}

struct Collected {
    std::vector<std::uint64_t> offsets;
    std::vector<Bytes> pages;
};

Collected collect(std::span<const std::uint8_t> stream, const std::vector<std::size_t>& pieces,
                  std::uint64_t* skipped = nullptr) {
    OggPageReader reader;
    Collected out;
    std::size_t at = 0;
    for (const std::size_t n : pieces) {
        reader.feed(stream.subspan(at, n), [&](std::uint64_t offset, const OggPageView& v) {
            out.offsets.push_back(offset);
            out.pages.emplace_back(v.bytes.begin(), v.bytes.end());
            EXPECT_EQ(v.bytes.size(), 27 + v.segment_table.size() + v.body.size());
        });
        at += n;
    }
    if (skipped != nullptr) {
        *skipped = reader.skipped_bytes();
    }
    return out;
}

std::vector<std::vector<std::size_t>> piecings(std::size_t size) {
    return {
        {size},
        test::piece_sizes(size, 1),
        test::piece_sizes(size, 26),
        test::piece_sizes(size, 0, 1),
        test::piece_sizes(size, 0, 2, 40),
        test::piece_sizes(size, 0, 3, 9000),
    };
}

TEST(OggCrc, MatchesReferenceAtEveryLength) {
    std::mt19937 rng(42);
    Bytes data(300);
    std::generate(data.begin(), data.end(), [&] { return static_cast<std::uint8_t>(rng()); });
    for (std::size_t n = 0; n <= data.size(); ++n) {
        ASSERT_EQ(ogg_crc(std::span(data).first(n)), reference_crc(std::span(data).first(n))) << n;
    }
    EXPECT_EQ(ogg_crc(test::bytes_of("123456789")), 0x89A1897FU); // CRC-32/MPEG-2 without xorout
    // Incremental use.
    const auto whole = ogg_crc(data);
    EXPECT_EQ(ogg_crc_update(ogg_crc(std::span(data).first(77)), std::span(data).subspan(77)),
              whole);
}

TEST(OggPage, ParsesRealPages) {
    const Bytes file = test::read_fixture("sine.opus");
    std::span<const std::uint8_t> rest = file;
    std::vector<OggPageView> views;
    while (!rest.empty()) {
        std::size_t consumed = 0;
        OggPageView view;
        ASSERT_EQ(parse_ogg_page(rest, consumed, view), OggParseStatus::page);
        ASSERT_EQ(consumed, view.bytes.size());
        views.push_back(view);
        rest = rest.subspan(consumed);
    }
    ASSERT_EQ(views.size(), 4U);
    EXPECT_TRUE(views[0].bos());
    EXPECT_FALSE(views[0].eos());
    EXPECT_FALSE(views[0].continued());
    EXPECT_EQ(views[0].bytes.size(), 47U);
    EXPECT_EQ(views[0].granule, 0);
    EXPECT_EQ(views[0].sequence, 0U);
    EXPECT_EQ(views[0].segment_table.size(), 1U);
    EXPECT_EQ(views[0].body.size(), 19U);
    EXPECT_EQ(std::memcmp(views[0].body.data(), "OpusHead", 8), 0);
    EXPECT_EQ(std::memcmp(views[1].body.data(), "OpusTags", 8), 0);
    EXPECT_EQ(views[1].sequence, 1U);
    EXPECT_EQ(views[2].granule, 48000);
    EXPECT_TRUE(views[3].eos());
    for (const auto& v : views) {
        EXPECT_EQ(v.serial, views[0].serial);
    }
}

TEST(OggPage, EveryPrefixNeedsMore) {
    const Bytes file = test::read_fixture("sine.ogg"); // page 1 is 3505 bytes, 15 segments
    const auto pages = test::read_pages(file);
    for (const auto& page : pages) {
        for (std::size_t n = 0; n < page.bytes.size(); ++n) {
            std::size_t consumed = 99;
            OggPageView view;
            ASSERT_EQ(parse_ogg_page(std::span(page.bytes).first(n), consumed, view),
                      OggParseStatus::need_more)
                << n;
            ASSERT_EQ(consumed, 0U);
        }
    }
}

TEST(OggPage, CrcRejectsAnyFlippedByte) {
    const Bytes file = test::read_fixture("sine.opus");
    const Bytes page(file.begin(), file.begin() + 172); // pages 0 and 1
    for (std::size_t i = 0; i < 47; ++i) {
        if (i < 5) {
            continue; // capture pattern / version: rejected before the CRC
        }
        Bytes bad = page;
        bad[i] ^= 0x10;
        std::size_t consumed = 0;
        OggPageView view;
        const auto status = parse_ogg_page(bad, consumed, view);
        if (i == 26) {
            // The segment count changes where the page ends: need more or a bad CRC.
            EXPECT_NE(status, OggParseStatus::page) << i;
            continue;
        }
        ASSERT_EQ(status, OggParseStatus::garbage) << i;
        EXPECT_EQ(consumed, 47U) << i; // skips to the next page's capture pattern
    }
}

TEST(OggPage, GarbageSkipsToTheNextCapturePattern) {
    std::size_t consumed = 0;
    OggPageView view;
    EXPECT_EQ(parse_ogg_page(test::bytes_of("xyzOggS\0..."), consumed, view),
              OggParseStatus::garbage);
    EXPECT_EQ(consumed, 3U);
    EXPECT_EQ(parse_ogg_page(test::bytes_of("xyzzy"), consumed, view), OggParseStatus::garbage);
    EXPECT_EQ(consumed, 5U);
    EXPECT_EQ(parse_ogg_page(test::bytes_of("xyzOg"), consumed, view), OggParseStatus::garbage);
    EXPECT_EQ(consumed, 3U); // "Og" may be the start of a page
    EXPECT_EQ(parse_ogg_page(test::bytes_of("OgOggS"), consumed, view), OggParseStatus::garbage);
    EXPECT_EQ(consumed, 2U);
    EXPECT_EQ(parse_ogg_page(test::bytes_of("Og"), consumed, view), OggParseStatus::need_more);
    EXPECT_EQ(parse_ogg_page(test::bytes_of("Ox"), consumed, view), OggParseStatus::garbage);
    EXPECT_EQ(consumed, 2U);
    EXPECT_EQ(parse_ogg_page({}, consumed, view), OggParseStatus::need_more);

    // Version 1 is not Ogg.
    Bytes file = test::read_fixture("sine.opus");
    file[4] = 1;
    EXPECT_EQ(parse_ogg_page(file, consumed, view), OggParseStatus::garbage);
    EXPECT_EQ(consumed, 47U);
    EXPECT_EQ(parse_ogg_page(std::span(file).first(5), consumed, view), OggParseStatus::garbage);
    EXPECT_EQ(consumed, 5U);
}

TEST(OggPageReader, SameOutputForAnyPiecing) {
    for (const char* name : {"sine.opus", "sine.ogg", "chained.opus", "theora_vorbis.ogv"}) {
        const Bytes file = test::read_fixture(name);
        const auto expected = test::read_pages(file);
        for (const auto& pieces : piecings(file.size())) {
            SCOPED_TRACE(testing::Message() << name << " in " << pieces.size() << " pieces");
            std::uint64_t skipped = 1;
            const auto got = collect(file, pieces, &skipped);
            EXPECT_EQ(skipped, 0U);
            ASSERT_EQ(got.pages.size(), expected.size());
            std::uint64_t offset = 0;
            for (std::size_t i = 0; i < expected.size(); ++i) {
                EXPECT_EQ(got.offsets[i], offset);
                EXPECT_EQ(got.pages[i], expected[i].bytes);
                offset += expected[i].bytes.size();
            }
            EXPECT_EQ(offset, file.size());
        }
    }
}

TEST(OggPageReader, SkipsAndCountsGarbageBetweenPages) {
    const Bytes file = test::read_fixture("chained.opus");
    const auto pages = test::read_pages(file);
    Bytes stream;
    std::vector<std::uint64_t> offsets;
    std::uint64_t garbage = 0;
    std::mt19937 rng(3);
    for (std::size_t i = 0; i < pages.size(); ++i) {
        Bytes junk(10 + i * 37);
        std::generate(junk.begin(), junk.end(),
                      [&] { return static_cast<std::uint8_t>(rng() % 200); });
        if (i == 3) {
            std::memcpy(junk.data() + 5, "OggS", 4); // a capture pattern with no page behind it
        }
        if (i == 5) {
            junk.back() = 'O';
        }
        test::append(stream, junk);
        garbage += junk.size();
        offsets.push_back(stream.size());
        test::append(stream, pages[i].bytes);
    }
    stream.insert(stream.end(), {'O', 'g', 'g'}); // trailing partial capture: not yet garbage
    for (const auto& pieces : piecings(stream.size())) {
        std::uint64_t skipped = 0;
        const auto got = collect(stream, pieces, &skipped);
        EXPECT_EQ(got.offsets, offsets);
        EXPECT_EQ(skipped, garbage);
    }
}

TEST(OggPageReader, DropsCorruptPagesAndCarriesOn) {
    Bytes file = test::read_fixture("sine.ogg");
    const auto pages = test::read_pages(file);
    ASSERT_EQ(pages.size(), 4U);
    file[pages[1].offset + 1000] ^= 0x01; // inside the 3.5 KB comment+setup page
    for (const auto& pieces : piecings(file.size())) {
        std::uint64_t skipped = 0;
        const auto got = collect(file, pieces, &skipped);
        EXPECT_EQ(got.offsets,
                  (std::vector<std::uint64_t>{pages[0].offset, pages[2].offset, pages[3].offset}));
        EXPECT_EQ(skipped, pages[1].bytes.size());
    }
}

TEST(OggPageReader, HandlesALyingHeaderThatHidesRealPages) {
    // A fake header announcing a 65 KB page, followed by real pages: like libogg, the reader
    // can only reject it once 65 KB are in; then it finds the real pages inside what it buffered.
    const Bytes file = test::read_fixture("chained.opus");
    Bytes fake = {'O', 'g', 'g', 'S', 0, 0};
    fake.resize(26, 0);
    fake.push_back(255);
    fake.resize(27 + 255, 255);
    Bytes stream = fake;
    test::append(stream, file);
    stream.resize(stream.size() + 60000, 0);
    const auto expected = test::read_pages(file);
    for (const auto& pieces : piecings(stream.size())) {
        std::uint64_t skipped = 0;
        const auto got = collect(stream, pieces, &skipped);
        ASSERT_EQ(got.pages.size(), expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) {
            EXPECT_EQ(got.offsets[i], fake.size() + expected[i].offset);
            EXPECT_EQ(got.pages[i], expected[i].bytes);
        }
        EXPECT_EQ(skipped, fake.size() + 60000);
    }
}

TEST(OggPageReader, LargestPage) {
    test::OggWriter writer(7, 65025);
    const Bytes packet(255 * 255, 0xAB); // fills 255 full segments; the 0 terminator spills over
    writer.packet(packet, 1);
    writer.flush(true);
    const Bytes stream = writer.out();
    const auto got = collect(stream, test::piece_sizes(stream.size(), 1000));
    ASSERT_EQ(got.pages.size(), 2U);
    EXPECT_LE(got.pages[0].size(), ogg_max_page_size);
    EXPECT_EQ(got.pages[0].size(), 27U + 255 + 255 * 255);
}

TEST(OggPageReader, ResetForgetsPartialPage) {
    const Bytes file = test::read_fixture("sine.opus");
    OggPageReader reader;
    int pages = 0;
    reader.feed(std::span(file).first(100), [&](std::uint64_t, const OggPageView&) { ++pages; });
    EXPECT_EQ(pages, 1);
    reader.reset();
    EXPECT_EQ(reader.offset(), 0U);
    reader.feed(file, [&](std::uint64_t, const OggPageView&) { ++pages; });
    EXPECT_EQ(pages, 5);
}

} // namespace
} // namespace tinyice::codec
