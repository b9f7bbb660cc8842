// JSON API: mounts (docs/API.md, "Mounts"): their definitions (config file and database), their
// sources, titles and listeners. Changing definitions needs an administrator; DJs see and act
// on the mounts they own. Listener lists, kicks and moves run on the event loops that own the
// listeners (Server::run_on_every_loop); handlers themselves run on the worker pool.

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>

#include <boost/json.hpp>

#include "protocol/http/Query.hpp"
#include "security/PasswordHash.hpp"
#include "server/MountDefinitions.hpp"
#include "server/Server.hpp"
#include "storage/AuditStore.hpp"
#include "storage/Database.hpp"
#include "storage/UserStore.hpp"
#include "util/Log.hpp"

namespace tinyice::server {

namespace json = boost::json;
using http::Access;
using http::HttpError;
using http::Request;
using http::Response;

namespace {

constexpr auto loop_timeout = std::chrono::seconds(5);
constexpr std::size_t max_password_bytes = 256;  // libxcrypt takes up to 511
constexpr std::size_t max_title_bytes = 1024;
constexpr std::size_t default_listener_limit = 10000;
constexpr std::size_t max_listener_limit = 100000;

using Owners = std::map<std::string, std::vector<std::string>, std::less<>>;

bool has_control_chars(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7F;
    });
}

std::uint64_t parse_u64(std::string_view text, std::string_view what) {
    std::uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
        throw HttpError(400, std::string(what) + ": expected a non-negative integer");
    }
    return v;
}

// A text member for a title: absent or null = nullopt.
std::optional<std::string> title_field(const json::object& body, std::string_view key) {
    const auto* v = body.if_contains(key);
    if (v == nullptr || v->is_null()) {
        return std::nullopt;
    }
    if (!v->is_string()) {
        throw HttpError(400, std::string(key) + ": expected a string");
    }
    std::string s(v->get_string());
    if (s.size() > max_title_bytes) {
        throw HttpError(400, std::string(key) + ": at most " + std::to_string(max_title_bytes) +
                                 " bytes");
    }
    if (has_control_chars(s)) {
        throw HttpError(400, std::string(key) + ": must not contain control characters");
    }
    return s;
}

class MountsApi {
public:
    MountsApi(Server& server, MountDefinitions& definitions, storage::AuditStore* audit,
              const storage::UserStore* users)
        : server_(server), defs_(definitions), audit_(audit), users_(users) {}

    Response list(Request& req);
    Response create(Request& req);
    Response get(Request& req);
    Response update(Request& req);
    Response remove(Request& req);
    Response kick(Request& req);
    Response metadata(Request& req);
    Response listeners(Request& req);
    Response kick_listener(Request& req);
    Response move(Request& req);

private:
    // The mount named by the path, checked against the caller's mounts (403).
    static std::string mount_of(const Request& req);
    json::object describe(const std::string& name, const std::optional<MountDefinition>& def,
                          const Owners& owners) const;
    Owners owners() const;
    // The definition a POST or PATCH body asks for; `base` is the current one (PATCH).
    static config::MountConfig config_from(json::object body, const config::MountConfig* base,
                                           const std::optional<std::string>& password_hash);
    // The hash of the body's "password" (removed from it): nullopt = not given, "" = the
    // default source password.
    static std::optional<std::string> take_password(json::object& body);
    void record(const Request& req, std::string_view category, std::string action,
                const std::string& target, json::object detail) const;

    Server& server_;
    MountDefinitions& defs_;
    storage::AuditStore* audit_;
    const storage::UserStore* users_;
    std::mutex patch_mutex_;  // PATCH reads, merges and writes: one at a time
};

std::string MountsApi::mount_of(const Request& req) {
    auto name = protocol::http::normalize_mount_path("/" + req.param("mount"));
    if (!name) {
        throw HttpError(400, "not a valid mount name");
    }
    if (!req.principal.may_manage_mount(*name)) {
        throw HttpError(403, "you may not manage " + *name);
    }
    return *name;
}

