#include "server/WebUi.hpp"

#include "web/WebAssets.hpp"
#include "web/WebFiles.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <unistd.h>

namespace tinyice::server {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using http::Access;
using http::Principal;

constexpr std::string_view evil_title = "</script><script>alert(1)</script> & \"'";

// A JSON API with the routes the pages read, answering fixed documents.
class FakeApi {
public:
    FakeApi() {
        router.add("GET", "/api/settings", Access::anyone, [this](http::Request&) {
            return http::Response::json(json::object{{"site", site}});
        });
        router.add("GET", "/api/nowplaying", Access::anyone, [this](http::Request& r) {
            seen_principal = r.principal;
            return http::Response::json(json::object{{"mounts", mounts}});
        });
        router.add("GET", "/api/nowplaying/{*mount}", Access::anyone, [this](http::Request& r) {
            for (const auto& m : mounts) {
                if (m.as_object().at("mount").as_string() == "/" + r.param("mount")) {
                    return http::Response::json(m);
                }
            }
            throw http::HttpError(404, "no such mount");
        });
        router.add("GET", "/api/history/{*mount}", Access::anyone, [this](http::Request& r) {
            history_queries.push_back(r.query.get("limit").value_or(""));
            json::array plays{json::object{{"id", 1},
                                           {"started_at", 1764640123456},
                                           {"artist", "Miles Davis"},
                                           {"title", "So What"}}};
            return http::Response::json(
                json::object{{"mount", "/" + r.param("mount")}, {"plays", plays}});
        });
        router.add("GET", "/api/secret", Access::admin,
                   [](http::Request&) { return http::Response::json(json::object{}); });
        mounts.push_back(json::object{{"mount", "/live"},
                                      {"live", true},
                                      {"listeners", 3},
                                      {"name", "Test Tone"},
                                      {"content_type", "audio/mpeg"},
                                      {"bitrate", 128},
                                      {"source", "live"},
                                      {"title", evil_title},
                                      {"artist", ""}});
        mounts.push_back(json::object{{"mount", "/offline"}, {"live", false}, {"listeners", 0}});
    }

    http::Router router;
    json::object site{{"title", "Test Radio"}, {"tagline", "Always on"}, {"accent", "#3366ff"}};
    json::array mounts;
    std::vector<std::string> history_queries;
    Principal seen_principal;
};

class WebUiTest : public ::testing::Test {
protected:
    http::Response get(std::string path, std::string query = {}, Principal who = {}) {
        http::Request req;
        req.method = "GET";
        req.path = std::move(path);
        req.query = protocol::http::QueryParams(query);
        req.principal = std::move(who);
        req.head = head_ ? &*head_ : nullptr;
        return web.handle(req);
    }

    static std::optional<std::string> header(const http::Response& r, std::string_view name) {
        for (const auto& [k, v] : r.headers) {
            if (k == name) {
                return v;
            }
        }
        return std::nullopt;
    }

    static Principal user(Principal::Role role, std::string name = "alice") {
        Principal p;
        p.role = role;
        p.via = Principal::Via::session;
        p.user = std::move(name);
        p.csrf = "csrf-token-123";
        return p;
    }

    // The JSON of <script type="application/json" id="page-data">.
    static json::value page_data(const std::string& html) {
        const std::string open = "<script type=\"application/json\" id=\"page-data\">";
        auto start = html.find(open);
        EXPECT_NE(start, std::string::npos);
        start += open.size();
        auto end = html.find("</script>", start);
        return json::parse(html.substr(start, end - start));
    }

    FakeApi api;
    WebUi web{api.router, "9.8.7", WebUi::Options{}};
    std::optional<protocol::http::RequestHead> head_;
};

// ---- routing -------------------------------------------------------------------------------

TEST_F(WebUiTest, OwnsThePagesAndAssets) {
    for (std::string_view p :
         {"/", "/login", "/player/live", "/player/radio/main", "/embed/live", "/assets/app.css",
          "/assets/pages/player.js", "/favicon.ico", "/admin", "/admin/"}) {
        EXPECT_TRUE(web.owns(p)) << p;
    }
}

TEST_F(WebUiTest, LeavesIcecastAdminCommandsEventsAndMountsToTheServer) {
    for (std::string_view p : {"/admin/stats",
                               "/admin/stats.xml",
                               "/admin/stats.xsl",
                               "/admin/listmounts",
                               "/admin/streamlist.txt",
                               "/admin/metadata",
                               "/admin/listclients",
                               "/admin/killclient",
                               "/admin/killsource",
                               "/admin/moveclients",
                               "/admin/anything.xsl",
                               "/admin/events",
                               "/admin.cgi",
                               "/events",
                               "/live",
                               "/api/nowplaying",
                               "/status-json.xsl",
                               "/status.xsl",
                               "/server_version.xsl",
                               "/player",
                               "/player/",
                               "/embed/",
                               "/assets/",
                               "/login/x",
                               "/admin//x"}) {
        EXPECT_FALSE(web.owns(p)) << p;
    }
}

TEST_F(WebUiTest, AdminPageSlugsNeverCollideWithIcecastCommands) {
    const std::set<std::string_view> icecast{
        "stats",       "stats.xml",  "listmounts", "streamlist.txt", "metadata",
        "listclients", "killclient", "killsource", "moveclients",    "events"};
    std::set<std::string_view> seen;
    for (const auto& page : admin_pages()) {
        EXPECT_EQ(icecast.count(page.slug), 0U) << page.slug;
        EXPECT_FALSE(page.slug.ends_with(".xsl")) << page.slug;
        EXPECT_TRUE(seen.insert(page.slug).second) << "duplicate " << page.slug;
        if (page.data != nullptr) {
            EXPECT_NE(web::find_template(page.template_name), nullptr) << page.template_name;
            EXPECT_NE(web::find_asset(page.module), nullptr) << page.module;
        }
    }
    EXPECT_TRUE(seen.count("statistics"));
    EXPECT_EQ(admin_pages().front().slug, ""); // the dashboard comes first
}

// ---- assets --------------------------------------------------------------------------------

TEST(WebAssets, TablesAreSortedAndTypedAndSmall) {
    auto assets = web::all_assets();
    ASSERT_FALSE(assets.empty());
    std::size_t total = 0;
    for (std::size_t i = 0; i < assets.size(); ++i) {
        if (i > 0) {
            EXPECT_LT(assets[i - 1].path, assets[i].path);
        }
        EXPECT_EQ(assets[i].content_type, web::content_type_for(assets[i].path)) << assets[i].path;
        EXPECT_EQ(assets[i].etag.size(), 16U);
        total += assets[i].data.size();
    }
    for (const auto& t : web::all_templates()) {
        total += t.data.size();
    }
    // The budget of the whole web interface (no frameworks).
    EXPECT_LT(total, 400U * 1024U);

    const auto* css = web::find_asset("app.css");
    ASSERT_NE(css, nullptr);
    EXPECT_EQ(css->content_type, "text/css; charset=utf-8");
    EXPECT_NE(web::find_asset("pages/landing.js"), nullptr);
    EXPECT_EQ(web::find_asset("nope.css"), nullptr);
    EXPECT_EQ(web::find_asset(""), nullptr);
    EXPECT_NE(web::find_template("layouts/public"), nullptr);
    EXPECT_NE(web::find_template("partials/mount_card"), nullptr);
    EXPECT_EQ(web::find_template("layouts/public.html"), nullptr);
}

TEST(WebAssets, ContentTypesByExtension) {
    EXPECT_EQ(web::content_type_for("a/b.JS"), "text/javascript; charset=utf-8");
    EXPECT_EQ(web::content_type_for("x.svg"), "image/svg+xml");
    EXPECT_EQ(web::content_type_for("x.woff2"), "font/woff2");
    EXPECT_EQ(web::content_type_for("Makefile"), "application/octet-stream");
    EXPECT_EQ(web::content_type_for("dir.css/file"), "application/octet-stream");
}

TEST(WebAssets, AcceptablePaths) {
    EXPECT_TRUE(web::acceptable_web_path("app.css"));
    EXPECT_TRUE(web::acceptable_web_path("pages/player.js"));
    for (std::string_view bad : std::initializer_list<std::string_view>{
             "", "/app.css", "a//b", "../x", "a/../b", "a/./b", ".hidden", "a/.git/config", "a\\b",
             std::string_view("a\0b", 3), "a/"}) {
        EXPECT_FALSE(web::acceptable_web_path(bad)) << bad;
    }
}

TEST_F(WebUiTest, ServesAssetsWithEtagsAndRevalidation) {
    const auto* css = web::find_asset("app.css");
    ASSERT_NE(css, nullptr);
    auto r = get("/assets/app.css");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.content_type, "text/css; charset=utf-8");
    EXPECT_EQ(r.body.size(), css->data.size());
    const std::string etag = "\"" + std::string(css->etag) + "\"";
    EXPECT_EQ(header(r, "ETag"), etag);
    EXPECT_EQ(header(r, "Cache-Control"), "no-cache");
    EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff");

