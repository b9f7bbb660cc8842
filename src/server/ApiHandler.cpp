// The JSON API: requests under a prefix registered in the router ("/api/...") are read with a
// bounded body, authenticated, and handed to the matched route's handler on the worker pool
// (handlers may block; they never run on an event loop). Also the server's own routes: now
// playing and play history per mount.

#include "protocol/http/Ascii.hpp"
#include "protocol/http/Cookies.hpp"
#include "protocol/http/Response.hpp"
#include "security/Tokens.hpp"
#include "server/Deadline.hpp"
#include "server/Server.hpp"
#include "storage/HistoryStore.hpp"
#include "util/Log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include <charconv>

namespace tinyice::server {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::ip::tcp;

namespace {

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
constexpr auto body_timeout = std::chrono::seconds(15);

std::int64_t unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
    std::uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

} // namespace

asio::awaitable<void> Server::handle_api(tcp::socket& socket, Request& req, int& status) {
    const auto& head = req.head;
    http::Request api;
    api.method = head.method;
    api.path = req.path;
    api.query = req.query;
    api.head = &head;
    api.client_ip = req.ip;

    auto respond = [&](const http::Response& r) -> std::string {
        status = r.status;
        return render_response(r, head.method == "HEAD");
    };

    if (req.path.empty()) {
        auto reply = respond(http::Response::error(400, "invalid path"));
        co_await send(socket, std::move(reply));
        co_return;
    }
    auto match = router_.match(head.method, req.path);
    if (match.route == nullptr) {
        http::Response r;
        if (match.path_known) {
            r = http::Response::error(405, "method not allowed");
            std::string allow;
            for (const auto& m : match.allowed) {
                allow += (allow.empty() ? "" : ", ") + m;
            }
            r.headers.emplace_back("Allow", allow);
        } else {
            r = http::Response::error(404, "no such endpoint");
            co_await note_unknown_path(req, req.path);
        }
        auto reply = respond(r);
        co_await send(socket, std::move(reply));
        co_return;
    }
    const http::Route& route = *match.route;
    api.params = std::move(match.params);

    co_await identify(req, api);
    bool permitted = true;
    switch (route.access) {
    case http::Access::anyone:
        break;
    case http::Access::user:
        permitted = api.principal.logged_in();
        break;
    case http::Access::admin:
        permitted = api.principal.is_admin();
        break;
    case http::Access::superadmin:
        permitted = api.principal.is_superadmin();
        break;
    }
    if (!permitted) {
        http::Response r;
        if (api.principal.logged_in()) {
            r = http::Response::error(403, "your role may not do this");
        } else {
            r = http::Response::error(401, "authentication required");
            r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"TinyIce\"");
        }
        auto reply = respond(r);
        co_await send(socket, std::move(reply));
        co_return;
    }
    // Logging in needs no CSRF token (there is no session yet; the JSON-only body keeps
    // cross-site forms out), everything else made with a session cookie does.
    const bool login = route.pattern == "/api/session" && head.method == "POST";
    if (!login && !csrf_ok(req, api)) {
        http_counters_.auth_csrf.fetch_add(1, std::memory_order_relaxed);
        util::logger("auth")->warn("{}: {} {} refused: missing or wrong CSRF token", req.ip,
                                   head.method, req.path);
        auto reply = respond(http::Response::error(403, "missing or wrong CSRF token"));
        co_await send(socket, std::move(reply));
        co_return;
    }

    // Body: Content-Length only, bounded by the route.
    if (head.has_token("transfer-encoding", "chunked")) {
        auto reply = respond(http::Response::error(411, "send the body with Content-Length"));
        co_await send(socket, std::move(reply));
        co_return;
    }
    std::uint64_t length = 0;
    if (auto cl = head.header("content-length")) {
        auto n = parse_u64(*cl);
        if (!n) {
            auto reply = respond(http::Response::error(400, "bad Content-Length"));
            co_await send(socket, std::move(reply));
            co_return;
        }
        length = *n;
    }
    if (length > route.max_body) {
        auto reply = respond(http::Response::error(
            413, fmt::format("request body larger than {} bytes", route.max_body)));
        co_await send(socket, std::move(reply));
        co_return;
    }
    if (length > 0) {
        api.body.assign(req.leftover.substr(0, std::min<std::size_t>(req.leftover.size(), length)));
        if (api.body.size() < length) {
            std::size_t have = api.body.size();
            api.body.resize(length);
            Deadline deadline(socket, body_timeout);
            auto [ec, n] = co_await asio::async_read(
                socket, asio::buffer(api.body.data() + have, length - have), tuple_awaitable);
            if (ec) {
                status = 408;
                co_return;
            }
        }
    }

