#include "codec/FrameSync.hpp"

#include "codec/CodecTestUtil.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

namespace tinyice::codec {
namespace {

using test::Bytes;

struct ScanResult {
    std::vector<std::uint64_t> offsets;
    std::vector<FrameInfo> infos;
};

// Feeds `stream` in the given piece sizes and checks the reporting contract on the way:
// strictly increasing offsets, none of them beyond what has been fed.
ScanResult scan(StreamFormat format, std::span<const std::uint8_t> stream,
                const std::vector<std::size_t>& pieces) {
    FrameScanner scanner(format);
    ScanResult result;
    std::uint64_t offset = 0;
    for (const std::size_t n : pieces) {
        const std::uint64_t fed_end = offset + n;
        scanner.feed(stream.subspan(offset, n), offset,
                     [&](std::uint64_t at, const FrameInfo& info) {
                         EXPECT_TRUE(result.offsets.empty() || at > result.offsets.back())
                             << "offset " << at << " not after " << result.offsets.back();
                         EXPECT_LT(at, fed_end);
                         result.offsets.push_back(at);
                         result.infos.push_back(info);
                     });
        offset += n;
    }
    EXPECT_EQ(scanner.frames(), result.offsets.size());
    return result;
}

ScanResult scan_whole(StreamFormat format, std::span<const std::uint8_t> stream) {
    return scan(format, stream, {stream.size()});
}

std::vector<std::vector<std::size_t>> piecings(std::size_t size) {
    return {
        {size},
        test::piece_sizes(size, 1),
        test::piece_sizes(size, 7),
        test::piece_sizes(size, 0, 1),
        test::piece_sizes(size, 0, 2, 20),
        test::piece_sizes(size, 0, 3, 500),
    };
}

Bytes adts(unsigned profile, unsigned rate_index, unsigned channels, unsigned length,
           bool protection_absent = true, unsigned blocks_minus_one = 0) {
    return {0xFF,
            static_cast<std::uint8_t>(0xF0 | (protection_absent ? 1 : 0)),
            static_cast<std::uint8_t>((profile << 6) | (rate_index << 2) | (channels >> 2)),
            static_cast<std::uint8_t>(((channels & 3) << 6) | ((length >> 11) & 3)),
            static_cast<std::uint8_t>((length >> 3) & 0xFF),
            static_cast<std::uint8_t>(((length & 7) << 5) | 0x1F),
            static_cast<std::uint8_t>(0xFC | blocks_minus_one)};
}

Bytes id3v2_tag(std::size_t body_size, bool footer = false) {
    Bytes tag = {'I',
                 'D',
                 '3',
                 4,
                 0,
                 static_cast<std::uint8_t>(footer ? 0x10 : 0),
                 static_cast<std::uint8_t>((body_size >> 21) & 0x7F),
                 static_cast<std::uint8_t>((body_size >> 14) & 0x7F),
                 static_cast<std::uint8_t>((body_size >> 7) & 0x7F),
                 static_cast<std::uint8_t>(body_size & 0x7F)};
    for (std::size_t i = 0; i < body_size; ++i) {
        // Plenty of things that look like MPEG and ADTS sync words.
        static constexpr std::uint8_t fill[] = {0xFF, 0xFB, 0x90, 0x64, 0xFF, 0xF1, 0x50, 0x80};
        tag.push_back(fill[i % sizeof fill]);
    }
    if (footer) {
        tag.insert(tag.end(), {'3', 'D', 'I', 4, 0, 0x10, tag[6], tag[7], tag[8], tag[9]});
    }
    return tag;
}

std::vector<std::uint64_t> shifted(std::vector<std::uint64_t> v, std::uint64_t by) {
    for (auto& x : v) {
        x += by;
    }
    return v;
}

// --- header tables ---------------------------------------------------------------------------

struct MpegCase {
    std::array<std::uint8_t, 4> header;
    std::uint32_t frame_bytes, sample_rate, bitrate, samples;
    std::uint8_t channels;
};

TEST(MpegAudioHeader, KnownHeaders) {
    const MpegCase cases[] = {
        {{0xFF, 0xFB, 0x90, 0x64}, 417, 44100, 128, 1152, 2},  // MPEG-1 L3, joint stereo
        {{0xFF, 0xFB, 0x92, 0x64}, 418, 44100, 128, 1152, 2},  // padded
        {{0xFF, 0xFA, 0x90, 0xC4}, 417, 44100, 128, 1152, 1},  // CRC present, mono
        {{0xFF, 0xFB, 0xEA, 0x00}, 1441, 32000, 320, 1152, 2}, // largest MPEG-1 L3 frame
        {{0xFF, 0xF3, 0x40, 0xC4}, 104, 22050, 32, 576, 1},    // MPEG-2 L3
        {{0xFF, 0xE3, 0x80, 0xC4}, 417, 11025, 64, 576, 1},    // MPEG-2.5 L3
        {{0xFF, 0xFD, 0x84, 0x04}, 384, 48000, 128, 1152, 2},  // MPEG-1 L2
        {{0xFF, 0xF5, 0xE8, 0x00}, 1440, 16000, 160, 1152, 2}, // MPEG-2 L2
        {{0xFF, 0xE5, 0xEA, 0x00}, 2881, 8000, 160, 1152, 2},  // MPEG-2.5 L2, padded: largest
        {{0xFF, 0xFF, 0xA0, 0x00}, 348, 44100, 320, 384, 2},   // MPEG-1 L1
        {{0xFF, 0xFF, 0xA2, 0x00}, 352, 44100, 320, 384, 2},   // L1 padding is 4 bytes
        {{0xFF, 0xF7, 0x14, 0x00}, 64, 24000, 32, 384, 2},     // MPEG-2 L1
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(testing::PrintToString(c.header));
        const auto info = parse_mpeg_audio_header(c.header);
        ASSERT_TRUE(info.has_value());
        EXPECT_EQ(info->frame_bytes, c.frame_bytes);
        EXPECT_EQ(info->sample_rate, c.sample_rate);
        EXPECT_EQ(info->bitrate_kbps, c.bitrate);
        EXPECT_EQ(info->samples, c.samples);
        EXPECT_EQ(info->channels, c.channels);
    }
}

TEST(MpegAudioHeader, RejectsReservedAndInvalid) {
    const std::array<std::uint8_t, 4> bad[] = {
        {0xFF, 0xFB, 0x00, 0x64}, // free format
        {0xFF, 0xFB, 0xF0, 0x64}, // bitrate index 15
        {0xFF, 0xFB, 0x9C, 0x64}, // reserved sample rate
        {0xFF, 0xEB, 0x90, 0x64}, // reserved version
        {0xFF, 0xF9, 0x90, 0x64}, // reserved layer
        {0xFF, 0xFB, 0x90, 0x66}, // reserved emphasis
        {0xFE, 0xFB, 0x90, 0x64}, // no sync
        {0xFF, 0xDB, 0x90, 0x64}, // no sync
        {0x00, 0x00, 0x00, 0x00},
    };
    for (const auto& b : bad) {
        EXPECT_FALSE(parse_mpeg_audio_header(b).has_value()) << testing::PrintToString(b);
    }
    const std::uint8_t short_header[] = {0xFF, 0xFB, 0x90};
    EXPECT_FALSE(parse_mpeg_audio_header(short_header).has_value());
    EXPECT_FALSE(parse_mpeg_audio_header({}).has_value());
}

TEST(MpegAudioHeader, MatchesFfmpegFrames) {
    for (const char* name : {"sine22k.mp3", "sine.mp2"}) {
        SCOPED_TRACE(name);
        const Bytes file = test::read_fixture(name);
        const auto pos = test::read_positions(std::string(name) + ".pos");
        ASSERT_GT(pos.size(), 10U);
        for (std::size_t i = 0; i + 1 < pos.size(); ++i) {
            const auto info = parse_mpeg_audio_header(std::span(file).subspan(pos[i]));
            ASSERT_TRUE(info.has_value()) << "frame " << i;
            EXPECT_EQ(info->frame_bytes, pos[i + 1] - pos[i]) << "frame " << i;
        }
    }
}

TEST(AdtsHeader, KnownHeaders) {
    auto info = parse_adts_header(adts(1, 4, 2, 371));
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->frame_bytes, 371U);
    EXPECT_EQ(info->sample_rate, 44100U);
    EXPECT_EQ(info->channels, 2);
    EXPECT_EQ(info->samples, 1024U);
    EXPECT_EQ(info->bitrate_kbps, 128U); // 371 * 8 * 44100 / 1024 = 127.8 kbit/s

