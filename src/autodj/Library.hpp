#pragma once
// A music library: the audio files under one folder, indexed in SQLite (storage::LibraryStore)
// and held in memory as an immutable snapshot (LibraryIndex) that any thread may read without
// locks. A background thread scans the folder (recursively; rescans are incremental: only files
// whose size or modification time changed are probed again, vanished files are dropped) and
// then measures the loudness of tracks that have no ReplayGain tags (EBU R128), one at a time.
//
// Stations that share a music folder share one Library (app/ makes one per distinct folder).

#include "storage/Database.hpp"
#include "storage/LibraryStore.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

namespace tinyice::autodj {

// One readable audio file of the library. Immutable once published.
struct Track {
    std::string path; // relative to the library root, '/' separated ("Jazz/Miles/So What.mp3")
    std::string artist;
    std::string title;
    std::string album;
    std::string genre;
    std::string date;
    std::string track_no;
    double duration = 0;    // seconds; 0 = unknown
    std::int64_t mtime = 0; // unix seconds
    std::int64_t size = 0;
    std::optional<double> rg_track_gain_db;
    std::optional<double> rg_track_peak;
    std::optional<double> loudness_lufs;
    std::optional<double> loudness_peak;

    // "Artist - Title"; the title alone; else the file name without extension.
    [[nodiscard]] std::string display_title() const;
    // The title, or the file name without extension when the file has no title tag.
    [[nodiscard]] std::string title_or_name() const;
};

using TrackPtr = std::shared_ptr<const Track>;

// A consistent view of the library at one moment.
class LibraryIndex {
public:
    LibraryIndex() = default;
    explicit LibraryIndex(std::vector<TrackPtr> tracks); // sorts by path

    // All readable tracks, sorted by path (byte order).
    [[nodiscard]] const std::vector<TrackPtr>& tracks() const { return tracks_; }
    [[nodiscard]] TrackPtr find(std::string_view path) const; // exact path
    // Tracks whose path is `dir` or under it ("" = everything), sorted by path.
    [[nodiscard]] std::vector<TrackPtr> under(std::string_view dir) const;
    // Direct children of `dir` ("" = root): sub-folder paths and tracks, both sorted. Empty
    // and false when `dir` is neither the root nor a folder that holds tracks.
    struct Listing {
        std::vector<std::string> folders; // full relative paths ("Jazz/Miles")
        std::vector<TrackPtr> tracks;
    };
    [[nodiscard]] bool list(std::string_view dir, Listing& out) const;
    // Case-insensitive substring match on artist, title, album and path; every word of `text`
    // must match somewhere. At most `limit` results, by path.
    [[nodiscard]] std::vector<TrackPtr> search(std::string_view text, std::size_t limit) const;
    [[nodiscard]] std::size_t artists() const { return artists_; }
    [[nodiscard]] std::size_t albums() const { return albums_; }
    [[nodiscard]] double total_duration() const { return total_duration_; }

private:
    std::vector<TrackPtr> tracks_;
    std::size_t artists_ = 0;
    std::size_t albums_ = 0;
    double total_duration_ = 0;
};

struct ScanProgress {
    bool scanning = false;      // a folder walk or probe pass is running
    bool analysing = false;     // loudness measurement is running
    std::uint64_t scan_id = 0;  // increments at every scan start (MPD "updating_db" job id)
    std::size_t files_seen = 0; // audio files found by the walk so far
    std::size_t probed = 0;     // files probed (new or changed) in this scan
    std::size_t added = 0;
    std::size_t updated = 0;
    std::size_t removed = 0;
    std::size_t unreadable = 0; // files that could not be read as audio
    std::size_t analysis_pending = 0;
    std::size_t analysed = 0;            // since start
    std::int64_t last_scan_started = 0;  // unix ms
    std::int64_t last_scan_finished = 0; // unix ms; 0 = never finished
    std::string error;                   // why the last scan failed (e.g. folder missing), or ""
};

class Library {
public:
    struct Options {
        bool analyse_loudness = true;
        // Extensions (lower case, with dot) that are looked at; others are ignored without
        // being opened.
        std::vector<std::string> extensions{".mp3",  ".m4a",  ".aac", ".mp4", ".ogg",  ".oga",
                                            ".opus", ".flac", ".wav", ".aif", ".aiff", ".wma",
                                            ".mka",  ".webm", ".mp2", ".ac3"};
    };

