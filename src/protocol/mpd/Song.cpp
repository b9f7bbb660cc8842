#include "protocol/mpd/Song.hpp"

namespace tinyice::protocol::mpd {

namespace {

constexpr std::array<std::string_view, tag_count> names = {
    "Artist",
    "ArtistSort",
    "Album",
    "AlbumSort",
    "AlbumArtist",
    "AlbumArtistSort",
    "Title",
    "TitleSort",
    "Track",
    "Name",
    "Genre",
    "Mood",
    "Date",
    "OriginalDate",
    "Composer",
    "ComposerSort",
    "Performer",
    "Conductor",
    "Work",
    "Ensemble",
    "Movement",
    "MovementNumber",
    "Location",
    "Grouping",
    "Comment",
    "Disc",
    "Label",
    "MUSICBRAINZ_ARTISTID",
    "MUSICBRAINZ_ALBUMID",
    "MUSICBRAINZ_ALBUMARTISTID",
    "MUSICBRAINZ_TRACKID",
    "MUSICBRAINZ_RELEASETRACKID",
    "MUSICBRAINZ_WORKID",
};

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

} // namespace

std::string_view tag_name(Tag tag) {
    return names.at(static_cast<std::size_t>(tag));
}

std::optional<Tag> parse_tag(std::string_view name) {
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (equals_ignore_case(name, names[i])) {
            return static_cast<Tag>(i);
        }
    }
    return std::nullopt;
}

std::string_view raw_tag_value(const Song& song, Tag tag) {
    switch (tag) {
    case Tag::artist:
        return song.artist;
    case Tag::album:
        return song.album;
    case Tag::album_artist:
        return song.album_artist;
    case Tag::title:
        return song.title;
    case Tag::track:
        return song.track;
    case Tag::genre:
        return song.genre;
    case Tag::date:
        return song.date;
    default:
        return {};
    }
}

std::string_view tag_value(const Song& song, Tag tag) {
    auto value = raw_tag_value(song, tag);
    if (!value.empty()) {
        return value;
    }
    switch (tag) {
    case Tag::album_artist:
    case Tag::artist_sort:
        return song.artist;
    case Tag::album_artist_sort:
        return song.album_artist.empty() ? std::string_view(song.artist)
                                         : std::string_view(song.album_artist);
    case Tag::album_sort:
        return song.album;
    case Tag::title_sort:
        return song.title;
    default:
        return value;
    }
}

} // namespace tinyice::protocol::mpd