    http::Response response;
    try {
        const http::Handler* handler = &route.handler;
        http::Request* request = &api;
        std::function<http::Response()> job = [handler, request] {
            return (*handler)(*request);
        };
        response = co_await workers_.run<http::Response>(std::move(job));
    } catch (const http::HttpError& e) {
        response = http::Response::error(e.status, e.what());
    } catch (const std::exception& e) {
        util::logger("api")->error("{} {} {}: {}", req.ip, head.method, req.path, e.what());
        response = http::Response::error(500, "internal error; see the server log");
    }
    auto reply = respond(response);
    co_await send(socket, std::move(reply));
}

std::string Server::render_response(const http::Response& r, bool head_only) const {
    std::string out =
        fmt::format("HTTP/1.1 {} {}\r\nServer: {}\r\nDate: {}\r\nConnection: close\r\n", r.status,
                    protocol::http::reason_phrase(r.status), server_header_,
                    protocol::http::http_date(std::chrono::system_clock::now()));
    bool cache_set = false;
    bool nosniff_set = false;
    for (const auto& [k, v] : r.headers) {
        cache_set = cache_set || protocol::http::iequals(k, "Cache-Control");
        nosniff_set = nosniff_set || protocol::http::iequals(k, "X-Content-Type-Options");
    }
    if (!cache_set) {
        out += "Cache-Control: no-store\r\n";
    }
    if (!nosniff_set) {
        out += "X-Content-Type-Options: nosniff\r\n";
    }
    if (!r.content_type.empty()) {
        out += "Content-Type: " + r.content_type + "\r\n";
    }
    for (const auto& [k, v] : r.headers) {
        out += k + ": " + v + "\r\n";
    }
    out += fmt::format("Content-Length: {}\r\n\r\n", r.body.size());
    if (!head_only) {
        out += r.body;
    }
    return out;
}

// Lockout bookkeeping runs on the worker pool: reaching a threshold records a ban in SQLite,
// which must not stall an event loop. Awaited, so that the ban is in force before the answer
// that triggered it is sent.
asio::awaitable<void> Server::note_login_failure(std::string ip, std::string user) {
    if (access_ == nullptr) {
        co_return;
    }
    AccessControl* access = access_;
    std::function<bool()> job = [access, ip, user] {
        return access->login_failed(ip, user);
    };
    co_await workers_.run<bool>(std::move(job));
}

asio::awaitable<void> Server::note_unknown_path(const Request& req, std::string path) {
    if (access_ == nullptr) {
        co_return;
    }
    // A page on another site can make a visitor's browser ask for many unknown URLs (images,
    // scripts): such requests must not lock the visitor out. Browsers say so in Sec-Fetch-Site;
    // scanners do not send it.
    if (auto site = req.head.header("sec-fetch-site");
        site && !protocol::http::iequals(*site, "same-origin") &&
        !protocol::http::iequals(*site, "none")) {
        co_return;
    }
    AccessControl* access = access_;
    std::string ip = req.ip;
    std::function<bool()> job = [access, ip, path] {
        return access->unknown_path(ip, path);
    };
    co_await workers_.run<bool>(std::move(job));
}

asio::awaitable<std::optional<http::Principal>> Server::check_account(std::string user,
                                                                      std::string password) {
    Accounts* accounts = accounts_;
    std::function<std::optional<http::Principal>()> job = [accounts, user, password] {
        return accounts->check_password(user, password);
    };
    auto who = co_await workers_.run<std::optional<http::Principal>>(std::move(job));
    co_return who;
}

