#pragma once
// What MPD knows about a song, as a plain struct the protocol code formats and filters, and
// MPD's tag names. Tag names are matched case-insensitively (MPD's tag_name_parse_i) and
// printed in MPD's spelling ("AlbumArtist"). TinyIce's library indexes only the common tags;
// every other MPD tag is still accepted by name (clients send "tagtypes enable Composer ...")
// and simply has no value.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tinyice::protocol::mpd {

// In MPD's order (tag/Type.h), which is also the order of tag lines in a song block.
enum class Tag : std::uint8_t {
    artist,
    artist_sort,
    album,
    album_sort,
    album_artist,
    album_artist_sort,
    title,
    title_sort,
    track,
    name,
    genre,
    mood,
    date,
    original_date,
    composer,
    composer_sort,
    performer,
    conductor,
    work,
    ensemble,
    movement,
    movement_number,
    location,
    grouping,
    comment,
    disc,
    label,
    musicbrainz_artist_id,
    musicbrainz_album_id,
    musicbrainz_album_artist_id,
    musicbrainz_track_id,
    musicbrainz_release_track_id,
    musicbrainz_work_id,
};
inline constexpr std::size_t tag_count = 33;

// A set of tags as a bit mask (bit i = Tag(i)); per connection for "tagtypes".
using TagMask = std::uint64_t;
[[nodiscard]] constexpr TagMask tag_bit(Tag t) {
    return TagMask{1} << static_cast<unsigned>(t);
}
inline constexpr TagMask all_tags = (TagMask{1} << tag_count) - 1;

[[nodiscard]] std::string_view tag_name(Tag tag);
// Case-insensitive; nullopt for a name MPD does not know.
[[nodiscard]] std::optional<Tag> parse_tag(std::string_view name);

// The tags TinyIce's library fills in; "tagtypes" lists these.
inline constexpr std::array<Tag, 7> indexed_tags = {
    Tag::artist, Tag::album, Tag::album_artist, Tag::title, Tag::track, Tag::genre, Tag::date};

struct Song {
    std::string file; // library-relative path, '/' separated
    std::string artist;
    std::string album_artist;
    std::string title;
    std::string album;
    std::string genre;
    std::string date;
    std::string track;
    double duration = 0;    // seconds; 0 = unknown
    std::int64_t mtime = 0; // unix seconds; 0 = unknown
    std::int64_t size = 0;  // bytes; 0 = unknown
    std::string format;     // MPD audio format "44100:16:2"; "" = unknown
    bool operator==(const Song&) const = default;
};

// The song's own value of `tag`, "" when it has none.
[[nodiscard]] std::string_view raw_tag_value(const Song& song, Tag tag);
// The value with MPD's fallbacks for missing tags, as used by filters, "list" and sorting:
// AlbumArtist falls back to Artist, the *Sort tags to their plain tag.
[[nodiscard]] std::string_view tag_value(const Song& song, Tag tag);

} // namespace tinyice::protocol::mpd
