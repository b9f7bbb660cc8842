// Statistics routes: range names and their buckets, the time window, and the handlers against a
// real ListenerStatsStore (temporary database): points, who may ask about which mount, errors.

#include "server/StatsApi.hpp"

#include "server/StatsSampler.hpp"
#include "storage/Database.hpp"
#include "storage/ListenerStatsStore.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <stdlib.h>

namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using tinyice::http::HttpError;
using tinyice::http::Principal;
using tinyice::server::parse_stats_range;
using tinyice::server::stats_window;
using tinyice::server::StatsRange;

constexpr std::int64_t minute = 60'000;
constexpr std::int64_t hour = 60 * minute;

TEST(StatsRange, KnownNamesAndTheirBuckets) {
    EXPECT_EQ(parse_stats_range("1h"), (StatsRange{"1h", hour, minute}));
    EXPECT_EQ(parse_stats_range("24h"), (StatsRange{"24h", 24 * hour, 5 * minute}));
    EXPECT_EQ(parse_stats_range("7d"), (StatsRange{"7d", 7 * 24 * hour, hour}));
    EXPECT_EQ(parse_stats_range("30d"), (StatsRange{"30d", 30 * 24 * hour, 6 * hour}));
    EXPECT_TRUE(parse_stats_range(tinyice::server::default_stats_range).has_value());
}

TEST(StatsRange, AnythingElseIsRefused) {
    for (std::string_view bad : {"", "1H", "2h", "1d", "24", "7d ", " 7d", "30days", "-1h"}) {
        EXPECT_FALSE(parse_stats_range(bad).has_value()) << bad;
    }
}

TEST(StatsWindow, StartsOnABucketBoundaryInsideTheRange) {
    const auto range = *parse_stats_range("1h");
    const std::int64_t now = 1'700'000'123'456;
    const auto w = stats_window(range, now);
    EXPECT_EQ(w.from % minute, 0);
    EXPECT_GE(w.from, now - hour);
    EXPECT_LT(w.from - (now - hour), minute);
    // The current minute (stored under its start, <= now) is inside.
    EXPECT_GT(w.to, now);
    EXPECT_LE(w.to - now, 1);
    // Stable between two requests in the same bucket.
    EXPECT_EQ(stats_window(range, now + 1000).from, w.from);
}

TEST(StatsWindow, SixHourBucketsAndEarlyClocks) {
    const auto range = *parse_stats_range("30d");
    const auto w = stats_window(range, 1'700'000'000'000);
    EXPECT_EQ(w.from % (6 * hour), 0);
    // A clock near the epoch never gives negative times.
    const auto early = stats_window(range, 1000);
    EXPECT_EQ(early.from, 0);
    EXPECT_GT(early.to, 1000);
}

class StatsRoutes : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "tinyice-stats-test-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        db_ = std::make_unique<tinyice::storage::Database>(dir_ / "test.db");
        store_ = std::make_unique<tinyice::storage::ListenerStatsStore>(*db_);
        tinyice::server::register_stats_routes(router_, store_.get(), &sampler_);
    }
    void TearDown() override {
        store_.reset();
        db_.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    json::object get(std::string_view path, std::string_view query, const Principal& who) {
        auto match = router_.match("GET", path);
        if (match.route == nullptr) {
            throw std::runtime_error("no route");
        }
        tinyice::http::Request req;
        req.method = "GET";
        req.path = std::string(path);
        req.query = tinyice::protocol::http::QueryParams(query);
        req.principal = who;
        auto r = match.route->handler(req);
        EXPECT_EQ(r.status, 200);
        return json::parse(r.body).as_object();
    }
    int status_of(std::string_view path, std::string_view query, const Principal& who) {
        try {
            get(path, query, who);
            return 200;
        } catch (const HttpError& e) {
            return e.status;
        }
    }

    static Principal admin() {
        Principal p;
        p.role = Principal::Role::admin;
        p.user = "boss";
        return p;
    }
    static Principal dj() {
        Principal p;
        p.role = Principal::Role::dj;
        p.user = "dj1";
        p.mounts = {"/live"};
        return p;
    }

    std::filesystem::path dir_;
    std::unique_ptr<tinyice::storage::Database> db_;
    std::unique_ptr<tinyice::storage::ListenerStatsStore> store_;
    tinyice::server::StatsSampler sampler_{
        tinyice::server::StatsSampler::Sources{[] { return tinyice::core::ServerSnapshot{}; }, {}}};
    tinyice::http::Router router_;
};