    Library(std::filesystem::path root, storage::Database& db, Options options);
    Library(std::filesystem::path root, storage::Database& db)
        : Library(std::move(root), db, Options{}) {}
    ~Library();
    Library(const Library&) = delete;
    Library& operator=(const Library&) = delete;

    // Loads the stored index (so stations can start playing at once), starts the worker and
    // requests a scan. stop() is idempotent and waits for the worker (an in-progress probe or
    // measurement is abandoned).
    void start();
    void stop();

    // Asks for a rescan (coalesced with one already pending); returns the scan id it will have.
    std::uint64_t rescan();

    [[nodiscard]] std::shared_ptr<const LibraryIndex> index() const;
    [[nodiscard]] ScanProgress progress() const;
    [[nodiscard]] const std::filesystem::path& root() const { return root_; }

    // Maps a library-relative path to the absolute file, refusing anything that leaves the
    // folder: absolute paths, "..", and symlinks that resolve outside root. The file need not
    // be in the index. nullopt when refused.
    [[nodiscard]] std::optional<std::filesystem::path> resolve(std::string_view relative) const;
    // The inverse: the relative path of an absolute file inside root, nullopt outside.
    [[nodiscard]] std::optional<std::string> relative(const std::filesystem::path& file) const;

    // Called (on the worker thread; from start() for the stored index) after each published
    // change of the index and at scan start and end; keep it short. Returns an id for unsubscribe.
    // unsubscribe() waits for a callback that is running, so no callback runs once it returned: do
    // not call it while holding a lock that the callback takes.
    std::uint64_t subscribe(std::function<void()> on_change);
    void unsubscribe(std::uint64_t id);

private:
    struct WalkResult;

    void run();
    void scan();
    // Walks the folder, probing new and changed files as it goes (flushing every batch).
    void walk(WalkResult& walk);
    void probe_into(const std::string& path, const std::filesystem::path& file,
                    storage::FileStamp stamp, bool known, WalkResult& walk);
    void flush_batch(WalkResult& walk);
    // Measures a few tracks; true when there is nothing left to measure.
    bool analyse_some();
    // Makes tracks_ the new index and tells the subscribers.
    void publish();
    void notify();
    void fail_scan(const std::string& error);

    const std::filesystem::path root_; // absolute and canonical (as far as it exists)
    const Options options_;
    storage::LibraryStore store_;

    std::mutex lifecycle_mutex_; // serialises start() and stop()
    mutable std::mutex mutex_;   // guards the members down to worker_
    std::condition_variable wake_;
    std::shared_ptr<const LibraryIndex> index_;
    ScanProgress progress_;
    bool scan_requested_ = false;
    bool analysis_wanted_ = false;
    bool stopping_ = false;
    std::atomic<bool> abort_{false};
    std::thread worker_;

    // Callbacks run holding this (recursive, so a callback may unsubscribe itself), which is
    // what makes unsubscribe() wait for a callback in progress.
    std::recursive_mutex subscribers_mutex_;
    std::uint64_t next_subscriber_ = 1;
    std::vector<std::pair<std::uint64_t, std::function<void()>>> subscribers_;

    // The worker's own state (start() sets it up before the worker exists).
    std::map<std::string, TrackPtr, std::less<>> tracks_; // readable tracks by path
    std::unordered_set<std::string> unreadable_;          // paths stored with an error
    std::unordered_set<std::string> analysis_failed_;     // not retried until restart
    std::string logged_error_;                            // logged once, not at every rescan
    std::unordered_set<std::string> extensions_;          // options_.extensions, lower case
    std::size_t unpublished_analyses_ = 0;
    std::chrono::steady_clock::time_point last_publish_;
};

} // namespace tinyice::autodj