    // The versioned URL pages link to is immutable; a stale version is not.
    EXPECT_EQ(web.asset_url("app.css"), "/assets/app.css?v=" + std::string(css->etag));
    r = get("/assets/app.css", "v=" + std::string(css->etag));
    EXPECT_EQ(header(r, "Cache-Control"), "public, max-age=31536000, immutable");
    r = get("/assets/app.css", "v=0000");
    EXPECT_EQ(header(r, "Cache-Control"), "no-cache");

    for (std::string inm : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
        std::string raw = "If-None-Match";
        head_.emplace();
        head_->headers.push_back({raw, inm});
        auto not_modified = get("/assets/app.css");
        EXPECT_EQ(not_modified.status, 304) << inm;
        EXPECT_TRUE(not_modified.body.empty());
        EXPECT_EQ(header(not_modified, "ETag"), etag);
        head_.reset();
    }
    head_.emplace();
    head_->headers.push_back({"If-None-Match", "\"something-else\""});
    EXPECT_EQ(get("/assets/app.css").status, 200);
    head_.reset();

    EXPECT_EQ(get("/assets/missing.css").status, 404);
    EXPECT_EQ(get("/assets/pages/../app.css").status, 404);
    EXPECT_EQ(get("/assets/.hidden").status, 404);
    auto icon = get("/favicon.ico");
    EXPECT_EQ(icon.status, 200);
    EXPECT_EQ(icon.content_type, "image/svg+xml");
}

TEST_F(WebUiTest, ThemeCssCarriesTheAccentColour) {
    auto r = get("/assets/theme.css", "accent=3366ff");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.content_type, "text/css; charset=utf-8");
    EXPECT_NE(r.body.find("--accent: #3366ff;"), std::string::npos);
    // White text on blue; accent text lightened until readable on the dark panels.
    EXPECT_NE(r.body.find("--accent-ink: #ffffff;"), std::string::npos);
    EXPECT_EQ(r.body.find("--accent-text: #3366ff;"), std::string::npos);
    EXPECT_NE(get("/assets/theme.css", "accent=fc0").body.find("--accent-ink: #111114;"),
              std::string::npos);
    EXPECT_EQ(get("/assets/theme.css", "accent=red;}body{").status, 404);
    EXPECT_EQ(get("/assets/theme.css").status, 404);
}

// ---- pages ---------------------------------------------------------------------------------

TEST_F(WebUiTest, HtmlPagesCarrySecurityHeaders) {
    for (std::string path : {"/", "/login", "/player/live"}) {
        auto r = get(path);
        ASSERT_EQ(r.status, 200) << path << ": " << r.body;
        EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
        auto csp = header(r, "Content-Security-Policy").value_or("");
        for (std::string_view part :
             {"default-src 'self'", "script-src 'self'", "style-src 'self'",
              "img-src 'self' data:", "media-src 'self' blob:", "connect-src 'self'",
              "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"}) {
            EXPECT_NE(csp.find(part), std::string::npos) << path << ": " << part;
        }
        EXPECT_EQ(header(r, "X-Frame-Options"), "DENY");
        EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff");
        EXPECT_EQ(header(r, "Referrer-Policy"), "same-origin");
        EXPECT_NE(header(r, "Permissions-Policy").value_or("").find("camera=()"),
                  std::string::npos);
        EXPECT_EQ(header(r, "Cache-Control"), "no-store");
        // No inline script or style anywhere (the CSP would block them).
        EXPECT_EQ(r.body.find("style=\""), std::string::npos) << path;
        EXPECT_EQ(r.body.find("<script>"), std::string::npos) << path;
        EXPECT_EQ(r.body.find("<style"), std::string::npos) << path;
    }
}

TEST_F(WebUiTest, EmbedMayBeFramedAnywhere) {
    auto r = get("/embed/live");
    ASSERT_EQ(r.status, 200);
    auto csp = header(r, "Content-Security-Policy").value_or("");
    EXPECT_NE(csp.find("frame-ancestors *"), std::string::npos);
    EXPECT_EQ(csp.find("frame-ancestors 'none'"), std::string::npos);
    EXPECT_FALSE(header(r, "X-Frame-Options").has_value());
    EXPECT_NE(r.body.find("pages/embed.js?v="), std::string::npos);
}

TEST_F(WebUiTest, PageDataEscapesScriptEndings) {
    auto r = get("/");
    ASSERT_EQ(r.status, 200);
    // The hostile title appears neither raw in the markup nor raw in the page data...
    EXPECT_EQ(r.body.find("<script>alert(1)"), std::string::npos);
    EXPECT_EQ(r.body.find("</script><script>"), std::string::npos);
    EXPECT_NE(r.body.find("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"),
              std::string::npos);
    // ...and the page data still reads back as the original text.
    auto data = page_data(r.body);
    const auto& mount = data.at("data").at("mounts").at(0);
    EXPECT_EQ(mount.at("title").as_string(), evil_title);
    EXPECT_EQ(data.at("page").as_string(), "landing");
    EXPECT_EQ(data.at("site").at("title").as_string(), "Test Radio");

    EXPECT_EQ(script_json(json::value("</script><!--&")),
              "\"\\u003c/script\\u003e\\u003c!--\\u0026\"");
}