Owners MountsApi::owners() const {
    Owners out;
    if (users_ == nullptr) {
        return out;
    }
    try {
        for (const auto& u : users_->list()) {
            for (const auto& m : u.mounts) {
                out[m].push_back(u.username);
            }
        }
    } catch (const std::exception& e) {
        util::logger("mounts")->warn("cannot read the mount owners: {}", e.what());
    }
    return out;
}

json::object MountsApi::describe(const std::string& name,
                                 const std::optional<MountDefinition>& def,
                                 const Owners& owners) const {
    const bool pending = server_.mount_pending(name);  // settles a due swap first
    const auto mount = server_.find_mount(name);
    json::object o;
    o["name"] = name;
    if (def) {
        o["defined_in"] = to_string(def->defined_in);
    } else {
        o["defined_in"] = nullptr;  // created by its source (default source password)
    }
    // What the mount uses (or will, once idle): the definition with the server's limits
    // filling its gaps, or the defaults of an undefined mount.
    core::MountSettings ms;
    if (def) {
        ms = server_.mount_settings(def->config);
    } else if (mount) {
        ms = mount->settings();
    }
    json::object s;
    s["username"] = def ? def->config.username : std::string();
    s["has_password"] = def && !def->config.password.empty();
    if (ms.max_listeners) {
        s["max_listeners"] = *ms.max_listeners;
    } else {
        s["max_listeners"] = nullptr;
    }
    s["burst_size"] = ms.burst_size;
    s["queue_size"] = ms.queue_size;
    s["flush_interval_ms"] = ms.flush_interval_ms;
    s["metaint"] = ms.metaint;
    s["fallback"] = ms.fallback;
    s["fallback_override"] = ms.fallback_override;
    s["hidden"] = ms.hidden;
    s["stream_name"] = ms.stream_name;
    s["charset"] = ms.charset;
    o["settings"] = std::move(s);
    o["pending"] = pending;

    core::MountSnapshot snap;
    if (mount) {
        snap = mount->snapshot();
    }
    o["live"] = snap.has_source;
    o["listeners"] = snap.listeners;
    o["listener_peak"] = snap.listener_peak;
    o["slow_listeners"] = snap.slow_listeners;
    o["bytes_in"] = snap.total_bytes_read;
    o["bytes_out"] = snap.total_bytes_sent;
    o["title"] = snap.title;
    const auto info = mount && snap.has_source ? mount->source_info() : nullptr;
    if (info) {
        json::object src;
        src["ip"] = info->source_ip;
        src["user_agent"] = info->user_agent;
        src["content_type"] = info->content_type;
        src["origin"] = info->origin.empty() ? std::string("live") : info->origin;
        src["connected_at"] = snap.stream_start * 1000;  // unix ms
        if (snap.bitrate) {
            src["bitrate"] = *snap.bitrate;
        } else {
            src["bitrate"] = nullptr;
        }
        o["source"] = std::move(src);
    } else {
        o["source"] = nullptr;
    }
    json::array owner_list;
    if (auto it = owners.find(name); it != owners.end()) {
        for (const auto& u : it->second) {
            owner_list.emplace_back(u);
        }
    }
    o["owners"] = std::move(owner_list);
    return o;
}

std::optional<std::string> MountsApi::take_password(json::object& body) {
    const auto* v = body.if_contains("password");
    if (v == nullptr) {
        return std::nullopt;
    }
    std::string plain;
    if (v->is_string()) {
        plain = std::string(v->get_string());
    } else if (!v->is_null()) {
        throw HttpError(400, "password: expected a string (\"\" = the default source password)");
    }
    body.erase("password");
    if (plain.empty()) {
        return std::string();
    }
    if (plain.size() > max_password_bytes) {
        throw HttpError(400, "password: at most " + std::to_string(max_password_bytes) + " bytes");
    }
    if (has_control_chars(plain)) {
        throw HttpError(400, "password: must not contain control characters");
    }
    try {
        return security::hash_password(plain);
    } catch (const std::exception& e) {
        throw HttpError(400, std::string("password: ") + e.what());
    }
}

