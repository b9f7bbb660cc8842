// JSON API: login sessions, users (superadmin), API tokens (docs/API.md, "Login sessions",
// "Users", "API tokens").

#include "protocol/http/Ascii.hpp"
#include "protocol/http/Cookies.hpp"
#include "protocol/http/Query.hpp"
#include "security/PasswordHash.hpp"
#include "security/Tokens.hpp"
#include "server/AccessControl.hpp"
#include "server/Accounts.hpp"
#include "storage/Database.hpp"
#include "util/Log.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>

namespace tinyice::server {

namespace json = boost::json;
using http::HttpError;
using http::Request;
using http::Response;

namespace {

json::object user_json(const http::Principal& p) {
    json::object u;
    u["username"] = p.user;
    u["role"] = http::to_string(p.role);
    json::array mounts;
    for (const auto& m : p.mounts) {
        mounts.emplace_back(m);
    }
    u["mounts"] = std::move(mounts);
    u["builtin"] = p.user_id == 0;
    return u;
}

json::object record_json(const storage::UserRecord& u) {
    json::object o;
    o["id"] = u.id;
    o["username"] = u.username;
    o["role"] = u.role;
    json::array mounts;
    for (const auto& m : u.mounts) {
        mounts.emplace_back(m);
    }
    o["mounts"] = std::move(mounts);
    o["disabled"] = u.disabled;
    o["created_at"] = u.created_at;
    o["last_login_at"] = u.last_login_at;
    o["builtin"] = false;
    return o;
}

json::object token_json(const storage::TokenRecord& t) {
    json::object o;
    o["id"] = t.id;
    o["username"] = t.username;
    o["name"] = t.name;
    o["prefix"] = t.prefix;
    o["created_at"] = t.created_at;
    o["last_used_at"] = t.last_used_at;
    o["last_used_ip"] = t.last_used_ip;
    o["expires_at"] = t.expires_at;
    o["revoked"] = t.revoked_at != 0;
    return o;
}

void check_username(std::string_view name) {
    if (name.empty() || name.size() > 64) {
        throw HttpError(400, "username: 1 to 64 characters");
    }
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '@';
        if (!ok) {
            throw HttpError(400, "username: only letters, digits, '.', '_', '-' and '@'");
        }
    }
    // Failed Basic logins as "source" are an encoder's wrong source password and never count
    // toward a lockout, so no account may carry that name.
    if (protocol::http::iequals(name, "source")) {
        throw HttpError(400, "username: 'source' is reserved for encoders");
    }
}

void check_password_policy(std::string_view pw) {
    if (pw.size() < Accounts::min_password_length) {
        throw HttpError(
            400, fmt::format("password: at least {} characters", Accounts::min_password_length));
    }
    if (pw.size() > Accounts::max_password_length) {
        throw HttpError(400, "password: too long");
    }
}

std::vector<std::string> read_mounts(const json::object& body) {
    std::vector<std::string> out;
    const auto* v = body.if_contains("mounts");
    if (v == nullptr || v->is_null()) {
        return out;
    }
    if (!v->is_array()) {
        throw HttpError(400, "mounts: expected an array of mount names");
    }
    for (const auto& m : v->as_array()) {
        if (!m.is_string()) {
            throw HttpError(400, "mounts: expected an array of mount names");
        }
        auto name = protocol::http::normalize_mount_path(std::string(m.as_string()));
        if (!name || *name == "/") {
            throw HttpError(400,
                            "mounts: '" + std::string(m.as_string()) + "' is not a mount name");
        }
        if (std::find(out.begin(), out.end(), *name) == out.end()) {
            out.push_back(*name);
        }
    }
    if (out.size() > 256) {
        throw HttpError(400, "mounts: at most 256");
    }
    return out;
}

std::int64_t parse_id(const std::string& text) {
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || v <= 0) {
        throw HttpError(400, "expected an id, got '" + text + "'");
    }
    return v;
}