TEST_F(WebUiTest, LandingShowsLiveMountsWithHistoryAndClientTemplates) {
    auto r = get("/");
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("<title>Test Radio · Always on</title>"), std::string::npos);
    EXPECT_NE(r.body.find("href=\"/player/live\""), std::string::npos);
    EXPECT_NE(r.body.find("href=\"/live.m3u\""), std::string::npos);
    EXPECT_NE(r.body.find("MP3 · 128 kbps"), std::string::npos);
    EXPECT_NE(r.body.find("3 listeners"), std::string::npos);
    EXPECT_NE(r.body.find("So What"), std::string::npos); // recent plays
    EXPECT_EQ(r.body.find("/player/offline"), std::string::npos);
    EXPECT_EQ(api.history_queries, std::vector<std::string>{"5"});
    // The partials the page script renders, and those they include.
    for (std::string_view id :
         {"tpl-mount_card", "tpl-history_item", "tpl-now_playing", "tpl-progress"}) {
        EXPECT_NE(r.body.find(id), std::string::npos) << id;
    }
    // Template text is emitted escaped (a text node), so the parser cannot rearrange it.
    EXPECT_NE(r.body.find("{{#has_title}}&lt;p class=&quot;now-title&quot;&gt;"),
              std::string::npos);
    // The accent colour of the settings.
    EXPECT_NE(r.body.find("/assets/theme.css?accent=3366ff"), std::string::npos);
    EXPECT_NE(r.body.find("/assets/app.css?v="), std::string::npos);
}

TEST_F(WebUiTest, LandingWithNothingLiveAndNoSettingsRoute) {
    http::Router bare;
    bare.add("GET", "/api/nowplaying", Access::anyone, [](http::Request&) {
        return http::Response::json(json::object{{"mounts", json::array{}}});
    });
    WebUi quiet(bare, "1.0", WebUi::Options{});
    http::Request req;
    req.method = "GET";
    req.path = "/";
    auto r = quiet.handle(req);
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("Nothing is on air right now"), std::string::npos);
    EXPECT_NE(r.body.find("<title>TinyIce</title>"), std::string::npos);
    EXPECT_EQ(r.body.find("theme.css"), std::string::npos);
}

TEST_F(WebUiTest, PlayerAndEmbedOfUnknownMountsAre404) {
    auto r = get("/player/nope");
    EXPECT_EQ(r.status, 404);
    EXPECT_NE(r.body.find("Stream not found"), std::string::npos);
    EXPECT_EQ(header(r, "X-Frame-Options"), "DENY");
    r = get("/embed/nope");
    EXPECT_EQ(r.status, 404);
    EXPECT_FALSE(header(r, "X-Frame-Options").has_value());
}

TEST_F(WebUiTest, PlayerShowsStreamDetailsAndEmbedSnippet) {
    auto r = get("/player/live");
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("Test Tone"), std::string::npos);
    EXPECT_NE(r.body.find("&lt;iframe src=&quot;http://localhost/embed/live&quot;"),
              std::string::npos);
    EXPECT_EQ(api.history_queries, std::vector<std::string>{"10"});
    auto data = page_data(r.body);
    EXPECT_EQ(data.at("data").at("mount").at("mount").as_string(), "/live");
    EXPECT_EQ(data.at("data").at("history").as_array().size(), 1U);
}

TEST_F(WebUiTest, UnknownPathsUnderOwnedPrefixesAre404Pages) {
    auto r = get("/admin/not-a-page");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
}

// ---- sign-in and the admin pages ------------------------------------------------------------

TEST_F(WebUiTest, AnonymousAdminRequestsRedirectToLogin) {
    auto r = get("/admin");
    EXPECT_EQ(r.status, 303);
    EXPECT_EQ(header(r, "Location"), "/login?next=%2Fadmin");
    r = get("/admin/");
    EXPECT_EQ(header(r, "Location"), "/login?next=%2Fadmin%2F");

    // The original target (path and query, still encoded) comes back after the login.
    head_.emplace();
    head_->path = "/admin/";
    head_->query = "tab=a%20b";
    r = get("/admin/", "tab=a%20b");
    EXPECT_EQ(header(r, "Location"), "/login?next=%2Fadmin%2F%3Ftab%3Da%2520b");
}

TEST_F(WebUiTest, LoginPageAndRedirectWhenSignedIn) {
    auto r = get("/login", "next=%2Fadmin%2Fstatistics");
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("pages/login.js?v="), std::string::npos);
    EXPECT_EQ(page_data(r.body).at("data").at("next").as_string(), "/admin/statistics");

    // Only same-site paths are followed.
    for (std::string bad : {"next=%2F%2Fevil.example", "next=https%3A%2F%2Fevil.example",
                            "next=%2F%5Cevil.example", "next="}) {
        r = get("/login", bad);
        EXPECT_EQ(page_data(r.body).at("data").at("next").as_string(), "/admin") << bad;
    }

    r = get("/login", "next=%2Fadmin%2Fstatistics", user(Principal::Role::admin));
    EXPECT_EQ(r.status, 303);
    EXPECT_EQ(header(r, "Location"), "/admin/statistics");
}

