#pragma once
// Play history: one row per track played on a mount, from the AutoDJ (with file and duration)
// and from live sources (every title change). Rows are written by a background thread so that
// recording a play never waits for the disk; readers query directly.

#include "storage/BackgroundWriter.hpp"
#include "storage/Database.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::storage {

struct PlayRecord {
    std::int64_t id = 0;         // assigned by the database
    std::string mount;           // "/autodj"
    std::int64_t started_at = 0; // unix ms
    std::string artist;
    std::string title;           // the display title when the artist is unknown
    std::string file;            // library-relative path (AutoDJ); "" for live sources
    double duration = 0;         // seconds; 0 = unknown
    std::uint64_t listeners = 0; // listeners on the mount when the play started
    std::string source;          // "autodj", "live", "transcoder"
    bool operator==(const PlayRecord&) const = default;
};

class HistoryStore {
public:
    static constexpr std::size_t max_queued = 10000;

    explicit HistoryStore(Database& db);
    // `queue_limit` replaces max_queued (tests).
    HistoryStore(Database& db, std::size_t queue_limit);
    ~HistoryStore(); // writes what is queued, then stops the writer
    HistoryStore(const HistoryStore&) = delete;
    HistoryStore& operator=(const HistoryStore&) = delete;

    // Queues a play; never blocks on I/O. Beyond max_queued pending rows (queued or being
    // written) the play is dropped and counted (a stuck disk must not stall a station).
    void record(PlayRecord play);
    // Returns once every play queued before the call is written (tests, shutdown).
    void flush();

    // Newest first. `mount` empty = all mounts; `before_ms` > 0 = only plays that started
    // earlier (paging). `limit` is capped at 1000.
    [[nodiscard]] std::vector<PlayRecord> recent(std::string_view mount, std::size_t limit,
                                                 std::int64_t before_ms = 0) const;
    // Deletes plays that started before `older_than_ms`; returns how many.
    std::size_t prune(std::int64_t older_than_ms);

    // Plays refused because the queue was full, plus plays whose write failed.
    [[nodiscard]] std::uint64_t dropped() const;

private:
    Database& db_;
    detail::BackgroundWriter<PlayRecord> writer_; // last: its thread writes through db_
};

} // namespace tinyice::storage
