#pragma once
// The audit log: who did what, from where, when (logins, stream kicks, user and rule changes,
// settings). Rows are written by a background thread like the play history, so auditing never
// makes a request wait for the disk; readers query directly.
//
// record() never throws for its content: fields a client may control (a login name that was
// tried, a user agent in the detail) are clipped to the max_* sizes below, never refused.

#include "storage/BackgroundWriter.hpp"
#include "storage/Database.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::storage {

struct AuditRecord {
    std::int64_t id = 0;  // assigned by the database; grows with every record
    std::int64_t at = 0;  // unix ms; 0 in record() = now
    std::string username; // who; "" = nobody logged in
    std::string ip;
    std::string category; // "auth", "streams", "autodj", "transcoders", "users", "security",
                          // "settings", "listeners"
    std::string action;   // "login_failed", "kick", "ban", ...
    std::string target;   // what it was done to: a mount, a user name, a network
    std::string detail;   // JSON text; "" = none
    bool operator==(const AuditRecord&) const = default;
};

class AuditStore {
public:
    static constexpr std::size_t max_username_bytes = 128;
    static constexpr std::size_t max_ip_bytes = 64;
    static constexpr std::size_t max_category_bytes = 32;
    static constexpr std::size_t max_action_bytes = 64;
    static constexpr std::size_t max_target_bytes = 256;
    // A longer detail is replaced by {"truncated":true,"bytes":<its size>}: cutting JSON text
    // would leave it unparseable.
    static constexpr std::size_t max_detail_bytes = 8192;
    static constexpr std::size_t max_query = 500;

    // `queue_limit`: pending records beyond which record() drops (and counts) new ones.
    explicit AuditStore(Database& db, std::size_t queue_limit = 10000);
    ~AuditStore(); // writes what is queued, then stops the writer
    AuditStore(const AuditStore&) = delete;
    AuditStore& operator=(const AuditStore&) = delete;

    // Queues a record; never blocks on I/O. The record's id is ignored.
    void record(AuditRecord r);
    // Returns once every record queued before the call is written.
    void flush();

    // Newest first. `category` "" = all; `before_id` > 0 = only older records (ids below it:
    // pass the last id of the previous page); `limit` is capped at max_query.
    [[nodiscard]] std::vector<AuditRecord> query(std::string_view category, std::size_t limit,
                                                 std::int64_t before_id = 0) const;
    // Deletes records older than `older_than_ms`; returns how many.
    std::size_t prune(std::int64_t older_than_ms);
    // Records refused because the queue was full, plus records whose write failed.
    [[nodiscard]] std::uint64_t dropped() const;

private:
    Database& db_;
    detail::BackgroundWriter<AuditRecord> writer_; // last: its thread writes through db_
};

} // namespace tinyice::storage