TEST_F(WebUiTest, DashboardForSignedInUsers) {
    auto r = get("/admin", {}, user(Principal::Role::superadmin, "root"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("class=\"admin page-dashboard\""), std::string::npos);
    EXPECT_NE(r.body.find("aria-current=\"page\""), std::string::npos);
    EXPECT_NE(r.body.find("tpl-mount_row"), std::string::npos);
    EXPECT_NE(r.body.find("tpl-station_card"), std::string::npos);
    EXPECT_NE(r.body.find("/offline"), std::string::npos); // admins see every mount
    EXPECT_NE(r.body.find("href=\"/admin/mounts\""), std::string::npos);
    auto data = page_data(r.body);
    EXPECT_EQ(data.at("csrf").as_string(), "csrf-token-123");
    EXPECT_EQ(data.at("user").at("name").as_string(), "root");
    EXPECT_EQ(data.at("user").at("role").as_string(), "superadmin");
    // The API was called as the visitor.
    EXPECT_EQ(api.seen_principal.user, "root");

    // A DJ may open the dashboard too.
    EXPECT_EQ(get("/admin", {}, user(Principal::Role::dj)).status, 200);
}

TEST_F(WebUiTest, PageContextCallsRoutesAsTheCaller) {
    http::Request req;
    req.method = "GET";
    req.path = "/";
    PageContext anonymous(api.router, req);
    EXPECT_FALSE(anonymous.get("/api/secret").has_value());
    EXPECT_EQ(anonymous.status(), 401);
    EXPECT_FALSE(anonymous.get("/api/not-there").has_value());
    EXPECT_EQ(anonymous.status(), 404);
    EXPECT_FALSE(anonymous.get("/api/nowplaying/nope").has_value());
    EXPECT_EQ(anonymous.status(), 404);

    req.principal = user(Principal::Role::dj);
    PageContext dj(api.router, req);
    EXPECT_FALSE(dj.get("/api/secret").has_value());
    EXPECT_EQ(dj.status(), 403);

    req.principal = user(Principal::Role::admin);
    PageContext admin(api.router, req);
    EXPECT_TRUE(admin.get("/api/secret").has_value());
    EXPECT_EQ(admin.status(), 200);
    auto plays = admin.get("/api/history/live", "limit=7");
    ASSERT_TRUE(plays.has_value());
    EXPECT_EQ(api.history_queries.back(), "7");
}

// ---- view models and formatting -------------------------------------------------------------

TEST(WebFormat, Labels) {
    EXPECT_EQ(web_format::clock(0), "0:00");
    EXPECT_EQ(web_format::clock(42.9), "0:42");
    EXPECT_EQ(web_format::clock(3723), "1:02:03");
    EXPECT_EQ(web_format::clock(-5), "0:00");
    EXPECT_EQ(web_format::uptime(45), "45s");
    EXPECT_EQ(web_format::uptime(725), "12m 05s");
    EXPECT_EQ(web_format::uptime(11040), "3h 04m");
    EXPECT_EQ(web_format::uptime(183600), "2d 03h");
    EXPECT_EQ(web_format::bits_per_second(950), "950 bps");
    EXPECT_EQ(web_format::bits_per_second(12345), "12 kbps");
    EXPECT_EQ(web_format::bits_per_second(1234), "1.2 kbps");
    EXPECT_EQ(web_format::bits_per_second(1240000), "1.24 Mbps");
    EXPECT_EQ(web_format::stream_format("audio/mpeg", "", 128.0), "MP3 · 128 kbps");
    EXPECT_EQ(web_format::stream_format("audio/ogg", "Opus", std::nullopt), "Ogg Opus");
    EXPECT_EQ(web_format::stream_format("AUDIO/AAC; x=1", "", 0.0), "AAC");
    EXPECT_EQ(web_format::stream_format("", "", std::nullopt), "");
    EXPECT_EQ(web_format::mount_path("/my show/ä"), "/my%20show/%C3%A4");
}

TEST(WebView, DecorateMountSplitsTitlesAndBuildsLinks) {
    auto m = decorate_mount(json::parse(R"({"mount": "/my show", "live": true, "listeners": 1,
        "name": "Unspecified name", "title": "Artist - Song - Remix", "artist": "",
        "source": "autodj", "content_type": "audio/ogg", "subtype": "Vorbis"})")
                                .as_object());
    EXPECT_EQ(m.at("display_name").as_string(), "/my show");
    EXPECT_EQ(m.at("now_title").as_string(), "Song - Remix");
    EXPECT_EQ(m.at("now_artist").as_string(), "Artist");
    EXPECT_EQ(m.at("listeners_label").as_string(), "1 listener");
    EXPECT_EQ(m.at("source_label").as_string(), "AutoDJ");
    EXPECT_EQ(m.at("format").as_string(), "Ogg Vorbis");
    EXPECT_EQ(m.at("player_url").as_string(), "/player/my%20show");
    EXPECT_EQ(m.at("pls_url").as_string(), "/my%20show.pls");
    EXPECT_TRUE(m.at("progress").is_null());

    auto dj = decorate_mount(json::parse(R"({"mount": "/a", "live": true,
        "title": "Miles Davis - So What", "artist": "Miles Davis",
        "autodj": {"track": {"title": "So What", "artist": "Miles Davis"}, "elapsed": 42.5,
                   "duration": 562.4, "next": {"display": "Next - Song"}}})")
                                 .as_object());
    EXPECT_EQ(dj.at("now_title").as_string(), "So What");
    EXPECT_EQ(dj.at("progress").at("elapsed_label").as_string(), "0:42");
    EXPECT_EQ(dj.at("progress").at("duration_label").as_string(), "9:22");
    EXPECT_EQ(dj.at("next_display").as_string(), "Next - Song");

    auto off = decorate_mount(json::parse(R"({"mount": "/b", "live": false})").as_object());
    EXPECT_EQ(off.at("source_label").as_string(), "Off air");
    EXPECT_FALSE(off.at("has_title").as_bool());
}

// ---- development mode -----------------------------------------------------------------------

class WebDevDir : public ::testing::Test {
protected:
    void SetUp() override {
        root = fs::temp_directory_path() / ("tinyice-webdev-" + std::to_string(::getpid()));
        fs::remove_all(root);
        fs::create_directories(root / "web/assets/pages");
        fs::create_directories(root / "web/templates/partials");
        std::ofstream(root / "web/assets/app.css") << "body{}";
        std::ofstream(root / "web/templates/partials/x.html") << "<p>{{x}}</p>";
        std::ofstream(root / "secret.txt") << "secret";
        fs::create_symlink(root / "secret.txt", root / "web/assets/leak.txt");
        fs::create_symlink(root / "web/assets/app.css", root / "web/assets/alias.css");
    }
    void TearDown() override { fs::remove_all(root); }
    fs::path root;
};

TEST_F(WebDevDir, ReadsFilesFromDiskConfinedToTheFolder) {
    web::WebFiles files(root / "web");
    EXPECT_TRUE(files.development());
    auto css = files.asset("app.css");
    ASSERT_TRUE(css.has_value());
    EXPECT_EQ(css->bytes, "body{}");
    EXPECT_EQ(css->content_type, "text/css; charset=utf-8");
    // Edits show at once.
    std::ofstream(root / "web/assets/app.css") << "body{color:red}";
    EXPECT_EQ(files.asset("app.css")->bytes, "body{color:red}");
    EXPECT_NE(files.asset("app.css")->etag, css->etag);

    EXPECT_FALSE(files.asset("leak.txt").has_value()); // symlink out of the folder
    EXPECT_TRUE(files.asset("alias.css").has_value()); // symlink inside it
    EXPECT_FALSE(files.asset("../secret.txt").has_value());
    EXPECT_FALSE(files.asset("pages").has_value()); // a directory
    EXPECT_FALSE(files.asset("missing.css").has_value());
    EXPECT_EQ(files.template_names(), std::vector<std::string>{"partials/x"});
    EXPECT_EQ(files.template_file("partials/x")->bytes, "<p>{{x}}</p>");
    EXPECT_FALSE(files.template_file("../web/assets/app").has_value());

    EXPECT_THROW(web::WebFiles(root / "nope"), std::runtime_error);
    EXPECT_THROW(web::WebFiles(root / "web/assets"), std::runtime_error);
}

TEST_F(WebDevDir, WebUiServesFromTheFolderWithoutCaching) {
    http::Router router;
    WebUi dev(router, "1.0", WebUi::Options{root / "web"});
    http::Request req;
    req.method = "GET";
    req.path = "/assets/app.css";
    req.query = protocol::http::QueryParams("v=whatever");
    auto r = dev.handle(req);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "body{}");
    for (const auto& [k, v] : r.headers) {
        if (k == "Cache-Control") {
            EXPECT_EQ(v, "no-cache");
        }
    }
}

TEST_F(WebDevDir, BrokenTemplateIsReportedWithItsName) {
    http::Router router;
    std::ofstream(root / "web/templates/partials/broken.html") << "line\n{{#open}}";
    try {
        WebUi dev(router, "1.0", WebUi::Options{root / "web"});
        FAIL() << "expected a compile error";
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()),
                  "web template partials/broken.html:2:1: section 'open' is never closed");
    }
}

// ---- admin pages: mounts, listeners, account, users, security, settings ---------------------

