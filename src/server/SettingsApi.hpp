#pragma once
// Site settings (the public face of the web pages: title, tagline, description, accent colour),
// kept in the database as the definition ("setting", "site"), and the read-only server facts
// for administrators (docs/API.md, "Settings"):
//   GET /api/settings   (public)      {"site": {"title", "tagline", "description", "accent"}}
//   PUT /api/settings   (superadmin)  {"site": {...}}: changes the fields given
//   GET /api/server     (admin)       version, uptime, listen addresses, limits, storage, ...
//
// Threads: every method is thread-safe; handlers run on the API worker pool. The current site
// settings are cached in memory (pages read them on every render), so only PUT touches SQLite.

#include "config/Config.hpp"
#include "http/Router.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace tinyice::storage {
class AuditStore;
class DefinitionStore;
} // namespace tinyice::storage

namespace tinyice::server {

struct SiteSettings {
    static constexpr std::size_t max_title = 80;         // characters (code points), at least 1
    static constexpr std::size_t max_tagline = 160;      // characters
    static constexpr std::size_t max_description = 2000; // characters

    std::string title = "TinyIce";
    std::string tagline;
    std::string description; // plain text; may have line breaks (shown as text, never HTML)
    std::string accent = "#ff9f43";
    bool operator==(const SiteSettings&) const = default;
};

// `current` with the members of `changes` applied ("title", "tagline", "description",
// "accent"; members left out keep their value). Text is trimmed of surrounding white space and
// must be plain text: no control characters (the description may have line breaks and tabs;
// CR LF becomes LF). The accent is a "#rrggbb" colour, stored in lower case. Throws
// std::invalid_argument naming the field ("site.title: ...") for a wrong type, an unknown
// member or a bad value.
[[nodiscard]] SiteSettings apply_site_changes(SiteSettings current,
                                              const boost::json::object& changes);

[[nodiscard]] boost::json::object to_json(const SiteSettings& site);

// Settings from their stored JSON, forgiving: a field that is missing or no longer valid takes
// its default (and is logged), so a damaged row never keeps the pages from rendering.
[[nodiscard]] SiteSettings site_settings_from_stored(std::string_view json_text);

class SettingsApi {
public:
    static constexpr std::string_view definition_kind = "setting";
    static constexpr std::string_view definition_name = "site";

    struct Dependencies {
        const config::Config& config;
        std::string version;                             // "0.1.0"
        std::string database_path;                       // resolved, as opened
        std::int64_t started_unix = 0;                   // server start (Server::snapshot())
        storage::DefinitionStore* definitions = nullptr; // null: changes live until restart
        storage::AuditStore* audit = nullptr;            // null: changes are not audited
    };

    // Loads the stored site settings (defaults when there are none).
    explicit SettingsApi(Dependencies deps);
    SettingsApi(const SettingsApi&) = delete;
    SettingsApi& operator=(const SettingsApi&) = delete;

    // The routes capture `this`: the SettingsApi must outlive the server.
    void register_routes(http::Router& router);

    [[nodiscard]] SiteSettings site() const;
    // Validates and applies `changes` (as apply_site_changes), stores the result and returns
    // it. Throws std::invalid_argument for bad input, storage errors as they come.
    SiteSettings update_site(const boost::json::object& changes);

    // The GET /api/server document at `now_unix`.
    [[nodiscard]] boost::json::object server_facts(std::int64_t now_unix) const;

private:
    Dependencies deps_;
    mutable std::mutex mutex_; // guards site_; held across the store write so updates queue
    SiteSettings site_;
};

} // namespace tinyice::server
