#include "protocol/mpd/Response.hpp"

#include "protocol/mpd/Ack.hpp"
#include "protocol/mpd/Idle.hpp"
#include "protocol/mpd/Song.hpp"

#include <gtest/gtest.h>

using namespace tinyice::protocol::mpd;

namespace {

TEST(Ack, Format) {
    EXPECT_EQ(format_ack(Ack::arg, 0, "play", "wrong number of arguments for \"play\""),
              "ACK [2@0] {play} wrong number of arguments for \"play\"\n");
    EXPECT_EQ(format_ack(Ack::unknown, 3, "", "unknown command \"foo\""),
              "ACK [5@3] {} unknown command \"foo\"\n");
    EXPECT_EQ(format_ack(Ack::no_exist, 0, "add", "No such directory"),
              "ACK [50@0] {add} No such directory\n");
    EXPECT_EQ(format_ack(Ack::exist, 1, "save", "x"), "ACK [56@1] {save} x\n");
    // A message can never break the reply into two lines.
    EXPECT_EQ(format_ack(Ack::system, 0, "x", "line1\nline2\r"), "ACK [52@0] {x} line1 line2 \n");
}

TEST(Ack, NumbersAreMpds) {
    EXPECT_EQ(static_cast<int>(Ack::not_list), 1);
    EXPECT_EQ(static_cast<int>(Ack::password), 3);
    EXPECT_EQ(static_cast<int>(Ack::permission), 4);
    EXPECT_EQ(static_cast<int>(Ack::playlist_max), 51);
    EXPECT_EQ(static_cast<int>(Ack::playlist_load), 53);
    EXPECT_EQ(static_cast<int>(Ack::update_already), 54);
    EXPECT_EQ(static_cast<int>(Ack::player_sync), 55);
}

TEST(Response, KeyValueLines) {
    Response r;
    r.add("volume", 50);
    r.add("playlist", std::uint64_t{7});
    r.add("state", "play");
    r.add_fixed("elapsed", 12.3456);
    r.add("title", "two\nlines");
    r.raw("OK\n");
    EXPECT_EQ(r.text(),
              "volume: 50\nplaylist: 7\nstate: play\nelapsed: 12.346\ntitle: two lines\nOK\n");
}

TEST(Response, SongBlockInMpdOrder) {
    Song s;
    s.file = "Jazz/So What.mp3";
    s.artist = "Miles Davis";
    s.album_artist = "Miles Davis Sextet";
    s.title = "So What";
    s.album = "Kind of Blue";
    s.genre = "Jazz";
    s.date = "1959";
    s.track = "1";
    s.duration = 562.4567;
    s.mtime = 1600000000;
    s.format = "44100:16:2";
    Response r;
    r.add_song(s, all_tags, 3, 17);
    EXPECT_EQ(r.text(), "file: Jazz/So What.mp3\n"
                        "Last-Modified: 2020-09-13T12:26:40Z\n"
                        "Format: 44100:16:2\n"
                        "Artist: Miles Davis\n"
                        "Album: Kind of Blue\n"
                        "AlbumArtist: Miles Davis Sextet\n"
                        "Title: So What\n"
                        "Track: 1\n"
                        "Genre: Jazz\n"
                        "Date: 1959\n"
                        "Time: 562\n"
                        "duration: 562.457\n"
                        "Pos: 3\n"
                        "Id: 17\n");
}

TEST(Response, SongBlockHonoursTagMaskAndMissingData) {
    Song s;
    s.file = "a.mp3";
    s.artist = "A";
    s.title = "T";
    Response r;
    r.add_song(s, tag_bit(Tag::title));
    EXPECT_EQ(r.text(), "file: a.mp3\nTitle: T\n");
    Response none;
    none.add_song(s, 0);
    EXPECT_EQ(none.text(), "file: a.mp3\n");
}

TEST(Response, OverflowStopsGrowingAndTruncateRecovers) {
    Response r(64);
    r.add("a", "1");
    const auto mark = r.mark();
    for (int i = 0; i < 100; ++i) {
        r.add("key", "a longer value that will not fit");
    }
    EXPECT_TRUE(r.overflowed());
    EXPECT_LE(r.size(), 64U);
    r.truncate(mark);
    EXPECT_FALSE(r.overflowed());
    r.raw(format_ack(Ack::system, 0, "x", "Response is too large"));
    EXPECT_EQ(r.text(), "a: 1\nACK [52@0] {x} Response is too large\n");
    const auto text = r.take();
    EXPECT_EQ(r.size(), 0U);
    EXPECT_FALSE(text.empty());
}

TEST(Response, Iso8601) {
    EXPECT_EQ(iso8601_utc(0), "1970-01-01T00:00:00Z");
    EXPECT_EQ(iso8601_utc(951782400), "2000-02-29T00:00:00Z");
}

TEST(Tags, NamesAndParsing) {
    EXPECT_EQ(tag_name(Tag::album_artist), "AlbumArtist");
    EXPECT_EQ(tag_name(Tag::musicbrainz_work_id), "MUSICBRAINZ_WORKID");
    EXPECT_EQ(parse_tag("albumartist"), Tag::album_artist);
    EXPECT_EQ(parse_tag("ALBUMARTIST"), Tag::album_artist);
    EXPECT_EQ(parse_tag("Composer"), Tag::composer);
    EXPECT_EQ(parse_tag("musicbrainz_trackid"), Tag::musicbrainz_track_id);
    EXPECT_FALSE(parse_tag("file"));
    EXPECT_FALSE(parse_tag("Artistx"));
    for (std::size_t i = 0; i < tag_count; ++i) {
        EXPECT_EQ(parse_tag(tag_name(static_cast<Tag>(i))), static_cast<Tag>(i));
    }
}

TEST(Tags, Fallbacks) {
    Song s;
    s.artist = "A";
    s.album = "B";
    EXPECT_EQ(tag_value(s, Tag::album_artist), "A");
    EXPECT_EQ(tag_value(s, Tag::artist_sort), "A");
    EXPECT_EQ(tag_value(s, Tag::album_sort), "B");
    EXPECT_EQ(raw_tag_value(s, Tag::album_artist), "");
    s.album_artist = "C";
    EXPECT_EQ(tag_value(s, Tag::album_artist), "C");
    EXPECT_EQ(tag_value(s, Tag::album_artist_sort), "C");
}

TEST(Idle, NamesAndFormatting) {
    EXPECT_EQ(parse_idle_subsystem("player"), idle_player);
    EXPECT_EQ(parse_idle_subsystem("PLAYER"), idle_player);
    EXPECT_EQ(parse_idle_subsystem("stored_playlist"), idle_stored_playlist);
    EXPECT_EQ(parse_idle_subsystem("update"), idle_update);
    EXPECT_FALSE(parse_idle_subsystem("players"));
    EXPECT_EQ(format_idle_changes(idle_mixer | idle_database | idle_player),
              "changed: database\nchanged: player\nchanged: mixer\n");
    EXPECT_EQ(format_idle_changes(0), "");
    EXPECT_EQ(idle_names(idle_all).size(), 14U);
}

} // namespace