class AdminPagesTest : public WebUiTest {
protected:
    void SetUp() override {
        auto& r = api.router;
        r.add("GET", "/api/mounts", Access::user, [](http::Request&) {
            return http::Response::json(json::parse(R"({"mounts": [
                {"name": "/backup", "defined_in": "config", "live": false, "listeners": 0,
                 "listener_peak": 0, "settings": {"max_listeners": null, "burst_size": 65536,
                 "queue_size": 524288, "fallback": "", "hidden": true, "stream_name": ""},
                 "source": null, "owners": []},
                {"name": "/live", "defined_in": "config+api", "live": true, "listeners": 2,
                 "listener_peak": 7, "settings": {"max_listeners": 100, "burst_size": 65536,
                 "queue_size": 524288, "fallback": "/backup", "fallback_override": true,
                 "hidden": false, "stream_name": "</script><b>Show", "has_password": true},
                 "source": {"ip": "192.0.2.9", "content_type": "audio/mpeg", "origin": "live",
                            "bitrate": 128}, "owners": ["dj1"]}]})"));
        });
        r.add("GET", "/api/mounts/{*mount}/listeners", Access::user, [this](http::Request& q) {
            listener_mounts.push_back(q.param("mount"));
            return http::Response::json(json::parse(R"({"total": 1, "listeners": [
                {"id": 42, "ip": "198.51.100.4", "user_agent": "<VLC>", "connected_seconds": 3725,
                 "bytes": 1500000, "mount": "/live", "home": "/backup"}]})"));
        });
        r.add("GET", "/api/session", Access::anyone, [](http::Request& q) {
            if (!q.principal.logged_in()) {
                throw http::HttpError(401, "not signed in");
            }
            return http::Response::json(
                json::object{{"user", json::object{{"username", q.principal.user},
                                                   {"role", http::to_string(q.principal.role)},
                                                   {"mounts", json::array{"/live"}}}}});
        });
        r.add("GET", "/api/tokens", Access::user, [](http::Request&) {
            return http::Response::json(json::parse(R"({"tokens": [
                {"id": 3, "name": "</script><b>grafana", "prefix": "tki_ab12", "created_at": 1764640000000,
                 "last_used_at": 0, "expires_at": 0, "revoked": false},
                {"id": 4, "name": "old", "prefix": "tki_cd34", "created_at": 1764640000000,
                 "expires_at": 0, "revoked": true}]})"));
        });
        r.add("GET", "/api/users", Access::superadmin, [](http::Request&) {
            return http::Response::json(json::parse(R"({"users": [
                {"id": 0, "username": "admin", "role": "superadmin", "mounts": [],
                 "disabled": false, "builtin": true},
                {"id": 5, "username": "dj1", "role": "dj", "mounts": ["/live"],
                 "disabled": true, "last_login_at": 1764640000000, "builtin": false}]})"));
        });
        r.add("GET", "/api/security/rules", Access::admin, [](http::Request&) {
            return http::Response::json(json::parse(R"({"rules": [
                {"id": 8, "kind": "ban", "network": "203.0.113.0/24", "reason": "<spam>",
                 "source": "manual", "created_at": 1764640000000, "expires_at": null,
                 "created_by": "root"},
                {"kind": "allow", "network": "10.0.0.0/8", "source": "config"}]})"));
        });
        r.add("GET", "/api/security/lockouts", Access::admin, [](http::Request&) {
            return http::Response::json(json::parse(R"({"lockouts": [
                {"id": 9, "kind": "ban", "network": "198.51.100.7", "source": "login_lockout",
                 "created_at": 1764640000000, "expires_at": 1764640900000}],
                "watch": [{"ip": "192.0.2.50", "login_failures": 3, "unknown_paths": 1}]})"));
        });
        r.add("GET", "/api/audit", Access::admin, [this](http::Request& q) {
            audit_queries.push_back(q.query.get("limit").value_or("") + "|" +
                                    q.query.get("category").value_or(""));
            return http::Response::json(json::parse(R"({"entries": [
                {"id": 77, "at": 1764640000000, "username": "root", "ip": "127.0.0.1",
                 "category": "streams", "action": "mount_changed", "target": "/live",
                 "detail": {"fields": ["max_listeners"]}}]})"));
        });
        r.add("GET", "/api/server", Access::admin, [](http::Request&) {
            return http::Response::json(json::parse(R"({"version": "9.8.7", "uptime": 3725,
                "listen": [{"address": "::", "port": 8000}, {"address": "127.0.0.1", "port": 8001}],
                "hostname": "<radio>", "limits": {"max_clients": 25000, "max_listeners": 0},
                "http": {"trusted_proxies": []}})"));
        });
    }

    // The page as `role`, which must render.
    std::string page(std::string_view slug, Principal::Role role, std::string query = {}) {
        auto r = get("/admin/" + std::string(slug), std::move(query), user(role, "root"));
        EXPECT_EQ(r.status, 200) << slug << ": " << r.body;
        EXPECT_NE(r.body.find("class=\"admin page-" + std::string(slug) + "\""), std::string::npos);
        EXPECT_NE(r.body.find("pages/" + std::string(slug) + ".js?v="), std::string::npos);
        // CSP: no inline code or style; API text is escaped.
        EXPECT_EQ(r.body.find("style=\""), std::string::npos) << slug;
        EXPECT_EQ(r.body.find("<script>"), std::string::npos) << slug;
        EXPECT_EQ(r.body.find(" onclick="), std::string::npos) << slug;
        EXPECT_EQ(r.body.find("</script><b>"), std::string::npos) << slug;
        return r.body;
    }

    static bool has(const std::string& body, std::string_view text) {
        return body.find(text) != std::string::npos;
    }

    std::vector<std::string> listener_mounts;
    std::vector<std::string> audit_queries;
};

TEST_F(AdminPagesTest, ServedByRoleAndListedInTheNavigation) {
    using Role = Principal::Role;
    const std::vector<std::pair<std::string, Role>> pages{
        {"mounts", Role::dj},      {"listeners", Role::dj},   {"account", Role::dj},
        {"security", Role::admin}, {"settings", Role::admin}, {"users", Role::superadmin}};
    for (const auto& [slug, least] : pages) {
        const std::string path = "/admin/" + slug;
        EXPECT_TRUE(web.owns(path)) << path;
        auto anonymous = get(path);
        EXPECT_EQ(anonymous.status, 303) << path;
        EXPECT_EQ(header(anonymous, "Location"), "/login?next=%2Fadmin%2F" + slug);
        for (Role role : {Role::dj, Role::admin, Role::superadmin}) {
            auto r = get(path, {}, user(role));
            EXPECT_EQ(r.status, role >= least ? 200 : 403) << path << " as " << int(role);
            auto dash = get("/admin", {}, user(role));
            EXPECT_EQ(has(dash.body, "href=\"" + path + "\""), role >= least)
                << path << " in the navigation of " << int(role);
        }
    }
}

TEST_F(AdminPagesTest, MountsShowStateLimitsAndAdminActions) {
    auto body = page("mounts", Principal::Role::admin);
    EXPECT_TRUE(has(body, "data-mount-row=\"/live\""));
    EXPECT_TRUE(has(body, "data-mount-row=\"/backup\""));
    EXPECT_TRUE(has(body, "tpl-mounts_row"));
    EXPECT_TRUE(has(body, "data-action=\"mount-new\""));
    EXPECT_TRUE(has(body, "data-form=\"mount\""));
    for (std::string_view field :
         {"name=\"name\"", "name=\"password\"", "name=\"max_listeners\"", "name=\"fallback\"",
          "name=\"hidden\"", "name=\"stream_name\""}) {
        EXPECT_TRUE(has(body, field)) << field;
    }
    EXPECT_TRUE(has(body, "MP3 · 128 kbps"));
    EXPECT_TRUE(has(body, "max 100"));
    EXPECT_TRUE(has(body, "unlimited"));
    EXPECT_TRUE(has(body, "burst 65.5 kB · queue 524 kB"));
    EXPECT_TRUE(has(body, "<code>/backup</code>"));
    EXPECT_TRUE(has(body, "&lt;/script&gt;&lt;b&gt;Show"));
    EXPECT_TRUE(has(body, "data-action=\"mount-kick\"")); // /live has a source
    EXPECT_TRUE(has(body, "Revert"));                     // config+api reverts to the file
    EXPECT_TRUE(has(body, "href=\"/admin/listeners?mount=/live\""));
    auto data = page_data(body).at("data");
    EXPECT_EQ(data.at("mounts").as_array().size(), 2U);

    // DJs may kick a source but not define mounts.
    body = page("mounts", Principal::Role::dj);
    EXPECT_TRUE(has(body, "data-action=\"mount-kick\""));
    for (std::string_view admin_only : {"data-action=\"mount-new\"", "data-action=\"mount-edit\"",
                                        "data-action=\"mount-delete\"", "data-form=\"mount\""}) {
        EXPECT_FALSE(has(body, admin_only)) << admin_only;
    }
}