    info = parse_adts_header(adts(1, 3, 7, 8191, true, 3));
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->frame_bytes, 8191U);
    EXPECT_EQ(info->sample_rate, 48000U);
    EXPECT_EQ(info->channels, 8);
    EXPECT_EQ(info->samples, 4096U);

    info = parse_adts_header(adts(0, 12, 0, 100));
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->sample_rate, 7350U);
    EXPECT_EQ(info->channels, 0); // layout in a program config element

    info = parse_adts_header(adts(1, 0, 1, 10, false)); // 9-byte header with CRC
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->sample_rate, 96000U);
    EXPECT_EQ(info->channels, 1);
}

TEST(AdtsHeader, RejectsInvalid) {
    EXPECT_FALSE(parse_adts_header(adts(1, 13, 2, 371)).has_value()); // reserved rate
    EXPECT_FALSE(parse_adts_header(adts(1, 15, 2, 371)).has_value()); // explicit rate
    EXPECT_FALSE(parse_adts_header(adts(1, 4, 2, 7)).has_value());    // no payload
    EXPECT_FALSE(parse_adts_header(adts(1, 4, 2, 9, false)).has_value());
    EXPECT_FALSE(parse_adts_header(adts(1, 4, 2, 0)).has_value());
    Bytes layer = adts(1, 4, 2, 371);
    layer[1] |= 0x02;
    EXPECT_FALSE(parse_adts_header(layer).has_value());
    Bytes sync = adts(1, 4, 2, 371);
    sync[1] &= 0xEF;
    EXPECT_FALSE(parse_adts_header(sync).has_value());
    const Bytes full = adts(1, 4, 2, 371);
    EXPECT_FALSE(parse_adts_header(std::span(full).first(6)).has_value());
}