config::MountConfig MountsApi::config_from(json::object body, const config::MountConfig* base,
                                           const std::optional<std::string>& password_hash) {
    json::object merged;
    if (base != nullptr) {
        merged = json::parse(config::to_json(*base)).as_object();
    }
    for (const auto& kv : body) {
        merged[kv.key()] = kv.value();
    }
    // Passwords never travel in the JSON that is parsed: only hashes are stored.
    merged["password"] = base != nullptr ? base->password : std::string();
    config::MountConfig m;
    try {
        m = config::parse_mount(json::serialize(merged));
    } catch (const config::ConfigError& e) {
        throw HttpError(400, e.what());
    }
    if (password_hash) {
        m.password = *password_hash;
    }
    return m;
}

void MountsApi::record(const Request& req, std::string_view category, std::string action,
                       const std::string& target, json::object detail) const {
    if (audit_ == nullptr) {
        return;
    }
    audit_->record(storage::AuditRecord{0, storage::unix_ms_now(), req.principal.user,
                                        req.client_ip, std::string(category), std::move(action),
                                        target, json::serialize(detail)});
}

// The keys a body set, for the audit log and the server log (never values: passwords).
json::array changed_fields(const json::object& body, bool password) {
    json::array out;
    for (const auto& kv : body) {
        out.emplace_back(kv.key());
    }
    if (password) {
        out.emplace_back("password");
    }
    return out;
}

Response MountsApi::list(Request& req) {
    std::map<std::string, std::optional<MountDefinition>, std::less<>> names;
    for (auto& d : defs_.list()) {
        auto name = d.config.name;
        names.emplace(std::move(name), std::move(d));
    }
    for (const auto& snap : server_.snapshot().mounts) {
        names.try_emplace(snap.mount, std::nullopt);  // mounts created by their source
    }
    const auto who_owns = owners();
    json::array out;
    for (const auto& [name, def] : names) {
        if (req.principal.may_manage_mount(name)) {
            out.push_back(describe(name, def, who_owns));
        }
    }
    json::object o;
    o["mounts"] = std::move(out);
    return Response::json(o);
}

Response MountsApi::get(Request& req) {
    const auto name = mount_of(req);
    auto def = defs_.find(name);
    if (!def && !server_.find_mount(name)) {
        throw HttpError(404, "no mount " + name);
    }
    return Response::json(describe(name, def, owners()));
}

Response MountsApi::create(Request& req) {
    auto body = req.json_body();
    if (!body.contains("name")) {
        throw HttpError(400, "name: is required (e.g. \"/show\")");
    }
    auto password = take_password(body);
    const auto fields = changed_fields(body, password.has_value());
    auto m = config_from(std::move(body), nullptr, password);
    const bool pending = defs_.create(m);
    util::logger("mounts")->info("{}: {} created mount {}", req.client_ip, req.principal.user,
                                 m.name);
    record(req, "streams", "mount_created", m.name,
           json::object{{"fields", fields}, {"pending", pending}});
    return Response::json(describe(m.name, defs_.find(m.name), owners()), 201);
}

Response MountsApi::update(Request& req) {
    const auto name = mount_of(req);
    auto body = req.json_body();
    if (const auto* n = body.if_contains("name");
        n != nullptr && !(n->is_string() && n->get_string() == name)) {
        throw HttpError(400, "name: a mount cannot be renamed (create the new one, then delete "
                             "this one)");
    }
    auto password = take_password(body);  // slow hashing before the lock
    const auto fields = changed_fields(body, password.has_value());
    bool pending = false;
    {
        std::lock_guard lock(patch_mutex_);
        const auto current = defs_.find(name);
        if (!current) {
            throw HttpError(404, "no mount " + name + " is defined (POST /api/mounts defines one)");
        }
        auto m = config_from(std::move(body), &current->config, password);
        pending = defs_.update(m);
    }
    util::logger("mounts")->info("{}: {} changed mount {}{}", req.client_ip, req.principal.user,
                                 name, pending ? " (buffer changes wait until it is idle)" : "");
    record(req, "streams", "mount_changed", name,
           json::object{{"fields", fields}, {"pending", pending}});
    return Response::json(describe(name, defs_.find(name), owners()));
}

