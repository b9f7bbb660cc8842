#include "storage/HistoryStore.hpp"

#include "storage/Sqlite.hpp"
#include "util/Log.hpp"

#include <algorithm>
#include <exception>
#include <iterator>
#include <utility>

namespace tinyice::storage {
namespace {

constexpr std::size_t max_recent = 1000;

} // namespace

HistoryStore::HistoryStore(Database& db) : HistoryStore(db, max_queued) {}

HistoryStore::HistoryStore(Database& db, std::size_t queue_limit)
    : db_(db), queue_limit_(queue_limit) {
    writer_ = std::thread(&HistoryStore::run, this);
}

HistoryStore::~HistoryStore() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    writer_.join();
}

void HistoryStore::record(PlayRecord play) {
    bool first_drop = false;
    {
        std::lock_guard lock(mutex_);
        // Counts what the writer holds too, so a stuck write cannot let memory grow either.
        if (queued_total_ - written_total_ >= queue_limit_) {
            ++dropped_;
            first_drop = !dropping_;
            dropping_ = true;
        } else {
            queue_.push_back(std::move(play));
            ++queued_total_;
        }
    }
    if (first_drop) {
        util::logger("storage")->warn(
            "{}: play history queue full ({} pending), dropping plays until the disk catches up",
            db_.path().string(), queue_limit_);
        return;
    }
    wake_.notify_one();
}

void HistoryStore::flush() {
    std::unique_lock lock(mutex_);
    const std::uint64_t target = queued_total_;
    written_.wait(lock, [&] { return written_total_ >= target; });
}

std::uint64_t HistoryStore::dropped() const {
    std::lock_guard lock(mutex_);
    return dropped_;
}

void HistoryStore::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) {
            return; // stopping, and everything queued is written
        }
        // Everything that piled up while the last batch was written goes in one transaction.
        std::vector<PlayRecord> batch(std::make_move_iterator(queue_.begin()),
                                      std::make_move_iterator(queue_.end()));
        queue_.clear();
        lock.unlock();

        std::string failure;
        try {
            write(batch);
        } catch (const std::exception& e) {
            failure = e.what();
        } catch (...) {
            failure = "unknown error";
        }
        if (!failure.empty()) {
            util::logger("storage")->error("{} plays not recorded: {}", batch.size(), failure);
        }

        lock.lock();
        written_total_ += batch.size();
        if (failure.empty()) {
            dropping_ = false;
        } else {
            dropped_ += batch.size();
        }
        written_.notify_all();
    }
}

void HistoryStore::write(const std::vector<PlayRecord>& batch) {
    db_.with([&](SQLite::Database& db) {
        SQLite::Transaction tx(db);
        SQLite::Statement st(db, "INSERT INTO plays (mount, started_at, artist, title, file, "
                                 "duration, listeners, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
        for (const PlayRecord& p : batch) {
            st.bindNoCopy(1, p.mount);
            st.bind(2, p.started_at);
            st.bindNoCopy(3, p.artist);
            st.bindNoCopy(4, p.title);
            st.bindNoCopy(5, p.file);
            st.bind(6, detail::finite_or(p.duration, 0));
            st.bind(7, detail::to_i64(p.listeners));
            st.bindNoCopy(8, p.source);
            st.exec();
            st.reset();
        }
        tx.commit();
    });
}

std::vector<PlayRecord> HistoryStore::recent(std::string_view mount, std::size_t limit,
                                             std::int64_t before_ms) const {
    limit = std::min(limit, max_recent);
    if (limit == 0) {
        return {};
    }
    std::string sql = "SELECT id, mount, started_at, artist, title, file, duration, listeners, "
                      "source FROM plays";
    const char* joiner = " WHERE ";
    if (!mount.empty()) {
        sql += joiner;
        sql += "mount = :mount";
        joiner = " AND ";
    }
    if (before_ms > 0) {
        sql += joiner;
        sql += "started_at < :before";
    }
    // Ties (one title change per millisecond is possible) in insertion order, newest first.
    sql += " ORDER BY started_at DESC, id DESC LIMIT :limit";

    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, sql);
        if (!mount.empty()) {
            st.bind(":mount", std::string(mount));
        }
        if (before_ms > 0) {
            st.bind(":before", before_ms);
        }
        st.bind(":limit", static_cast<std::int64_t>(limit));
        std::vector<PlayRecord> out;
        out.reserve(limit);
        while (st.executeStep()) {
            PlayRecord p;
            p.id = st.getColumn(0).getInt64();
            p.mount = st.getColumn(1).getString();
            p.started_at = st.getColumn(2).getInt64();
            p.artist = st.getColumn(3).getString();
            p.title = st.getColumn(4).getString();
            p.file = st.getColumn(5).getString();
            p.duration = st.getColumn(6).getDouble();
            p.listeners =
                static_cast<std::uint64_t>(std::max<std::int64_t>(0, st.getColumn(7).getInt64()));
            p.source = st.getColumn(8).getString();
            out.push_back(std::move(p));
        }
        return out;
    });
}

std::size_t HistoryStore::prune(std::int64_t older_than_ms) {
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, "DELETE FROM plays WHERE started_at < ?");
        st.bind(1, older_than_ms);
        return static_cast<std::size_t>(st.exec());
    });
}

} // namespace tinyice::storage
