#include "storage/LibraryStore.hpp"

#include "storage/Sqlite.hpp"

#include <cmath>
#include <utility>

namespace tinyice::storage {
namespace {

constexpr const char* track_columns =
    "path, artist, title, album, genre, date, track_no, duration, mtime, size, rg_track_gain, "
    "rg_track_peak, loudness_lufs, loudness_peak, error, added_at";

// Reads a row selected with track_columns.
TrackRecord read_track(const SQLite::Statement& st) {
    TrackRecord t;
    t.path = st.getColumn(0).getString();
    t.artist = st.getColumn(1).getString();
    t.title = st.getColumn(2).getString();
    t.album = st.getColumn(3).getString();
    t.genre = st.getColumn(4).getString();
    t.date = st.getColumn(5).getString();
    t.track_no = st.getColumn(6).getString();
    t.duration = st.getColumn(7).getDouble();
    t.mtime = st.getColumn(8).getInt64();
    t.size = st.getColumn(9).getInt64();
    t.rg_track_gain_db = detail::optional_double(st.getColumn(10));
    t.rg_track_peak = detail::optional_double(st.getColumn(11));
    t.loudness_lufs = detail::optional_double(st.getColumn(12));
    t.loudness_peak = detail::optional_double(st.getColumn(13));
    t.error = st.getColumn(14).getString();
    t.added_at = st.getColumn(15).getInt64();
    return t;
}

// Tags, stamp, ReplayGain and error always come from the new record. added_at is the first
// sighting's. Loudness belongs to the audio: a changed stamp means new audio, so the old
// measurement goes; an unchanged one keeps it unless the record brings a measurement.
constexpr const char* upsert_sql = R"sql(
INSERT INTO library_tracks (root, path, artist, title, album, genre, date, track_no, duration,
                            mtime, size, rg_track_gain, rg_track_peak, loudness_lufs,
                            loudness_peak, error, added_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
ON CONFLICT (root, path) DO UPDATE SET
    artist = excluded.artist,
    title = excluded.title,
    album = excluded.album,
    genre = excluded.genre,
    date = excluded.date,
    track_no = excluded.track_no,
    duration = excluded.duration,
    mtime = excluded.mtime,
    size = excluded.size,
    rg_track_gain = excluded.rg_track_gain,
    rg_track_peak = excluded.rg_track_peak,
    loudness_lufs = CASE
        WHEN mtime <> excluded.mtime OR size <> excluded.size THEN NULL
        WHEN excluded.loudness_lufs IS NOT NULL THEN excluded.loudness_lufs
        ELSE loudness_lufs END,
    loudness_peak = CASE
        WHEN mtime <> excluded.mtime OR size <> excluded.size THEN NULL
        WHEN excluded.loudness_lufs IS NOT NULL THEN excluded.loudness_peak
        ELSE loudness_peak END,
    error = excluded.error
)sql";

std::int64_t to_limit(std::size_t limit) {
    return detail::to_i64(limit);
}

} // namespace

LibraryStore::LibraryStore(Database& db, std::string root) : db_(db), root_(std::move(root)) {}

std::vector<TrackRecord> LibraryStore::all() const {
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, std::string("SELECT ") + track_columns +
                                     " FROM library_tracks WHERE root = ? ORDER BY path");
        st.bind(1, root_);
        std::vector<TrackRecord> out;
        while (st.executeStep()) {
            out.push_back(read_track(st));
        }
        return out;
    });
}

std::optional<TrackRecord> LibraryStore::find(std::string_view path) const {
    return db_.with([&](SQLite::Database& db) -> std::optional<TrackRecord> {
        SQLite::Statement st(db, std::string("SELECT ") + track_columns +
                                     " FROM library_tracks WHERE root = ? AND path = ?");
        st.bind(1, root_);
        detail::bind_text(st, 2, path);
        if (!st.executeStep()) {
            return std::nullopt;
        }
        return read_track(st);
    });
}

std::unordered_map<std::string, FileStamp> LibraryStore::stamps() const {
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, "SELECT path, mtime, size FROM library_tracks WHERE root = ?");
        st.bind(1, root_);
        std::unordered_map<std::string, FileStamp> out;
        while (st.executeStep()) {
            out.emplace(st.getColumn(0).getString(),
                        FileStamp{st.getColumn(1).getInt64(), st.getColumn(2).getInt64()});
        }
        return out;
    });
}