std::string session_cookie(const Request& req, const std::string& value, std::int64_t max_age_s) {
    protocol::http::SetCookie c;
    c.name = std::string(Accounts::cookie_name);
    c.value = value;
    c.max_age = max_age_s;
    c.http_only = true;
    c.secure = req.secure;
    c.same_site = "Strict";
    return protocol::http::format_set_cookie(c);
}

std::string cookie_token(const Request& req) {
    if (auto h = req.header("cookie")) {
        return protocol::http::find_cookie(*h, Accounts::cookie_name).value_or("");
    }
    return {};
}

} // namespace

Response Accounts::api_login(Request& req) {
    // Only JSON: a cross-site form cannot send it without a CORS preflight we never grant.
    auto type = req.header("content-type").value_or("");
    if (!protocol::http::istarts_with(type, "application/json")) {
        throw HttpError(415, "send the credentials as JSON");
    }
    auto body = req.json_body();
    auto username = http::get_string(body, "username");
    auto password = http::get_string(body, "password");
    auto who = check_password(username, password);
    if (!who) {
        const bool locked = access_.login_failed(req.client_ip, username);
        audit(req, "auth", locked ? "login_failed_locked_out" : "login_failed", username);
        util::logger("auth")->warn("{}: failed login as '{}'{}", req.client_ip, username,
                                   locked ? " (address locked out)" : "");
        throw HttpError(401, "wrong user name or password");
    }
    // A success does not clear the address's failed logins: anyone with an account could
    // otherwise reset the count between guesses at somebody else's password.
    auto session = create_session(*who, req.client_ip, req.header("user-agent").value_or(""));
    req.principal = *who;
    audit(req, "auth", "login", who->user);
    util::logger("auth")->info("{}: '{}' logged in", req.client_ip, who->user);
    json::object o;
    o["user"] = user_json(*who);
    o["csrf"] = session.csrf;
    auto resp = Response::json(o);
    const auto max_age = std::chrono::duration_cast<std::chrono::seconds>(max_age_).count();
    resp.headers.emplace_back("Set-Cookie", session_cookie(req, session.token, max_age));
    return resp;
}

Response Accounts::api_whoami(Request& req) {
    if (!req.principal.logged_in()) {
        throw HttpError(401, "not logged in");
    }
    json::object o;
    o["user"] = user_json(req.principal);
    if (req.principal.via == http::Principal::Via::session) {
        o["csrf"] = req.principal.csrf;
    }
    return Response::json(o);
}

Response Accounts::api_logout(Request& req) {
    auto token = cookie_token(req);
    if (!token.empty()) {
        end_session(token);
        audit(req, "auth", "logout", req.principal.user);
    }
    auto resp = Response::no_content();
    resp.headers.emplace_back("Set-Cookie", session_cookie(req, "", 0));
    return resp;
}

Response Accounts::api_change_password(Request& req) {
    if (req.principal.user_id == 0) {
        throw HttpError(409, "the built-in administrator's password is set in the config file "
                             "(auth.admin_password)");
    }
    auto body = req.json_body();
    auto current = http::get_string(body, "current");
    auto password = http::get_string(body, "password");
    check_password_policy(password);
    if (!check_password(req.principal.user, current)) {
        access_.login_failed(req.client_ip, req.principal.user);
        throw HttpError(403, "the current password is wrong");
    }
    stores_.users.set_password(req.principal.user_id, security::hash_password(password));
    end_user_sessions(req.principal.user);
    audit(req, "users", "password_changed", req.principal.user);
    auto resp = Response::no_content();
    if (req.principal.via == http::Principal::Via::session) {
        auto session =
            create_session(req.principal, req.client_ip, req.header("user-agent").value_or(""));
        json::object o;
        o["user"] = user_json(req.principal);
        o["csrf"] = session.csrf;
        resp = Response::json(o);
        const auto max_age = std::chrono::duration_cast<std::chrono::seconds>(max_age_).count();
        resp.headers.emplace_back("Set-Cookie", session_cookie(req, session.token, max_age));
    }
    return resp;
}