asio::awaitable<void> Server::identify(Request& req, http::Request& api) {
    api.client_ip = req.ip;
    api.secure = req.secure;
    auto authorization = req.head.header("authorization");
    if (authorization && protocol::http::istarts_with(*authorization, "bearer ")) {
        if (accounts_ == nullptr) {
            co_return;
        }
        std::string token(protocol::http::trim_ows(authorization->substr(7)));
        Accounts* accounts = accounts_;
        std::string ip = req.ip;
        std::function<std::optional<http::Principal>()> job = [accounts, token, ip] {
            return accounts->from_token(token, ip);
        };
        auto who = co_await workers_.run<std::optional<http::Principal>>(std::move(job));
        if (who) {
            api.principal = std::move(*who);
        } else {
            http_counters_.auth_token.fetch_add(1, std::memory_order_relaxed);
            util::logger("auth")->warn("{}: unknown or revoked API token on {}", req.ip, req.path);
            co_await note_login_failure(req.ip, "(api token)");
        }
        co_return;
    }
    std::optional<protocol::http::BasicCredentials> creds;
    if (authorization) {
        creds = protocol::http::parse_basic_auth(*authorization);
    }
    if (creds) {
        // The built-in administrator first (its check is cached), then user accounts.
        bool admin = co_await auth_.is_admin(*creds);
        if (admin) {
            api.principal.role = http::Principal::Role::superadmin;
            api.principal.via = http::Principal::Via::basic;
            api.principal.user = creds->user;
            co_return;
        }
        if (accounts_ != nullptr) {
            auto who = co_await check_account(creds->user, creds->password);
            if (who) {
                api.principal = std::move(*who);
                api.principal.via = http::Principal::Via::basic;
                co_return;
            }
        }
        http_counters_.auth_basic.fetch_add(1, std::memory_order_relaxed);
        util::logger("auth")->warn("{}: wrong credentials for user '{}' on {}", req.ip, creds->user,
                                   req.path);
        co_await note_login_failure(req.ip, creds->user);
        co_return;
    }
    if (accounts_ == nullptr) {
        co_return;
    }
    auto cookies = req.head.header("cookie");
    if (!cookies) {
        co_return;
    }
    auto token = protocol::http::find_cookie(*cookies, Accounts::cookie_name);
    if (!token || token->empty()) {
        co_return;
    }
    Accounts* accounts = accounts_;
    std::string t = *token;
    std::function<std::optional<http::Principal>()> job = [accounts, t] {
        return accounts->from_session(t);
    };
    auto who = co_await workers_.run<std::optional<http::Principal>>(std::move(job));
    if (who) {
        api.principal = std::move(*who);
    }
}

// Browsers attach session cookies, and cached HTTP Basic credentials, to requests that other
// sites make them send. A state-changing request with either must therefore not say it comes
// from another site (Sec-Fetch-Site, Origin), and a cookie session must also prove it comes
// from our own pages: the session's CSRF token in X-CSRF-Token. API tokens are never sent by a
// browser on its own, so they need none of this.
bool Server::csrf_ok(const Request& req, const http::Request& api) const {
    const auto& m = req.head.method;
    if (m == "GET" || m == "HEAD" || m == "OPTIONS" || !api.principal.logged_in() ||
        api.principal.via == http::Principal::Via::token) {
        return true;
    }
    if (auto site = req.head.header("sec-fetch-site");
        site && !protocol::http::iequals(*site, "same-origin") &&
        !protocol::http::iequals(*site, "none")) {
        return false;
    }
    if (api.principal.via == http::Principal::Via::session) {
        auto token = req.head.header("x-csrf-token");
        if (!token || api.principal.csrf.empty() ||
            !security::constant_time_equal(*token, api.principal.csrf)) {
            return false;
        }
    }
    if (auto origin = req.head.header("origin")) {
        auto host = req.head.header("host").value_or("");
        auto scheme_end = origin->find("://");
        std::string_view origin_host =
            scheme_end == std::string_view::npos ? *origin : origin->substr(scheme_end + 3);
        if (!protocol::http::iequals(origin_host, host)) {
            return false;
        }
    }
    return true;
}

asio::awaitable<void> Server::handle_web(tcp::socket& socket, Request& req, int& status) {
    http::Request web;
    web.method = req.head.method;
    web.path = req.path;
    web.query = req.query;
    web.head = &req.head;
    web.client_ip = req.ip;
    co_await identify(req, web);
    http::Response response;
    try {
        WebPages* pages = web_;
        http::Request* request = &web;
        std::function<http::Response()> job = [pages, request] {
            return pages->handle(*request);
        };
        response = co_await workers_.run<http::Response>(std::move(job));
    } catch (const http::HttpError& e) {
        response = http::Response::text(e.what(), "text/plain; charset=utf-8", e.status);
    } catch (const std::exception& e) {
        util::logger("web")->error("{} {} {}: {}", req.ip, req.head.method, req.path, e.what());
        response = http::Response::text("Internal error; see the server log\n",
                                        "text/plain; charset=utf-8", 500);
    }
    status = response.status;
    auto reply = render_response(response, req.head.method == "HEAD");
    co_await send(socket, std::move(reply));
}

void Server::register_builtin_routes() {
    router_.add("GET", "/api/nowplaying", http::Access::anyone,
                [this](http::Request& r) { return now_playing_response(r); });
    router_.add("GET", "/api/nowplaying/{*mount}", http::Access::anyone,
                [this](http::Request& r) { return now_playing_response(r); });
    router_.add("GET", "/api/history/{*mount}", http::Access::anyone,
                [this](http::Request& r) { return history_response(r); });
    router_.add("GET", "/api/history", http::Access::admin,
                [this](http::Request& r) { return history_response(r); });
}