TEST(AdtsHeader, MatchesFfmpegFrames) {
    const Bytes file = test::read_fixture("sine.aac");
    const auto pos = test::read_positions("sine.aac.pos");
    ASSERT_GT(pos.size(), 10U);
    for (std::size_t i = 0; i + 1 < pos.size(); ++i) {
        const auto info = parse_adts_header(std::span(file).subspan(pos[i]));
        ASSERT_TRUE(info.has_value()) << "frame " << i;
        EXPECT_EQ(info->frame_bytes, pos[i + 1] - pos[i]) << "frame " << i;
        EXPECT_EQ(info->sample_rate, 44100U);
        EXPECT_EQ(info->channels, 1);
    }
}

// --- scanner on real streams ----------------------------------------------------------------

TEST(FrameScanner, FindsEveryFfprobePacketInAnyPiecing) {
    struct Fixture {
        const char* name;
        StreamFormat format;
    };
    for (const Fixture f :
         {Fixture{"sine22k.mp3", StreamFormat::mp3}, Fixture{"sine.mp2", StreamFormat::mp3},
          Fixture{"sine.aac", StreamFormat::aac}}) {
        const Bytes file = test::read_fixture(f.name);
        const auto expected = test::read_positions(std::string(f.name) + ".pos");
        for (const auto& pieces : piecings(file.size())) {
            SCOPED_TRACE(testing::Message() << f.name << " in " << pieces.size() << " pieces");
            EXPECT_EQ(scan(f.format, file, pieces).offsets, expected);
        }
    }
}

