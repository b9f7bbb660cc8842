#include "server/Accounts.hpp"

#include "protocol/http/Ascii.hpp"
#include "security/PasswordHash.hpp"
#include "security/Tokens.hpp"
#include "server/AccessControl.hpp"
#include "storage/Database.hpp"
#include "util/Log.hpp"

#include <algorithm>

namespace tinyice::server {

namespace {

constexpr std::int64_t cache_ms = 15000;       // re-read a session or token this often
constexpr std::int64_t touch_every_ms = 60000; // write last_seen_at at most this often
constexpr std::size_t max_cached = 10000;

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

} // namespace

Accounts::Accounts(const config::Config& cfg, Stores stores, AccessControl& access)
    : config_(cfg), stores_(stores), access_(access), idle_(cfg.http.session_idle_minutes),
      max_age_(cfg.http.session_max_hours),
      // Unknown user names are checked against this, so they take as long as known ones.
      dummy_hash_(security::hash_password(security::random_token(16))) {}

http::Principal Accounts::builtin_admin() const {
    http::Principal p;
    p.role = http::Principal::Role::superadmin;
    p.user = config_.auth.admin_user;
    p.user_id = 0;
    return p;
}

std::optional<http::Principal> Accounts::principal_of(const storage::UserRecord& u) const {
    if (u.disabled) {
        return std::nullopt;
    }
    auto role = http::role_from_string(u.role);
    if (!role) {
        return std::nullopt;
    }
    http::Principal p;
    p.role = *role;
    p.user = u.username;
    p.user_id = u.id;
    p.mounts = u.mounts;
    return p;
}

std::optional<http::Principal> Accounts::lookup_user(std::string_view username) const {
    if (username == config_.auth.admin_user) {
        return builtin_admin();
    }
    auto u = stores_.users.find(username);
    if (!u) {
        return std::nullopt;
    }
    return principal_of(*u);
}

std::optional<http::Principal> Accounts::check_password(std::string_view username,
                                                        std::string_view password) {
    if (username.empty() || password.empty() || password.size() > max_password_length ||
        username.size() > storage::UserStore::max_username_bytes) {
        return std::nullopt;
    }
    const std::string pw(password);
    if (username == config_.auth.admin_user) {
        if (security::verify_password(pw, config_.auth.admin_password)) {
            return builtin_admin();
        }
        return std::nullopt;
    }
    auto u = stores_.users.find(username);
    if (!u || u->disabled) {
        (void)security::verify_password(pw, dummy_hash_);
        return std::nullopt;
    }
    if (!security::verify_password(pw, u->password_hash)) {
        return std::nullopt;
    }
    stores_.users.touch_login(u->id, storage::unix_ms_now());
    return principal_of(*u);
}

Accounts::Session Accounts::create_session(const http::Principal& who, std::string_view ip,
                                           std::string_view user_agent) {
    Session s;
    s.token = security::random_token(32);
    s.csrf = security::random_token(24);
    const auto now = storage::unix_ms_now();
    s.expires_at = now + std::chrono::duration_cast<std::chrono::milliseconds>(max_age_).count();
    storage::SessionRecord rec;
    rec.token_hash = security::sha256_hex(s.token);
    rec.username = who.user;
    rec.csrf = s.csrf;
    rec.created_at = now;
    rec.last_seen_at = now;
    rec.expires_at = s.expires_at;
    rec.ip = std::string(ip);
    rec.user_agent = std::string(user_agent.substr(0, 512));
    stores_.sessions.create(rec);
    return s;
}

std::optional<http::Principal> Accounts::from_session(std::string_view token) {
    if (token.empty() || token.size() > 128) {
        return std::nullopt;
    }
    const auto hash = security::sha256_hex(token);
    const auto now = storage::unix_ms_now();
    const auto idle_ms = std::chrono::duration_cast<std::chrono::milliseconds>(idle_).count();
    std::uint64_t generation = 0;
    {
        std::lock_guard lock(cache_mutex_);
        generation = cache_generation_;
        if (auto it = cache_.find(hash); it != cache_.end()) {
            auto& c = it->second;
            if (c.valid_until > steady_ms() && now < c.expires_at) {
                if (now - c.last_touch > touch_every_ms) {
                    c.last_touch = now;
                    stores_.sessions.touch(hash, now);
                }
                return c.principal;
            }
            cache_.erase(it);
        }
    }
    auto rec = stores_.sessions.find(hash);
    if (!rec) {
        return std::nullopt;
    }
    if (now >= rec->expires_at || now - rec->last_seen_at > idle_ms) {
        stores_.sessions.remove(hash);
        return std::nullopt;
    }
    auto who = lookup_user(rec->username);
    if (!who) {
        stores_.sessions.remove(hash);
        return std::nullopt;
    }
    who->via = http::Principal::Via::session;
    who->csrf = rec->csrf;
    std::int64_t touched = rec->last_seen_at;
    if (now - rec->last_seen_at > touch_every_ms) {
        stores_.sessions.touch(hash, now);
        touched = now;
    }
    std::lock_guard lock(cache_mutex_);
    if (cache_generation_ != generation) {
        return who; // a session or user was ended meanwhile: do not cache what was read before
    }
    if (cache_.size() >= max_cached) {
        cache_.clear();
    }
    cache_[hash] = Cached{*who, steady_ms() + cache_ms, rec->expires_at, touched, 0};
    return who;
}

void Accounts::end_session(std::string_view token) {
    if (token.empty() || token.size() > 128) {
        return;
    }
    const auto hash = security::sha256_hex(token);
    {
        std::lock_guard lock(cache_mutex_);
        cache_.erase(hash);
        ++cache_generation_;
    }
    stores_.sessions.remove(hash);
}

std::optional<http::Principal> Accounts::from_token(std::string_view token, std::string_view ip) {
    if (!token.starts_with(token_prefix) || token.size() > 128) {
        return std::nullopt;
    }
    const auto hash = security::sha256_hex(token);
    const auto now = storage::unix_ms_now();
    std::uint64_t generation = 0;
    {
        std::lock_guard lock(cache_mutex_);
        generation = cache_generation_;
        if (auto it = cache_.find(hash); it != cache_.end()) {
            auto& c = it->second;
            if (c.valid_until > steady_ms() && (c.expires_at == 0 || now < c.expires_at)) {
                if (now - c.last_touch > touch_every_ms) {
                    c.last_touch = now;
                    stores_.tokens.touch(c.token_id, now, ip);
                }
                return c.principal;
            }
            cache_.erase(it);
        }
    }
    auto rec = stores_.tokens.find_by_hash(hash);
    if (!rec || rec->revoked_at != 0 || (rec->expires_at != 0 && now >= rec->expires_at)) {
        return std::nullopt;
    }
    auto who = lookup_user(rec->username);
    if (!who) {
        return std::nullopt;
    }
    who->via = http::Principal::Via::token;
    stores_.tokens.touch(rec->id, now, ip);
    std::lock_guard lock(cache_mutex_);
    if (cache_generation_ != generation) {
        return who; // a session or user was ended meanwhile: do not cache what was read before
    }
    if (cache_.size() >= max_cached) {
        cache_.clear();
    }
    cache_[hash] = Cached{*who, steady_ms() + cache_ms, rec->expires_at, now, rec->id};
    return who;
}

void Accounts::forget_cached(std::string_view username) {
    std::lock_guard lock(cache_mutex_);
    ++cache_generation_;
    std::erase_if(cache_, [username](const auto& kv) {
        return protocol::http::iequals(kv.second.principal.user, username);
    });
}

void Accounts::end_user_sessions(std::string_view username) {
    stores_.sessions.remove_user(username);
    forget_cached(username);
}

std::size_t Accounts::prune_sessions() {
    const auto idle_ms = std::chrono::duration_cast<std::chrono::milliseconds>(idle_).count();
    return stores_.sessions.prune(storage::unix_ms_now(), idle_ms);
}

void Accounts::audit(const http::Request& req, std::string_view category, std::string_view action,
                     std::string_view target, std::string detail) {
    if (stores_.audit == nullptr) {
        return;
    }
    storage::AuditRecord r;
    r.at = storage::unix_ms_now();
    r.username = req.principal.user;
    r.ip = req.client_ip;
    r.category = std::string(category);
    r.action = std::string(action);
    r.target = std::string(target);
    r.detail = std::move(detail);
    stores_.audit->record(std::move(r));
}

} // namespace tinyice::server
