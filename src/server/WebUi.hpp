#pragma once
// The web interface: server-rendered pages and the static assets they use, all embedded in the
// binary (src/web, see docs/WEB.md). A page is a template plus data fetched from the JSON API
// as the caller: the route is matched in the API router and its handler called directly (we
// are on the worker pool already), so a page shows exactly what the API shows that user.
//
// Served paths: "/" (landing), "/login", "/player/MOUNT", "/embed/MOUNT", "/assets/...",
// "/favicon.ico", and the admin pages "/admin", "/admin/" and "/admin/<slug>" for the pages in
// admin_pages() that exist. Every other path, including Icecast's admin commands
// (/admin/stats, /admin/metadata, ...) and /admin/events, stays with the server.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "http/Router.hpp"
#include "http/Template.hpp"
#include "server/Server.hpp"
#include "web/WebFiles.hpp"

namespace tinyice::server {

// What a page's data function works with: the caller's request, and the JSON API as the caller
// sees it.
class PageContext {
public:
    PageContext(const http::Router& api, http::Request& request) : api_(api), request_(request) {}

    [[nodiscard]] http::Request& request() const { return request_; }
    [[nodiscard]] const http::Principal& principal() const { return request_.principal; }

    // GETs an API route as the caller: the parsed JSON of a 2xx answer, or nullopt when no route
    // matches (a feature not built in), the caller may not use it, or it answers an error
    // (status() tells which: 404, 401, 403, 500, ...). `query` is a raw query string
    // ("limit=5").
    std::optional<boost::json::value> get(std::string_view path, std::string_view query = {});
    // The status of the last get().
    [[nodiscard]] int status() const { return status_; }

private:
    const http::Router& api_;
    http::Request& request_;
    int status_ = 0;
};

// A page of the admin interface, under /admin/<slug>. The table (admin_pages() in WebUi.cpp)
// is the navigation, in order; docs/WEB.md explains how to add one.
struct AdminPage {
    std::string_view slug;   // "" = the dashboard (/admin); else /admin/<slug>
    std::string_view label;  // in the navigation and the <title>
    std::string_view icon;   // a symbol id in assets/icons.svg
    http::Access access;     // who sees it in the navigation and may open it
    // Template data for the page (merged into the view; its "client" member, if any, becomes
    // the page data the page's script reads). Null = the page does not exist yet: it is left
    // out of the navigation and its path is not served (it stays an Icecast admin command).
    boost::json::object (*data)(PageContext&) = nullptr;
    std::string_view template_name;  // "pages/dashboard"
    std::string_view module;         // the page's script under assets/ ("pages/dashboard.js")
    std::span<const std::string_view> client_templates;  // partials emitted as <template>
    bool subpaths = false;  // also serve /admin/<slug>/... (e.g. one station's page)
};

// Every admin page, in navigation order (those with data == nullptr are not built yet).
std::span<const AdminPage> admin_pages();

class WebUi final : public WebPages {
public:
    struct Options {
        // Development mode: read templates and assets from this source tree's src/web at every
        // request instead of the embedded copies (see web::WebFiles). Empty = embedded.
        std::filesystem::path dev_dir;
    };

    // Development mode from TINYICE_WEB_DIR when set.
    WebUi(http::Router& api, std::string version);
    // Throws std::invalid_argument naming the template when an embedded template does not
    // compile, std::runtime_error for an unusable dev_dir.
    WebUi(http::Router& api, std::string version, Options options);
    ~WebUi() override;
    WebUi(const WebUi&) = delete;
    WebUi& operator=(const WebUi&) = delete;

    [[nodiscard]] bool owns(std::string_view path) const override;
    // Runs on the worker pool. GET and HEAD only (the server sends nothing else).
    http::Response handle(http::Request& req) override;

    // The URL pages use for an asset: "/assets/app.css?v=<etag>" (cached for a year: the
    // version changes with the content), or "/assets/<path>" when there is no such asset.
    [[nodiscard]] std::string asset_url(std::string_view path) const;

private:
    struct Templates;
    struct PageView;

    std::shared_ptr<const Templates> templates() const;
    http::Response serve_asset(const http::Request& req, std::string_view path) const;
    http::Response serve_theme(const http::Request& req) const;
    http::Response landing(http::Request& req);
    http::Response player(http::Request& req, std::string mount, bool embed);
    http::Response login(http::Request& req);
    http::Response admin(http::Request& req, std::string_view rest);
    http::Response error_page(http::Request& req, int status, std::string_view heading,
                              std::string_view message);
    http::Response render(http::Request& req, PageView view);
    boost::json::object site_settings(PageContext& ctx) const;

    http::Router& api_;
    const std::string version_;
    web::WebFiles files_;
    std::shared_ptr<const Templates> compiled_;  // embedded templates, compiled once
};

// Helpers shared by the page data functions (and unit tests).
namespace web_format {
// "MP3 · 128 kbps", "Ogg Opus", "AAC"; "" when unknown.
std::string stream_format(std::string_view content_type, std::string_view subtype,
                          std::optional<double> bitrate_kbps);
// 0:42, 3:07, 1:02:03 (negative and non-finite as 0:00).
std::string clock(double seconds);
// 45s, 12m 05s, 3h 04m, 2d 03h.
std::string uptime(double seconds);
// 0 bps, 950 bps, 12.3 kbps, 128 kbps, 1.24 Mbps.
std::string bits_per_second(double bps);
// A mount path for use in a URL path: each segment percent-encoded ("/my show" -> "/my%20show").
std::string mount_path(std::string_view mount);
}  // namespace web_format

// The view of one now-playing document that templates (and assets/mounts.js in the browser)
// use: links, the format label, the title split into title and artist, AutoDJ progress.
boost::json::object decorate_mount(const boost::json::object& now_playing);

// Serialises page data for <script type="application/json">: JSON with '<', '>' and '&'
// written as \u escapes, so no string in it can end the script element.
std::string script_json(const boost::json::value& v);

}  // namespace tinyice::server
