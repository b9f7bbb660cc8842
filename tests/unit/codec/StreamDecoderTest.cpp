#include "codec/StreamDecoder.hpp"

#include "codec/AudioTestUtil.hpp"
#include "codec/CodecTestUtil.hpp"
#include "codec/FrameSync.hpp"
#include "codec/OggPage.hpp"

#include <gtest/gtest.h>

#include <random>

namespace tinyice::codec {
namespace {

using test::Bytes;

constexpr PcmFormat cd{44100, 2};

Bytes random_bytes(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    Bytes out(n);
    for (auto& b : out) {
        b = static_cast<std::uint8_t>(rng());
    }
    return out;
}

std::vector<float> feed_in_pieces(StreamDecoder& decoder, std::span<const std::uint8_t> bytes,
                                  unsigned seed = 3) {
    std::vector<float> pcm;
    std::size_t pos = 0;
    for (const auto n : test::piece_sizes(bytes.size(), 0, seed, 2000)) {
        decoder.feed(bytes.subspan(pos, n), pcm);
        pos += n;
    }
    return pcm;
}

// Inserts `junk` bytes of garbage before every `every`-th unit (frame or page) at `offsets`.
Bytes with_garbage(const Bytes& clean, const std::vector<std::uint64_t>& offsets, std::size_t every,
                   std::size_t junk) {
    Bytes out;
    std::size_t prev = 0;
    for (std::size_t i = 0; i < offsets.size(); ++i) {
        const auto at = static_cast<std::size_t>(offsets[i]);
        out.insert(out.end(), clean.begin() + static_cast<std::ptrdiff_t>(prev),
                   clean.begin() + static_cast<std::ptrdiff_t>(at));
        if (i > 0 && i % every == 0) {
            const Bytes g = random_bytes(junk, static_cast<unsigned>(i));
            out.insert(out.end(), g.begin(), g.end());
        }
        prev = at;
    }
    out.insert(out.end(), clean.begin() + static_cast<std::ptrdiff_t>(prev), clean.end());
    return out;
}

std::vector<std::uint64_t> frame_offsets(const Bytes& bytes, StreamFormat format) {
    std::vector<std::uint64_t> out;
    FrameScanner scanner(format);
    scanner.feed(bytes, 0, [&](std::uint64_t offset, const FrameInfo&) { out.push_back(offset); });
    return out;
}

std::vector<std::uint64_t> page_offsets(const Bytes& bytes) {
    std::vector<std::uint64_t> out;
    for (const auto& page : test::read_pages(bytes)) {
        out.push_back(page.offset);
    }
    return out;
}

TEST(StreamDecoder, RefusesGenericStreams) {
    EXPECT_THROW(StreamDecoder::create(StreamFormat::generic, cd), CodecError);
    EXPECT_THROW(StreamDecoder::create(StreamFormat::mp3, {44100, 0}), CodecError);
}

TEST(StreamDecoder, Mp3AndAacSurviveGarbageBetweenFrames) {
    for (const auto& [codec, format] : {std::pair{OutputCodec::mp3, StreamFormat::mp3},
                                        std::pair{OutputCodec::aac, StreamFormat::aac}}) {
        const Bytes clean = test::encode({codec, 128, 0, 2}, cd, test::sine(cd, 440, 3.0));
        const auto offsets = frame_offsets(clean, format);
        ASSERT_GT(offsets.size(), 100U);
        const Bytes dirty = with_garbage(clean, offsets, 10, 300);
        auto decoder = StreamDecoder::create(format, cd);
        EXPECT_EQ(decoder->format(), cd);
        const auto pcm = feed_in_pieces(*decoder, dirty);
        // A frame next to the garbage may be lost (MP3 also loses the bit reservoir it fed);
        // most of the audio is there and clean.
        EXPECT_GT(test::seconds_of(pcm, cd), 2.5) << to_string(codec);
        EXPECT_LT(test::seconds_of(pcm, cd), 3.2) << to_string(codec);
        EXPECT_GT(test::tone_fraction(pcm, cd, 440, 0.4), 0.6) << to_string(codec);
        EXPECT_GT(decoder->skipped(), 0U) << to_string(codec);
    }
}

TEST(StreamDecoder, OggSkipsGarbageBetweenPages) {
    for (const auto codec : {OutputCodec::opus, OutputCodec::vorbis}) {
        const Bytes clean = test::encode({codec, 96, 0, 2}, cd, test::sine(cd, 440, 3.0));
        const Bytes dirty = with_garbage(clean, page_offsets(clean), 1, 500);
        auto decoder = StreamDecoder::create(StreamFormat::ogg, cd);
        const auto pcm = feed_in_pieces(*decoder, dirty);
        // Garbage between pages costs nothing: every page is still there.
        EXPECT_NEAR(test::seconds_of(pcm, cd), 3.0, 0.03) << to_string(codec);
        EXPECT_EQ(decoder->skipped(), 0U) << to_string(codec);
        EXPECT_NEAR(test::tone_amplitude(pcm, cd, 440), 0.5, 0.05) << to_string(codec);
    }
}

TEST(StreamDecoder, OggPreSkipIsDropped) {
    // Opus at 48 kHz in and out: exactly the input length plus at most one 20 ms frame.
    const PcmFormat f48{48000, 2};
    const Bytes bytes = test::encode({OutputCodec::opus, 96, 0, 2}, f48, test::sine(f48, 440, 1.0));
    auto decoder = StreamDecoder::create(StreamFormat::ogg, f48);
    std::vector<float> pcm;
    decoder->feed(bytes, pcm);
    const std::size_t frames = pcm.size() / 2;
    EXPECT_GE(frames, 48000U);
    EXPECT_LT(frames, 48000U + 960);
}

TEST(StreamDecoder, OggJoinedMidChainStartsAtTheNextChain) {
    auto encoder = StreamEncoder::create({OutputCodec::opus, 64, 0, 2}, cd);
    Bytes out;
    encoder->push(test::sine(cd, 440, 2.0), out);
    encoder->set_tags({"A", "Second", "", {}}, out);
    const std::size_t second_chain = out.size();
    encoder->push(test::sine(cd, 880, 1.0), out);
    encoder->finish(out);

    // Join at an audio page in the middle of the first chain.
    const auto offsets =
        page_offsets(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(second_chain)));
    ASSERT_GT(offsets.size(), 6U);
    const std::size_t join = offsets[offsets.size() / 2];
    auto decoder = StreamDecoder::create(StreamFormat::ogg, cd);
    std::vector<float> pcm = feed_in_pieces(*decoder, std::span(out).subspan(join + 10));
    // Only the second chain (1 s of 880 Hz, plus the encoder delay carried over) is decoded.
    EXPECT_NEAR(test::seconds_of(pcm, cd), 1.0, 0.05);
    EXPECT_GT(test::tone_amplitude(pcm, cd, 880), 0.4);
}

TEST(StreamDecoder, OggChainsMayChangeCodec) {
    const Bytes opus = test::encode({OutputCodec::opus, 64, 0, 2}, cd, test::sine(cd, 440, 1.0));
    const Bytes vorbis =
        test::encode({OutputCodec::vorbis, 48, 22050, 1}, cd, test::sine(cd, 880, 1.0));
    Bytes stream = opus;
    stream.insert(stream.end(), vorbis.begin(), vorbis.end());
    stream.insert(stream.end(), opus.begin(), opus.end());
    auto decoder = StreamDecoder::create(StreamFormat::ogg, cd);
    const auto pcm = feed_in_pieces(*decoder, stream);
    EXPECT_NEAR(test::seconds_of(pcm, cd), 3.0, 0.1);
    EXPECT_EQ(decoder->skipped(), 0U);
    const std::size_t second = 44100 * 2;
    const auto middle = std::span(pcm).subspan(second + 8820, 44100); // 1.1 s .. 1.6 s
    EXPECT_GT(test::tone_amplitude(middle, cd, 880), 0.3);
    EXPECT_LT(test::tone_amplitude(middle, cd, 440), 0.05);
}

TEST(StreamDecoder, OggFixturesFromOtherEncoders) {
    // FLAC in Ogg, Theora+Vorbis multiplexed (the audio stream is picked), liquidsoap chains
    // (each ending with a zero-length packet), chained Opus. FFmpeg's own demuxer is the
    // reference for the length; ours does not trim the end of each chain by its granule, so
    // it may be up to one packet longer per chain.
    for (const char* name : {"sine.oga", "theora_vorbis.ogv", "liquidsoap.ogg", "liquidsoap.opus",
                             "chained.opus", "sine.ogg"}) {
        const Bytes bytes = test::read_fixture(name);
        auto decoder = StreamDecoder::create(StreamFormat::ogg, cd);
        const auto pcm = feed_in_pieces(*decoder, bytes);
        auto reference = FileDecoder::open(test::data_dir() / name, cd);
        const double expected = test::seconds_of(test::decode_all(*reference), cd);
        EXPECT_GT(expected, 0.9) << name;
        EXPECT_GE(test::seconds_of(pcm, cd), expected - 0.005) << name;
        EXPECT_LE(test::seconds_of(pcm, cd), expected + 0.05) << name;
        EXPECT_EQ(decoder->skipped(), 0U) << name;
        EXPECT_GT(test::tone_fraction(pcm, cd, 440, 0.05) + test::tone_fraction(pcm, cd, 660, 0.05),
                  0.9)
            << name;
    }
    // Speex is not decodable: skipped quietly.
    auto decoder = StreamDecoder::create(StreamFormat::ogg, cd);
    std::vector<float> pcm;
    decoder->feed(test::read_fixture("sine.spx"), pcm);
    EXPECT_TRUE(pcm.empty());
}

TEST(StreamDecoder, GarbageOnlyProducesNothing) {
    for (const auto format : {StreamFormat::mp3, StreamFormat::aac, StreamFormat::ogg}) {
        auto decoder = StreamDecoder::create(format, cd);
        const Bytes junk = random_bytes(2 * 1024 * 1024, 11);
        const auto pcm = feed_in_pieces(*decoder, junk, 5);
        // A false sync in random bytes may decode a few frames of noise; never seconds of it.
        EXPECT_LT(test::seconds_of(pcm, cd), 1.0) << to_string(format);
    }
}

TEST(StreamDecoder, OversizedOggPacketIsDroppedAndDecodingResumes) {
    const Bytes audio = test::encode({OutputCodec::opus, 64, 0, 2}, cd, test::sine(cd, 440, 1.0));
    const auto pages = test::read_pages(audio);
    // The headers (2 pages), then a 1.5 MB "packet" of the same serial, then the audio pages.
    const std::uint32_t serial = pages[0].view().serial;
    Bytes stream;
    for (std::size_t i = 0; i < 2; ++i) {
        test::append(stream, pages[i].bytes);
    }
    test::OggWriter writer(serial, 65025);
    const Bytes huge(1536 * 1024, 0x55);
    writer.packet(huge, 0);
    writer.flush();
    // Renumber: the writer counts its own pages from 0 and flags the first BOS; rebuild those
    // pages with the sequence following the headers and without BOS.
    std::uint32_t sequence = 2;
    for (const auto& page : test::read_pages(writer.out())) {
        Bytes p = page.bytes;
        p[5] &= static_cast<std::uint8_t>(~OggPageView::flag_bos);
        for (int i = 0; i < 4; ++i) {
            p[18 + i] = static_cast<std::uint8_t>(sequence >> (8 * i));
            p[22 + i] = 0;
        }
        ++sequence;
        const std::uint32_t crc = ogg_crc(p);
        for (int i = 0; i < 4; ++i) {
            p[22 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
        }
        test::append(stream, p);
    }
    // The real audio pages follow, a sequence gap after the huge packet is fine.
    for (std::size_t i = 2; i < pages.size(); ++i) {
        test::append(stream, pages[i].bytes);
    }
    auto decoder = StreamDecoder::create(StreamFormat::ogg, cd);
    const auto pcm = feed_in_pieces(*decoder, stream);
    EXPECT_GE(decoder->skipped(), 1U);
    EXPECT_NEAR(test::seconds_of(pcm, cd), 1.0, 0.05);
}

TEST(StreamDecoder, VorbisWithAHugeCommentHeaderStillDecodes) {
    // Cover art in the comment header: 1.2 MB, above the reassembly cap. The decoder needs only
    // the identification and setup headers, so the chain still plays.
    const Bytes original =
        test::encode({OutputCodec::vorbis, 96, 0, 2}, cd, test::sine(cd, 440, 1.0));
    const auto packets = test::read_packets(original);
    ASSERT_GT(packets.size(), 3U);
    Bytes comment = test::bytes_of("\x03vorbis");
    comment.resize(1200 * 1024, 'x');
    test::OggWriter writer(packets[0].serial);
    writer.packet(packets[0].data, 0);
    writer.flush();
    writer.packet(comment, 0);
    writer.packet(packets[2].data, 0);
    writer.flush();
    for (std::size_t i = 3; i < packets.size(); ++i) {
        writer.packet(packets[i].data, packets[i].granule);
    }
    writer.flush(true);
    auto decoder = StreamDecoder::create(StreamFormat::ogg, cd);
    const auto pcm = feed_in_pieces(*decoder, writer.out());
    EXPECT_NEAR(test::seconds_of(pcm, cd), 1.0, 0.05);
    EXPECT_GT(test::tone_fraction(pcm, cd, 440, 0.4), 0.9);
}

TEST(StreamDecoder, ResetForgetsThePreviousStream) {
    const Bytes mp3 = test::encode({OutputCodec::mp3, 128, 0, 2}, cd, test::sine(cd, 440, 2.0));
    auto decoder = StreamDecoder::create(StreamFormat::mp3, cd);
    std::vector<float> pcm;
    decoder->feed(std::span(mp3).first(mp3.size() / 2 + 101), pcm); // stops mid-frame
    decoder->reset();
    pcm.clear();
    decoder->feed(mp3, pcm);
    EXPECT_NEAR(test::seconds_of(pcm, cd), 2.0, 0.06);

    const Bytes ogg = test::encode({OutputCodec::vorbis, 96, 0, 2}, cd, test::sine(cd, 440, 2.0));
    auto ogg_decoder = StreamDecoder::create(StreamFormat::ogg, cd);
    pcm.clear();
    ogg_decoder->feed(std::span(ogg).first(ogg.size() / 2 + 33), pcm);
    ogg_decoder->reset();
    pcm.clear();
    ogg_decoder->feed(ogg, pcm);
    EXPECT_NEAR(test::seconds_of(pcm, cd), 2.0, 0.06);
    EXPECT_EQ(ogg_decoder->skipped(), 0U);
}

TEST(StreamDecoder, OutputsTheRequestedFormat) {
    const PcmFormat mono16{16000, 1};
    const Bytes aac = test::encode({OutputCodec::aac, 128, 0, 2}, cd, test::sine(cd, 440, 2.0));
    auto decoder = StreamDecoder::create(StreamFormat::aac, mono16);
    std::vector<float> pcm;
    decoder->feed(aac, pcm);
    EXPECT_NEAR(test::seconds_of(pcm, mono16), 2.0, 0.06);
    EXPECT_NEAR(test::tone_amplitude(pcm, mono16, 440), 0.5, 0.05);
}

} // namespace
} // namespace tinyice::codec