Response Accounts::api_users(Request&) {
    json::array list;
    http::Principal builtin = builtin_admin();
    json::object b;
    b["id"] = 0;
    b["username"] = builtin.user;
    b["role"] = "superadmin";
    b["mounts"] = json::array();
    b["disabled"] = false;
    b["created_at"] = 0;
    b["last_login_at"] = 0;
    b["builtin"] = true;
    list.push_back(std::move(b));
    for (const auto& u : stores_.users.list()) {
        list.push_back(record_json(u));
    }
    json::object o;
    o["users"] = std::move(list);
    return Response::json(o);
}

Response Accounts::api_create_user(Request& req) {
    auto body = req.json_body();
    storage::UserRecord u;
    u.username = http::get_string(body, "username");
    check_username(u.username);
    if (protocol::http::iequals(u.username, config_.auth.admin_user)) {
        throw HttpError(409, "'" + u.username + "' is the built-in administrator's name");
    }
    auto password = http::get_string(body, "password");
    check_password_policy(password);
    u.role = http::get_string(body, "role", "dj");
    if (!http::role_from_string(u.role)) {
        throw HttpError(400, "role: superadmin, admin or dj");
    }
    u.mounts = read_mounts(body);
    u.disabled = http::get_bool(body, "disabled", false);
    u.password_hash = security::hash_password(password);
    auto id = stores_.users.create(u);
    if (!id) {
        throw HttpError(409, "a user named '" + u.username + "' exists already");
    }
    audit(req, "users", "user_created", u.username, fmt::format(R"({{"role":"{}"}})", u.role));
    return Response::json(record_json(*stores_.users.get(*id)), 201);
}

Response Accounts::api_update_user(Request& req) {
    const auto id = parse_id(req.param("id"));
    auto u = stores_.users.get(id);
    if (!u) {
        throw HttpError(404, "no such user");
    }
    auto body = req.json_body();
    bool end_sessions = false;
    if (body.contains("role")) {
        auto role = http::get_string(body, "role");
        if (!http::role_from_string(role)) {
            throw HttpError(400, "role: superadmin, admin or dj");
        }
        end_sessions = end_sessions || role != u->role;
        u->role = role;
    }
    if (body.contains("mounts")) {
        u->mounts = read_mounts(body);
    }
    if (body.contains("disabled")) {
        bool d = http::get_bool(body, "disabled", u->disabled);
        end_sessions = end_sessions || (d && !u->disabled);
        u->disabled = d;
    }
    if (id == req.principal.user_id && (u->disabled || u->role != "superadmin")) {
        throw HttpError(409, "you cannot demote or disable yourself");
    }
    // Validate everything before writing anything.
    std::optional<std::string> password_hash;
    if (body.contains("password")) {
        auto password = http::get_string(body, "password");
        check_password_policy(password);
        password_hash = security::hash_password(password);
    }
    stores_.users.update(*u);
    if (password_hash) {
        stores_.users.set_password(id, *password_hash);
        end_sessions = true;
    }
    if (end_sessions) {
        end_user_sessions(u->username);
    } else {
        forget_cached(u->username); // mounts changed: re-read at the next request
    }
    audit(req, "users", "user_updated", u->username);
    return Response::json(record_json(*stores_.users.get(id)));
}

Response Accounts::api_delete_user(Request& req) {
    const auto id = parse_id(req.param("id"));
    auto u = stores_.users.get(id);
    if (!u) {
        throw HttpError(404, "no such user");
    }
    if (id == req.principal.user_id) {
        throw HttpError(409, "you cannot delete yourself");
    }
    stores_.users.remove(id);
    stores_.tokens.revoke_user(u->username, storage::unix_ms_now());
    end_user_sessions(u->username);
    audit(req, "users", "user_deleted", u->username);
    return Response::no_content();
}

