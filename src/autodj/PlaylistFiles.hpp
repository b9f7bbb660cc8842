#pragma once
// Playlist files as people have them: M3U (plain, or extended with #EXTM3U and
// "#EXTINF:seconds,Artist - Title" lines) and PLS ([playlist] with FileN/TitleN/LengthN). Pure
// text in, text out: resolving the locations against a library is the caller's business.
//
// Reading is forgiving: a UTF-8 byte order mark, CRLF or CR line ends, blank lines, comments,
// surrounding spaces, any case for PLS keys, PLS entries in any order (they come out ordered by
// N) and file:// URLs (turned into plain, percent-decoded paths) are all fine. Locations are
// kept as written otherwise: relative ("Jazz/So What.mp3"), absolute ("/music/x.flac") or URLs
// ("http://...").

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::autodj {

struct PlaylistItem {
    std::string location; // path or URL, as written (file:// URLs decoded to a path)
    std::string title;    // from #EXTINF / TitleN; "" when none
    double duration = -1; // seconds, from #EXTINF / LengthN; -1 = unknown
    bool operator==(const PlaylistItem&) const = default;
};

// Limits for untrusted input (an uploaded playlist): text beyond max_playlist_bytes and entries
// beyond max_playlist_entries are ignored.
inline constexpr std::size_t max_playlist_bytes = std::size_t{16} * 1024 * 1024;
inline constexpr std::size_t max_playlist_entries = 100'000;

// Parses PLS when the first non-blank line is "[playlist]" (any case), else M3U. Never throws;
// text that is neither gives what lines look like locations (possibly nothing). `truncated` is
// set when a limit cut the input short.
std::vector<PlaylistItem> parse_playlist(std::string_view text, bool& truncated);
std::vector<PlaylistItem> parse_playlist(std::string_view text);

// Extended M3U (UTF-8, "\n" line ends). An #EXTINF line is written when the item has a title or
// a duration. Items whose location cannot be written on one line (it contains a line break, or
// is empty) are left out; line breaks in titles become spaces.
std::string write_m3u(const std::vector<PlaylistItem>& items);
// PLS version 2, with the same rules.
std::string write_pls(const std::vector<PlaylistItem>& items);

} // namespace tinyice::autodj