TEST_F(StatsRoutes, AccessLevels) {
    using tinyice::http::Access;
    EXPECT_EQ(router_.match("GET", "/api/stats/listeners").route->access, Access::user);
    EXPECT_EQ(router_.match("GET", "/api/stats/sessions").route->access, Access::user);
    EXPECT_EQ(router_.match("GET", "/api/stats/server").route->access, Access::user);
    EXPECT_EQ(router_.match("GET", "/api/stats/user-agents").route->access, Access::admin);
}

TEST_F(StatsRoutes, ListenerPointsForOneMountAndForAll) {
    const auto now_minute = tinyice::storage::unix_ms_now() / minute;
    store_->record_minute("/live", now_minute - 2, 4);
    store_->record_minute("/live", now_minute - 1, 6);
    store_->record_minute("/other", now_minute - 1, 10);
    store_->flush();

    auto one = get("/api/stats/listeners", "mount=/live&range=1h", admin());
    EXPECT_EQ(one.at("mount").as_string(), "/live");
    EXPECT_EQ(one.at("range").as_string(), "1h");
    EXPECT_EQ(one.at("bucket_ms").as_int64(), minute);
    const auto& points = one.at("points").as_array();
    ASSERT_EQ(points.size(), 2U);
    EXPECT_EQ(points[0].as_array()[0].as_int64(), (now_minute - 2) * minute);
    EXPECT_EQ(points[0].as_array()[1].as_int64(), 4);
    EXPECT_EQ(points[1].as_array()[1].as_int64(), 6);

    // "live" without the slash names the same mount.
    auto same = get("/api/stats/listeners", "mount=live&range=1h", admin());
    EXPECT_EQ(same.at("points").as_array().size(), 2U);

    auto all = get("/api/stats/listeners", "range=1h", admin());
    EXPECT_TRUE(all.at("mount").is_null());
    const auto& sums = all.at("points").as_array();
    ASSERT_EQ(sums.size(), 2U);
    EXPECT_EQ(sums[1].as_array()[1].as_int64(), 16);
}

TEST_F(StatsRoutes, AveragesInWiderBuckets) {
    // Two minutes in the same 5-minute bucket average to 2.5.
    const auto bucket = tinyice::storage::unix_ms_now() / (5 * minute) * (5 * minute);
    const auto first = bucket / minute - 5; // the previous bucket, fully inside 24h
    store_->record_minute("/live", first, 2);
    store_->record_minute("/live", first + 1, 3);
    store_->flush();
    auto doc = get("/api/stats/listeners", "mount=/live", admin()); // default range: 24h
    EXPECT_EQ(doc.at("range").as_string(), "24h");
    EXPECT_EQ(doc.at("bucket_ms").as_int64(), 5 * minute);
    const auto& points = doc.at("points").as_array();
    ASSERT_EQ(points.size(), 1U);
    EXPECT_DOUBLE_EQ(points[0].as_array()[1].as_double(), 2.5);
}

TEST_F(StatsRoutes, DjsAskOnlyAboutTheirOwnMounts) {
    EXPECT_EQ(status_of("/api/stats/listeners", "mount=/live", dj()), 200);
    EXPECT_EQ(status_of("/api/stats/listeners", "mount=/other", dj()), 403);
    EXPECT_EQ(status_of("/api/stats/listeners", "", dj()), 403);
    EXPECT_EQ(status_of("/api/stats/sessions", "mount=/live", dj()), 200);
    EXPECT_EQ(status_of("/api/stats/sessions", "mount=/other", dj()), 403);
    EXPECT_EQ(status_of("/api/stats/sessions", "", dj()), 403);
}