TEST(FrameScanner, SkipsLeadingId3AndReportsTheInfoFrame) {
    // sine.mp3: a 58-byte ID3v2 tag, then LAME's Info frame (a valid, silent MPEG frame that
    // ffprobe consumes as stream metadata), then the packets ffprobe lists.
    const Bytes file = test::read_fixture("sine.mp3");
    auto expected = test::read_positions("sine.mp3.pos");
    ASSERT_EQ(expected.front(), 475U);
    expected.insert(expected.begin(), 58);
    for (const auto& pieces : piecings(file.size())) {
        const auto result = scan(StreamFormat::mp3, file, pieces);
        EXPECT_EQ(result.offsets, expected);
        ASSERT_FALSE(result.infos.empty());
        EXPECT_EQ(result.infos.front().sample_rate, 44100U);
        EXPECT_EQ(result.infos.front().bitrate_kbps, 128U);
    }
}

TEST(FrameScanner, LocksAfterTwoConfirmations) {
    const Bytes file = test::read_fixture("sine22k.mp3");
    const auto pos = test::read_positions("sine22k.mp3.pos");
    FrameScanner scanner(StreamFormat::mp3);
    std::vector<std::uint64_t> seen;
    const auto on_frame = [&](std::uint64_t at, const FrameInfo&) {
        seen.push_back(at);
    };
    // Up to the third frame's header minus one byte: nothing can be confirmed yet.
    scanner.feed(std::span(file).first(pos[2] + 3), 0, on_frame);
    EXPECT_TRUE(seen.empty());
    EXPECT_FALSE(scanner.locked());
    scanner.feed(std::span(file).subspan(pos[2] + 3, 1), pos[2] + 3, on_frame);
    EXPECT_EQ(seen, (std::vector<std::uint64_t>{pos[0], pos[1], pos[2]}));
    EXPECT_TRUE(scanner.locked());
    // Locked: each header is reported as soon as its 4 bytes are in.
    scanner.feed(std::span(file).subspan(pos[2] + 4, pos[3] + 4 - (pos[2] + 4)), pos[2] + 4,
                 on_frame);
    EXPECT_EQ(seen.back(), pos[3]);
}

TEST(FrameScanner, GarbagePrefixResyncs) {
    for (const char* name : {"sine22k.mp3", "sine.mp2"}) {
        const Bytes file = test::read_fixture(name);
        const auto pos = test::read_positions(std::string(name) + ".pos");
        for (unsigned seed = 1; seed <= 5; ++seed) {
            SCOPED_TRACE(testing::Message() << name << " seed " << seed);
            std::mt19937 rng(seed);
            Bytes stream(3000 + seed * 131);
            std::generate(stream.begin(), stream.end(),
                          [&] { return static_cast<std::uint8_t>(rng()); });
            // Sprinkle false syncs: valid-looking headers nothing follows up.
            for (std::size_t i = 100; i + 4 < stream.size(); i += 397) {
                stream[i] = 0xFF;
                stream[i + 1] = 0xF3;
                stream[i + 2] = 0x40;
            }
            stream.push_back('I'); // and a lone tag-looking byte right before the audio
            const std::uint64_t prefix = stream.size();
            test::append(stream, file);
            for (const auto& pieces : piecings(stream.size())) {
                EXPECT_EQ(scan(StreamFormat::mp3, stream, pieces).offsets, shifted(pos, prefix));
            }
        }
    }
}

TEST(FrameScanner, AdtsGarbagePrefixResyncs) {
    const Bytes file = test::read_fixture("sine.aac");
    const auto pos = test::read_positions("sine.aac.pos");
    std::mt19937 rng(7);
    Bytes stream(5000);
    std::generate(stream.begin(), stream.end(), [&] { return static_cast<std::uint8_t>(rng()); });
    const Bytes fake = adts(1, 4, 1, 300);
    std::copy(fake.begin(), fake.end(), stream.begin() + 1000);
    test::append(stream, file);
    for (const auto& pieces : piecings(stream.size())) {
        EXPECT_EQ(scan(StreamFormat::aac, stream, pieces).offsets, shifted(pos, 5000));
    }
}

