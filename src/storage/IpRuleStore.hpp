#pragma once
// IP ban and allow rules: those an administrator adds and the temporary bans of the login and
// scan lockouts, so they survive a restart. The network is kept as text exactly as given; the
// security layer parses it (a rule it cannot parse is its to report, not a storage error).

#include "storage/Database.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::storage {

struct IpRule {
    std::int64_t id = 0;         // assigned by add()
    std::string kind;            // "ban" or "allow"
    std::string network;         // "10.0.0.0/8", "::1"
    std::string reason;          // free text; clipped to max_reason_bytes
    std::string source;          // "manual", "login_lockout" or "scan_lockout"
    std::int64_t created_at = 0; // unix ms; 0 in add() = now
    std::int64_t expires_at = 0; // unix ms; 0 = permanent
    std::string created_by;      // a user name; "" for the lockouts
    bool operator==(const IpRule&) const = default;
};

class IpRuleStore {
public:
    static constexpr std::size_t max_network_bytes = 64;
    static constexpr std::size_t max_reason_bytes = 512;
    static constexpr std::size_t max_created_by_bytes = 128;

    explicit IpRuleStore(Database& db);

    // All rules, including expired ones, by id.
    [[nodiscard]] std::vector<IpRule> list() const;
    // Returns the id. Throws StorageError for an unknown kind or source and for an empty or
    // over-long network or created_by.
    std::int64_t add(const IpRule& r);
    bool remove(std::int64_t id);
    // Deletes the rules with 0 < expires_at <= now; returns how many.
    std::size_t remove_expired(std::int64_t now);

private:
    Database& db_;
};

} // namespace tinyice::storage
