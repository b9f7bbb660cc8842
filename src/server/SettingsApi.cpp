// JSON API: site settings and the read-only server facts (docs/API.md, "Settings").

#include "server/SettingsApi.hpp"

#include "storage/AuditStore.hpp"
#include "storage/Database.hpp"
#include "storage/DefinitionStore.hpp"
#include "util/Log.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <chrono>
#include <stdexcept>

namespace tinyice::server {

namespace json = boost::json;
using http::HttpError;
using http::Request;
using http::Response;

namespace {

// Code points of valid UTF-8 (Boost.JSON only hands out valid UTF-8): every byte that is not a
// continuation byte starts one.
std::size_t characters(std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s) {
        n += (c & 0xC0U) != 0x80U ? 1 : 0;
    }
    return n;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string trimmed(std::string_view s) {
    while (!s.empty() && is_space(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_space(s.back())) {
        s.remove_suffix(1);
    }
    return std::string(s);
}

// Plain text: no C0 controls, DEL or C1 controls (U+0080..U+009F, bytes C2 80..C2 9F), which
// have no business in a page title and can hide text; `multiline` allows LF and tab.
void check_plain_text(std::string_view field, std::string_view text, bool multiline) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        const bool allowed_space = multiline && (c == '\n' || c == '\t');
        const bool c0 = c < 0x20 || c == 0x7F;
        const bool c1 = c == 0xC2 && i + 1 < text.size() &&
                        static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                        static_cast<unsigned char>(text[i + 1]) <= 0x9F;
        if ((c0 && !allowed_space) || c1) {
            throw std::invalid_argument(fmt::format(
                "site.{}: control characters are not allowed{}", field,
                multiline ? " (line breaks and tabs are)" : " (it is one line of plain text)"));
        }
    }
}

std::string text_member(const json::value& v, std::string_view field, std::size_t min_chars,
                        std::size_t max_chars, bool multiline) {
    if (!v.is_string()) {
        throw std::invalid_argument(fmt::format("site.{}: expected a string", field));
    }
    std::string text;
    const std::string_view raw = v.get_string();
    text.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        // Browsers send CR LF from text areas in some paths; keep LF only.
        if (raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') {
            continue;
        }
        text += raw[i];
    }
    text = trimmed(text);
    check_plain_text(field, text, multiline);
    const auto n = characters(text);
    if (n < min_chars) {
        throw std::invalid_argument(fmt::format("site.{}: must not be empty", field));
    }
    if (n > max_chars) {
        throw std::invalid_argument(
            fmt::format("site.{}: at most {} characters (got {})", field, max_chars, n));
    }
    return text;
}

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::string accent_member(const json::value& v) {
    if (!v.is_string()) {
        throw std::invalid_argument("site.accent: expected a string");
    }
    std::string s(v.get_string());
    bool ok = s.size() == 7 && s[0] == '#';
    for (std::size_t i = 1; ok && i < s.size(); ++i) {
        ok = is_hex(s[i]);
    }
    if (!ok) {
        throw std::invalid_argument("site.accent: expected a colour like \"#ff9f43\"");
    }
    for (auto& c : s) {
        if (c >= 'A' && c <= 'F') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return s;
}

} // namespace

SiteSettings apply_site_changes(SiteSettings site, const json::object& changes) {
    for (const auto& kv : changes) {
        const std::string_view key = kv.key();
        if (key == "title") {
            site.title = text_member(kv.value(), key, 1, SiteSettings::max_title, false);
        } else if (key == "tagline") {
            site.tagline = text_member(kv.value(), key, 0, SiteSettings::max_tagline, false);
        } else if (key == "description") {
            site.description = text_member(kv.value(), key, 0, SiteSettings::max_description, true);
        } else if (key == "accent") {
            site.accent = accent_member(kv.value());
        } else {
            throw std::invalid_argument(fmt::format(
                "site.{}: unknown setting (expected title, tagline, description or accent)", key));
        }
    }
    return site;
}

json::object to_json(const SiteSettings& site) {
    json::object o;
    o["title"] = site.title;
    o["tagline"] = site.tagline;
    o["description"] = site.description;
    o["accent"] = site.accent;
    return o;
}

SiteSettings site_settings_from_stored(std::string_view json_text) {
    SiteSettings site;
    auto log = util::logger("settings");
    boost::system::error_code ec;
    auto v = json::parse(json_text, ec);
    if (ec || !v.is_object()) {
        log->warn("the stored site settings are not a JSON object; using the defaults");
        return site;
    }
    // Field by field, so one bad value costs only itself.
    for (const auto& kv : v.get_object()) {
        json::object one;
        one[kv.key()] = kv.value();
        try {
            site = apply_site_changes(site, one);
        } catch (const std::invalid_argument& e) {
            log->warn("stored site settings: {}; using the default", e.what());
        }
    }
    return site;
}