Response Accounts::api_tokens(Request& req) {
    const bool all = req.query.get("all") == "1";
    if (all && !req.principal.is_superadmin()) {
        throw HttpError(403, "only a superadmin may list everyone's tokens");
    }
    json::array list;
    for (const auto& t : stores_.tokens.list(all ? "" : req.principal.user)) {
        list.push_back(token_json(t));
    }
    json::object o;
    o["tokens"] = std::move(list);
    return Response::json(o);
}

Response Accounts::api_create_token(Request& req) {
    auto body = req.json_body();
    auto name = http::get_string(body, "name");
    if (name.empty() || name.size() > storage::TokenStore::max_name_bytes) {
        throw HttpError(400, "name: 1 to 100 characters");
    }
    auto days = http::get_int(body, "expires_days").value_or(0);
    if (days < 0 || days > 3650) {
        throw HttpError(400, "expires_days: 0 (never) to 3650");
    }
    const auto now_ms = storage::unix_ms_now();
    const auto tokens = stores_.tokens.list(req.principal.user);
    const auto active = std::count_if(tokens.begin(), tokens.end(), [now_ms](const auto& t) {
        return t.revoked_at == 0 && (t.expires_at == 0 || t.expires_at > now_ms);
    });
    if (active >= 100) {
        throw HttpError(409, "at most 100 tokens per user; revoke unused ones");
    }
    const std::string token = std::string(token_prefix) + security::random_token(32);
    storage::TokenRecord t;
    t.username = req.principal.user;
    t.name = name;
    t.token_hash = security::sha256_hex(token);
    t.prefix = token.substr(0, 10);
    t.created_at = storage::unix_ms_now();
    t.expires_at = days == 0 ? 0 : t.created_at + days * 24 * 3600 * 1000;
    t.id = stores_.tokens.create(t);
    audit(req, "users", "token_created", name);
    auto o = token_json(t);
    o["token"] = token; // shown this once
    return Response::json(o, 201);
}

Response Accounts::api_revoke_token(Request& req) {
    const auto id = parse_id(req.param("id"));
    auto mine = stores_.tokens.list(req.principal.is_superadmin() ? "" : req.principal.user);
    auto it = std::find_if(mine.begin(), mine.end(), [id](const auto& t) { return t.id == id; });
    if (it == mine.end()) {
        throw HttpError(404, "no such token");
    }
    stores_.tokens.revoke(id, storage::unix_ms_now());
    {
        std::lock_guard lock(cache_mutex_);
        cache_.erase(it->token_hash);
        ++cache_generation_;
    }
    audit(req, "users", "token_revoked", it->name);
    return Response::no_content();
}

void Accounts::register_routes(http::Router& router) {
    using http::Access;
    router.add("POST", "/api/session", Access::anyone, [this](Request& r) { return api_login(r); });
    router.add("GET", "/api/session", Access::anyone, [this](Request& r) { return api_whoami(r); });
    router.add("DELETE", "/api/session", Access::anyone,
               [this](Request& r) { return api_logout(r); });
    router.add("PUT", "/api/session/password", Access::user,
               [this](Request& r) { return api_change_password(r); });
    router.add("GET", "/api/users", Access::superadmin,
               [this](Request& r) { return api_users(r); });
    router.add("POST", "/api/users", Access::superadmin,
               [this](Request& r) { return api_create_user(r); });
    router.add("PATCH", "/api/users/{id}", Access::superadmin,
               [this](Request& r) { return api_update_user(r); });
    router.add("DELETE", "/api/users/{id}", Access::superadmin,
               [this](Request& r) { return api_delete_user(r); });
    router.add("GET", "/api/tokens", Access::user, [this](Request& r) { return api_tokens(r); });
    router.add("POST", "/api/tokens", Access::user,
               [this](Request& r) { return api_create_token(r); });
    router.add("DELETE", "/api/tokens/{id}", Access::user,
               [this](Request& r) { return api_revoke_token(r); });
}

} // namespace tinyice::server