void LibraryStore::upsert(const std::vector<TrackRecord>& tracks) {
    if (tracks.empty()) {
        return;
    }
    const std::int64_t now = unix_ms_now();
    db_.with([&](SQLite::Database& db) {
        SQLite::Transaction tx(db);
        SQLite::Statement st(db, upsert_sql);
        for (const TrackRecord& t : tracks) {
            st.bindNoCopy(1, root_);
            st.bindNoCopy(2, t.path);
            st.bindNoCopy(3, t.artist);
            st.bindNoCopy(4, t.title);
            st.bindNoCopy(5, t.album);
            st.bindNoCopy(6, t.genre);
            st.bindNoCopy(7, t.date);
            st.bindNoCopy(8, t.track_no);
            st.bind(9, detail::finite_or(t.duration, 0));
            st.bind(10, t.mtime);
            st.bind(11, t.size);
            detail::bind_optional(st, 12, t.rg_track_gain_db);
            detail::bind_optional(st, 13, t.rg_track_peak);
            detail::bind_optional(st, 14, t.loudness_lufs);
            detail::bind_optional(st, 15, t.loudness_peak);
            st.bindNoCopy(16, t.error);
            st.bind(17, t.added_at > 0 ? t.added_at : now);
            st.exec();
            st.reset();
        }
        tx.commit();
    });
}

std::size_t LibraryStore::remove(const std::vector<std::string>& paths) {
    if (paths.empty()) {
        return 0;
    }
    return db_.with([&](SQLite::Database& db) {
        SQLite::Transaction tx(db);
        SQLite::Statement st(db, "DELETE FROM library_tracks WHERE root = ? AND path = ?");
        std::size_t removed = 0;
        for (const std::string& path : paths) {
            st.bindNoCopy(1, root_);
            st.bindNoCopy(2, path);
            removed += static_cast<std::size_t>(st.exec());
            st.reset();
        }
        tx.commit();
        return removed;
    });
}

std::vector<std::string> LibraryStore::needing_analysis(std::size_t limit) const {
    if (limit == 0) {
        return {};
    }
    return db_.with([&](SQLite::Database& db) {
        // Same condition as the partial index library_tracks_unanalysed, so it is used.
        SQLite::Statement st(db, "SELECT path FROM library_tracks WHERE root = ? AND error = '' "
                                 "AND rg_track_gain IS NULL AND loudness_lufs IS NULL "
                                 "ORDER BY path LIMIT ?");
        st.bind(1, root_);
        st.bind(2, to_limit(limit));
        std::vector<std::string> out;
        while (st.executeStep()) {
            out.push_back(st.getColumn(0).getString());
        }
        return out;
    });
}

void LibraryStore::set_loudness(std::string_view path, double lufs, double peak) {
    // NaN would be stored as NULL and the track handed to the analyser again forever. Silence
    // measures -inf LUFS, which SQLite stores faithfully.
    if (std::isnan(lufs) || std::isnan(peak)) {
        throw StorageError(root_ + ": loudness of " + std::string(path) + " is not a number");
    }
    db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, "UPDATE library_tracks SET loudness_lufs = ?, loudness_peak = ? "
                                 "WHERE root = ? AND path = ?");
        st.bind(1, lufs);
        st.bind(2, peak);
        st.bind(3, root_);
        detail::bind_text(st, 4, path);
        st.exec();
    });
}

LibraryStats LibraryStore::stats() const {
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, R"sql(
SELECT COUNT(*) FILTER (WHERE error = ''),
       COUNT(*) FILTER (WHERE error <> ''),
       COUNT(DISTINCT artist) FILTER (WHERE error = '' AND artist <> ''),
       COUNT(DISTINCT album) FILTER (WHERE error = '' AND album <> ''),
       TOTAL(duration) FILTER (WHERE error = ''),
       COUNT(*) FILTER (WHERE error = '' AND rg_track_gain IS NULL AND loudness_lufs IS NULL)
FROM library_tracks WHERE root = ?)sql");
        st.bind(1, root_);
        st.executeStep();
        LibraryStats s;
        s.tracks = static_cast<std::size_t>(st.getColumn(0).getInt64());
        s.unreadable = static_cast<std::size_t>(st.getColumn(1).getInt64());
        s.artists = static_cast<std::size_t>(st.getColumn(2).getInt64());
        s.albums = static_cast<std::size_t>(st.getColumn(3).getInt64());
        s.total_duration = st.getColumn(4).getDouble();
        s.needing_analysis = static_cast<std::size_t>(st.getColumn(5).getInt64());
        return s;
    });
}

} // namespace tinyice::storage