json::object Server::now_playing_of(const core::MountSnapshot& snap,
                                    const std::shared_ptr<core::Mount>& mount) {
    json::object o;
    o["mount"] = snap.mount;
    o["live"] = snap.has_source;
    o["listeners"] = snap.listeners;
    o["listener_peak"] = snap.listener_peak;
    o["name"] = snap.server_name;
    o["description"] = snap.server_description;
    o["genre"] = snap.genre;
    o["url"] = snap.server_url;
    o["content_type"] = snap.content_type;
    o["subtype"] = snap.subtype;
    if (snap.bitrate) {
        o["bitrate"] = *snap.bitrate;
    } else {
        o["bitrate"] = nullptr;
    }
    o["stream_start"] = snap.stream_start;
    o["listenurl"] = listen_url(snap.mount);
    std::string origin = "live";
    if (auto info = mount ? mount->source_info() : nullptr; info && snap.has_source) {
        if (!info->origin.empty()) {
            origin = info->origin;
        }
    }
    o["source"] = snap.has_source ? json::value(origin) : json::value(nullptr);
    auto t = mount ? mount->title_info() : core::Mount::TitleInfo{};
    o["title"] = t.title;
    o["artist"] = t.artist;
    o["title_since"] = t.since_ms;
    o["elapsed"] = t.since_ms > 0 ? static_cast<double>(unix_ms() - t.since_ms) / 1000.0 : 0.0;
    if (now_playing_ != nullptr) {
        if (auto extra = now_playing_->now_playing(snap.mount)) {
            for (auto& kv : *extra) {
                o[kv.key()] = kv.value();
            }
        }
    }
    return o;
}

http::Response Server::now_playing_response(http::Request& req) {
    const bool admin = req.principal.is_admin();
    const auto& wanted = req.param("mount");
    if (!wanted.empty()) {
        auto name = protocol::http::normalize_mount_path("/" + wanted);
        auto mount = name ? mounts_.find(*name) : nullptr;
        if (!mount || (mount->settings().hidden && !admin)) {
            return http::Response::error(404, "no such mount");
        }
        auto snap = mount->snapshot();
        return http::Response::json(now_playing_of(snap, mount));
    }
    json::array list;
    for (const auto& m : mounts_.all()) {
        if (m->settings().hidden && !admin) {
            continue;
        }
        list.push_back(now_playing_of(m->snapshot(), m));
    }
    json::object o;
    o["mounts"] = std::move(list);
    return http::Response::json(o);
}

http::Response Server::history_response(http::Request& req) {
    if (history_ == nullptr) {
        return http::Response::error(503, "play history is not available");
    }
    const bool admin = req.principal.is_admin();
    std::string mount_name;
    if (const auto& wanted = req.param("mount"); !wanted.empty()) {
        auto name = protocol::http::normalize_mount_path("/" + wanted);
        if (!name) {
            return http::Response::error(400, "invalid mount name");
        }
        // Hidden mounts keep their history to administrators.
        const auto* configured = config_.find_mount(*name);
        auto live = mounts_.find(*name);
        if (!admin &&
            ((configured != nullptr && configured->hidden) || (live && live->settings().hidden))) {
            return http::Response::error(404, "no such mount");
        }
        mount_name = *name;
    }
    std::size_t limit = 50;
    if (auto l = req.query.get("limit")) {
        auto n = parse_u64(*l);
        if (!n || *n == 0) {
            throw http::HttpError(400, "limit: expected a positive integer");
        }
        limit = std::min<std::uint64_t>(*n, 1000);
    }
    std::int64_t before = 0;
    if (auto b = req.query.get("before")) {
        auto n = parse_u64(*b);
        if (!n) {
            throw http::HttpError(400, "before: expected unix milliseconds");
        }
        before = static_cast<std::int64_t>(*n);
    }
    auto plays = history_->recent(mount_name, limit, before);
    json::array rows;
    for (const auto& p : plays) {
        json::object row;
        row["id"] = p.id;
        row["mount"] = p.mount;
        row["started_at"] = p.started_at;
        row["artist"] = p.artist;
        row["title"] = p.title;
        row["file"] = p.file;
        row["duration"] = p.duration;
        row["listeners"] = p.listeners;
        row["source"] = p.source;
        rows.push_back(std::move(row));
    }
    json::object o;
    if (mount_name.empty()) {
        o["mount"] = nullptr;
    } else {
        o["mount"] = mount_name;
    }
    o["plays"] = std::move(rows);
    return http::Response::json(o);
}

} // namespace tinyice::server