SettingsApi::SettingsApi(Dependencies deps) : deps_(std::move(deps)) {
    if (deps_.definitions != nullptr) {
        if (auto stored = deps_.definitions->get(definition_kind, definition_name)) {
            site_ = site_settings_from_stored(stored->json);
        }
    }
}

SiteSettings SettingsApi::site() const {
    std::lock_guard lock(mutex_);
    return site_;
}

SiteSettings SettingsApi::update_site(const json::object& changes) {
    std::lock_guard lock(mutex_);
    auto next = apply_site_changes(site_, changes);
    if (deps_.definitions != nullptr) {
        deps_.definitions->put(definition_kind, definition_name, json::serialize(to_json(next)));
    }
    site_ = next;
    return next;
}

json::object SettingsApi::server_facts(std::int64_t now_unix) const {
    const auto& cfg = deps_.config;
    json::object o;
    o["version"] = deps_.version;
    o["server_id"] = "TinyIce " + deps_.version;
    o["started_at"] = deps_.started_unix;
    o["uptime"] = std::max<std::int64_t>(now_unix - deps_.started_unix, 0);
    json::array listen;
    for (const auto& l : cfg.listen) {
        listen.push_back(
            json::object{{"address", l.address}, {"port", static_cast<std::int64_t>(l.port)}});
    }
    o["listen"] = std::move(listen);
    o["hostname"] = cfg.hostname;
    o["location"] = cfg.location;
    o["admin_email"] = cfg.admin_email;

    const auto& l = cfg.limits;
    o["limits"] = json::object{{"threads", l.threads},
                               {"max_clients", l.max_clients},
                               {"max_sources", l.max_sources},
                               {"max_listeners", l.max_listeners},
                               {"max_connections_per_ip", l.max_connections_per_ip},
                               {"max_header_bytes", l.max_header_bytes},
                               {"header_timeout_ms", l.header_timeout_ms},
                               {"source_timeout_ms", l.source_timeout_ms},
                               {"queue_size", l.queue_size},
                               {"burst_size", l.burst_size},
                               {"flush_interval_ms", l.flush_interval_ms},
                               {"metaint", l.metaint},
                               {"listen_backlog", l.listen_backlog}};
    o["storage"] = json::object{{"database", deps_.database_path},
                                {"history_days", cfg.storage.history_days},
                                {"stats_days", cfg.storage.stats_days},
                                {"audit_days", cfg.storage.audit_days}};
    json::array proxies;
    for (const auto& p : cfg.http.trusted_proxies) {
        proxies.emplace_back(p);
    }
    o["http"] = json::object{{"trusted_proxies", std::move(proxies)},
                             {"cors_allow_origin", cfg.http.cors_allow_origin},
                             {"session_idle_minutes", cfg.http.session_idle_minutes},
                             {"session_max_hours", cfg.http.session_max_hours}};
    const auto& s = cfg.security;
    o["security"] = json::object{{"login_failures", s.login_failures},
                                 {"login_window_s", s.login_window_s},
                                 {"lockout_minutes", s.lockout_minutes},
                                 {"scan_404s", s.scan_404s},
                                 {"scan_window_s", s.scan_window_s},
                                 {"scan_lockout_minutes", s.scan_lockout_minutes},
                                 {"allow_only", s.allow_only},
                                 {"config_bans", static_cast<std::int64_t>(s.banned.size())},
                                 {"config_allows", static_cast<std::int64_t>(s.allowed.size())}};
    o["mounts_configured"] = static_cast<std::int64_t>(cfg.mounts.size());
    return o;
}

void SettingsApi::register_routes(http::Router& router) {
    using http::Access;
    router.add("GET", "/api/settings", Access::anyone, [this](Request&) {
        return Response::json(json::object{{"site", to_json(site())}});
    });
    router.add("PUT", "/api/settings", Access::superadmin, [this](Request& req) {
        auto body = req.json_body();
        for (const auto& kv : body) {
            if (kv.key() != "site") {
                throw HttpError(400, fmt::format("{}: unknown settings group (expected site)",
                                                 std::string_view(kv.key())));
            }
        }
        const auto* changes = body.if_contains("site");
        if (changes == nullptr || !changes->is_object()) {
            throw HttpError(400, "site: expected an object");
        }
        SiteSettings site;
        try {
            site = update_site(changes->get_object());
        } catch (const std::invalid_argument& e) {
            throw HttpError(400, e.what());
        }
        util::logger("settings")
            ->info("{}: {} changed the site settings", req.client_ip, req.principal.user);
        if (deps_.audit != nullptr) {
            deps_.audit->record(storage::AuditRecord{
                0, storage::unix_ms_now(), req.principal.user, req.client_ip, "settings",
                "site_changed", "site", json::serialize(changes->get_object())});
        }
        return Response::json(json::object{{"site", to_json(site)}});
    });
    router.add("GET", "/api/server", Access::admin, [this](Request&) {
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        return Response::json(server_facts(now));
    });
}

} // namespace tinyice::server
