#pragma once
// Accounts of the web interface and the API: a name, a crypt(3) password hash, a role and,
// for DJs, the mounts they own. The administrator of the config file (auth.admin_user) is not
// stored here.
//
// User names are unique and looked up case-insensitively ("Admin" finds "admin"; only ASCII
// letters are folded), and kept as first written. Invalid input (an empty or over-long name, an
// unknown role, ...) is refused with a StorageError naming the field.

#include "storage/Database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::storage {

struct UserRecord {
    std::int64_t id = 0; // assigned by create()
    std::string username;
    std::string password_hash;       // crypt(3) hash; never empty
    std::string role;                // "superadmin", "admin" or "dj"
    std::vector<std::string> mounts; // the mounts a DJ owns ("/live")
    bool disabled = false;
    std::int64_t created_at = 0;    // unix ms; 0 in create() = now
    std::int64_t updated_at = 0;    // unix ms; 0 in create() = created_at
    std::int64_t last_login_at = 0; // unix ms; 0 = never
    bool operator==(const UserRecord&) const = default;
};

class UserStore {
public:
    static constexpr std::size_t max_username_bytes = 64;
    static constexpr std::size_t max_password_hash_bytes = 512;
    static constexpr std::size_t max_mounts = 1000; // per user

    explicit UserStore(Database& db);

    // Every user, by name (case-insensitively).
    [[nodiscard]] std::vector<UserRecord> list() const;
    [[nodiscard]] std::optional<UserRecord> find(std::string_view username) const;
    [[nodiscard]] std::optional<UserRecord> get(std::int64_t id) const;

    // Creates; returns the id, or nullopt when the username exists (case-insensitively). The
    // record's id is ignored.
    std::optional<std::int64_t> create(const UserRecord& u);
    // By id: writes username, role, mounts and disabled, and sets updated_at to now. Not the
    // password (set_password), created_at, or last_login_at (touch_login: a page edited while
    // the user logs in must not roll the login time back). A rename carries the user's sessions
    // and API tokens along (they are keyed by name). False when the id does not exist; throws
    // StorageError `username "x" is already taken` when another user has the new name.
    bool update(const UserRecord& u);
    // Also sets updated_at to now. False when the id does not exist.
    bool set_password(std::int64_t id, std::string_view hash);
    // Deletes the user with its sessions and API tokens (one transaction), so a later account
    // of the same name inherits nothing. False when the id does not exist.
    bool remove(std::int64_t id);
    // Records a login; an older `at` than the stored one is ignored.
    void touch_login(std::int64_t id, std::int64_t at);
    [[nodiscard]] std::size_t count() const;

private:
    Database& db_;
};

} // namespace tinyice::storage
