// The command set against the in-memory backend, without sockets: one request line in, the
// exact reply text out (as the session would send it for a single command).

#include "mpd/Commands.hpp"

#include "FakeBackend.hpp"
#include "protocol/mpd/Ack.hpp"
#include "protocol/mpd/CommandLine.hpp"

#include <gtest/gtest.h>

#include <variant>

using namespace tinyice::mpd;
using tinyice::mpd::testing::FakeBackend;
namespace pm = tinyice::protocol::mpd;

namespace {

class CommandsTest : public ::testing::Test {
protected:
    explicit CommandsTest(bool password = false)
        : commands_(fake_.backend(), Commands::Options{password}) {
        client_.authenticated = !password;
    }

    // The reply to one request line: the command's output and "OK", or one ACK line.
    std::string run(std::string_view line) {
        auto parsed = pm::parse_command_line(line);
        if (const auto* e = std::get_if<pm::ParseError>(&parsed)) {
            return pm::format_ack(e->code, 0, "", e->message);
        }
        const auto& cmd = std::get<pm::Command>(parsed);
        const auto* info = commands_.find(cmd.name);
        if (info == nullptr) {
            return pm::format_ack(pm::Ack::unknown, 0, "", "unknown command \"" + cmd.name + "\"");
        }
        pm::Response out(max_output_);
        try {
            commands_.check(*info, cmd, client_);
            commands_.run(*info, cmd, client_, out);
        } catch (const pm::CommandError& e) {
            return pm::format_ack(e.code(), 0, info->name, e.what());
        }
        if (out.overflowed()) {
            return "OVERFLOW";
        }
        out.raw("OK\n");
        return out.take();
    }

    // The value of `key` in a reply ("" when absent).
    static std::string value(const std::string& reply, std::string_view key) {
        const std::string prefix = std::string(key) + ": ";
        std::size_t pos = 0;
        while (pos < reply.size()) {
            const auto end = reply.find('\n', pos);
            const auto line = reply.substr(pos, end - pos);
            if (line.starts_with(prefix)) {
                return line.substr(prefix.size());
            }
            pos = end + 1;
        }
        return {};
    }

