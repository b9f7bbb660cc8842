#include "protocol/mpd/Filter.hpp"

#include "protocol/mpd/Ack.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace tinyice::protocol::mpd;

namespace {

std::vector<Song> library() {
    std::vector<Song> songs(5);
    songs[0].file = "Jazz/Miles Davis/So What.mp3";
    songs[0].artist = "Miles Davis";
    songs[0].album = "Kind of Blue";
    songs[0].title = "So What";
    songs[0].genre = "Jazz";
    songs[0].date = "1959";
    songs[0].track = "1";
    songs[0].mtime = 1'000'000'000;

    songs[1].file = "Jazz/Miles Davis/Blue in Green.mp3";
    songs[1].artist = "Miles Davis";
    songs[1].album_artist = "Miles Davis Sextet";
    songs[1].album = "Kind of Blue";
    songs[1].title = "Blue in Green";
    songs[1].mtime = 1'700'000'000;

    songs[2].file = "Jazzy/Other.ogg";
    songs[2].artist = "Björk";
    songs[2].title = "ÉLAN";
    songs[2].mtime = 1'600'000'000;

    songs[3].file = "Rock/untagged.flac"; // no tags at all

    songs[4].file = "Rock/Queen/Bohemian Rhapsody.mp3";
    songs[4].artist = "Queen";
    songs[4].title = "Bohemian Rhapsody";
    songs[4].album = "A Night at the Opera";
    songs[4].genre = "Rock";
    return songs;
}

// Indexes of the songs the filter selects.
std::vector<int> select(const std::vector<std::string>& args, bool fold) {
    const auto filter = SongFilter::parse(args, fold);
    std::vector<int> out;
    const auto songs = library();
    for (std::size_t i = 0; i < songs.size(); ++i) {
        if (filter.matches(songs[i])) {
            out.push_back(static_cast<int>(i));
        }
    }
    return out;
}

std::vector<int> find(const std::vector<std::string>& args) {
    return select(args, false);
}
std::vector<int> search(const std::vector<std::string>& args) {
    return select(args, true);
}

std::string parse_error(const std::vector<std::string>& args) {
    try {
        (void)SongFilter::parse(args, false);
    } catch (const CommandError& e) {
        EXPECT_EQ(e.code(), Ack::arg);
        return e.what();
    }
    ADD_FAILURE() << "no error";
    return {};
}

using V = std::vector<int>;

// ---- legacy form ----------------------------------------------------------------------------

TEST(FilterLegacy, FindIsExactAndCaseSensitive) {
    EXPECT_EQ(find({"artist", "Miles Davis"}), (V{0, 1}));
    EXPECT_EQ(find({"artist", "miles davis"}), V{});
    EXPECT_EQ(find({"artist", "Miles"}), V{});
    EXPECT_EQ(find({"title", "So What"}), V{0});
}

TEST(FilterLegacy, SearchIsCaseInsensitiveSubstring) {
    EXPECT_EQ(search({"artist", "miles"}), (V{0, 1}));
    EXPECT_EQ(search({"title", "BLUE"}), V{1});
    EXPECT_EQ(search({"artist", ""}), (V{0, 1, 2, 3, 4}));
}

TEST(FilterLegacy, SearchFoldsNonAsciiLetters) {
    EXPECT_EQ(search({"artist", "BJÖRK"}), V{2});
    EXPECT_EQ(search({"title", "élan"}), V{2});
    EXPECT_EQ(find({"artist", "BJÖRK"}), V{});
}

TEST(FilterLegacy, SeveralPairsMustAllMatch) {
    EXPECT_EQ(find({"artist", "Miles Davis", "title", "So What"}), V{0});
    EXPECT_EQ(find({"artist", "Miles Davis", "title", "Bohemian Rhapsody"}), V{});
}

TEST(FilterLegacy, TagNamesAreCaseInsensitive) {
    EXPECT_EQ(find({"ARTIST", "Queen"}), V{4});
    EXPECT_EQ(find({"Artist", "Queen"}), V{4});
    EXPECT_EQ(find({"genre", "Rock"}), V{4});
    EXPECT_EQ(find({"Date", "1959"}), V{0});
    EXPECT_EQ(find({"track", "1"}), V{0});
    EXPECT_EQ(find({"album", "Kind of Blue"}), (V{0, 1}));
}

TEST(FilterLegacy, AlbumArtistFallsBackToArtist) {
    EXPECT_EQ(find({"albumartist", "Miles Davis"}), V{0});
    EXPECT_EQ(find({"albumartist", "Miles Davis Sextet"}), V{1});
    EXPECT_EQ(find({"AlbumArtist", "Queen"}), V{4});
}

TEST(FilterLegacy, AnyMatchesEveryTagAndThePath) {
    EXPECT_EQ(search({"any", "blue"}), (V{0, 1})); // album of 0, title of 1
    EXPECT_EQ(search({"any", "untagged"}), V{3});  // only the path has it
    EXPECT_EQ(find({"any", "Queen"}), V{4});
}

TEST(FilterLegacy, File) {
    EXPECT_EQ(find({"file", "Rock/untagged.flac"}), V{3});
    EXPECT_EQ(find({"file", "untagged.flac"}), V{});
    EXPECT_EQ(search({"file", "ROCK/"}), (V{3, 4}));
    EXPECT_EQ(find({"filename", "Rock/untagged.flac"}), V{3});
}

TEST(FilterLegacy, BaseSelectsAFolderNotItsNamesakes) {
    EXPECT_EQ(find({"base", "Jazz"}), (V{0, 1})); // not "Jazzy/"
    EXPECT_EQ(find({"base", "/Jazz/"}), (V{0, 1}));
    EXPECT_EQ(find({"base", "Jazz/Miles Davis"}), (V{0, 1}));
    EXPECT_EQ(find({"base", ""}), (V{0, 1, 2, 3, 4}));
    EXPECT_EQ(find({"base", "Jaz"}), V{});
}

TEST(FilterLegacy, ModifiedSince) {
    EXPECT_EQ(find({"modified-since", "1600000000"}), (V{1, 2}));
    EXPECT_EQ(find({"modified-since", "2020-09-13T12:26:40Z"}), (V{1, 2})); // 1600000000
    EXPECT_EQ(find({"modified-since", "2023-01-01"}), V{1});
}

TEST(FilterLegacy, MissingTagEqualsEmpty) {
    EXPECT_EQ(find({"artist", ""}), V{3});
    EXPECT_EQ(find({"composer", ""}), (V{0, 1, 2, 3, 4})); // a tag TinyIce never fills
    EXPECT_EQ(find({"composer", "Bach"}), V{});
}

TEST(FilterLegacy, Errors) {
    EXPECT_EQ(parse_error({}), "Incorrect number of filter arguments");
    EXPECT_EQ(parse_error({"artist"}), "Incorrect number of filter arguments");
    EXPECT_EQ(parse_error({"artist", "X", "album"}), "Incorrect number of filter arguments");
    EXPECT_EQ(parse_error({"colour", "blue"}), "Unknown filter type: colour");
    EXPECT_EQ(parse_error({"modified-since", "yesterday"}), "Invalid timestamp: yesterday");
    EXPECT_EQ(parse_error({"AudioFormat", "44100:16:2"}), "AudioFormat filters are not supported");
}

// ---- expression form ------------------------------------------------------------------------

TEST(FilterExpression, Equality) {
    EXPECT_EQ(find({"(artist == 'Queen')"}), V{4});
    EXPECT_EQ(find({"(artist == \"Queen\")"}), V{4});
    EXPECT_EQ(find({"(Artist=='Queen')"}), V{4});
    EXPECT_EQ(find({"(artist != 'Miles Davis')"}), (V{2, 3, 4})); // missing tag is "" != X
}

TEST(FilterExpression, CaseFollowsTheCommandUnlessExplicit) {
    EXPECT_EQ(find({"(artist == 'queen')"}), V{});
    EXPECT_EQ(search({"(artist == 'queen')"}), V{4}); // search: == ignores case
    EXPECT_EQ(search({"(artist == 'quee')"}), V{});   // ... but is still whole-value
    EXPECT_EQ(find({"(artist eq_ci 'queen')"}), V{4});
    EXPECT_EQ(search({"(artist eq_cs 'queen')"}), V{});
    EXPECT_EQ(find({"(artist !eq_ci 'QUEEN')"}), (V{0, 1, 2, 3}));
}

TEST(FilterExpression, ContainsAndStartsWith) {
    EXPECT_EQ(find({"(album contains 'Blue')"}), (V{0, 1}));
    EXPECT_EQ(find({"(album contains 'blue')"}), V{});
    EXPECT_EQ(search({"(album contains 'blue')"}), (V{0, 1}));
    EXPECT_EQ(find({"(album contains_ci 'BLUE')"}), (V{0, 1}));
    EXPECT_EQ(find({"(title starts_with 'Bo')"}), V{4});
    EXPECT_EQ(find({"(title starts_with_ci 'bo')"}), V{4});
    EXPECT_EQ(find({"(title !contains 'e')"}), (V{0, 2, 3})); // "ÉLAN": no small e
}

TEST(FilterExpression, AndNotAndNesting) {
    EXPECT_EQ(find({"((artist == 'Miles Davis') AND (album contains 'Blue'))"}), (V{0, 1}));
    EXPECT_EQ(find({"((artist == 'Miles Davis') AND (title == 'So What'))"}), V{0});
    EXPECT_EQ(find({"((artist == 'Miles Davis') AND (title == 'So What') AND (date == '1959'))"}),
              V{0});
    EXPECT_EQ(find({"(!(artist == 'Miles Davis'))"}), (V{2, 3, 4}));
    EXPECT_EQ(find({"(!(!(artist == 'Queen')))"}), V{4});
    EXPECT_EQ(find({"((artist == 'Queen'))"}), V{4});
    EXPECT_EQ(find({"( ( artist == 'Queen' ) AND ( genre == 'Rock' ) )"}), V{4});
}

TEST(FilterExpression, SpecialSubjects) {
    EXPECT_EQ(find({"(base 'Jazz')"}), (V{0, 1}));
    EXPECT_EQ(find({"(modified-since '1600000000')"}), (V{1, 2}));
    EXPECT_EQ(find({"(file == 'Rock/untagged.flac')"}), V{3});
    EXPECT_EQ(search({"(any contains 'rhapsody')"}), V{4});
    EXPECT_EQ(find({"(any == 'Kind of Blue')"}), (V{0, 1}));
}

TEST(FilterExpression, EscapesInValues) {
    std::vector<Song> songs(1);
    songs[0].file = "x.mp3";
    songs[0].title = R"(It's "quoted" \o/)";
    const auto filter =
        SongFilter::parse(std::vector<std::string>{R"((title == 'It\'s "quoted" \\o/'))"}, false);
    EXPECT_TRUE(filter.matches(songs[0]));
}

TEST(FilterExpression, MixedWithLegacyPairs) {
    EXPECT_EQ(find({"(artist == 'Miles Davis')", "title", "So What"}), V{0});
    EXPECT_EQ(find({"genre", "Jazz", "(artist == 'Miles Davis')"}), V{0});
}

TEST(FilterExpression, Errors) {
    EXPECT_EQ(parse_error({"(artist == 'X'"}), "')' expected");
    EXPECT_EQ(parse_error({"(artist == 'X"}), "Closing quote not found");
    EXPECT_EQ(parse_error({"(artist == X)"}), "Quoted string expected");
    EXPECT_EQ(parse_error({"(artist 'X')"}), "Filter operator expected");
    EXPECT_EQ(parse_error({"(artist like 'X')"}), "Unknown filter operator: like");
    EXPECT_EQ(parse_error({"(artist = 'X')"}), "Unknown filter operator: '='");
    EXPECT_EQ(parse_error({"(artist =~ 'X.*')"}), "Regular expressions are not supported");
    EXPECT_EQ(parse_error({"(colour == 'X')"}), "Unknown filter type: colour");
    EXPECT_EQ(parse_error({"((artist == 'X') OR (title == 'Y'))"}), "'AND' expected");
    EXPECT_EQ(parse_error({"((artist == 'X') AND title == 'Y')"}), "'(' expected");
    EXPECT_EQ(parse_error({"(artist == 'X') trailing"}), "Unparsed garbage after expression");
    EXPECT_EQ(parse_error({"(!artist == 'X')"}), "'(' expected");
    EXPECT_EQ(parse_error({"()"}), "Word expected");
    EXPECT_EQ(parse_error({"("}), "Word expected");
}

TEST(FilterExpression, NestingAndSizeAreBounded) {
    const auto nested = [](std::size_t depth) {
        return std::string(depth, '(') + "artist == 'Queen'" + std::string(depth, ')');
    };
    EXPECT_EQ(find({nested(SongFilter::max_depth)}), V{4});
    EXPECT_EQ(parse_error({nested(SongFilter::max_depth + 1)}),
              "Filter expression is nested too deeply");
    EXPECT_EQ(parse_error({std::string(100000, '(')}), "Filter expression is nested too deeply");

    std::string wide = "((artist == 'Queen')";
    for (std::size_t i = 0; i < SongFilter::max_terms; ++i) {
        wide += " AND (title != 'x')";
    }
    wide += ")";
    EXPECT_EQ(parse_error({wide}), "Filter has too many terms");
}

TEST(Filter, TagEquals) {
    const auto filter = SongFilter::tag_equals(Tag::artist, "Queen");
    auto songs = library();
    EXPECT_TRUE(filter.matches(songs[4]));
    EXPECT_FALSE(filter.matches(songs[0]));
    EXPECT_TRUE(SongFilter{}.matches(songs[3]));
    EXPECT_TRUE(SongFilter{}.empty());
}

// ---- helpers --------------------------------------------------------------------------------

TEST(FoldCase, AsciiLatinGreekCyrillic) {
    EXPECT_EQ(fold_case("ABC xyz 123"), "abc xyz 123");
    EXPECT_EQ(fold_case("ÀÉÎÕÜ ÆØ ×"), "àéîõü æø ×");
    EXPECT_EQ(fold_case("ŁÓDŹ ŚĆ"), "łódź ść");
    EXPECT_EQ(fold_case("ΑΒΓ"), "αβγ");
    EXPECT_EQ(fold_case("МОСКВА Ё"), "москва ё");
    EXPECT_EQ(fold_case("日本 ABC"), "日本 abc"); // three-byte sequences are copied
    EXPECT_EQ(fold_case("\xC3"), "\xC3");         // truncated sequence copied as is
}

TEST(Timestamp, Forms) {
    EXPECT_EQ(parse_timestamp("0"), 0);
    EXPECT_EQ(parse_timestamp("1700000000"), 1700000000);
    EXPECT_EQ(parse_timestamp("1970-01-02"), 86400);
    EXPECT_EQ(parse_timestamp("2020-09-13T12:26:40Z"), 1600000000);
    EXPECT_EQ(parse_timestamp("2020-09-13T12:26:40"), 1600000000);
    EXPECT_EQ(parse_timestamp("2020-09-13 12:26"), 1600000000 - 40);
    EXPECT_EQ(parse_timestamp("2000-02-29T00:00:00Z"), 951782400);
    EXPECT_FALSE(parse_timestamp("2020-13-01"));
    EXPECT_FALSE(parse_timestamp("2020-09-13T25:00"));
    EXPECT_FALSE(parse_timestamp("2020-09"));
    EXPECT_FALSE(parse_timestamp("yesterday"));
    EXPECT_FALSE(parse_timestamp(""));
    EXPECT_FALSE(parse_timestamp("99999999999999999999999"));
}

TEST(QueryArgs, SortWindowPosition) {
    const std::vector<std::string> args = {"artist", "X", "sort", "-Title", "window", "2:5"};
    const auto q = split_query_args(args, query_sort_window);
    EXPECT_EQ(q.filter, (std::vector<std::string>{"artist", "X"}));
    EXPECT_EQ(q.sort, Tag::title);
    EXPECT_TRUE(q.sort_descending);
    ASSERT_TRUE(q.window);
    EXPECT_EQ(*q.window, (Range{2, 5}));

    const std::vector<std::string> by_time = {"(base 'x')", "sort", "Last-Modified"};
    const auto t = split_query_args(by_time, query_sort_window);
    EXPECT_TRUE(t.sort_by_modified);
    EXPECT_EQ(t.filter.size(), 1U);

    const std::vector<std::string> pos = {"artist", "X", "position", "3"};
    EXPECT_EQ(split_query_args(pos, query_sort_window | query_position).position, 3U);
    // Options a command does not take stay in the filter (and fail there).
    EXPECT_EQ(split_query_args(pos, query_sort_window).filter.size(), 4U);
}

TEST(QueryArgs, Groups) {
    const std::vector<std::string> args = {"genre",       "Jazz",  "group",
                                           "albumartist", "group", "date"};
    const auto q = split_query_args(args, query_group);
    EXPECT_EQ(q.filter, (std::vector<std::string>{"genre", "Jazz"}));
    // MPD reads groups from the end: the last one is the outermost.
    EXPECT_EQ(q.groups, (std::vector<Tag>{Tag::date, Tag::album_artist}));
    try {
        (void)split_query_args(std::vector<std::string>{"group", "colour"}, query_group);
        ADD_FAILURE();
    } catch (const CommandError& e) {
        EXPECT_STREQ(e.what(), "Unknown tag type: colour");
    }
    EXPECT_THROW((void)split_query_args(std::vector<std::string>{"group", "date", "group", "Date"},
                                        query_group),
                 CommandError);
    EXPECT_THROW(
        (void)split_query_args(std::vector<std::string>{"sort", "colour"}, query_sort_window),
        CommandError);
}

} // namespace