TEST_F(AdminPagesTest, ListenersOfTheFirstLiveOrTheRequestedMount) {
    auto body = page("listeners", Principal::Role::admin);
    ASSERT_EQ(listener_mounts, std::vector<std::string>{"live"}); // the first live one
    EXPECT_TRUE(has(body, "data-listener-id=\"42\""));
    EXPECT_TRUE(has(body, "data-action=\"kick\""));
    EXPECT_TRUE(has(body, "&lt;VLC&gt;"));
    EXPECT_TRUE(has(body, "1h 02m"));  // connected for 3725 s
    EXPECT_TRUE(has(body, "1.50 MB")); // bytes sent
    EXPECT_TRUE(has(body, "asked for /backup, fed by /live"));
    EXPECT_TRUE(has(body, "<option value=\"/live\" selected>"));
    EXPECT_TRUE(has(body, "data-form=\"move\""));
    auto data = page_data(body).at("data");
    EXPECT_EQ(data.at("mount").as_string(), "/live");
    EXPECT_EQ(data.at("listeners").as_array().size(), 1U);

    body = page("listeners", Principal::Role::dj, "mount=%2Fbackup");
    EXPECT_EQ(listener_mounts.back(), "backup");
    EXPECT_TRUE(has(body, "<option value=\"/backup\" selected>"));
    EXPECT_FALSE(has(body, "data-form=\"move\"")); // moving listeners is for admins

    page("listeners", Principal::Role::dj, "mount=%2Fnot-there");
    EXPECT_EQ(listener_mounts.back(), "live");
}

TEST_F(AdminPagesTest, AccountShowsTheUserTokensAndPasswordForm) {
    auto body = page("account", Principal::Role::dj);
    EXPECT_TRUE(has(body, "data-form=\"password\""));
    EXPECT_TRUE(has(body, "data-form=\"token\""));
    EXPECT_TRUE(has(body, "data-action=\"account-logout\""));
    EXPECT_TRUE(has(body, "data-token-id=\"3\""));
    EXPECT_TRUE(has(body, "&lt;/script&gt;&lt;b&gt;grafana"));
    EXPECT_TRUE(has(body, "2025-12-02 01:46 UTC"));
    EXPECT_TRUE(has(body, "Revoked"));
    // Only active tokens can be revoked.
    EXPECT_EQ(body.find("data-action=\"token-revoke\""),
              body.rfind("data-action=\"token-revoke\""));
    EXPECT_EQ(page_data(body).at("data").at("tokens").as_array().size(), 2U);
}

TEST_F(AdminPagesTest, UsersListWithTheBuiltinAdministratorReadOnly) {
    auto body = page("users", Principal::Role::superadmin);
    EXPECT_TRUE(has(body, "data-action=\"user-new\""));
    EXPECT_TRUE(has(body, "data-form=\"user\""));
    EXPECT_TRUE(has(body, "<option value=\"/live\">/live</option>")); // mounts for DJs
    auto builtin = body.find("data-user-id=\"0\"");
    auto dj = body.find("data-user-id=\"5\"");
    ASSERT_NE(builtin, std::string::npos);
    ASSERT_NE(dj, std::string::npos);
    auto builtin_row = body.substr(builtin, body.find("</tr>", builtin) - builtin);
    EXPECT_FALSE(has(builtin_row, "data-action=")) << builtin_row;
    EXPECT_TRUE(has(builtin_row, "read-only"));
    auto dj_row = body.substr(dj, body.find("</tr>", dj) - dj);
    for (std::string_view action : {"user-edit", "user-password", "user-delete"}) {
        EXPECT_TRUE(has(dj_row, action)) << action;
    }
    EXPECT_TRUE(has(dj_row, "Disabled"));
}

TEST_F(AdminPagesTest, SecurityShowsRulesLockoutsWatchListAndAudit) {
    auto body = page("security", Principal::Role::admin);
    EXPECT_TRUE(has(body, "data-rule-id=\"8\""));
    EXPECT_TRUE(has(body, "data-rule-id=\"9\"")); // a lockout can be lifted
    EXPECT_TRUE(has(body, "&lt;spam&gt;"));
    EXPECT_TRUE(has(body, "10.0.0.0/8"));
    EXPECT_TRUE(has(body, "failed logins"));
    EXPECT_TRUE(has(body, "192.0.2.50"));
    EXPECT_TRUE(has(body, "mount_changed"));
    EXPECT_TRUE(has(body, "{&quot;fields&quot;:[&quot;max_listeners&quot;]}"));
    EXPECT_TRUE(has(body, "data-form=\"rule\""));
    EXPECT_EQ(audit_queries, std::vector<std::string>{"50|"});
    // A config-file rule has no id: it cannot be removed here.
    auto config_rule = body.find("data-key=\"config-10.0.0.0/8\"");
    ASSERT_NE(config_rule, std::string::npos);
    EXPECT_FALSE(has(body.substr(config_rule, body.find("</tr>", config_rule) - config_rule),
                     "data-action"));

    page("security", Principal::Role::admin, "category=streams");
    page("security", Principal::Role::admin, "category=x%26limit%3D9");
    EXPECT_EQ(audit_queries.at(1), "50|streams");
    EXPECT_EQ(audit_queries.at(2), "50|"); // unknown categories are dropped
}

TEST_F(AdminPagesTest, SettingsFormForSuperadminsAndServerFacts) {
    auto body = page("settings", Principal::Role::superadmin);
    EXPECT_TRUE(has(body, "data-form=\"settings\""));
    EXPECT_TRUE(has(body, "value=\"Test Radio\""));
    EXPECT_TRUE(has(body, "value=\"#3366ff\""));
    EXPECT_FALSE(has(body, " disabled>"));
    EXPECT_TRUE(has(body, "<dt>Uptime</dt><dd>1h 02m</dd>"));
    EXPECT_TRUE(has(body, "<dd>[::]:8000, 127.0.0.1:8001</dd>"));
    EXPECT_TRUE(has(body, "&lt;radio&gt;"));
    EXPECT_TRUE(has(body, "<dt>Trusted proxies</dt><dd>none</dd>"));
    EXPECT_TRUE(page_data(body).at("data").at("can_edit").as_bool());

    body = page("settings", Principal::Role::admin); // admins read, superadmins edit
    EXPECT_TRUE(has(body, "<fieldset class=\"adm-fieldset\" disabled>"));
    EXPECT_FALSE(page_data(body).at("data").at("can_edit").as_bool());
}

// ---- studio pages: AutoDJ, statistics, transcoders ------------------------------------------

