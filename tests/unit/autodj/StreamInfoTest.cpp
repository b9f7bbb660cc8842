#include "autodj/StreamInfo.hpp"

#include <gtest/gtest.h>

namespace tinyice::autodj {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

TEST(StreamInfoTest, DescribesTheStreamLikeAnEncoder) {
    StationSettings s;
    s.name = "main";
    s.mount = "/autodj";
    s.stream_name = "Tiny Radio";
    s.description = "All day\x01 long";
    s.genre = "Jazz";
    s.url = "https://radio.example";
    s.is_public = true;
    s.encoder.bitrate_kbps = 96;
    s.encoder.channels = 1;
    const auto info = make_source_info(s, "audio/mpeg", 44100);
    EXPECT_EQ(info.content_type, "audio/mpeg");
    EXPECT_EQ(info.name, "Tiny Radio");
    EXPECT_EQ(info.description, "All day long"); // control characters never reach a header
    EXPECT_EQ(info.is_public, true);
    EXPECT_EQ(info.bitrate, 96);
    EXPECT_EQ(info.origin, "autodj");
    EXPECT_EQ(info.audio_info, "ice-samplerate=44100;ice-bitrate=96;ice-channels=1");
    EXPECT_EQ(info.audio_info_pairs,
              (Headers{{"samplerate", "44100"}, {"bitrate", "96"}, {"channels", "1"}}));
    // What the server sends listeners of an encoder that sent the same ice-* headers.
    EXPECT_EQ(info.listener_headers,
              (Headers{{"ice-audio-info", "ice-samplerate=44100;ice-bitrate=96;ice-channels=1"},
                       {"icy-br", "96"},
                       {"icy-description", "All day long"},
                       {"icy-genre", "Jazz"},
                       {"icy-name", "Tiny Radio"},
                       {"icy-pub", "1"},
                       {"icy-url", "https://radio.example"}}));
}

TEST(StreamInfoTest, FallsBackToTheStationNameAndSkipsEmptyValues) {
    StationSettings s;
    s.name = "main";
    const auto info = make_source_info(s, "audio/ogg", 48000);
    EXPECT_EQ(info.name, "main");
    EXPECT_EQ(info.is_public, false);
    EXPECT_EQ(info.listener_headers,
              (Headers{{"ice-audio-info", "ice-samplerate=48000;ice-bitrate=128;ice-channels=2"},
                       {"icy-br", "128"},
                       {"icy-name", "main"},
                       {"icy-pub", "0"}}));
}

} // namespace
} // namespace tinyice::autodj