TEST_F(StatsRoutes, BadParametersAre400) {
    EXPECT_EQ(status_of("/api/stats/listeners", "range=2h", admin()), 400);
    EXPECT_EQ(status_of("/api/stats/listeners", "mount=/a/../b", admin()), 400);
    EXPECT_EQ(status_of("/api/stats/user-agents", "limit=0", admin()), 400);
    EXPECT_EQ(status_of("/api/stats/user-agents", "limit=abc", admin()), 400);
    EXPECT_EQ(status_of("/api/stats/user-agents", "limit=100000", admin()), 400);
    EXPECT_EQ(status_of("/api/stats/sessions", "range=week", admin()), 400);
}

TEST_F(StatsRoutes, SessionsAndUserAgents) {
    const auto now = tinyice::storage::unix_ms_now();
    auto session = [&](std::string mount, std::string agent, std::int64_t seconds) {
        tinyice::storage::ListenerSessionRecord r;
        r.mount = std::move(mount);
        r.started_at = now - 600'000;
        r.ended_at = r.started_at + seconds * 1000;
        r.user_agent = std::move(agent);
        store_->record_session(std::move(r));
    };
    session("/live", "VLC/3.0", 100);
    session("/live", "VLC/3.0", 300);
    session("/other", "curl/8", 50);
    store_->flush();

    auto live = get("/api/stats/sessions", "mount=/live&range=1h", dj());
    EXPECT_EQ(live.at("sessions").as_int64(), 2);
    EXPECT_EQ(live.at("total_seconds").as_int64(), 400);
    EXPECT_DOUBLE_EQ(live.at("average_seconds").as_double(), 200.0);

    auto all = get("/api/stats/sessions", "range=1h", admin());
    EXPECT_EQ(all.at("sessions").as_int64(), 3);

    auto agents = get("/api/stats/user-agents", "range=1h&limit=1", admin());
    const auto& list = agents.at("agents").as_array();
    ASSERT_EQ(list.size(), 1U);
    EXPECT_EQ(list[0].as_object().at("user_agent").as_string(), "VLC/3.0");
    EXPECT_EQ(list[0].as_object().at("sessions").as_int64(), 2);
}

TEST_F(StatsRoutes, ServerDocumentIsTheSamplersFilteredForDjs) {
    tinyice::core::ServerSnapshot snap;
    tinyice::core::MountSnapshot live;
    live.mount = "/live";
    live.listeners = 2;
    tinyice::core::MountSnapshot other;
    other.mount = "/other";
    other.listeners = 5;
    snap.mounts = {live, other};
    snap.listeners = 7;
    sampler_.sample(snap, std::chrono::steady_clock::now(), tinyice::storage::unix_ms_now());

    auto full = get("/api/stats/server", "", admin());
    EXPECT_EQ(full.at("listeners").as_int64(), 7);
    EXPECT_EQ(full.at("mounts").as_array().size(), 2U);
    auto mine = get("/api/stats/server", "", dj());
    EXPECT_EQ(mine.at("listeners").as_int64(), 2);
    ASSERT_EQ(mine.at("mounts").as_array().size(), 1U);
}

TEST(StatsRoutesUnavailable, WithoutStoreOrSamplerTheyAnswer503) {
    tinyice::http::Router router;
    tinyice::server::register_stats_routes(router, nullptr, nullptr);
    tinyice::http::Request req;
    req.principal.role = Principal::Role::superadmin;
    for (std::string_view path : {"/api/stats/listeners", "/api/stats/sessions",
                                  "/api/stats/user-agents", "/api/stats/server"}) {
        auto match = router.match("GET", path);
        ASSERT_NE(match.route, nullptr);
        try {
            match.route->handler(req);
            ADD_FAILURE() << path << " answered";
        } catch (const HttpError& e) {
            EXPECT_EQ(e.status, 503) << path;
        }
    }
}

} // namespace