    FakeBackend fake_;
    Commands commands_;
    ClientState client_;
    std::size_t max_output_ = pm::Response::default_max_bytes;
};

class PasswordCommandsTest : public CommandsTest {
protected:
    PasswordCommandsTest() : CommandsTest(true) {}
};

// ---- lookup, permissions and argument counts ------------------------------------------------

TEST_F(CommandsTest, TableIsSortedAndLookupIsExact) {
    const auto& table = Commands::table();
    for (std::size_t i = 1; i < table.size(); ++i) {
        EXPECT_LT(table[i - 1].name, table[i].name);
    }
    EXPECT_NE(commands_.find("status"), nullptr);
    EXPECT_EQ(commands_.find("STATUS"), nullptr);
    EXPECT_EQ(commands_.find("command_list_begin"), nullptr);
}

TEST_F(CommandsTest, ArgumentCountErrorsUseMpdWording) {
    EXPECT_EQ(run("status 1"), "ACK [2@0] {status} wrong number of arguments for \"status\"\n");
    EXPECT_EQ(run("add"), "ACK [2@0] {add} too few arguments for \"add\"\n");
    EXPECT_EQ(run("add a 1 2"), "ACK [2@0] {add} too many arguments for \"add\"\n");
    EXPECT_EQ(run("frobnicate"), "ACK [5@0] {} unknown command \"frobnicate\"\n");
}

TEST_F(PasswordCommandsTest, OnlyHarmlessCommandsBeforeThePassword) {
    EXPECT_EQ(run("status"), "ACK [4@0] {status} you don't have permission for \"status\"\n");
    EXPECT_EQ(run("play"), "ACK [4@0] {play} you don't have permission for \"play\"\n");
    EXPECT_EQ(run("ping"), "OK\n");
    EXPECT_EQ(run("tagtypes"), run("tagtypes"));
    EXPECT_EQ(run("binarylimit 8192"), "OK\n");
    const auto allowed = run("commands");
    EXPECT_NE(allowed.find("command: password\n"), std::string::npos);
    EXPECT_NE(allowed.find("command: close\n"), std::string::npos);
    EXPECT_NE(allowed.find("command: notcommands\n"), std::string::npos);
    EXPECT_EQ(allowed.find("command: status\n"), std::string::npos);
    const auto refused = run("notcommands");
    EXPECT_NE(refused.find("command: status\n"), std::string::npos);
    EXPECT_NE(refused.find("command: config\n"), std::string::npos);
    client_.authenticated = true;
    EXPECT_EQ(value(run("status"), "state"), "stop");
}

TEST_F(CommandsTest, ConfigIsAlwaysRefused) {
    EXPECT_EQ(run("config"), "ACK [4@0] {config} you don't have permission for \"config\"\n");
    EXPECT_EQ(run("commands").find("command: config\n"), std::string::npos);
}

// ---- status and playback --------------------------------------------------------------------

TEST_F(CommandsTest, StatusWhenStopped) {
    EXPECT_EQ(run("status"),
              "volume: 50\nrepeat: 1\nrandom: 0\nsingle: 0\nconsume: 0\npartition: default\n"
              "playlist: 1\nplaylistlength: 0\nmixrampdb: 0\nstate: stop\nOK\n");
}

TEST_F(CommandsTest, StatusWhilePlaying) {
    run("add Jazz/Miles\\ Davis");
    run("add \"Jazz/Miles Davis\"");
    run("play 0");
    run("seekcur 12.5");
    run("crossfade 3");
    fake_.update("");
    const auto s = run("status");
    EXPECT_EQ(value(s, "state"), "play");
    EXPECT_EQ(value(s, "song"), "0");
    EXPECT_EQ(value(s, "songid"), "1");
    EXPECT_EQ(value(s, "nextsong"), "1");
    EXPECT_EQ(value(s, "nextsongid"), "2");
    EXPECT_EQ(value(s, "time"), "13:337"); // elapsed rounded : duration of "Blue in Green"
    EXPECT_EQ(value(s, "elapsed"), "12.500");
    EXPECT_EQ(value(s, "duration"), "337.000");
    EXPECT_EQ(value(s, "bitrate"), "128");
    EXPECT_EQ(value(s, "audio"), "44100:f:2");
    EXPECT_EQ(value(s, "xfade"), "3");
    EXPECT_EQ(value(s, "updating_db"), "1");
    EXPECT_EQ(value(s, "playlistlength"), "2");
}

TEST_F(CommandsTest, CurrentSong) {
    EXPECT_EQ(run("currentsong"), "OK\n");
    run("add Rock/Queen");
    run("play 1");
    EXPECT_EQ(run("currentsong"),
              "file: Rock/Queen/Love of My Life.mp3\nLast-Modified: 2020-09-13T12:26:40Z\n"
              "Artist: Queen\nAlbum: A Night at the Opera\nTitle: Love of My Life\nGenre: Rock\n"
              "Time: 219\nduration: 219.000\nPos: 1\nId: 2\nOK\n");
}

TEST_F(CommandsTest, Stats) {
    const auto s = run("stats");
    EXPECT_EQ(value(s, "artists"), "3");
    EXPECT_EQ(value(s, "albums"), "3");
    EXPECT_EQ(value(s, "songs"), "6");
    EXPECT_EQ(value(s, "db_playtime"), "1744"); // 562.5 + 337 + 261 + 354 + 219 + 10, rounded
    EXPECT_EQ(value(s, "db_update"), "1700000000");
    EXPECT_FALSE(value(s, "uptime").empty());
    EXPECT_EQ(value(s, "playtime"), "0");
}

TEST_F(CommandsTest, Transport) {
    run("add Rock");
    EXPECT_EQ(run("play 5"), "ACK [2@0] {play} Bad song index\n");
    EXPECT_EQ(run("play"), "OK\n");
    EXPECT_EQ(fake_.state(), PlayState::play);
    EXPECT_EQ(run("pause"), "OK\n");
    EXPECT_EQ(fake_.state(), PlayState::pause);
    EXPECT_EQ(run("pause"), "OK\n"); // toggles back
    EXPECT_EQ(fake_.state(), PlayState::play);
    EXPECT_EQ(run("pause 1"), "OK\n");
    EXPECT_EQ(fake_.state(), PlayState::pause);
    EXPECT_EQ(run("pause 2"), "ACK [2@0] {pause} Boolean (0/1) expected: 2\n");
    EXPECT_EQ(run("next"), "OK\n");
    EXPECT_EQ(fake_.current(), 1U);
    EXPECT_EQ(run("previous"), "OK\n");
    EXPECT_EQ(fake_.current(), 0U);
    EXPECT_EQ(run("playid 2"), "OK\n");
    EXPECT_EQ(fake_.current(), 1U);
    EXPECT_EQ(run("playid 99"), "ACK [50@0] {playid} No such song\n");
    EXPECT_EQ(run("stop"), "OK\n");
    EXPECT_EQ(fake_.state(), PlayState::stop);
    EXPECT_EQ(run("seekcur 10"), "ACK [55@0] {seekcur} Not playing\n");
}

TEST_F(CommandsTest, Seeking) {
    run("add Rock");
    EXPECT_EQ(run("seek 1 30"), "OK\n"); // starts song 1 and seeks in it
    EXPECT_EQ(fake_.current(), 1U);
    EXPECT_DOUBLE_EQ(fake_.elapsed(), 30);
    EXPECT_EQ(run("seekcur +5"), "OK\n");
    EXPECT_DOUBLE_EQ(fake_.elapsed(), 35);
    EXPECT_EQ(run("seekcur -10.5"), "OK\n");
    EXPECT_DOUBLE_EQ(fake_.elapsed(), 24.5);
    EXPECT_EQ(run("seekid 1 7"), "OK\n");
    EXPECT_EQ(fake_.current(), 0U);
    EXPECT_DOUBLE_EQ(fake_.elapsed(), 7);
    EXPECT_EQ(run("seekid 42 7"), "ACK [50@0] {seekid} No such song\n");
    EXPECT_EQ(run("seek 9 1"), "ACK [2@0] {seek} Bad song index\n");
    EXPECT_EQ(run("seek 0 x"), "ACK [2@0] {seek} Number expected: x\n");
}

TEST_F(CommandsTest, VolumeAndOptions) {
    EXPECT_EQ(run("setvol 70"), "OK\n");
    EXPECT_EQ(fake_.volume(), 70);
    EXPECT_EQ(run("setvol 101"), "ACK [2@0] {setvol} Invalid volume value: 101\n");
    EXPECT_EQ(run("volume +40"), "OK\n");
    EXPECT_EQ(fake_.volume(), 100);
    EXPECT_EQ(run("volume -25"), "OK\n");
    EXPECT_EQ(fake_.volume(), 75);
    EXPECT_EQ(run("getvol"), "volume: 75\nOK\n");
    EXPECT_EQ(run("random 1"), "OK\n");
    EXPECT_EQ(run("repeat 0"), "OK\n");
    EXPECT_EQ(run("consume 1"), "OK\n");
    EXPECT_EQ(run("single oneshot"), "OK\n");
    const auto o = fake_.options();
    EXPECT_TRUE(o.random);
    EXPECT_FALSE(o.repeat);
    EXPECT_TRUE(o.consume);
    EXPECT_EQ(o.single, SingleMode::oneshot);
    EXPECT_EQ(value(run("status"), "single"), "oneshot");
    EXPECT_EQ(run("random on"), "ACK [2@0] {random} Boolean (0/1) expected: on\n");
    EXPECT_EQ(run("replay_gain_status"), "replay_gain_mode: off\nOK\n");
    EXPECT_EQ(run("replay_gain_mode track"), "OK\n");
    EXPECT_EQ(run("replay_gain_mode loud"),
              "ACK [2@0] {replay_gain_mode} Unrecognized replay gain mode\n");
}

// ---- the queue ------------------------------------------------------------------------------

TEST_F(CommandsTest, AddFilesFoldersAndEverything) {
    EXPECT_EQ(run("add \"Jazz/Coltrane/Naima.flac\""), "OK\n");
    EXPECT_EQ(run("add Rock/"), "OK\n");
    EXPECT_EQ(fake_.files(), (std::vector<std::string>{"Jazz/Coltrane/Naima.flac",
                                                       "Rock/Queen/Bohemian Rhapsody.mp3",
                                                       "Rock/Queen/Love of My Life.mp3"}));
    EXPECT_EQ(run("clear"), "OK\n");
    EXPECT_EQ(run("add /"), "OK\n");
    EXPECT_EQ(fake_.files().size(), 6U);
    EXPECT_EQ(run("clear"), "OK\n");
    EXPECT_EQ(run("add \"\""), "OK\n");
    EXPECT_EQ(fake_.files().size(), 6U);
}

TEST_F(CommandsTest, AddRefusesUnknownAndEscapingPaths) {
    EXPECT_EQ(run("add nothing/here"), "ACK [50@0] {add} No such directory\n");
    EXPECT_EQ(run("add ../etc/passwd"), "ACK [50@0] {add} No such directory\n");
    EXPECT_EQ(run("add \"Jazz/../../etc\""), "ACK [50@0] {add} No such directory\n");
    EXPECT_EQ(run("addid Jazz"), "ACK [50@0] {addid} No such song\n");
    EXPECT_EQ(run("addid /etc/passwd"), "ACK [50@0] {addid} No such song\n");
    EXPECT_TRUE(fake_.files().empty());
}

TEST_F(CommandsTest, AddIdAndPositions) {
    EXPECT_EQ(run("addid top.ogg"), "Id: 1\nOK\n");
    EXPECT_EQ(run("addid \"Jazz/Coltrane/Naima.flac\" 0"), "Id: 2\nOK\n");
    EXPECT_EQ(fake_.files().front(), "Jazz/Coltrane/Naima.flac");
    EXPECT_EQ(run("addid top.ogg 5"), "ACK [2@0] {addid} Bad song index\n");
    EXPECT_EQ(run("add top.ogg +1"), "ACK [2@0] {add} Relative positions are not supported\n");
}

TEST_F(CommandsTest, PlaylistInfoAndRanges) {
    run("add Rock");
    run("add top.ogg");
    const auto all = run("playlistinfo");
    EXPECT_NE(all.find("file: Rock/Queen/Bohemian Rhapsody.mp3\n"), std::string::npos);
    EXPECT_NE(all.find("Pos: 2\nId: 3\n"), std::string::npos);
    EXPECT_EQ(run("playlistinfo 2"),
              "file: top.ogg\nLast-Modified: 2020-09-13T12:26:40Z\nTitle: Top Level\nTime: 10\n"
              "duration: 10.000\nPos: 2\nId: 3\nOK\n");
    EXPECT_EQ(run("playlistinfo 1:"), run("playlistinfo 1:3"));
    EXPECT_EQ(run("playlistinfo -1"), all);
    EXPECT_EQ(run("playlistinfo 3"), "ACK [2@0] {playlistinfo} Bad song index\n");
    EXPECT_EQ(run("playlistinfo 4:"), "ACK [2@0] {playlistinfo} Bad range\n");
    EXPECT_EQ(run("playlistinfo 3:"), "OK\n");
    EXPECT_EQ(run("playlistid 3"), run("playlistinfo 2"));
    EXPECT_EQ(run("playlistid 9"), "ACK [50@0] {playlistid} No such song\n");
    EXPECT_EQ(run("playlist"),
              "0:file: Rock/Queen/Bohemian Rhapsody.mp3\n1:file: Rock/Queen/Love of My Life.mp3\n"
              "2:file: top.ogg\nOK\n");
}

TEST_F(CommandsTest, TagTypesShapeSongBlocks) {
    run("add top.ogg");
    EXPECT_EQ(run("tagtypes"),
              "tagtype: Artist\ntagtype: Album\ntagtype: AlbumArtist\ntagtype: Title\n"
              "tagtype: Track\ntagtype: Genre\ntagtype: Date\nOK\n");
    EXPECT_EQ(run("tagtypes \"clear\""), "OK\n");
    EXPECT_EQ(run("tagtypes"), "OK\n");
    EXPECT_EQ(run("playlistinfo"),
              "file: top.ogg\nLast-Modified: 2020-09-13T12:26:40Z\nTime: 10\nduration: 10.000\n"
              "Pos: 0\nId: 1\nOK\n");
    // mpc enables tags TinyIce does not index; they are accepted.
    EXPECT_EQ(run("tagtypes enable Artist AlbumArtist Title Name Composer Performer"), "OK\n");
    EXPECT_EQ(run("tagtypes"), "tagtype: Artist\ntagtype: AlbumArtist\ntagtype: Title\nOK\n");
    EXPECT_EQ(run("tagtypes disable title"), "OK\n");
    EXPECT_EQ(run("tagtypes"), "tagtype: Artist\ntagtype: AlbumArtist\nOK\n");
    EXPECT_EQ(run("tagtypes all"), "OK\n");
    EXPECT_EQ(value(run("tagtypes"), "tagtype"), "Artist");
    EXPECT_EQ(run("tagtypes enable Colour"), "ACK [2@0] {tagtypes} Unknown tag type: Colour\n");
    EXPECT_EQ(run("tagtypes frob"), "ACK [2@0] {tagtypes} Unknown sub command\n");
}

TEST_F(CommandsTest, PlChanges) {
    run("add Rock"); // version 2: both entries
    const auto v2 = value(run("status"), "playlist");
    EXPECT_EQ(v2, "2");
    run("add top.ogg"); // version 3: only the new one
    EXPECT_EQ(run("plchangesposid 2"), "cpos: 2\nId: 3\nOK\n");
    EXPECT_EQ(run("plchangesposid 0"), "cpos: 0\nId: 1\ncpos: 1\nId: 2\ncpos: 2\nId: 3\nOK\n");
    EXPECT_EQ(run("plchangesposid 3"), "OK\n");
    EXPECT_NE(run("plchanges 2").find("file: top.ogg\n"), std::string::npos);
    EXPECT_EQ(run("plchanges 0 0:1").find("top.ogg"), std::string::npos);
}

TEST_F(CommandsTest, DeleteMoveSwapShuffle) {
    run("add /"); // 6 songs, ids 1..6, in path order
    EXPECT_EQ(run("delete 0"), "OK\n");
    EXPECT_EQ(fake_.files().size(), 5U);
    EXPECT_EQ(run("delete 3:"), "OK\n");
    EXPECT_EQ(fake_.files().size(), 3U);
    EXPECT_EQ(run("delete 7"), "ACK [2@0] {delete} Bad song index\n");
    EXPECT_EQ(run("deleteid 99"), "ACK [50@0] {deleteid} No such song\n");
    const auto before = fake_.files();
    EXPECT_EQ(run("move 0 2"), "OK\n");
    EXPECT_EQ(fake_.files(), (std::vector<std::string>{before[1], before[2], before[0]}));
    EXPECT_EQ(run("move 0:2 1"), "OK\n");
    EXPECT_EQ(fake_.files(), (std::vector<std::string>{before[0], before[1], before[2]}));
    EXPECT_EQ(run("move 0:3 1"), "ACK [2@0] {move} Bad song index\n");
    EXPECT_EQ(run("swap 0 2"), "OK\n");
    EXPECT_EQ(fake_.files(), (std::vector<std::string>{before[2], before[1], before[0]}));
    EXPECT_EQ(run("swap 0 3"), "ACK [2@0] {swap} Bad song index\n");
    const auto q = fake_.queue();
    EXPECT_EQ(run("swapid " + std::to_string(q.items[0].id) + " " + std::to_string(q.items[1].id)),
              "OK\n");
    EXPECT_EQ(fake_.files(), (std::vector<std::string>{before[1], before[2], before[0]}));
    EXPECT_EQ(run("moveid " + std::to_string(q.items[2].id) + " 0"), "OK\n");
    EXPECT_EQ(fake_.files().front(), before[0]);
    EXPECT_EQ(run("moveid 99 0"), "ACK [50@0] {moveid} No such song\n");
    EXPECT_EQ(run("shuffle"), "OK\n");
    EXPECT_EQ(run("shuffle 0:2"), "OK\n");
    EXPECT_EQ(run("prio 10 0:2"), "OK\n");
    EXPECT_EQ(run("prio 300 0"), "ACK [2@0] {prio} Number too large: 300\n");
    EXPECT_EQ(run("prioid 10 1 2"), "OK\n");
}

TEST_F(CommandsTest, QueueSearch) {
    run("add /");
    const auto found = run("playlistsearch title blue");
    EXPECT_NE(found.find("Title: Blue in Green\n"), std::string::npos);
    EXPECT_NE(found.find("Pos: 1\n"), std::string::npos);
    EXPECT_EQ(run("playlistfind title blue"), "OK\n");
}

// ---- the database ---------------------------------------------------------------------------

TEST_F(CommandsTest, LsInfoRootListsFoldersSongsAndPlaylists) {
    fake_.put_playlist("evening", {"top.ogg"});
    EXPECT_EQ(run("lsinfo"),
              "directory: Jazz\nLast-Modified: 2020-09-13T12:26:40Z\n"
              "directory: Rock\nLast-Modified: 2020-09-13T12:26:40Z\n"
              "file: top.ogg\nLast-Modified: 2020-09-13T12:26:40Z\nTitle: Top Level\nTime: 10\n"
              "duration: 10.000\n"
              "playlist: evening\nLast-Modified: 2022-04-15T05:20:00Z\nOK\n");
    EXPECT_EQ(run("lsinfo \"\""), run("lsinfo"));
    EXPECT_EQ(run("lsinfo /"), run("lsinfo"));
}

TEST_F(CommandsTest, LsInfoFolderAndFile) {
    EXPECT_EQ(run("lsinfo Jazz"),
              "directory: Jazz/Coltrane\nLast-Modified: 2020-09-13T12:26:40Z\n"
              "directory: Jazz/Miles Davis\nLast-Modified: 2020-09-13T12:26:40Z\nOK\n");
    EXPECT_NE(run("lsinfo \"Jazz/Coltrane\"").find("file: Jazz/Coltrane/Naima.flac\n"),
              std::string::npos);
    EXPECT_NE(run("lsinfo \"Jazz/Coltrane/Naima.flac\"").find("Title: Naima\n"), std::string::npos);
    EXPECT_EQ(run("lsinfo Jaz"), "ACK [50@0] {lsinfo} No such directory\n");
    // ".." never names anything: the database only holds paths inside the library.
    EXPECT_EQ(run("lsinfo ../"), "ACK [50@0] {lsinfo} No such directory\n");
    EXPECT_EQ(run("lsinfo .."), "ACK [50@0] {lsinfo} No such directory\n");
}

TEST_F(CommandsTest, ListAll) {
    EXPECT_EQ(run("listall"),
              "directory: Jazz\ndirectory: Jazz/Coltrane\nfile: Jazz/Coltrane/Naima.flac\n"
              "directory: Jazz/Miles Davis\nfile: Jazz/Miles Davis/Blue in Green.mp3\n"
              "file: Jazz/Miles Davis/So What.mp3\n"
              "directory: Rock\ndirectory: Rock/Queen\nfile: Rock/Queen/Bohemian Rhapsody.mp3\n"
              "file: Rock/Queen/Love of My Life.mp3\nfile: top.ogg\nOK\n");
    EXPECT_EQ(run("listall Rock"), "directory: Rock/Queen\nfile: Rock/Queen/Bohemian Rhapsody.mp3\n"
                                   "file: Rock/Queen/Love of My Life.mp3\nOK\n");
    EXPECT_EQ(run("listall top.ogg"), "file: top.ogg\nOK\n");
    EXPECT_EQ(run("listall Nope"), "ACK [50@0] {listall} No such directory\n");
    const auto info = run("listallinfo Rock");
    EXPECT_NE(info.find("directory: Rock/Queen\nfile: Rock/Queen/Bohemian Rhapsody.mp3\n"
                        "Last-Modified"),
              std::string::npos);
    EXPECT_NE(info.find("Title: Love of My Life\n"), std::string::npos);
}

TEST_F(CommandsTest, ListFiles) {
    EXPECT_EQ(run("listfiles Jazz/Coltrane"),
              "file: Naima.flac\nsize: 1000\nLast-Modified: 2020-09-13T12:26:40Z\nOK\n");
    EXPECT_EQ(run("listfiles Jazz"),
              "directory: Coltrane\nLast-Modified: 2020-09-13T12:26:40Z\n"
              "directory: Miles Davis\nLast-Modified: 2020-09-13T12:26:40Z\nOK\n");
}

TEST_F(CommandsTest, FindAndSearch) {
    const auto found = run("find artist \"Miles Davis\"");
    EXPECT_NE(found.find("file: Jazz/Miles Davis/Blue in Green.mp3\n"), std::string::npos);
    EXPECT_NE(found.find("file: Jazz/Miles Davis/So What.mp3\n"), std::string::npos);
    EXPECT_EQ(run("find artist \"miles davis\""), "OK\n");
    EXPECT_EQ(run("search artist \"miles davis\""), found);
    EXPECT_EQ(run("find \"((artist == 'Queen') AND (title contains 'Love'))\""),
              run("find title \"Love of My Life\""));
    EXPECT_EQ(run("find Artist"), "ACK [2@0] {find} Incorrect number of filter arguments\n");
    EXPECT_EQ(run("find colour red"), "ACK [2@0] {find} Unknown filter type: colour\n");
    EXPECT_EQ(run("find \"(artist == 'x'\""), "ACK [2@0] {find} ')' expected\n");
}

TEST_F(CommandsTest, FindSortAndWindow) {
    const auto sorted = run("search any \"\" sort -Title window 0:2");
    EXPECT_EQ(sorted.find("Title: "), sorted.find("Title: Top Level"));
    const auto second = sorted.find("Title: ", sorted.find("Title: Top Level") + 1);
    EXPECT_EQ(second, sorted.find("Title: So What"));
    EXPECT_EQ(sorted.find("Title: ", second + 1), std::string::npos); // window of two
    EXPECT_EQ(run("find any x sort Colour"), "ACK [2@0] {find} Unknown sort tag: Colour\n");
}

TEST_F(CommandsTest, FindAddAndSearchAdd) {
    EXPECT_EQ(run("findadd artist Queen"), "OK\n");
    EXPECT_EQ(fake_.files().size(), 2U);
    EXPECT_EQ(run("searchadd title NAIMA position 0"), "OK\n");
    EXPECT_EQ(fake_.files().front(), "Jazz/Coltrane/Naima.flac");
}

TEST_F(CommandsTest, Count) {
    EXPECT_EQ(run("count artist Queen"), "songs: 2\nplaytime: 573\nOK\n");
    EXPECT_EQ(run("count genre Rock group artist"), "Artist: Queen\nsongs: 2\nplaytime: 573\nOK\n");
    EXPECT_EQ(run("count group album"), "Album: \nsongs: 1\nplaytime: 10\n"
                                        "Album: A Night at the Opera\nsongs: 2\nplaytime: 573\n"
                                        "Album: Giant Steps\nsongs: 1\nplaytime: 261\n"
                                        "Album: Kind of Blue\nsongs: 2\nplaytime: 900\nOK\n");
}

TEST_F(CommandsTest, List) {
    EXPECT_EQ(run("list Album"),
              "Album: A Night at the Opera\nAlbum: Giant Steps\nAlbum: Kind of Blue\nOK\n");
    EXPECT_EQ(run("list album \"Miles Davis\""), "Album: Kind of Blue\nOK\n"); // legacy form
    EXPECT_EQ(run("list artist \"Miles Davis\""),
              "ACK [2@0] {list} should be \"Album\" for 3 arguments\n");
    EXPECT_EQ(run("list album artist Queen"), "Album: A Night at the Opera\nOK\n");
    EXPECT_EQ(
        run("list album group artist"),
        "Artist: John Coltrane\nAlbum: Giant Steps\nArtist: Miles Davis\nAlbum: Kind of Blue\n"
        "Artist: Queen\nAlbum: A Night at the Opera\nOK\n");
    EXPECT_EQ(run("list title \"(genre == 'Rock')\""),
              "Title: Bohemian Rhapsody\nTitle: Love of My Life\nOK\n");
    EXPECT_EQ(run("list file artist Queen"),
              "file: Rock/Queen/Bohemian Rhapsody.mp3\nfile: Rock/Queen/Love of My Life.mp3\nOK\n");
    EXPECT_EQ(run("list colour"), "ACK [2@0] {list} Unknown tag type: colour\n");
    EXPECT_EQ(run("list album group album"), "ACK [2@0] {list} Conflicting group\n");
    EXPECT_EQ(run("list composer"), "OK\n");
}

TEST_F(CommandsTest, Update) {
    EXPECT_EQ(run("update"), "updating_db: 1\nOK\n");
    EXPECT_EQ(run("rescan Jazz"), "updating_db: 2\nOK\n");
    EXPECT_EQ(run("update nowhere"), "ACK [2@0] {update} Malformed path\n");
    EXPECT_EQ(fake_.update_jobs(), 2U);
}

TEST_F(CommandsTest, OversizedReplyIsDetected) {
    max_output_ = 200;
    EXPECT_EQ(run("listallinfo"), "OVERFLOW");
    EXPECT_EQ(run("ping"), "OK\n");
}

// ---- stored playlists -----------------------------------------------------------------------

TEST_F(CommandsTest, StoredPlaylists) {
    run("add Rock");
    EXPECT_EQ(run("save mix"), "OK\n");
    EXPECT_EQ(run("save mix"), "ACK [56@0] {save} Playlist already exists\n");
    EXPECT_EQ(run("save a/b"), "ACK [2@0] {save} Bad playlist name\n");
    EXPECT_EQ(run("listplaylists"), "playlist: mix\nLast-Modified: 2022-04-15T05:20:00Z\nOK\n");
    EXPECT_EQ(run("listplaylist mix"),
              "file: Rock/Queen/Bohemian Rhapsody.mp3\nfile: Rock/Queen/Love of My Life.mp3\nOK\n");
    EXPECT_NE(run("listplaylistinfo mix").find("Title: Love of My Life\n"), std::string::npos);
    EXPECT_EQ(run("listplaylist nope"), "ACK [50@0] {listplaylist} No such playlist\n");
    run("clear");
    EXPECT_EQ(run("load mix"), "OK\n");
    EXPECT_EQ(fake_.files().size(), 2U);
    EXPECT_EQ(run("load mix 1:"), "OK\n");
    EXPECT_EQ(fake_.files().size(), 3U);
    EXPECT_EQ(fake_.files().back(), "Rock/Queen/Love of My Life.mp3");
    EXPECT_EQ(run("load nope"), "ACK [50@0] {load} No such playlist\n");
    EXPECT_EQ(run("rm mix"), "OK\n");
    EXPECT_EQ(run("rm mix"), "ACK [50@0] {rm} No such playlist\n");
    fake_.put_playlist("stale", {"gone.mp3"});
    EXPECT_EQ(run("listplaylistinfo stale"), "file: gone.mp3\nOK\n");
}

// ---- the rest -------------------------------------------------------------------------------

TEST_F(CommandsTest, OutputsDecodersAndStubs) {
    EXPECT_EQ(run("outputs"),
              "outputid: 0\noutputname: TinyIce stream\nplugin: httpd\noutputenabled: 1\nOK\n");
    EXPECT_EQ(run("enableoutput 0"), "OK\n");
    EXPECT_EQ(run("disableoutput 0"), "OK\n");
    EXPECT_EQ(run("toggleoutput 0"), "OK\n");
    EXPECT_EQ(run("enableoutput 1"), "ACK [50@0] {enableoutput} No such audio output\n");
    EXPECT_NE(run("decoders").find("suffix: flac\n"), std::string::npos);
    EXPECT_EQ(run("urlhandlers"), "OK\n");
    EXPECT_EQ(run("albumart top.ogg 0"), "ACK [50@0] {albumart} No file exists\n");
    EXPECT_EQ(run("readpicture top.ogg 0"), "ACK [50@0] {readpicture} No file exists\n");
    EXPECT_EQ(run("binarylimit 10"), "ACK [2@0] {binarylimit} Value too small\n");
    EXPECT_EQ(run("clearerror"), "OK\n");
    EXPECT_EQ(run("mixrampdb -17"), "OK\n");
}

TEST_F(CommandsTest, Channels) {
    ClientState other;
    unsigned other_events = 0;
    other.notify = [&other_events](unsigned m) {
        other_events |= m;
    };
    commands_.board().join(client_);
    commands_.board().join(other);
    EXPECT_EQ(run("subscribe news"), "OK\n");
    EXPECT_EQ(other_events, pm::idle_subscription);
    EXPECT_EQ(run("subscribe news"), "ACK [56@0] {subscribe} already subscribed to this channel\n");
    EXPECT_EQ(run("subscribe \"bad name\""), "ACK [2@0] {subscribe} invalid channel name\n");
    EXPECT_EQ(run("channels"), "channel: news\nOK\n");
    commands_.board().subscribe(other, "news");
    EXPECT_EQ(run("sendmessage news hello"), "OK\n");
    EXPECT_EQ(other_events & pm::idle_message, pm::idle_message);
    ASSERT_EQ(other.messages.size(), 1U);
    EXPECT_EQ(other.messages.front(), (std::pair<std::string, std::string>{"news", "hello"}));
    EXPECT_EQ(run("readmessages"), "channel: news\nmessage: hello\nOK\n");
    EXPECT_EQ(run("readmessages"), "OK\n");
    EXPECT_EQ(run("sendmessage sports x"),
              "ACK [50@0] {sendmessage} nobody is subscribed to this channel\n");
    EXPECT_EQ(run("unsubscribe news"), "OK\n");
    EXPECT_EQ(run("unsubscribe news"), "ACK [50@0] {unsubscribe} not subscribed to this channel\n");
    for (int i = 0; i < 100; ++i) {
        commands_.board().send("news", "m");
    }
    EXPECT_EQ(other.messages.size(), ClientState::max_messages); // bounded
    commands_.board().leave(other);
    commands_.board().leave(client_);
    EXPECT_EQ(run("channels"), "OK\n");
}

} // namespace
