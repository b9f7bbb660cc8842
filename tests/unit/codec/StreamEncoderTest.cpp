#include "codec/StreamEncoder.hpp"

#include "codec/AudioTestUtil.hpp"
#include "codec/CodecTestUtil.hpp"
#include "codec/FrameSync.hpp"
#include "codec/OggChainTracker.hpp"
#include "codec/OggComments.hpp"
#include "codec/OggPage.hpp"
#include "codec/StreamDecoder.hpp"

#include <gtest/gtest.h>

#include <map>

namespace tinyice::codec {
namespace {

using test::Bytes;

constexpr PcmFormat cd{44100, 2};

struct CodecCase {
    OutputCodec codec;
    const char* extension;
    StreamFormat stream_format;
    const char* content_type;
    const char* subtype;
};

std::string case_name(const testing::TestParamInfo<CodecCase>& info) {
    return std::string(to_string(info.param.codec));
}

class EncoderRoundTrip : public testing::TestWithParam<CodecCase> {};

TEST_P(EncoderRoundTrip, EncodesAToneThatDecodesBack) {
    const CodecCase& c = GetParam();
    const auto pcm = test::sine(cd, 440, 3.0, 0.5);
    auto encoder = StreamEncoder::create({c.codec, 128, 0, 2}, cd);
    EXPECT_EQ(encoder->content_type(), c.content_type);
    EXPECT_EQ(encoder->subtype(), c.subtype);
    EXPECT_EQ(encoder->output_sample_rate(), c.codec == OutputCodec::opus ? 48000 : 44100);
    const Bytes bytes = test::encode(*encoder, pcm, 1000);
    EXPECT_EQ(encoder->frames_in(), pcm.size() / 2);
    EXPECT_EQ(encoder->bytes_out(), bytes.size());
    // 128 kbps for 3 s is 48 KB. Vorbis "ABR" is quality-driven and spends far less on a pure
    // tone; the constant-rate codecs are within a few percent.
    EXPECT_GT(bytes.size(), c.codec == OutputCodec::vorbis ? 8000U : 44000U);
    EXPECT_LT(bytes.size(), 64000U);

    test::TempDir dir;
    const auto path = dir / (std::string("tone.") + c.extension);
    test::write_file(path, bytes);

    // Our own decoder: the right length, the tone at the right level, nothing else.
    auto decoder = FileDecoder::open(path, cd);
    const auto decoded = test::decode_all(*decoder);
    EXPECT_NEAR(test::seconds_of(decoded, cd), 3.0, 0.06);
    EXPECT_NEAR(decoder->position(), test::seconds_of(decoded, cd), 1e-9);
    EXPECT_EQ(decoder->skipped_packets(), 0U);
    EXPECT_EQ(decoder->error(), "");
    EXPECT_NEAR(test::tone_amplitude(decoded, cd, 440, 0), 0.5, 0.05);
    EXPECT_NEAR(test::tone_amplitude(decoded, cd, 440, 1), 0.5, 0.05);
    EXPECT_LT(test::tone_amplitude(decoded, cd, 1000), 0.02);
    EXPECT_NEAR(test::rms(decoded), test::rms(pcm), 0.05);
    EXPECT_EQ(decoder->tags().codec, to_string(c.codec));

    // The live path: the same bytes in random pieces.
    auto stream = StreamDecoder::create(c.stream_format, cd);
    std::vector<float> live;
    std::size_t pos = 0;
    for (const auto n : test::piece_sizes(bytes.size(), 0, 7, 1500)) {
        stream->feed(std::span(bytes).subspan(pos, n), live);
        pos += n;
    }
    EXPECT_NEAR(test::seconds_of(live, cd), 3.0, 0.1);
    EXPECT_EQ(stream->skipped(), 0U);
    EXPECT_NEAR(test::tone_amplitude(live, cd, 440), 0.5, 0.05);
    EXPECT_LT(test::tone_amplitude(live, cd, 1000), 0.02);

    // An independent judge.
    if (!test::have_ffprobe()) {
        GTEST_SKIP() << "ffmpeg CLI not installed";
    }
    int status = 0;
    EXPECT_EQ(test::ffmpeg_decode_errors(path, status), "");
    EXPECT_EQ(status, 0);
    EXPECT_NEAR(test::ffmpeg_decoded_seconds(path), 3.0, 0.1);
}

INSTANTIATE_TEST_SUITE_P(
    Codecs, EncoderRoundTrip,
    testing::Values(CodecCase{OutputCodec::mp3, "mp3", StreamFormat::mp3, "audio/mpeg", ""},
                    CodecCase{OutputCodec::aac, "aac", StreamFormat::aac, "audio/aac", ""},
                    CodecCase{OutputCodec::opus, "opus", StreamFormat::ogg, "audio/ogg", "Opus"},
                    CodecCase{OutputCodec::vorbis, "ogg", StreamFormat::ogg, "audio/ogg",
                              "Vorbis"}),
    case_name);

class EncoderGapless : public testing::TestWithParam<CodecCase> {};

// A station pushes whatever block sizes its mixer produces; the output must not depend on them.
TEST_P(EncoderGapless, PiecesGiveTheSameStreamAsOnePush) {
    const CodecCase& c = GetParam();
    const auto pcm = test::sine(cd, 440, 3.7, 0.5);
    const std::size_t piece = pcm.size() / 2 / 10; // 10 x 0.37 s

    auto whole = StreamEncoder::create({c.codec, 96, 0, 2}, cd);
    const Bytes one = test::encode(*whole, pcm);
    auto pieces = StreamEncoder::create({c.codec, 96, 0, 2}, cd);
    const Bytes many = test::encode(*pieces, pcm, piece);
    EXPECT_EQ(whole->frames_in(), pcm.size() / 2);
    EXPECT_EQ(pieces->frames_in(), pcm.size() / 2);

    test::TempDir dir;
    const auto a = dir / (std::string("one.") + c.extension);
    const auto b = dir / (std::string("many.") + c.extension);
    test::write_file(a, one);
    test::write_file(b, many);
    auto da = FileDecoder::open(a, cd);
    auto db = FileDecoder::open(b, cd);
    const double sa = test::seconds_of(test::decode_all(*da), cd);
    const double sb = test::seconds_of(test::decode_all(*db), cd);
    EXPECT_NEAR(sa, 3.7, 0.06);
    EXPECT_NEAR(sa, sb, 2048.0 / 44100); // within one codec frame
    if (c.codec != OutputCodec::opus && c.codec != OutputCodec::vorbis) {
        // Deterministic encoders with fixed frames: byte for byte the same stream.
        EXPECT_EQ(one, many);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Codecs, EncoderGapless,
    testing::Values(CodecCase{OutputCodec::mp3, "mp3", StreamFormat::mp3, "", ""},
                    CodecCase{OutputCodec::aac, "aac", StreamFormat::aac, "", ""},
                    CodecCase{OutputCodec::opus, "opus", StreamFormat::ogg, "", ""},
                    CodecCase{OutputCodec::vorbis, "ogg", StreamFormat::ogg, "", ""}),
    case_name);

struct ChainInfo {
    std::vector<std::string> titles;
    std::size_t pages = 0;
    bool crc_ok = true;
    bool granules_monotonic = true;
    bool bos_alone = true;             // the id header is the only packet of every BOS page
    std::int64_t max_granule_step = 0; // most audio on one page
    std::vector<std::uint32_t> serials;
};

ChainInfo inspect_chains(const Bytes& bytes) {
    ChainInfo info;
    OggPageReader reader;
    OggChainTracker tracker;
    std::map<std::uint32_t, std::int64_t> last_granule;
    std::map<std::uint32_t, std::uint32_t> next_sequence;
    reader.feed(bytes, [&](std::uint64_t, const OggPageView& page) {
        ++info.pages;
        if (page.bos()) {
            info.serials.push_back(page.serial);
            info.bos_alone = info.bos_alone && page.segment_table.size() == 1;
            EXPECT_EQ(page.sequence, 0U);
        } else {
            EXPECT_EQ(page.sequence, next_sequence[page.serial]);
        }
        next_sequence[page.serial] = page.sequence + 1;
        if (page.granule != -1) {
            auto [it, fresh] = last_granule.emplace(page.serial, page.granule);
            if (!fresh) {
                info.granules_monotonic = info.granules_monotonic && page.granule >= it->second;
                info.max_granule_step = std::max(info.max_granule_step, page.granule - it->second);
                it->second = page.granule;
            }
        }
        if (tracker.on_page(page) == OggChainTracker::PageKind::first_audio) {
            info.titles.push_back(tracker.comments() ? tracker.comments()->display_title()
                                                     : std::string("<none>"));
        }
    });
    info.crc_ok = reader.skipped_bytes() == 0; // a bad CRC makes the reader skip the page
    return info;
}

class OggChaining : public testing::TestWithParam<CodecCase> {};

TEST_P(OggChaining, SetTagsStartsANewChainWithoutAGap) {
    const CodecCase& c = GetParam();
    StreamTags first;
    first.artist = "A";
    first.title = "One";
    first.album = "Album";
    first.extra = {{"COMMENT", "first"}, {"BAD=KEY", "dropped"}};
    auto encoder = StreamEncoder::create({c.codec, 96, 0, 2}, cd, first);
    const auto pcm = test::sine(cd, 440, 2.0, 0.5);
    Bytes out;
    encoder->push(pcm, out);
    StreamTags second;
    second.artist = "A";
    second.title = "Two";
    encoder->set_tags(second, out);
    encoder->push(pcm, out);
    encoder->finish(out);
    EXPECT_EQ(encoder->bytes_out(), out.size());

    const ChainInfo info = inspect_chains(out);
    EXPECT_TRUE(info.crc_ok);
    EXPECT_TRUE(info.granules_monotonic);
    EXPECT_TRUE(info.bos_alone);
    ASSERT_EQ(info.titles.size(), 2U);
    EXPECT_EQ(info.titles[0], "A - One");
    EXPECT_EQ(info.titles[1], "A - Two");
    ASSERT_EQ(info.serials.size(), 2U);
    EXPECT_NE(info.serials[0], info.serials[1]);

    // Comments as written: vendor, extra fields, invalid keys dropped.
    const auto packets = test::read_packets(out);
    const auto comments = parse_comment_packet(packets.at(1).data);
    ASSERT_TRUE(comments.has_value());
    EXPECT_EQ(comments->vendor, "TinyIce");
    EXPECT_EQ(comments->get("ALBUM"), "Album");
    EXPECT_EQ(comments->get("COMMENT"), "first");
    EXPECT_EQ(comments->tags.size(), 4U);

    // Pages stay small: at most ~4 KiB and 250 ms of audio (plus the packet that crossed it).
    for (const auto& page : test::read_pages(out)) {
        EXPECT_LE(page.bytes.size(), 4096U + 255 + 255 + 27);
    }
    const int rate = encoder->output_sample_rate();
    EXPECT_GT(info.max_granule_step, rate / 8);
    EXPECT_LE(info.max_granule_step, rate / 4 + 2048);

    test::TempDir dir;
    const auto path = dir / (std::string("chained.") + c.extension);
    test::write_file(path, out);
    auto decoder = FileDecoder::open(path, cd);
    const auto decoded = test::decode_all(*decoder);
    EXPECT_NEAR(decoder->tags().duration, 2.0, 0.1); // the first chain's
    // FFmpeg's demuxer follows chains; the total is gapless.
    EXPECT_NEAR(test::seconds_of(decoded, cd), 4.0, 0.06);
    EXPECT_NEAR(test::tone_amplitude(decoded, cd, 440), 0.5, 0.05);

    auto stream = StreamDecoder::create(StreamFormat::ogg, cd);
    std::vector<float> live;
    stream->feed(out, live);
    EXPECT_NEAR(test::seconds_of(live, cd), 4.0, 0.06);
    EXPECT_EQ(stream->skipped(), 0U);

    if (!test::have_ffprobe()) {
        GTEST_SKIP() << "ffmpeg CLI not installed";
    }
    int status = 0;
    EXPECT_EQ(test::ffmpeg_decode_errors(path, status), "");
    EXPECT_EQ(status, 0);
    EXPECT_NEAR(test::ffmpeg_decoded_seconds(path), 4.0, 0.06);
}

TEST_P(OggChaining, TagsBeforeAnyAudioDoNotLeaveAnEmptyChain) {
    const CodecCase& c = GetParam();
    auto encoder = StreamEncoder::create({c.codec, 96, 0, 2}, cd);
    Bytes out;
    encoder->set_tags({"X", "First", "", {}}, out);
    encoder->set_tags({"X", "Second", "", {}}, out);
    encoder->push(test::sine(cd, 440, 1.0), out);
    encoder->finish(out);
    const ChainInfo info = inspect_chains(out);
    ASSERT_EQ(info.titles.size(), 1U);
    EXPECT_EQ(info.titles[0], "X - Second");
}

TEST_P(OggChaining, FinishWithoutAudioIsAValidEmptyStream) {
    const CodecCase& c = GetParam();
    auto encoder = StreamEncoder::create({c.codec, 96, 0, 2}, cd);
    Bytes out;
    encoder->finish(out);
    const auto pages = test::read_pages(out);
    ASSERT_GE(pages.size(), 2U);
    EXPECT_TRUE(pages.front().view().bos());
    EXPECT_TRUE(pages.back().view().eos());
    // Finished: further calls do nothing.
    encoder->push(test::sine(cd, 440, 0.1), out);
    EXPECT_EQ(encoder->bytes_out(), out.size());
}

TEST(StreamEncoder, SecondOpusChainHasNoPreSkip) {
    auto encoder = StreamEncoder::create({OutputCodec::opus, 64, 0, 2}, cd);
    Bytes out;
    encoder->push(test::sine(cd, 440, 0.5), out);
    encoder->set_tags({"B", "T", "", {}}, out);
    encoder->push(test::sine(cd, 440, 0.5), out);
    encoder->finish(out);
    std::vector<int> pre_skips;
    for (const auto& p : test::read_packets(out)) {
        if (p.data.size() >= 19 && std::equal(p.data.begin(), p.data.begin() + 8, "OpusHead")) {
            pre_skips.push_back(p.data[10] | (p.data[11] << 8));
        }
    }
    ASSERT_EQ(pre_skips.size(), 2U);
    EXPECT_GT(pre_skips[0], 0);
    EXPECT_EQ(pre_skips[1], 0);
}

INSTANTIATE_TEST_SUITE_P(
    Codecs, OggChaining,
    testing::Values(CodecCase{OutputCodec::opus, "opus", StreamFormat::ogg, "", ""},
                    CodecCase{OutputCodec::vorbis, "ogg", StreamFormat::ogg, "", ""}),
    case_name);

TEST(StreamEncoder, SetTagsDoesNothingForMp3AndAac) {
    for (const auto codec : {OutputCodec::mp3, OutputCodec::aac}) {
        auto a = StreamEncoder::create({codec, 128, 0, 2}, cd);
        auto b = StreamEncoder::create({codec, 128, 0, 2}, cd);
        const auto pcm = test::sine(cd, 440, 0.5);
        Bytes out_a;
        Bytes out_b;
        a->push(pcm, out_a);
        b->push(pcm, out_b);
        b->set_tags({"X", "Y", "", {}}, out_b);
        a->push(pcm, out_a);
        b->push(pcm, out_b);
        a->finish(out_a);
        b->finish(out_b);
        EXPECT_EQ(out_a, out_b) << to_string(codec);
    }
}

TEST(StreamEncoder, Mp3IsConstantBitrate) {
    const Bytes bytes = test::encode({OutputCodec::mp3, 128, 0, 2}, cd, test::sine(cd, 440, 2.0));
    std::size_t frames = 0;
    FrameScanner scanner(StreamFormat::mp3);
    scanner.feed(bytes, 0, [&](std::uint64_t, const FrameInfo& info) {
        ++frames;
        EXPECT_EQ(info.bitrate_kbps, 128U);
        EXPECT_EQ(info.sample_rate, 44100U);
        EXPECT_EQ(info.channels, 2);
    });
    EXPECT_GT(frames, 70U);
}

TEST(StreamEncoder, AacFramesAreValidAdts) {
    const Bytes bytes =
        test::encode({OutputCodec::aac, 96, 48000, 1}, cd, test::sine(cd, 440, 1.0));
    std::size_t pos = 0;
    std::size_t frames = 0;
    while (pos + 7 <= bytes.size()) {
        const auto info = parse_adts_header(std::span(bytes).subspan(pos));
        ASSERT_TRUE(info.has_value()) << "at " << pos;
        EXPECT_EQ(info->sample_rate, 48000U);
        EXPECT_EQ(info->channels, 1);
        EXPECT_EQ(bytes[pos + 1] & 0x01, 1) << "protection_absent";
        pos += info->frame_bytes;
        ++frames;
    }
    EXPECT_EQ(pos, bytes.size());
    EXPECT_GE(frames, 47U); // 1 s at 48 kHz = 46.9 frames of 1024, plus priming
}

TEST(StreamEncoder, ResamplesAndRemixesTheInput) {
    // 22.05 kHz mono in, 44.1 kHz stereo MP3 out; the tone survives at full level on both sides.
    const PcmFormat mono{22050, 1};
    const auto pcm = test::sine(mono, 440, 2.0, 0.5);
    auto encoder = StreamEncoder::create({OutputCodec::mp3, 128, 44100, 2}, mono);
    EXPECT_EQ(encoder->output_sample_rate(), 44100);
    const Bytes bytes = test::encode(*encoder, pcm, 333);
    EXPECT_EQ(encoder->frames_in(), pcm.size());
    auto stream = StreamDecoder::create(StreamFormat::mp3, cd);
    std::vector<float> decoded;
    stream->feed(bytes, decoded);
    EXPECT_NEAR(test::seconds_of(decoded, cd), 2.0, 0.06);
    EXPECT_NEAR(test::tone_amplitude(decoded, cd, 440, 0), 0.5, 0.05);
    EXPECT_NEAR(test::tone_amplitude(decoded, cd, 440, 1), 0.5, 0.05);
}

TEST(StreamEncoder, OpusAlwaysRunsAt48k) {
    auto encoder = StreamEncoder::create({OutputCodec::opus, 64, 44100, 2}, cd);
    EXPECT_EQ(encoder->output_sample_rate(), 48000);
}

void expect_refused(const EncoderSettings& settings, PcmFormat input, const std::string& needle) {
    try {
        StreamEncoder::create(settings, input);
        ADD_FAILURE() << "accepted: " << needle;
    } catch (const CodecError& e) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
}

TEST(StreamEncoder, RefusesBadSettingsWithClearMessages) {
    expect_refused({OutputCodec::mp3, 128, 96000, 2}, cd, "mp3 encoder: sample rate 96000 Hz");
    expect_refused({OutputCodec::mp3, 500, 0, 2}, cd,
                   "mp3 encoder: bitrate 500 kbps is out of range");
    expect_refused({OutputCodec::opus, 2, 0, 2}, cd,
                   "opus encoder: bitrate 2 kbps is out of range");
    expect_refused({OutputCodec::vorbis, 16, 0, 2}, cd, "vorbis encoder: bitrate 16 kbps");
    expect_refused({OutputCodec::aac, 128, 0, 6}, cd, "aac encoder: 6 channels (must be 1 or 2)");
    expect_refused({OutputCodec::aac, 128, 0, 0}, cd, "aac encoder: 0 channels");
    expect_refused({OutputCodec::aac, 128, 11111, 2}, cd, "aac encoder: sample rate 11111 Hz");
    expect_refused({OutputCodec::vorbis, 128, 500000, 2}, cd, "vorbis encoder: sample rate 500000");
    expect_refused({OutputCodec::mp3, 128, 0, 2}, {44100, 3}, "input has 3 channels");
    expect_refused({OutputCodec::mp3, 128, 0, 2}, {1000, 2}, "input sample rate 1000 Hz");
}

TEST(StreamEncoder, LongPushDoesNotNeedHugeBuffers) {
    // One 20 s push: converted in slices, output complete.
    auto encoder = StreamEncoder::create({OutputCodec::opus, 32, 0, 1}, cd);
    Bytes out;
    encoder->push(test::sine(cd, 440, 20.0), out);
    encoder->finish(out);
    auto stream = StreamDecoder::create(StreamFormat::ogg, {48000, 1});
    std::vector<float> decoded;
    stream->feed(out, decoded);
    EXPECT_NEAR(test::seconds_of(decoded, {48000, 1}), 20.0, 0.03);
}

} // namespace
} // namespace tinyice::codec
