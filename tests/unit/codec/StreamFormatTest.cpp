#include "codec/StreamFormat.hpp"

#include <gtest/gtest.h>

namespace tinyice::codec {
namespace {

TEST(StreamFormat, MapsKnownContentTypes) {
    EXPECT_EQ(format_from_content_type("audio/mpeg"), StreamFormat::mp3);
    EXPECT_EQ(format_from_content_type("audio/mp3"), StreamFormat::mp3);
    EXPECT_EQ(format_from_content_type("audio/aac"), StreamFormat::aac);
    EXPECT_EQ(format_from_content_type("audio/aacp"), StreamFormat::aac);
    EXPECT_EQ(format_from_content_type("audio/x-aac"), StreamFormat::aac);
    for (const char* ogg : {"audio/ogg", "application/ogg", "audio/opus", "audio/x-ogg",
                            "application/x-ogg", "video/ogg", "audio/vorbis"}) {
        EXPECT_EQ(format_from_content_type(ogg), StreamFormat::ogg) << ogg;
    }
}

TEST(StreamFormat, IgnoresCaseParametersAndSpaces) {
    EXPECT_EQ(format_from_content_type("Audio/MPEG"), StreamFormat::mp3);
    EXPECT_EQ(format_from_content_type("audio/ogg; codecs=opus"), StreamFormat::ogg);
    EXPECT_EQ(format_from_content_type(" audio/aacp ;rate=44100"), StreamFormat::aac);
    EXPECT_EQ(format_from_content_type("APPLICATION/OGG;"), StreamFormat::ogg);
}

TEST(StreamFormat, EverythingElseIsGeneric) {
    EXPECT_EQ(format_from_content_type(""), StreamFormat::generic);
    EXPECT_EQ(format_from_content_type("text/plain"), StreamFormat::generic);
    EXPECT_EQ(format_from_content_type("audio/x-flac"), StreamFormat::generic);
    EXPECT_EQ(format_from_content_type("audio/webm"), StreamFormat::generic);
    EXPECT_EQ(format_from_content_type("audio/mpegurl"), StreamFormat::generic);
    EXPECT_EQ(format_from_content_type("audio/mpeg2"), StreamFormat::generic);
    EXPECT_EQ(format_from_content_type(";audio/mpeg"), StreamFormat::generic);
}

TEST(StreamFormat, Names) {
    EXPECT_EQ(to_string(StreamFormat::mp3), "mp3");
    EXPECT_EQ(to_string(StreamFormat::aac), "aac");
    EXPECT_EQ(to_string(StreamFormat::ogg), "ogg");
    EXPECT_EQ(to_string(StreamFormat::generic), "generic");
}

} // namespace
} // namespace tinyice::codec