Response MountsApi::remove(Request& req) {
    const auto name = mount_of(req);
    const auto left = defs_.remove(name);
    const bool reverted = left.has_value();
    util::logger("mounts")->info("{}: {} {} mount {}", req.client_ip, req.principal.user,
                                 reverted ? "reverted to the config file" : "deleted", name);
    record(req, "streams", reverted ? "mount_reverted" : "mount_deleted", name, {});
    return Response::no_content();
}

Response MountsApi::kick(Request& req) {
    const auto name = mount_of(req);
    auto mount = server_.find_mount(name);
    if (!mount) {
        throw HttpError(404, "no mount " + name);
    }
    const auto info = mount->source_info();
    if (!mount->has_source() || !mount->kill_source()) {
        throw HttpError(409, "no source is connected to " + name);
    }
    util::logger("mounts")->info("{}: {} disconnected the source of {}", req.client_ip,
                                 req.principal.user, name);
    json::object detail;
    if (info) {
        detail["source_ip"] = info->source_ip;
        detail["origin"] = info->origin.empty() ? std::string("live") : info->origin;
    }
    record(req, "streams", "source_kicked", name, std::move(detail));
    return Response::no_content();
}

Response MountsApi::metadata(Request& req) {
    const auto name = mount_of(req);
    const auto body = req.json_body();
    const auto title = title_field(body, "title");
    const auto artist = title_field(body, "artist");
    if (!title && !artist) {
        throw HttpError(400, "title: required (\"Artist - Title\"), or artist and title");
    }
    auto mount = server_.find_mount(name);
    if (!mount) {
        throw HttpError(404, "no mount " + name);
    }
    std::string display;
    if (title && artist && !title->empty() && !artist->empty()) {
        display = *artist + " - " + *title;
    } else {
        display = title && !title->empty() ? *title : artist.value_or("");
    }
    server_.set_mount_title(*mount, display, artist.value_or(""));
    util::logger("mounts")->info("{}: title on {} is now '{}'", req.client_ip, name, display);
    record(req, "streams", "metadata", name, json::object{{"title", display}});
    return Response::json(json::object{{"mount", name}, {"title", display}});
}