class StudioPagesTest : public WebUiTest {
protected:
    void SetUp() override {
        auto& r = api.router;
        r.add("GET", "/api/autodj", Access::admin, [](http::Request&) {
            return http::Response::json(json::object{{"stations", json::array{station()}}});
        });
        r.add("GET", "/api/autodj/{name}", Access::admin, [](http::Request& q) {
            if (q.param("name") != "main") {
                throw http::HttpError(404, "no such station");
            }
            return http::Response::json(station());
        });
        r.add("GET", "/api/autodj/{name}/playlist", Access::admin, [](http::Request&) {
            return http::Response::json(json::parse(R"({"version": 4, "current_position": 1,
                "entries": [
                  {"id": 5, "position": 0, "file": "a/one.mp3", "artist": "Ann", "title": "One",
                   "duration": 61},
                  {"id": 7, "position": 1, "file": "a/two.mp3", "artist": "Bob",
                   "title": "</script><b>Two", "duration": 125.5},
                  {"id": 9, "position": 2, "file": "gone/old.mp3", "missing": true}]})"));
        });
        r.add("GET", "/api/autodj/{name}/queue", Access::admin, [](http::Request&) {
            return http::Response::json(json::parse(
                R"({"entries": [{"id": 11, "position": 0, "file": "q.mp3", "title": "Queued"}]})"));
        });
        r.add("GET", "/api/autodj/{name}/library", Access::admin, [this](http::Request& q) {
            library_paths.push_back(q.query.get("path").value_or("(none)"));
            return http::Response::json(json::parse(R"({"path": "", "folders": ["Jazz"],
                "tracks": [{"file": "solo.flac", "artist": "Cy", "title": "Solo", "duration": 3}]})"));
        });
        r.add("GET", "/api/autodj/{name}/library/status", Access::admin, [](http::Request&) {
            return http::Response::json(json::parse(R"({"scanning": true, "files_seen": 40,
                "probed": 12, "tracks": 3, "artists": 2, "total_duration": 200})"));
        });
        r.add("GET", "/api/mounts", Access::user, [](http::Request&) {
            return http::Response::json(
                json::parse(R"({"mounts": [{"name": "/live"}, {"name": "/autodj"}]})"));
        });
        for (std::string path : {"/api/stats/listeners", "/api/stats/sessions"}) {
            r.add("GET", path, Access::user, [this, path](http::Request& q) {
                stats_queries.push_back(path + "?" + q.query.get("mount").value_or("*") + "&" +
                                        q.query.get("range").value_or(""));
                return http::Response::json(json::parse(
                    R"({"bucket_ms": 60000, "points": [[1764640000000, 2], [1764640060000, 5]],
                        "sessions": 12, "average_seconds": 725, "total_seconds": 8700})"));
            });
        }
        r.add("GET", "/api/stats/user-agents", Access::admin, [](http::Request&) {
            return http::Response::json(json::parse(
                R"({"agents": [{"user_agent": "VLC/3.0", "sessions": 8},
                               {"user_agent": "<Winamp>", "sessions": 2}]})"));
        });
        r.add("GET", "/api/history", Access::admin, [this](http::Request&) {
            all_history_queries.push_back("all");
            return http::Response::json(json::parse(R"({"plays": [{"id": 3, "mount": "/autodj",
                "started_at": 1764640123456, "artist": "Ann", "title": "One"}]})"));
        });
        r.add("GET", "/api/transcoders", Access::admin, [](http::Request&) {
            return http::Response::json(json::parse(R"({"transcoders": [
                {"name": "live-mp3", "defined_in": "config",
                 "config": {"name": "live-mp3", "input": "/live", "output": "/live.mp3",
                            "format": "mp3", "bitrate": 128, "enabled": true},
                 "status": {"input_live": true, "running": true, "decode_errors": 0,
                            "outputs": [{"mount": "/live.mp3", "format": "mp3", "bitrate": 128,
                                         "on_air": true, "listeners": 4}]}},
                {"name": "spare", "defined_in": "api",
                 "config": {"name": "spare", "input": "/other", "enabled": false},
                 "status": {"running": false, "outputs": []}}]})"));
        });
    }

    static json::object station() {
        return json::parse(R"({"name": "main", "mount": "/autodj", "defined_in": "config",
            "now_playing": {"station": "main", "running": true, "on_air": true,
              "state": "playing", "track": {"id": 7, "file": "a/two.mp3", "artist": "Bob",
              "title": "Two", "duration": 125.5}, "elapsed": 30, "duration": 125.5,
              "playlist_version": 4, "queue_length": 1, "volume": 80, "crossfade": 3,
              "modes": {"shuffle": false, "loop": true}, "format": "mp3", "bitrate": 128,
              "listeners": 2, "last_error": ""}})")
            .as_object();
    }

    static void expect_no_inline_code(const std::string& body) {
        EXPECT_EQ(body.find("style=\""), std::string::npos);
        EXPECT_EQ(body.find("<script>"), std::string::npos);
        EXPECT_EQ(body.find("<style"), std::string::npos);
        EXPECT_EQ(body.find("</script><b>"), std::string::npos); // API text is escaped
    }

    std::vector<std::string> library_paths;
    std::vector<std::string> stats_queries;
    std::vector<std::string> all_history_queries;
};

TEST_F(StudioPagesTest, PagesAreServedAndInTheNavigationByRole) {
    for (std::string_view p :
         {"/admin/autodj", "/admin/autodj/main", "/admin/statistics", "/admin/transcoders"}) {
        EXPECT_TRUE(web.owns(p)) << p;
    }
    EXPECT_FALSE(web.owns("/admin/statistics/x"));    // only the AutoDJ page has subpaths
    EXPECT_EQ(get("/admin/autodj/main").status, 303); // anonymous: to the login
    auto admin = get("/admin", {}, user(Principal::Role::admin));
    for (std::string_view href :
         {"/admin/autodj\"", "/admin/statistics\"", "/admin/transcoders\""}) {
        EXPECT_NE(admin.body.find(href), std::string::npos) << href;
    }
    auto dj = get("/admin", {}, user(Principal::Role::dj));
    EXPECT_NE(dj.body.find("/admin/statistics\""), std::string::npos);
    EXPECT_EQ(dj.body.find("/admin/transcoders\""), std::string::npos);
    EXPECT_EQ(get("/admin/transcoders", {}, user(Principal::Role::dj)).status, 403);
}

TEST_F(StudioPagesTest, AutoDjListShowsStationsAndCreateForAdmins) {
    auto r = get("/admin/autodj", {}, user(Principal::Role::admin));
    ASSERT_EQ(r.status, 200) << r.body;
    expect_no_inline_code(r.body);
    EXPECT_NE(r.body.find("href=\"/admin/autodj/main\""), std::string::npos);
    EXPECT_NE(r.body.find("data-action=\"create\""), std::string::npos);
    EXPECT_NE(r.body.find("data-action=\"stop\" data-name=\"main\""), std::string::npos);
    EXPECT_NE(r.body.find("pages/autodj.js?v="), std::string::npos);
    for (std::string_view id : {"tpl-autodj_station", "tpl-autodj_entry", "tpl-autodj_track",
                                "tpl-autodj_queue_item", "tpl-autodj_now", "tpl-progress"}) {
        EXPECT_NE(r.body.find(id), std::string::npos) << id;
    }
    auto data = page_data(r.body).at("data");
    EXPECT_EQ(data.at("mode").as_string(), "list");
    EXPECT_EQ(data.at("stations").at(0).at("station").as_string(), "main");
    EXPECT_EQ(data.at("stations").at(0).at("mount").as_string(), "/autodj");

    // A DJ may open the page, but the API refuses the stations: said so, no create button.
    r = get("/admin/autodj", {}, user(Principal::Role::dj));
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("may not manage AutoDJ stations"), std::string::npos);
    EXPECT_EQ(r.body.find("data-action=\"create\""), std::string::npos);
}

