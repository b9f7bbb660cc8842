#pragma once
// The music library index: one row per audio file under a library root (a station's music
// folder), with its tags, duration, file stamp (for incremental rescans) and loudness. Several
// stations with the same folder share one library.

#include "storage/Database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tinyice::storage {

struct TrackRecord {
    std::string path; // relative to the library root, '/' separated, no leading '/'
    std::string artist;
    std::string title;
    std::string album;
    std::string genre;
    std::string date;
    std::string track_no;
    double duration = 0;    // seconds; 0 = unknown
    std::int64_t mtime = 0; // file modification time, unix seconds
    std::int64_t size = 0;  // bytes
    std::optional<double> rg_track_gain_db;
    std::optional<double> rg_track_peak;
    std::optional<double> loudness_lufs; // EBU R128 integrated, measured by the analyser
    std::optional<double> loudness_peak; // linear sample peak from the same measurement
    std::string error;         // non-empty: the file could not be read ("no audio stream")
    std::int64_t added_at = 0; // unix ms when first seen
    bool operator==(const TrackRecord&) const = default;
};

struct FileStamp {
    std::int64_t mtime = 0;
    std::int64_t size = 0;
};

struct LibraryStats {
    std::size_t tracks = 0; // readable tracks (error empty)
    std::size_t unreadable = 0;
    std::size_t artists = 0;   // distinct non-empty artists
    std::size_t albums = 0;    // distinct non-empty albums
    double total_duration = 0; // seconds
    std::size_t needing_analysis = 0;
};

class LibraryStore {
public:
    // `root` identifies the library (the absolute, canonical music folder path).
    LibraryStore(Database& db, std::string root);

    [[nodiscard]] const std::string& root() const { return root_; }

    // Everything, ordered by path.
    [[nodiscard]] std::vector<TrackRecord> all() const;
    [[nodiscard]] std::optional<TrackRecord> find(std::string_view path) const;
    // path -> stamp for every known file (readable or not): what a rescan compares against.
    [[nodiscard]] std::unordered_map<std::string, FileStamp> stamps() const;

    // Inserts or replaces rows by path, in one transaction. A replaced row keeps its added_at
    // and drops its loudness when mtime or size changed (the file is new audio).
    void upsert(const std::vector<TrackRecord>& tracks);
    // Deletes rows by path, in one transaction; returns how many existed.
    std::size_t remove(const std::vector<std::string>& paths);

    // Readable tracks with neither ReplayGain gain nor a loudness measurement, by path, at most
    // `limit`.
    [[nodiscard]] std::vector<std::string> needing_analysis(std::size_t limit) const;
    void set_loudness(std::string_view path, double lufs, double peak);

    [[nodiscard]] LibraryStats stats() const;

private:
    Database& db_;
    std::string root_;
};

} // namespace tinyice::storage
