#include "storage/ListenerStatsStore.hpp"

#include "storage/Sqlite.hpp"
#include "storage/TextFields.hpp"

#include <algorithm>
#include <limits>

namespace tinyice::storage {
namespace {

constexpr std::int64_t ms_per_minute = 60000;

// ceil(a / b) for b > 0 (C++ division already rounds negative quotients up).
constexpr std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
    return a / b + (a % b > 0 ? 1 : 0);
}

// The first minute that starts at or after `ms`: minutes in [from, to) are
// [first_minute_at(from), first_minute_at(to)).
constexpr std::int64_t first_minute_at(std::int64_t ms) {
    return ceil_div(ms, ms_per_minute);
}

std::int64_t duration_ms(std::int64_t started_at, std::int64_t ended_at) {
    if (ended_at <= started_at) {
        return 0;
    }
    std::int64_t d = 0;
    return __builtin_sub_overflow(ended_at, started_at, &d)
               ? std::numeric_limits<std::int64_t>::max()
               : d;
}

// A loose index scan: the distinct mounts of a table, found by one index seek each (MIN() over
// an index is a seek) rather than by reading every row, then only those with a row in the
// range. Mounts are few, rows are many.
constexpr const char* mounts_sql = R"sql(
WITH RECURSIVE
  minute_mounts(mount) AS (
    SELECT (SELECT MIN(mount) FROM listener_minutes)
    UNION ALL
    SELECT (SELECT MIN(l.mount) FROM listener_minutes l WHERE l.mount > minute_mounts.mount)
      FROM minute_mounts WHERE minute_mounts.mount IS NOT NULL),
  session_mounts(mount) AS (
    SELECT (SELECT MIN(mount) FROM listener_sessions)
    UNION ALL
    SELECT (SELECT MIN(s.mount) FROM listener_sessions s WHERE s.mount > session_mounts.mount)
      FROM session_mounts WHERE session_mounts.mount IS NOT NULL)
SELECT mount FROM minute_mounts
 WHERE mount IS NOT NULL AND EXISTS (
    SELECT 1 FROM listener_minutes l
     WHERE l.mount = minute_mounts.mount AND l.minute >= :first_minute AND l.minute < :end_minute)
UNION
SELECT mount FROM session_mounts
 WHERE mount IS NOT NULL AND EXISTS (
    SELECT 1 FROM listener_sessions s
     WHERE s.mount = session_mounts.mount AND s.started_at >= :from AND s.started_at < :to)
ORDER BY mount
)sql";

} // namespace

ListenerStatsStore::ListenerStatsStore(Database& db, std::size_t queue_limit)
    : db_(db), writer_(db, "listener statistics", "listener statistics rows", queue_limit,
                       [&db](const std::vector<Row>& batch) { write_rows(db, batch); }) {}

ListenerStatsStore::~ListenerStatsStore() = default;

void ListenerStatsStore::record_session(ListenerSessionRecord s) {
    detail::clip_utf8(s.mount, detail::max_mount_bytes);
    detail::clip_utf8(s.user_agent, max_user_agent_bytes);
    detail::clip_utf8(s.ip_anon, max_ip_bytes);
    writer_.push(std::move(s));
}

void ListenerStatsStore::record_minute(std::string_view mount, std::int64_t minute,
                                       std::uint64_t listeners) {
    MinuteSample sample{.mount = std::string(mount), .minute = minute, .listeners = listeners};
    detail::clip_utf8(sample.mount, detail::max_mount_bytes);
    writer_.push(std::move(sample));
}

void ListenerStatsStore::flush() {
    writer_.flush();
}

std::uint64_t ListenerStatsStore::dropped() const {
    return writer_.dropped();
}

void ListenerStatsStore::write_rows(Database& database, const std::vector<Row>& batch) {
    database.with([&](SQLite::Database& db) {
        SQLite::Transaction tx(db);
        SQLite::Statement session(db, "INSERT INTO listener_sessions (mount, started_at, "
                                      "ended_at, duration_ms, user_agent, ip_anon, bytes) "
                                      "VALUES (?, ?, ?, ?, ?, ?, ?)");
        SQLite::Statement minute(db, "INSERT INTO listener_minutes (mount, minute, listeners) "
                                     "VALUES (?, ?, ?) ON CONFLICT (mount, minute) "
                                     "DO UPDATE SET listeners = excluded.listeners");
        for (const Row& row : batch) {
            if (const auto* s = std::get_if<ListenerSessionRecord>(&row)) {
                session.bindNoCopy(1, s->mount);
                session.bind(2, s->started_at);
                session.bind(3, s->ended_at);
                session.bind(4, duration_ms(s->started_at, s->ended_at));
                session.bindNoCopy(5, s->user_agent);
                session.bindNoCopy(6, s->ip_anon);
                session.bind(7, detail::to_i64(s->bytes));
                session.exec();
                session.reset();
            } else {
                const auto& m = std::get<MinuteSample>(row);
                minute.bindNoCopy(1, m.mount);
                minute.bind(2, m.minute);
                minute.bind(3, detail::to_i64(m.listeners));
                minute.exec();
                minute.reset();
            }
        }
        tx.commit();
    });
}

