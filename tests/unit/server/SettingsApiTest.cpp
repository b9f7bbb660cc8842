// Site settings: validation of every field, forgiving reads of stored values, persistence in the
// definitions table, and the routes' roles and documents.

#include "server/SettingsApi.hpp"

#include "storage/Database.hpp"
#include "storage/DefinitionStore.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <stdlib.h>

namespace {

namespace json = boost::json;
using tinyice::server::apply_site_changes;
using tinyice::server::SettingsApi;
using tinyice::server::site_settings_from_stored;
using tinyice::server::SiteSettings;

json::object obj(std::string_view text) {
    return json::parse(text).as_object();
}

// The message of the std::invalid_argument that `changes` causes, "" when accepted.
std::string error_of(std::string_view changes) {
    try {
        (void)apply_site_changes(SiteSettings{}, obj(changes));
        return {};
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
}

TEST(SiteSettings, Defaults) {
    SiteSettings s;
    EXPECT_EQ(s.title, "TinyIce");
    EXPECT_EQ(s.tagline, "");
    EXPECT_EQ(s.description, "");
    EXPECT_EQ(s.accent, "#ff9f43");
    auto j = tinyice::server::to_json(s);
    EXPECT_EQ(j.at("title").as_string(), "TinyIce");
    EXPECT_EQ(j.at("accent").as_string(), "#ff9f43");
    EXPECT_EQ(j.size(), 4U);
}

TEST(SiteSettings, ChangesOnlyTheFieldsGiven) {
    auto s = apply_site_changes(SiteSettings{}, obj(R"({"tagline": "Jazz all day"})"));
    EXPECT_EQ(s.tagline, "Jazz all day");
    EXPECT_EQ(s.title, "TinyIce");
    s = apply_site_changes(s, obj(R"({"title": "Radio X", "accent": "#ABCDEF"})"));
    EXPECT_EQ(s.title, "Radio X");
    EXPECT_EQ(s.tagline, "Jazz all day");
    EXPECT_EQ(s.accent, "#abcdef"); // stored in lower case
}

TEST(SiteSettings, TitleIsOneTo80Characters) {
    EXPECT_NE(error_of(R"({"title": ""})"), "");
    EXPECT_NE(error_of(R"({"title": "   "})"), ""); // blank after trimming
    EXPECT_EQ(error_of(R"({"title": "x"})"), "");
    EXPECT_EQ(error_of(json::serialize(json::object{{"title", std::string(80, 'a')}})), "");
    const auto long_title =
        error_of(json::serialize(json::object{{"title", std::string(81, 'a')}}));
    EXPECT_NE(long_title.find("site.title"), std::string::npos) << long_title;
    EXPECT_NE(long_title.find("80"), std::string::npos) << long_title;
    // Characters, not bytes: 80 "é" (160 bytes) fit.
    std::string accents;
    for (int i = 0; i < 80; ++i) {
        accents += "\xC3\xA9";
    }
    EXPECT_EQ(error_of(json::serialize(json::object{{"title", accents}})), "");
    EXPECT_NE(error_of(json::serialize(json::object{{"title", accents + "\xC3\xA9"}})), "");
}

TEST(SiteSettings, SurroundingWhiteSpaceIsTrimmed) {
    auto s =
        apply_site_changes(SiteSettings{}, obj(R"({"title": "  Radio X \t", "tagline": " a "})"));
    EXPECT_EQ(s.title, "Radio X");
    EXPECT_EQ(s.tagline, "a");
}

TEST(SiteSettings, TaglineAndDescriptionLimits) {
    EXPECT_EQ(error_of(R"({"tagline": ""})"), "");
    EXPECT_EQ(error_of(json::serialize(json::object{{"tagline", std::string(160, 'a')}})), "");
    EXPECT_NE(error_of(json::serialize(json::object{{"tagline", std::string(161, 'a')}}))
                  .find("site.tagline"),
              std::string::npos);
    EXPECT_EQ(error_of(json::serialize(json::object{{"description", std::string(2000, 'a')}})), "");
    EXPECT_NE(error_of(json::serialize(json::object{{"description", std::string(2001, 'a')}}))
                  .find("site.description"),
              std::string::npos);
}

TEST(SiteSettings, PlainTextOnly) {
    EXPECT_NE(error_of(R"({"title": "a\nb"})").find("site.title"), std::string::npos);
    EXPECT_NE(error_of(R"({"tagline": "a\u0007b"})"), "");
    EXPECT_NE(error_of(R"({"title": "a\u0000b"})"), "");
    EXPECT_NE(error_of(R"({"title": "a\u007fb"})"), "");
    EXPECT_NE(error_of(R"({"title": "a\u0085b"})"), ""); // C1 control (NEL)
    // The description may have paragraphs and tabs; CR LF becomes LF.
    auto s =
        apply_site_changes(SiteSettings{}, obj(R"({"description": "Line one\r\n\tLine two\n"})"));
    EXPECT_EQ(s.description, "Line one\n\tLine two");
    EXPECT_NE(error_of(R"({"description": "a\u001bb"})"), "");
    // Markup is just text (the pages escape it).
    EXPECT_EQ(error_of(R"({"tagline": "<b>bold</b> & co"})"), "");
}

TEST(SiteSettings, AccentIsAHexColour) {
    for (std::string_view ok : {"#000000", "#ffffff", "#FF9F43", "#a1B2c3"}) {
        EXPECT_EQ(error_of(json::serialize(json::object{{"accent", ok}})), "") << ok;
    }
    for (std::string_view bad :
         {"", "ff9f43", "#fff", "#ff9f4", "#ff9f433", "#gg9f43", "red", " #ff9f43", "#ff9f43 "}) {
        EXPECT_NE(error_of(json::serialize(json::object{{"accent", bad}})).find("site.accent"),
                  std::string::npos)
            << bad;
    }
}

TEST(SiteSettings, WrongTypesAndUnknownKeysNameTheField) {
    EXPECT_NE(error_of(R"({"title": 5})").find("site.title: expected a string"), std::string::npos);
    EXPECT_NE(error_of(R"({"accent": null})").find("site.accent"), std::string::npos);
    EXPECT_NE(error_of(R"({"colour": "#000000"})").find("site.colour"), std::string::npos);
}

TEST(SiteSettings, StoredValuesAreReadForgivingly) {
    auto s = site_settings_from_stored(
        R"({"title": "Radio X", "accent": "not a colour", "tagline": "ok", "bogus": 1})");
    EXPECT_EQ(s.title, "Radio X");
    EXPECT_EQ(s.tagline, "ok");
    EXPECT_EQ(s.accent, "#ff9f43");
    EXPECT_EQ(site_settings_from_stored("{broken"), SiteSettings{});
    EXPECT_EQ(site_settings_from_stored("[1,2]"), SiteSettings{});
}

class SettingsRoutes : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "tinyice-settings-test-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        db_ = std::make_unique<tinyice::storage::Database>(dir_ / "test.db");
        defs_ = std::make_unique<tinyice::storage::DefinitionStore>(*db_);
        cfg_.http.trusted_proxies = {"10.0.0.0/8"};
        cfg_.security.banned = {"192.0.2.0/24"};
    }
    void TearDown() override {
        defs_.reset();
        db_.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    std::unique_ptr<SettingsApi> make_api() {
        return std::make_unique<SettingsApi>(SettingsApi::Dependencies{
            cfg_, "9.9.9", (dir_ / "test.db").string(), 1'700'000'000, defs_.get(), nullptr});
    }

    tinyice::http::Response call(tinyice::http::Router& router, std::string_view method,
                                 std::string_view path, std::string body = {}) {
        auto match = router.match(method, path);
        EXPECT_NE(match.route, nullptr);
        tinyice::http::Request req;
        req.method = std::string(method);
        req.path = std::string(path);
        req.body = std::move(body);
        req.principal.role = tinyice::http::Principal::Role::superadmin;
        req.principal.user = "admin";
        try {
            return match.route->handler(req);
        } catch (const tinyice::http::HttpError& e) {
            return tinyice::http::Response::error(e.status, e.what());
        }
    }

    tinyice::config::Config cfg_;
    std::filesystem::path dir_;
    std::unique_ptr<tinyice::storage::Database> db_;
    std::unique_ptr<tinyice::storage::DefinitionStore> defs_;
};

TEST_F(SettingsRoutes, RolesPerRoute) {
    tinyice::http::Router router;
    auto api = make_api();
    api->register_routes(router);
    using tinyice::http::Access;
    EXPECT_EQ(router.match("GET", "/api/settings").route->access, Access::anyone);
    EXPECT_EQ(router.match("PUT", "/api/settings").route->access, Access::superadmin);
    EXPECT_EQ(router.match("GET", "/api/server").route->access, Access::admin);
}

TEST_F(SettingsRoutes, PutIsStoredAndSurvivesARestart) {
    {
        tinyice::http::Router router;
        auto api = make_api();
        api->register_routes(router);
        auto got = call(router, "GET", "/api/settings");
        EXPECT_EQ(json::parse(got.body).at("site").at("title").as_string(), "TinyIce");

        auto put = call(router, "PUT", "/api/settings",
                        R"({"site": {"title": "Radio X", "accent": "#112233"}})");
        ASSERT_EQ(put.status, 200) << put.body;
        EXPECT_EQ(json::parse(put.body).at("site").at("accent").as_string(), "#112233");
        EXPECT_EQ(api->site().title, "Radio X");
    }
    ASSERT_TRUE(defs_->get("setting", "site").has_value());
    auto again = make_api();
    EXPECT_EQ(again->site().title, "Radio X");
    EXPECT_EQ(again->site().accent, "#112233");
    EXPECT_EQ(again->site().tagline, "");
}

TEST_F(SettingsRoutes, BadPutsChangeNothing) {
    tinyice::http::Router router;
    auto api = make_api();
    api->register_routes(router);
    for (std::string body :
         {R"({"site": {"title": ""}})", R"({"site": "x"})", R"({})", R"({"site": {}, "other": 1})",
          R"([1])", "not json", R"({"site": {"title": "ok", "accent": "#12"}})"}) {
        auto r = call(router, "PUT", "/api/settings", body);
        EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
    }
    EXPECT_EQ(api->site(), SiteSettings{});
    EXPECT_FALSE(defs_->get("setting", "site").has_value());
}

TEST_F(SettingsRoutes, ServerFactsAreReadOnlyFactsWithoutSecrets) {
    cfg_.auth.admin_password = "$y$secret-hash";
    cfg_.auth.source_password = "$y$other-hash";
    auto api = make_api();
    auto facts = api->server_facts(1'700'000'060);
    EXPECT_EQ(facts.at("version").as_string(), "9.9.9");
    EXPECT_EQ(facts.at("uptime").to_number<std::int64_t>(), 60);
    EXPECT_EQ(facts.at("listen").as_array().size(), 1U);
    EXPECT_EQ(facts.at("listen").as_array()[0].at("port").to_number<std::int64_t>(), 8000);
    EXPECT_EQ(facts.at("hostname").as_string(), "localhost");
    EXPECT_EQ(facts.at("limits").at("max_clients").to_number<std::int64_t>(), 25000);
    EXPECT_EQ(facts.at("storage").at("database").as_string(), (dir_ / "test.db").string());
    EXPECT_EQ(facts.at("http").at("trusted_proxies").as_array()[0].as_string(), "10.0.0.0/8");
    EXPECT_EQ(facts.at("security").at("login_failures").to_number<std::int64_t>(), 5);
    EXPECT_EQ(facts.at("security").at("config_bans").to_number<std::int64_t>(), 1);
    const auto text = json::serialize(facts);
    EXPECT_EQ(text.find("secret-hash"), std::string::npos);
    EXPECT_EQ(text.find("other-hash"), std::string::npos);
    EXPECT_EQ(text.find("password"), std::string::npos);
}

} // namespace