TEST(FrameScanner, CorruptedHeaderMidStreamLosesOnlyThatFrame) {
    for (const char* name : {"sine22k.mp3", "sine.aac"}) {
        SCOPED_TRACE(name);
        const auto format =
            std::string_view(name).ends_with(".aac") ? StreamFormat::aac : StreamFormat::mp3;
        Bytes file = test::read_fixture(name);
        auto pos = test::read_positions(std::string(name) + ".pos");
        const std::size_t bad = 20;
        std::fill_n(file.begin() + static_cast<std::ptrdiff_t>(pos[bad]), 4, 0x00);
        pos.erase(pos.begin() + bad);
        for (const auto& pieces : piecings(file.size())) {
            EXPECT_EQ(scan(format, file, pieces).offsets, pos);
        }
    }
}

TEST(FrameScanner, TruncatedFrameMidStreamResyncs) {
    // A source dropped 50 bytes of frame 20: the lock lands inside frame 21 and must be found
    // again by search; frames from 22 on are all reported.
    Bytes file = test::read_fixture("sine22k.mp3");
    const auto pos = test::read_positions("sine22k.mp3.pos");
    const std::uint64_t cut_at = pos[20] + 30;
    file.erase(file.begin() + static_cast<std::ptrdiff_t>(cut_at),
               file.begin() + static_cast<std::ptrdiff_t>(cut_at + 50));
    std::vector<std::uint64_t> expected(pos.begin(), pos.begin() + 21);
    for (std::size_t i = 22; i < pos.size(); ++i) {
        expected.push_back(pos[i] - 50);
    }
    for (const auto& pieces : piecings(file.size())) {
        EXPECT_EQ(scan(StreamFormat::mp3, file, pieces).offsets, expected);
    }
}

TEST(FrameScanner, SkipsId3TagsBetweenFrames) {
    const Bytes file = test::read_fixture("sine22k.mp3");
    const auto pos = test::read_positions("sine22k.mp3.pos");
    for (const bool footer : {false, true}) {
        const Bytes tag = id3v2_tag(1500, footer);
        Bytes stream(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(pos[10]));
        test::append(stream, tag);
        stream.insert(stream.end(), file.begin() + static_cast<std::ptrdiff_t>(pos[10]),
                      file.end());
        std::vector<std::uint64_t> expected(pos.begin(), pos.begin() + 10);
        for (std::size_t i = 10; i < pos.size(); ++i) {
            expected.push_back(pos[i] + tag.size());
        }
        for (const auto& pieces : piecings(stream.size())) {
            EXPECT_EQ(scan(StreamFormat::mp3, stream, pieces).offsets, expected);
        }
    }
}

TEST(FrameScanner, SkipsId3v1BetweenFiles) {
    Bytes file = test::read_fixture("sine22k.mp3");
    const auto pos = test::read_positions("sine22k.mp3.pos");
    Bytes stream = file;
    Bytes tag(128, 0xFF); // an ID3v1 tag full of sync bytes
    tag[0] = 'T';
    tag[1] = 'A';
    tag[2] = 'G';
    test::append(stream, tag);
    test::append(stream, file);
    auto expected = pos;
    for (const auto p : pos) {
        expected.push_back(p + file.size() + 128);
    }
    EXPECT_EQ(scan_whole(StreamFormat::mp3, stream).offsets, expected);
    EXPECT_EQ(scan(StreamFormat::mp3, stream, test::piece_sizes(stream.size(), 1)).offsets,
              expected);
}