Response MountsApi::listeners(Request& req) {
    const auto name = mount_of(req);
    if (!defs_.find(name) && !server_.find_mount(name)) {
        throw HttpError(404, "no mount " + name);
    }
    std::size_t limit = default_listener_limit;
    if (auto l = req.query.get("limit")) {
        limit = static_cast<std::size_t>(
            std::clamp<std::uint64_t>(parse_u64(*l, "limit"), 1, max_listener_limit));
    }
    auto per_loop = server_.run_on_every_loop(
        [name](EventLoop& loop) { return loop.listeners_named(name); }, loop_timeout);
    if (!per_loop) {
        throw HttpError(503, "the server did not answer in time; try again");
    }
    std::vector<core::ListenerSnapshot> all;
    for (auto& v : *per_loop) {
        all.insert(all.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    json::array out;
    for (std::size_t i = 0; i < all.size() && i < limit; ++i) {
        const auto& l = all[i];
        out.push_back(json::object{{"id", l.id},
                                   {"ip", l.ip},
                                   {"user_agent", l.user_agent},
                                   {"connected_seconds", l.connected_seconds},
                                   {"bytes", l.bytes},
                                   {"mount", l.mount},
                                   {"home", l.home}});
    }
    json::object o;
    o["listeners"] = std::move(out);
    o["total"] = all.size();
    return Response::json(o);
}

Response MountsApi::kick_listener(Request& req) {
    const auto name = mount_of(req);
    const auto id = parse_u64(req.param("id"), "id");
    auto results = server_.run_on_every_loop(
        [name, id](EventLoop& loop) { return loop.kill_listener_named(id, name); }, loop_timeout);
    if (!results) {
        throw HttpError(503, "the server did not answer in time; try again");
    }
    if (std::find(results->begin(), results->end(), true) == results->end()) {
        throw HttpError(404, "no listener " + std::to_string(id) + " on " + name);
    }
    util::logger("mounts")->info("{}: {} disconnected listener {} of {}", req.client_ip,
                                 req.principal.user, id, name);
    record(req, "listeners", "listener_kicked", name, json::object{{"id", id}});
    return Response::no_content();
}

Response MountsApi::move(Request& req) {
    const auto name = mount_of(req);
    const auto body = req.json_body();
    const auto destination = http::get_string(body, "destination");
    if (destination.empty()) {
        throw HttpError(400, "destination: required (a mount name such as \"/other\")");
    }
    const auto dest_name = protocol::http::normalize_mount_path(destination);
    if (!dest_name) {
        throw HttpError(400, "destination: not a valid mount name");
    }
    auto mount = server_.find_mount(name);
    if (!mount) {
        throw HttpError(404, "no mount " + name);
    }
    auto dest = server_.find_mount(*dest_name);
    if (!dest) {
        throw HttpError(400, "destination: no mount " + *dest_name);
    }
    if (dest == mount) {
        throw HttpError(400, "destination: the listeners are on " + name + " already");
    }
    if (!dest->has_source()) {
        throw HttpError(409, "destination " + *dest_name + " has no source");
    }
    if (mount->has_source() && dest->format() != mount->format()) {
        throw HttpError(409, "destination " + *dest_name +
                                 " streams another format; its listeners could not play it");
    }
    auto moved = server_.run_on_every_loop(
        [mount, dest](EventLoop& loop) { return loop.move_listeners(mount.get(), dest); },
        loop_timeout);
    if (!moved) {
        throw HttpError(503, "the server did not answer in time; try again");
    }
    std::size_t total = 0;
    for (auto n : *moved) {
        total += n;
    }
    util::logger("mounts")->info("{}: {} moved {} listeners from {} to {}", req.client_ip,
                                 req.principal.user, total, name, *dest_name);
    record(req, "listeners", "listeners_moved", name,
           json::object{{"destination", *dest_name}, {"moved", total}});
    return Response::json(json::object{{"moved", total}});
}

}  // namespace

void register_mount_routes(http::Router& router, Server& server, MountDefinitions& definitions,
                           storage::AuditStore* audit, const storage::UserStore* users) {
    auto api = std::make_shared<MountsApi>(server, definitions, audit, users);
    auto bind = [api](Response (MountsApi::*fn)(Request&)) {
        return [api, fn](Request& req) { return ((*api).*fn)(req); };
    };
    router.add("GET", "/api/mounts", Access::user, bind(&MountsApi::list));
    router.add("POST", "/api/mounts", Access::admin, bind(&MountsApi::create));
    router.add("GET", "/api/mounts/{*mount}", Access::user, bind(&MountsApi::get));
    router.add("PATCH", "/api/mounts/{*mount}", Access::admin, bind(&MountsApi::update));
    router.add("DELETE", "/api/mounts/{*mount}", Access::admin, bind(&MountsApi::remove));
    router.add("POST", "/api/mounts/{*mount}/kick", Access::user, bind(&MountsApi::kick));
    router.add("POST", "/api/mounts/{*mount}/metadata", Access::user,
               bind(&MountsApi::metadata));
    router.add("GET", "/api/mounts/{*mount}/listeners", Access::user,
               bind(&MountsApi::listeners));
    router.add("DELETE", "/api/mounts/{*mount}/listeners/{id}", Access::user,
               bind(&MountsApi::kick_listener));
    router.add("POST", "/api/mounts/{*mount}/listeners/move", Access::admin,
               bind(&MountsApi::move));
}

}  // namespace tinyice::server
