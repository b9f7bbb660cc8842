#pragma once
// An immutable snapshot of the songs an MPD server can see, sorted by path, with the folder
// views MPD's browsing commands need (lsinfo, listall, listfiles). Paths are library-relative
// and '/' separated; folders exist implicitly as the parents of songs. Because the songs are
// sorted by path, every folder's songs form one contiguous run, so listing a folder costs only
// the songs under it. Built once per library change by the backend, then shared read-only by
// every session (no locks).

#include "protocol/mpd/Song.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::mpd {

class SongDatabase {
public:
    SongDatabase() = default;
    // Sorts by path; drops songs with an empty path and duplicate paths (the first one stays).
    explicit SongDatabase(std::vector<protocol::mpd::Song> songs);

    [[nodiscard]] const std::vector<protocol::mpd::Song>& songs() const { return songs_; }
    [[nodiscard]] const protocol::mpd::Song* find(std::string_view file) const;
    // The songs under folder `dir` ("" or "/" = all); leading and trailing '/' are ignored.
    [[nodiscard]] std::span<const protocol::mpd::Song> under(std::string_view dir) const;
    // The root, or a folder that holds at least one song.
    [[nodiscard]] bool is_directory(std::string_view dir) const;

    struct Folder {
        std::string path;       // full relative path ("Jazz/Miles")
        std::int64_t mtime = 0; // newest song under it
    };
    struct Listing {
        std::vector<Folder> folders;
        std::vector<const protocol::mpd::Song*> songs;
    };
    // Direct children of `dir`; false (and nothing listed) when it is not a directory.
    bool list(std::string_view dir, Listing& out) const;

    [[nodiscard]] std::size_t artists() const { return artists_; }
    [[nodiscard]] std::size_t albums() const { return albums_; }
    [[nodiscard]] double total_duration() const { return total_duration_; }

    // "dir" without leading and trailing slashes ("/Jazz/" -> "Jazz").
    [[nodiscard]] static std::string_view normalize_dir(std::string_view dir);

private:
    std::vector<protocol::mpd::Song> songs_;
    std::size_t artists_ = 0;
    std::size_t albums_ = 0;
    double total_duration_ = 0;
};

} // namespace tinyice::mpd
