#include "storage/AuditStore.hpp"

#include "storage/Sqlite.hpp"
#include "storage/TextFields.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace tinyice::storage {
namespace {

void write_records(Database& database, const std::vector<AuditRecord>& batch) {
    database.with([&](SQLite::Database& db) {
        SQLite::Transaction tx(db);
        SQLite::Statement st(db, "INSERT INTO audit_log (at, username, ip, category, action, "
                                 "target, detail) VALUES (?, ?, ?, ?, ?, ?, ?)");
        for (const AuditRecord& r : batch) {
            st.bind(1, r.at);
            st.bindNoCopy(2, r.username);
            st.bindNoCopy(3, r.ip);
            st.bindNoCopy(4, r.category);
            st.bindNoCopy(5, r.action);
            st.bindNoCopy(6, r.target);
            st.bindNoCopy(7, r.detail);
            st.exec();
            st.reset();
        }
        tx.commit();
    });
}

} // namespace

AuditStore::AuditStore(Database& db, std::size_t queue_limit)
    : db_(db), writer_(db, "audit log", "audit records", queue_limit,
                       [&db](const std::vector<AuditRecord>& batch) { write_records(db, batch); }) {
}

AuditStore::~AuditStore() = default;

void AuditStore::record(AuditRecord r) {
    if (r.at == 0) {
        r.at = unix_ms_now();
    }
    detail::clip_utf8(r.username, max_username_bytes);
    detail::clip_utf8(r.ip, max_ip_bytes);
    detail::clip_utf8(r.category, max_category_bytes);
    detail::clip_utf8(r.action, max_action_bytes);
    detail::clip_utf8(r.target, max_target_bytes);
    if (r.detail.size() > max_detail_bytes) {
        r.detail = fmt::format(R"({{"truncated":true,"bytes":{}}})", r.detail.size());
    }
    writer_.push(std::move(r));
}

void AuditStore::flush() {
    writer_.flush();
}

std::uint64_t AuditStore::dropped() const {
    return writer_.dropped();
}

std::vector<AuditRecord> AuditStore::query(std::string_view category, std::size_t limit,
                                           std::int64_t before_id) const {
    limit = std::min(limit, max_query);
    if (limit == 0) {
        return {};
    }
    std::string sql = "SELECT id, at, username, ip, category, action, target, detail "
                      "FROM audit_log";
    const char* joiner = " WHERE ";
    if (!category.empty()) {
        sql += joiner;
        sql += "category = :category";
        joiner = " AND ";
    }
    if (before_id > 0) {
        sql += joiner;
        sql += "id < :before";
    }
    // Ids grow in recording order (the writer inserts in queue order), so this is newest first
    // even when clocks step back.
    sql += " ORDER BY id DESC LIMIT :limit";

    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, sql);
        if (!category.empty()) {
            st.bind(":category", std::string(category));
        }
        if (before_id > 0) {
            st.bind(":before", before_id);
        }
        st.bind(":limit", static_cast<std::int64_t>(limit));
        std::vector<AuditRecord> out;
        out.reserve(limit);
        while (st.executeStep()) {
            out.push_back(AuditRecord{
                .id = st.getColumn(0).getInt64(),
                .at = st.getColumn(1).getInt64(),
                .username = st.getColumn(2).getString(),
                .ip = st.getColumn(3).getString(),
                .category = st.getColumn(4).getString(),
                .action = st.getColumn(5).getString(),
                .target = st.getColumn(6).getString(),
                .detail = st.getColumn(7).getString(),
            });
        }
        return out;
    });
}

std::size_t AuditStore::prune(std::int64_t older_than_ms) {
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, "DELETE FROM audit_log WHERE at < ?");
        st.bind(1, older_than_ms);
        return static_cast<std::size_t>(st.exec());
    });
}

} // namespace tinyice::storage
