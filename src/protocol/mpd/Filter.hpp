#pragma once
// MPD's song filters, for find/search/findadd/searchadd/count/list/playlistfind/playlistsearch.
// Both forms are accepted, also mixed in one command (MPD's SongFilter::Parse):
//
//   legacy pairs     find artist "X" album "Y"     TAG VALUE [TAG VALUE...]
//   expressions      find "((artist == 'X') AND (album contains 'y'))"
//
// Legacy TAGs: any MPD tag name (case-insensitive), "any" (every tag and the path), "file",
// "base" (songs under a folder), "modified-since" (unix time or ISO 8601 UTC). `find` compares
// whole values case-sensitively, `search` looks for a case-insensitive substring.
//
// Expressions: (TAG == 'v'), (TAG != 'v'), (TAG contains 'v'), (TAG starts_with 'v'), the
// explicit-case forms eq_cs/eq_ci/contains_cs/contains_ci/starts_with_cs/starts_with_ci (each
// also negated with a leading '!', like "!contains"), (!EXPR), (EXPR AND EXPR ...),
// (base 'dir'), (modified-since 'time'), with TAG also "any" or "file". Values are quoted with
// ' or ", a backslash escapes the next character. ==, != and contains follow the command's
// case rule (find: exact case, search: ignore case). Regular expressions (=~, !~) are refused
// with a clear error. A missing tag has the value "" (AlbumArtist falls back to Artist).
//
// Parsing throws CommandError(Ack::arg, ...); nesting and the number of terms are bounded so a
// hostile expression cannot exhaust the stack or the CPU.

#include "protocol/mpd/Arguments.hpp"
#include "protocol/mpd/Song.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::protocol::mpd {

// Simple Unicode case folding for "search": ASCII, Latin-1, Latin Extended-A, Greek and
// Cyrillic capitals become small letters; other bytes are copied. Invalid UTF-8 is copied.
[[nodiscard]] std::string fold_case(std::string_view s);

// Unix seconds from "1700000000" or ISO 8601 UTC ("2024-03-01", "2024-03-01T12:30:00Z");
// nullopt when it is neither.
[[nodiscard]] std::optional<std::int64_t> parse_timestamp(std::string_view s);

class SongFilter {
public:
    static constexpr std::size_t max_depth = 32;
    static constexpr std::size_t max_terms = 256;

    SongFilter() = default; // matches every song

    // `fold_case`: the search rule (substring, ignore case) for legacy pairs and the
    // case-insensitive variant of ==, != and contains in expressions.
    static SongFilter parse(std::span<const std::string> args, bool fold_case);
    // TAG == value, exact (legacy "list album ARTIST").
    static SongFilter tag_equals(Tag tag, std::string value);

    [[nodiscard]] bool matches(const Song& song) const;
    [[nodiscard]] bool empty() const { return nodes_.empty(); }

private:
    enum class Kind : std::uint8_t { all_of, negate, tag, any, file, base, modified_since };
    enum class Position : std::uint8_t { full, anywhere, prefix };
    struct Node {
        Kind kind = Kind::all_of;
        Tag tag = Tag::artist;
        Position position = Position::full;
        bool fold = false;
        bool negated = false;
        std::string value; // folded when `fold`
        std::int64_t since = 0;
        std::vector<std::size_t> children;
    };
    class Parser;

    [[nodiscard]] bool eval(std::size_t index, const Song& song) const;
    [[nodiscard]] static bool string_matches(const Node& node, std::string_view value);

    std::vector<Node> nodes_; // nodes_[0] is the root (an all_of) when not empty
};

// The trailing options of the query commands, split from the filter arguments (MPD reads them
// from the end): find/search "[sort TAG] [window START:END]", findadd/searchadd also
// "[position POS]", list/count "[group TAG]...".
struct QueryArgs {
    std::vector<std::string> filter;
    std::optional<Tag> sort;       // by this tag's value
    bool sort_by_modified = false; // "sort Last-Modified"
    bool sort_descending = false;  // "sort -TAG"
    std::optional<Range> window;
    std::optional<std::size_t> position;
    std::vector<Tag> groups; // outermost first
};

enum QueryOption : unsigned {
    query_sort_window = 1U << 0,
    query_position = 1U << 1,
    query_group = 1U << 2,
};

[[nodiscard]] QueryArgs split_query_args(std::span<const std::string> args, unsigned options);

} // namespace tinyice::protocol::mpd
