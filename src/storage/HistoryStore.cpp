#include "storage/HistoryStore.hpp"

#include "storage/Sqlite.hpp"

#include <algorithm>
#include <utility>

namespace tinyice::storage {
namespace {

constexpr std::size_t max_recent = 1000;

void write_plays(Database& database, const std::vector<PlayRecord>& batch) {
    database.with([&](SQLite::Database& db) {
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

} // namespace

HistoryStore::HistoryStore(Database& db) : HistoryStore(db, max_queued) {}

HistoryStore::HistoryStore(Database& db, std::size_t queue_limit)
    : db_(db), writer_(db, "play history", "plays", queue_limit,
                       [&db](const std::vector<PlayRecord>& batch) { write_plays(db, batch); }) {}

HistoryStore::~HistoryStore() = default;

void HistoryStore::record(PlayRecord play) {
    writer_.push(std::move(play));
}

void HistoryStore::flush() {
    writer_.flush();
}

std::uint64_t HistoryStore::dropped() const {
    return writer_.dropped();
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