TEST(FrameScanner, FollowsAFormatChange) {
    // A playlist source: 22.05 kHz MPEG-2 file, then a tagged 44.1 kHz MPEG-1 file.
    const Bytes a = test::read_fixture("sine22k.mp3");
    const Bytes b = test::read_fixture("sine.mp3");
    Bytes stream = a;
    test::append(stream, b);
    auto expected = test::read_positions("sine22k.mp3.pos");
    expected.push_back(a.size() + 58); // the Info frame after b's ID3 tag
    for (const auto p : test::read_positions("sine.mp3.pos")) {
        expected.push_back(a.size() + p);
    }
    for (const auto& pieces : piecings(stream.size())) {
        const auto result = scan(StreamFormat::mp3, stream, pieces);
        EXPECT_EQ(result.offsets, expected);
        EXPECT_EQ(result.infos.front().sample_rate, 22050U);
        EXPECT_EQ(result.infos.back().sample_rate, 44100U);
    }
}

TEST(FrameScanner, OtherFormatsReportNothing) {
    const Bytes file = test::read_fixture("sine22k.mp3");
    for (const auto format : {StreamFormat::ogg, StreamFormat::generic}) {
        EXPECT_TRUE(scan_whole(format, file).offsets.empty());
    }
    // ADTS and MPEG do not mistake each other.
    EXPECT_TRUE(scan_whole(StreamFormat::aac, file).offsets.empty());
    EXPECT_TRUE(scan_whole(StreamFormat::mp3, test::read_fixture("sine.aac")).offsets.empty());
}

TEST(FrameScanner, ResetAndDiscontinuity) {
    const Bytes file = test::read_fixture("sine22k.mp3");
    const auto pos = test::read_positions("sine22k.mp3.pos");
    FrameScanner scanner(StreamFormat::mp3);
    std::vector<std::uint64_t> seen;
    const auto on_frame = [&](std::uint64_t at, const FrameInfo&) {
        seen.push_back(at);
    };
    scanner.feed(std::span(file).first(pos[10] + 2), 0, on_frame);
    EXPECT_TRUE(scanner.locked());
    // The caller skips bytes: the lock and the 2 carried header bytes are dropped, and the scanner
    // relocks (one confirmation, it has locked before) on the frames that follow.
    seen.clear();
    scanner.feed(std::span(file).subspan(pos[12] - 100), pos[12] - 100, on_frame);
    EXPECT_EQ(seen, std::vector<std::uint64_t>(pos.begin() + 12, pos.end()));

    scanner.reset();
    EXPECT_FALSE(scanner.locked());
    EXPECT_EQ(scanner.frames(), 0U);
    seen.clear();
    scanner.feed(file, 0, on_frame);
    EXPECT_EQ(seen, pos);
}

TEST(FrameScanner, EmptyAndTinyFeeds) {
    FrameScanner scanner(StreamFormat::mp3);
    int calls = 0;
    scanner.feed({}, 0, [&](std::uint64_t, const FrameInfo&) { ++calls; });
    const std::uint8_t ff[] = {0xFF};
    scanner.feed(ff, 0, [&](std::uint64_t, const FrameInfo&) { ++calls; });
    scanner.feed({}, 1, [&](std::uint64_t, const FrameInfo&) { ++calls; });
    EXPECT_EQ(calls, 0);
    EXPECT_FALSE(scanner.locked());
}

TEST(FrameScanner, ManyFramesInOneFeedAreAllReported) {
    // More frames than the internal batch in one call.
    Bytes stream;
    const std::uint8_t header[] = {0xFF, 0xF3, 0x40, 0xC4}; // 104-byte MPEG-2 L3 frames
    for (int i = 0; i < 1000; ++i) {
        test::append(stream, header);
        stream.resize(stream.size() + 100, 0x55);
    }
    const auto result = scan_whole(StreamFormat::mp3, stream);
    ASSERT_EQ(result.offsets.size(), 1000U);
    EXPECT_EQ(result.offsets.back(), 999U * 104);
}

} // namespace
} // namespace tinyice::codec
