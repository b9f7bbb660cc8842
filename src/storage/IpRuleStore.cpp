#include "storage/IpRuleStore.hpp"

#include "storage/Sqlite.hpp"
#include "storage/TextFields.hpp"

namespace tinyice::storage {

IpRuleStore::IpRuleStore(Database& db) : db_(db) {}

std::vector<IpRule> IpRuleStore::list() const {
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, "SELECT id, kind, network, reason, source, created_at, "
                                 "expires_at, created_by FROM ip_rules ORDER BY id");
        std::vector<IpRule> out;
        while (st.executeStep()) {
            out.push_back(IpRule{
                .id = st.getColumn(0).getInt64(),
                .kind = st.getColumn(1).getString(),
                .network = st.getColumn(2).getString(),
                .reason = st.getColumn(3).getString(),
                .source = st.getColumn(4).getString(),
                .created_at = st.getColumn(5).getInt64(),
                .expires_at = st.getColumn(6).getInt64(),
                .created_by = st.getColumn(7).getString(),
            });
        }
        return out;
    });
}

std::int64_t IpRuleStore::add(const IpRule& r) {
    detail::check_one_of("rule kind", r.kind, {"ban", "allow"});
    detail::check_one_of("rule source", r.source, {"manual", "login_lockout", "scan_lockout"});
    detail::check_length("rule network", r.network, max_network_bytes);
    detail::check_printable("rule network", r.network);
    detail::check_length("rule created_by", r.created_by, max_created_by_bytes, false);
    std::string reason = r.reason;
    detail::clip_utf8(reason, max_reason_bytes);
    const std::int64_t created_at = r.created_at != 0 ? r.created_at : unix_ms_now();
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, "INSERT INTO ip_rules (kind, network, reason, source, "
                                 "created_at, expires_at, created_by) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?)");
        st.bindNoCopy(1, r.kind);
        st.bindNoCopy(2, r.network);
        st.bindNoCopy(3, reason);
        st.bindNoCopy(4, r.source);
        st.bind(5, created_at);
        st.bind(6, r.expires_at);
        st.bindNoCopy(7, r.created_by);
        st.exec();
        return db.getLastInsertRowid();
    });
}

bool IpRuleStore::remove(std::int64_t id) {
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, "DELETE FROM ip_rules WHERE id = ?");
        st.bind(1, id);
        return st.exec() > 0;
    });
}

std::size_t IpRuleStore::remove_expired(std::int64_t now) {
    return db_.with([&](SQLite::Database& db) {
        // "expires_at > 0" also lets SQLite use the partial index.
        SQLite::Statement st(db, "DELETE FROM ip_rules WHERE expires_at > 0 AND expires_at <= ?");
        st.bind(1, now);
        return static_cast<std::size_t>(st.exec());
    });
}

} // namespace tinyice::storage