std::vector<ListenerPoint> ListenerStatsStore::series(std::string_view mount, std::int64_t from,
                                                      std::int64_t to,
                                                      std::int64_t bucket_ms) const {
    from = std::max<std::int64_t>(from, 0); // also keeps to - from from overflowing
    if (to <= from) {
        return {};
    }
    bucket_ms = std::max({bucket_ms, ms_per_minute, ceil_div(to - from, max_series_points)});
    const std::int64_t first_minute = first_minute_at(from);
    const std::int64_t end_minute = first_minute_at(to);

    return db_.with([&](SQLite::Database& db) {
        // Rows come in minute order (a walk of the primary key or of the minute index), so
        // buckets are completed one after the other without sorting.
        SQLite::Statement st(
            db, mount.empty() ? "SELECT minute, TOTAL(listeners) FROM listener_minutes "
                                "WHERE minute >= ? AND minute < ? GROUP BY minute ORDER BY minute"
                              : "SELECT minute, listeners FROM listener_minutes "
                                "WHERE minute >= ? AND minute < ? AND mount = ? ORDER BY minute");
        st.bind(1, first_minute);
        st.bind(2, end_minute);
        if (!mount.empty()) {
            detail::bind_text(st, 3, mount);
        }
        std::vector<ListenerPoint> out;
        std::int64_t bucket = -1;
        double sum = 0;
        std::int64_t minutes = 0;
        const auto finish_bucket = [&] {
            if (minutes > 0) {
                out.push_back(ListenerPoint{.at = from + bucket * bucket_ms,
                                            .listeners = sum / static_cast<double>(minutes)});
            }
        };
        while (st.executeStep()) {
            // minute * 60000 is in [from, to), so neither this nor the bucket start overflows.
            const std::int64_t at = st.getColumn(0).getInt64() * ms_per_minute;
            const std::int64_t b = (at - from) / bucket_ms;
            if (b != bucket) {
                finish_bucket();
                bucket = b;
                sum = 0;
                minutes = 0;
            }
            sum += st.getColumn(1).getDouble();
            ++minutes;
        }
        finish_bucket();
        return out;
    });
}

std::vector<std::pair<std::string, std::uint64_t>>
ListenerStatsStore::top_user_agents(std::int64_t from, std::int64_t to, std::size_t limit) const {
    limit = std::min(limit, max_top_user_agents);
    if (limit == 0 || to <= from) {
        return {};
    }
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, "SELECT user_agent, COUNT(*) AS sessions FROM listener_sessions "
                                 "WHERE started_at >= ? AND started_at < ? GROUP BY user_agent "
                                 "ORDER BY sessions DESC, user_agent LIMIT ?");
        st.bind(1, from);
        st.bind(2, to);
        st.bind(3, static_cast<std::int64_t>(limit));
        std::vector<std::pair<std::string, std::uint64_t>> out;
        while (st.executeStep()) {
            out.emplace_back(st.getColumn(0).getString(),
                             static_cast<std::uint64_t>(st.getColumn(1).getInt64()));
        }
        return out;
    });
}

ListenerStatsStore::Summary ListenerStatsStore::summary(std::string_view mount, std::int64_t from,
                                                        std::int64_t to) const {
    if (to <= from) {
        return {};
    }
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, mount.empty()
                                     ? "SELECT COUNT(*), TOTAL(duration_ms) FROM listener_sessions "
                                       "WHERE started_at >= ? AND started_at < ?"
                                     : "SELECT COUNT(*), TOTAL(duration_ms) FROM listener_sessions "
                                       "WHERE started_at >= ? AND started_at < ? AND mount = ?");
        st.bind(1, from);
        st.bind(2, to);
        if (!mount.empty()) {
            detail::bind_text(st, 3, mount);
        }
        st.executeStep();
        Summary out;
        out.sessions = static_cast<std::uint64_t>(st.getColumn(0).getInt64());
        // TOTAL() is a double and never overflows; a double holds any plausible sum of
        // milliseconds exactly (up to 2^53, some 285 000 years).
        const double total_ms = st.getColumn(1).getDouble();
        out.total_seconds = static_cast<std::uint64_t>(total_ms / 1000.0);
        if (out.sessions > 0) {
            out.average_seconds = total_ms / 1000.0 / static_cast<double>(out.sessions);
        }
        return out;
    });
}

std::vector<std::string> ListenerStatsStore::mounts(std::int64_t from, std::int64_t to) const {
    if (to <= from) {
        return {};
    }
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, mounts_sql);
        st.bind(":first_minute", first_minute_at(from));
        st.bind(":end_minute", first_minute_at(to));
        st.bind(":from", from);
        st.bind(":to", to);
        std::vector<std::string> out;
        while (st.executeStep()) {
            out.push_back(st.getColumn(0).getString());
        }
        return out;
    });
}

std::size_t ListenerStatsStore::prune(std::int64_t older_than_ms) {
    return db_.with([&](SQLite::Database& db) {
        SQLite::Transaction tx(db);
        SQLite::Statement sessions(db, "DELETE FROM listener_sessions WHERE started_at < ?");
        sessions.bind(1, older_than_ms);
        std::size_t deleted = static_cast<std::size_t>(sessions.exec());
        SQLite::Statement minutes(db, "DELETE FROM listener_minutes WHERE minute < ?");
        minutes.bind(1, first_minute_at(older_than_ms));
        deleted += static_cast<std::size_t>(minutes.exec());
        tx.commit();
        return deleted;
    });
}

} // namespace tinyice::storage
