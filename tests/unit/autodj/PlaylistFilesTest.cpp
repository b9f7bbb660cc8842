#include "autodj/PlaylistFiles.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace tinyice::autodj {
namespace {

std::vector<std::string> locations(const std::vector<PlaylistItem>& items) {
    std::vector<std::string> out;
    for (const auto& i : items) {
        out.push_back(i.location);
    }
    return out;
}

TEST(PlaylistFilesTest, PlainM3u) {
    const auto items = parse_playlist("Jazz/So What.mp3\n/music/abs.flac\n\nhttp://x/stream\n");
    EXPECT_EQ(locations(items),
              (std::vector<std::string>{"Jazz/So What.mp3", "/music/abs.flac", "http://x/stream"}));
    for (const auto& i : items) {
        EXPECT_EQ(i.title, "");
        EXPECT_EQ(i.duration, -1);
    }
}

TEST(PlaylistFilesTest, ExtendedM3u) {
    const auto items = parse_playlist("#EXTM3U\n"
                                      "#EXTINF:215,Miles Davis - So What\n"
                                      "Jazz/So What.mp3\n"
                                      "# a comment\n"
                                      "#EXTGRP:ignored\n"
                                      "#EXTINF:-1,Live\n"
                                      "http://radio.example/live\n"
                                      "no-info.ogg\n"
                                      "#EXTINF:12.5 tvg-name=\"a,b\" logo=\"x\",Comma, In Title\n"
                                      "c.opus\n");
    ASSERT_EQ(items.size(), 4U);
    EXPECT_EQ(items[0], (PlaylistItem{"Jazz/So What.mp3", "Miles Davis - So What", 215}));
    EXPECT_EQ(items[1], (PlaylistItem{"http://radio.example/live", "Live", -1}));
    // An #EXTINF applies to the next location only.
    EXPECT_EQ(items[2], (PlaylistItem{"no-info.ogg", "", -1}));
    EXPECT_EQ(items[3], (PlaylistItem{"c.opus", "Comma, In Title", 12.5}));
}

TEST(PlaylistFilesTest, M3uLineEndsBomAndSpaces) {
    const auto crlf =
        parse_playlist("\xEF\xBB\xBF#EXTM3U\r\n#EXTINF:10,T\r\n  a.mp3  \r\nb.mp3\r\n");
    ASSERT_EQ(crlf.size(), 2U);
    EXPECT_EQ(crlf[0], (PlaylistItem{"a.mp3", "T", 10}));
    EXPECT_EQ(crlf[1].location, "b.mp3");
    const auto cr = parse_playlist("a.mp3\rb.mp3\r");
    EXPECT_EQ(locations(cr), (std::vector<std::string>{"a.mp3", "b.mp3"}));
    // No final line break.
    EXPECT_EQ(locations(parse_playlist("a.mp3\nb.mp3")),
              (std::vector<std::string>{"a.mp3", "b.mp3"}));
}

TEST(PlaylistFilesTest, Utf8IsKeptAsIs) {
    const auto items = parse_playlist("#EXTINF:1,Björk – Jóga\nBjörk/Homogenic/02 Jóga.flac\n");
    ASSERT_EQ(items.size(), 1U);
    EXPECT_EQ(items[0].title, "Björk – Jóga");
    EXPECT_EQ(items[0].location, "Björk/Homogenic/02 Jóga.flac");
}

TEST(PlaylistFilesTest, FileUrlsAreDecoded) {
    const auto items = parse_playlist("file:///music/A%20B/caf%C3%A9.mp3\n"
                                      "FILE://localhost/music/x.mp3\n"
                                      "file:/music/y%2fz.mp3\n"
                                      "file://otherhost/share/z.mp3\n"
                                      "file:///bad%zzescape%00.mp3\n"
                                      "http://host/a%20b.mp3\n");
    EXPECT_EQ(locations(items), (std::vector<std::string>{
                                    "/music/A B/café.mp3", "/music/x.mp3", "/music/y/z.mp3",
                                    "file://otherhost/share/z.mp3", // not ours to resolve
                                    "/bad%zzescape%00.mp3",
                                    "http://host/a%20b.mp3", // other URLs stay as written
                                }));
}

TEST(PlaylistFilesTest, Pls) {
    const auto items = parse_playlist("[playlist]\n"
                                      "NumberOfEntries=3\n"
                                      "File2=b.mp3\n"
                                      "Title2=Second\n"
                                      "Length2=61\n"
                                      "File1=file:///music/a%20a.mp3\n"
                                      "Title1=First\n"
                                      "Length1=-1\n"
                                      "file10 = http://x/live \n"
                                      "TITLE10=Tenth\n"
                                      "Title7=Has no file\n"
                                      "Version=2\n");
    ASSERT_EQ(items.size(), 3U);
    EXPECT_EQ(items[0], (PlaylistItem{"/music/a a.mp3", "First", -1}));
    EXPECT_EQ(items[1], (PlaylistItem{"b.mp3", "Second", 61}));
    EXPECT_EQ(items[2], (PlaylistItem{"http://x/live", "Tenth", -1}));
}

TEST(PlaylistFilesTest, PlsIsDetectedLeniently) {
    const auto items =
        parse_playlist("\xEF\xBB\xBF\r\n  [PlayList]  \r\n; comment\r\nFile1=a.mp3\r\n"
                       "[other]\r\nFile2=not-in-playlist-section.mp3\r\n");
    EXPECT_EQ(locations(items), (std::vector<std::string>{"a.mp3"}));
    // "[playlist]" later in the file does not make it PLS.
    EXPECT_EQ(locations(parse_playlist("a.mp3\n[playlist]\n")),
              (std::vector<std::string>{"a.mp3", "[playlist]"}));
    // Malformed keys are ignored.
    EXPECT_TRUE(parse_playlist("[playlist]\nFile=x\nFilex1=y\nFile-1=z\nnonsense\n").empty());
}

TEST(PlaylistFilesTest, GarbageDoesNotCrash) {
    std::mt19937 rng(7);
    for (int round = 0; round < 200; ++round) {
        std::string text(rng() % 2000, '\0');
        for (auto& c : text) {
            c = static_cast<char>(rng());
        }
        if (round % 2 == 0) {
            text = "[playlist]\nFile1=" + text;
        }
        bool truncated = true;
        const auto items = parse_playlist(text, truncated);
        EXPECT_FALSE(truncated);
        for (const auto& i : items) {
            EXPECT_FALSE(i.location.empty());
            EXPECT_EQ(i.location.find_first_of("\r\n"), std::string::npos);
        }
    }
    EXPECT_TRUE(parse_playlist("").empty());
    EXPECT_TRUE(parse_playlist("\n\r\n#EXTM3U\n#EXTINF:5,x\n").empty());
}

TEST(PlaylistFilesTest, EntriesAreBounded) {
    std::string text;
    for (std::size_t i = 0; i < max_playlist_entries + 10; ++i) {
        text += "a.mp3\n";
    }
    bool truncated = false;
    EXPECT_EQ(parse_playlist(text, truncated).size(), max_playlist_entries);
    EXPECT_TRUE(truncated);

    std::string pls = "[playlist]\n";
    for (std::size_t i = 0; i < max_playlist_entries + 10; ++i) {
        pls += "File" + std::to_string(i + 1) + "=a.mp3\n";
    }
    EXPECT_EQ(parse_playlist(pls, truncated).size(), max_playlist_entries);
    EXPECT_TRUE(truncated);
}

TEST(PlaylistFilesTest, InputIsBounded) {
    // Long lines: few entries, but more bytes than allowed. The line the cut goes through is
    // dropped rather than read as half a path.
    const std::string line(1024 * 1024 - 1, 'x');
    std::string text;
    for (int i = 0; i < 20; ++i) {
        text += line + "\n";
    }
    bool truncated = false;
    const auto items = parse_playlist(text, truncated);
    EXPECT_TRUE(truncated);
    EXPECT_EQ(items.size(), 16U);
    for (const auto& i : items) {
        EXPECT_EQ(i.location.size(), line.size());
    }
}

TEST(PlaylistFilesTest, WriteM3uRoundTrips) {
    const std::vector<PlaylistItem> items = {
        {"Jazz/So What.mp3", "Miles Davis - So What", 545.4},
        {"/abs/x.flac", "", -1},
        {"no-title.ogg", "", 12},
        {"#hash.mp3", "Starts with a hash", -1},
        {"bad\nname.mp3", "cannot be written", 1},
        {"", "empty", 1},
        {"t.mp3", "Two\r\nLines", 3},
    };
    const auto text = write_m3u(items);
    EXPECT_TRUE(text.starts_with("#EXTM3U\n"));
    EXPECT_NE(text.find("#EXTINF:545,Miles Davis - So What\nJazz/So What.mp3\n"),
              std::string::npos);
    EXPECT_NE(text.find("\n/abs/x.flac\n"), std::string::npos);
    EXPECT_EQ(text.find("#EXTINF:-1,\n/abs"), std::string::npos); // nothing to say: no EXTINF
    const auto back = parse_playlist(text);
    ASSERT_EQ(back.size(), 5U);
    EXPECT_EQ(back[0], (PlaylistItem{"Jazz/So What.mp3", "Miles Davis - So What", 545}));
    EXPECT_EQ(back[1], (PlaylistItem{"/abs/x.flac", "", -1}));
    EXPECT_EQ(back[2], (PlaylistItem{"no-title.ogg", "", 12}));
    EXPECT_EQ(back[3], (PlaylistItem{"./#hash.mp3", "Starts with a hash", -1}));
    EXPECT_EQ(back[4], (PlaylistItem{"t.mp3", "Two  Lines", 3}));
}

TEST(PlaylistFilesTest, WritePlsRoundTrips) {
    const std::vector<PlaylistItem> items = {
        {"a.mp3", "A - B", 100},
        {"bad\rname", "skipped", 1},
        {"http://x/live", "", -1},
    };
    const auto text = write_pls(items);
    EXPECT_EQ(text, "[playlist]\n"
                    "File1=a.mp3\nTitle1=A - B\nLength1=100\n"
                    "File2=http://x/live\nLength2=-1\n"
                    "NumberOfEntries=2\nVersion=2\n");
    const auto back = parse_playlist(text);
    ASSERT_EQ(back.size(), 2U);
    EXPECT_EQ(back[0], items[0]);
    EXPECT_EQ(back[1], items[2]);
    EXPECT_EQ(write_pls({}), "[playlist]\nNumberOfEntries=0\nVersion=2\n");
}

} // namespace
} // namespace tinyice::autodj