TEST_F(StudioPagesTest, AutoDjStudioRendersTransportPlaylistQueueAndLibrary) {
    auto r = get("/admin/autodj/main", {}, user(Principal::Role::admin));
    ASSERT_EQ(r.status, 200) << r.body;
    expect_no_inline_code(r.body);
    // The hooks the browser tests use: the list, rows by id, draggable and focusable.
    EXPECT_NE(r.body.find("data-playlist aria-label"), std::string::npos);
    for (std::string_view id : {"data-id=\"5\"", "data-id=\"7\"", "data-id=\"9\""}) {
        EXPECT_NE(r.body.find(id), std::string::npos) << id;
    }
    auto row7 = r.body.substr(r.body.find("data-id=\"7\"") - 200, 400);
    EXPECT_NE(row7.find("is-current"), std::string::npos) << row7;
    EXPECT_NE(row7.find("draggable=\"true\" tabindex=\"0\""), std::string::npos) << row7;
    EXPECT_NE(r.body.find("&lt;/script&gt;&lt;b&gt;Two"), std::string::npos);
    EXPECT_NE(r.body.find("is-missing"), std::string::npos);
    EXPECT_NE(r.body.find("2:05"), std::string::npos); // durations
    EXPECT_NE(r.body.find("3 tracks"), std::string::npos);
    // Transport state from the now-playing document.
    EXPECT_NE(r.body.find("play-btn play-btn-lg is-playing"), std::string::npos);
    EXPECT_NE(r.body.find("value=\"80\" data-option=\"volume\""), std::string::npos);
    EXPECT_NE(r.body.find("data-mode=\"loop\" aria-pressed=\"true\""), std::string::npos);
    EXPECT_NE(r.body.find("data-mode=\"shuffle\" aria-pressed=\"false\""), std::string::npos);
    EXPECT_NE(r.body.find("/api/autodj/main/playlist/export?format=m3u"), std::string::npos);
    // Queue, library (top folder) and the scan in progress.
    EXPECT_NE(r.body.find("Queued"), std::string::npos);
    EXPECT_NE(r.body.find("data-key=\"d:Jazz\""), std::string::npos);
    EXPECT_NE(r.body.find("data-path=\"solo.flac\""), std::string::npos);
    EXPECT_NE(r.body.find("Scanning… 40 files seen, 12 read"), std::string::npos);
    EXPECT_EQ(library_paths, std::vector<std::string>{""});

    auto data = page_data(r.body).at("data");
    EXPECT_EQ(data.at("mode").as_string(), "station");
    EXPECT_EQ(data.at("name").as_string(), "main");
    EXPECT_EQ(data.at("playlist").at("version").as_int64(), 4);
    EXPECT_EQ(data.at("playlist").at("entries").as_array().size(), 3U);
    EXPECT_EQ(data.at("station").at("track").at("id").as_int64(), 7);
    EXPECT_TRUE(data.at("status").at("scanning").as_bool());
}

TEST_F(StudioPagesTest, UnknownOrOddStationNamesShowNotFound) {
    for (std::string path : {"/admin/autodj/nope", "/admin/autodj/..", "/admin/autodj/a%20b"}) {
        auto r = get(path, {}, user(Principal::Role::admin));
        ASSERT_EQ(r.status, 200) << path;
        EXPECT_NE(r.body.find("Station not found"), std::string::npos) << path;
        EXPECT_EQ(page_data(r.body).at("data").at("mode").as_string(), "missing");
    }
}

TEST_F(StudioPagesTest, StatisticsForAdminsCoverAllMounts) {
    auto r = get("/admin/statistics", {}, user(Principal::Role::admin));
    ASSERT_EQ(r.status, 200) << r.body;
    expect_no_inline_code(r.body);
    EXPECT_NE(r.body.find("<option value=\"\" selected>All mounts</option>"), std::string::npos);
    EXPECT_NE(r.body.find("<option value=\"/live\">/live</option>"), std::string::npos);
    EXPECT_NE(r.body.find("data-range=\"24h\" aria-pressed=\"true\""), std::string::npos);
    EXPECT_NE(r.body.find("data-chart-canvas"), std::string::npos);
    EXPECT_NE(r.body.find("12m 05s"), std::string::npos); // average session
    EXPECT_NE(r.body.find("VLC/3.0"), std::string::npos);
    EXPECT_NE(r.body.find("&lt;Winamp&gt;"), std::string::npos);
    EXPECT_NE(r.body.find("data-fraction=\"0.25\""), std::string::npos);
    EXPECT_EQ(stats_queries, (std::vector<std::string>{"/api/stats/listeners?*&24h",
                                                       "/api/stats/sessions?*&24h"}));
    EXPECT_EQ(all_history_queries, std::vector<std::string>{"all"});
    auto data = page_data(r.body).at("data");
    EXPECT_EQ(data.at("points").as_array().size(), 2U);
    EXPECT_EQ(data.at("plays").at(0).at("mount").as_string(), "/autodj");
    EXPECT_TRUE(data.at("is_admin").as_bool());
}

TEST_F(StudioPagesTest, StatisticsForDjsStartWithTheirFirstMount) {
    auto r = get("/admin/statistics", {}, user(Principal::Role::dj));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body.find("All mounts"), std::string::npos);
    EXPECT_NE(r.body.find("<option value=\"/live\" selected>"), std::string::npos);
    EXPECT_EQ(r.body.find("Top players"), std::string::npos); // admins only
    EXPECT_EQ(stats_queries, (std::vector<std::string>{"/api/stats/listeners?/live&24h",
                                                       "/api/stats/sessions?/live&24h"}));
    EXPECT_EQ(api.history_queries, std::vector<std::string>{"50"}); // the mount's history
    EXPECT_EQ(page_data(r.body).at("data").at("mount").as_string(), "/live");
}

TEST_F(StudioPagesTest, TranscodersListStateOutputsAndConfigFileEntries) {
    auto r = get("/admin/transcoders", {}, user(Principal::Role::admin));
    ASSERT_EQ(r.status, 200) << r.body;
    expect_no_inline_code(r.body);
    EXPECT_NE(r.body.find("badge-tc-on_air\">Transcoding"), std::string::npos);
    EXPECT_NE(r.body.find("badge-tc-disabled\">Disabled"), std::string::npos);
    EXPECT_NE(r.body.find("<code>/live.mp3</code>"), std::string::npos);
    EXPECT_NE(r.body.find("MP3 · 128 kbps · 4 listening"), std::string::npos);
    EXPECT_NE(r.body.find("tpl-transcoders_row"), std::string::npos);
    // Config-file transcoders cannot be edited or deleted here; API ones can.
    auto live = r.body.substr(r.body.find("data-name=\"live-mp3\""), 3000);
    EXPECT_NE(live.find("aria-label=\"Edit live-mp3\" disabled"), std::string::npos);
    auto spare = r.body.substr(r.body.find("data-name=\"spare\""));
    EXPECT_EQ(spare.find("aria-label=\"Edit spare\" disabled"), std::string::npos);
    EXPECT_NE(spare.find("data-action=\"start\""), std::string::npos);
    auto data = page_data(r.body).at("data");
    EXPECT_EQ(data.at("transcoders").as_array().size(), 2U);
}

} // namespace
} // namespace tinyice::server
