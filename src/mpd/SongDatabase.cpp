#include "mpd/SongDatabase.hpp"

#include <algorithm>
#include <unordered_set>

namespace tinyice::mpd {

using protocol::mpd::Song;

namespace {

bool by_file(const Song& a, const Song& b) {
    return a.file < b.file;
}

} // namespace

SongDatabase::SongDatabase(std::vector<Song> songs) : songs_(std::move(songs)) {
    std::erase_if(songs_, [](const Song& s) { return s.file.empty(); });
    // Libraries hand over their index already sorted by path: checking is O(n).
    if (!std::is_sorted(songs_.begin(), songs_.end(), by_file)) {
        std::stable_sort(songs_.begin(), songs_.end(), by_file);
    }
    songs_.erase(std::unique(songs_.begin(), songs_.end(),
                             [](const Song& a, const Song& b) { return a.file == b.file; }),
                 songs_.end());
    std::unordered_set<std::string_view> artists;
    std::unordered_set<std::string_view> albums;
    for (const auto& s : songs_) {
        if (!s.artist.empty()) {
            artists.insert(s.artist);
        }
        if (!s.album.empty()) {
            albums.insert(s.album);
        }
        if (s.duration > 0) {
            total_duration_ += s.duration;
        }
    }
    artists_ = artists.size();
    albums_ = albums.size();
}

std::string_view SongDatabase::normalize_dir(std::string_view dir) {
    while (!dir.empty() && dir.front() == '/') {
        dir.remove_prefix(1);
    }
    while (!dir.empty() && dir.back() == '/') {
        dir.remove_suffix(1);
    }
    return dir;
}

const Song* SongDatabase::find(std::string_view file) const {
    const auto it = std::lower_bound(songs_.begin(), songs_.end(), file,
                                     [](const Song& s, std::string_view f) { return s.file < f; });
    if (it == songs_.end() || it->file != file) {
        return nullptr;
    }
    return &*it;
}

std::span<const Song> SongDatabase::under(std::string_view dir) const {
    dir = normalize_dir(dir);
    if (dir.empty()) {
        return songs_;
    }
    // Every path that starts with "dir/" sorts between "dir/" and "dir0" ('0' follows '/').
    const std::string lo = std::string(dir) + '/';
    const std::string hi = std::string(dir) + '0';
    const auto less = [](const Song& s, const std::string& key) {
        return s.file < key;
    };
    const auto first = std::lower_bound(songs_.begin(), songs_.end(), lo, less);
    const auto last = std::lower_bound(first, songs_.end(), hi, less);
    return {first, last};
}

bool SongDatabase::is_directory(std::string_view dir) const {
    dir = normalize_dir(dir);
    return dir.empty() || !under(dir).empty();
}

bool SongDatabase::list(std::string_view dir, Listing& out) const {
    out = Listing{};
    dir = normalize_dir(dir);
    const auto songs = under(dir);
    if (!dir.empty() && songs.empty()) {
        return false;
    }
    const std::size_t prefix = dir.empty() ? 0 : dir.size() + 1;
    for (const auto& song : songs) {
        const std::string_view rest = std::string_view(song.file).substr(prefix);
        const auto slash = rest.find('/');
        if (slash == std::string_view::npos) {
            out.songs.push_back(&song);
            continue;
        }
        const std::string_view folder = std::string_view(song.file).substr(0, prefix + slash);
        if (out.folders.empty() || out.folders.back().path != folder) {
            out.folders.push_back(Folder{std::string(folder), 0});
        }
        out.folders.back().mtime = std::max(out.folders.back().mtime, song.mtime);
    }
    return true;
}

} // namespace tinyice::mpd
