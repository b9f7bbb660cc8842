#include "http/Router.hpp"

#include <gtest/gtest.h>

#include <thread>

#include <boost/json.hpp>

#include "http/WorkerPool.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

namespace tinyice::http {
namespace {

Response ok(Request&) {
    return Response::text("ok", "text/plain");
}

TEST(Router, LiteralBeatsCaptureAndCapturesAreNamed) {
    Router r;
    r.add("GET", "/api/autodj/{name}", Access::admin, ok);
    r.add("POST", "/api/autodj/{name}/start", Access::admin, ok);
    r.add("GET", "/api/autodj/status", Access::anyone, ok);
    auto m = r.match("GET", "/api/autodj/main");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.route->pattern, "/api/autodj/{name}");
    ASSERT_EQ(m.params.size(), 1U);
    EXPECT_EQ(m.params[0].first, "name");
    EXPECT_EQ(m.params[0].second, "main");

    m = r.match("GET", "/api/autodj/status");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.route->pattern, "/api/autodj/status");
    EXPECT_TRUE(m.params.empty());

    m = r.match("POST", "/api/autodj/x/start");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.params[0].second, "x");
}

TEST(Router, MethodMismatchIsKnownPathWithAllowList) {
    Router r;
    r.add("POST", "/api/x/{id}", Access::admin, ok);
    r.add("DELETE", "/api/x/{id}", Access::admin, ok);
    auto m = r.match("GET", "/api/x/1");
    EXPECT_EQ(m.route, nullptr);
    EXPECT_TRUE(m.path_known);
    EXPECT_EQ(m.allowed, (std::vector<std::string>{"POST", "DELETE"}));
    m = r.match("GET", "/api/y");
    EXPECT_FALSE(m.path_known);
}

TEST(Router, RestCaptureKeepsSlashesAndNeedsOneSegment) {
    Router r;
    r.add("GET", "/api/history/{*mount}", Access::anyone, ok);
    auto m = r.match("GET", "/api/history/radio/main");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.params[0].second, "radio/main");
    EXPECT_EQ(r.match("GET", "/api/history").route, nullptr);
    EXPECT_EQ(r.match("GET", "/api/history/").route, nullptr);
}

TEST(Router, RestCaptureMayBeFollowedBySegments) {
    Router r;
    r.add("GET", "/api/mounts/{*mount}", Access::anyone, ok);
    r.add("POST", "/api/mounts/{*mount}/kick", Access::admin, ok);
    r.add("DELETE", "/api/mounts/{*mount}/listeners/{id}", Access::admin, ok);
    auto m = r.match("DELETE", "/api/mounts/radio/main/listeners/7");
    ASSERT_NE(m.route, nullptr);
    ASSERT_EQ(m.params.size(), 2U);
    EXPECT_EQ(m.params[0], (std::pair<std::string, std::string>{"mount", "radio/main"}));
    EXPECT_EQ(m.params[1], (std::pair<std::string, std::string>{"id", "7"}));
    m = r.match("POST", "/api/mounts/live/kick");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.params[0].second, "live");
    EXPECT_EQ(r.match("POST", "/api/mounts/kick").route, nullptr);  // the mount is missing
    m = r.match("GET", "/api/mounts/a/kick");  // a mount literally named /a/kick
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.params[0].second, "a/kick");
    EXPECT_THROW(r.add("GET", "/x/{*a}/{*b}", Access::anyone, ok), std::invalid_argument);
}

TEST(Router, HeadUsesGetRoutes) {
    Router r;
    r.add("GET", "/api/a", Access::anyone, ok);
    EXPECT_NE(r.match("HEAD", "/api/a").route, nullptr);
}

TEST(Router, OwnsItsPrefixesOnly) {
    Router r;
    r.add("GET", "/api/a", Access::anyone, ok);
    EXPECT_TRUE(r.owns("/api"));
    EXPECT_TRUE(r.owns("/api/zzz"));
    EXPECT_FALSE(r.owns("/apix"));
    EXPECT_FALSE(r.owns("/live"));
}

TEST(Router, RejectsBadPatternsAndDuplicates) {
    Router r;
    EXPECT_THROW(r.add("GET", "api", Access::anyone, ok), std::invalid_argument);
    EXPECT_THROW(r.add("GET", "/", Access::anyone, ok), std::invalid_argument);
    r.add("GET", "/a/{x}", Access::anyone, ok);
    EXPECT_THROW(r.add("GET", "/a/{x}", Access::anyone, ok), std::invalid_argument);
}

TEST(Request, JsonBodyErrorsAre400) {
    Request req;
    EXPECT_TRUE(req.json_body().empty());
    req.body = "[1]";
    try {
        (void)req.json_body();
        FAIL();
    } catch (const HttpError& e) {
        EXPECT_EQ(e.status, 400);
    }
    req.body = "{\"a\": ";
    EXPECT_THROW((void)req.json_body(), HttpError);
    req.body = R"({"s": "x", "b": true, "n": 2.5, "i": 7})";
    auto o = req.json_body();
    EXPECT_EQ(get_string(o, "s"), "x");
    EXPECT_EQ(get_bool(o, "b", false), true);
    EXPECT_DOUBLE_EQ(get_number(o, "n", 0), 2.5);
    EXPECT_EQ(get_int(o, "i"), 7);
    EXPECT_EQ(get_int(o, "missing"), std::nullopt);
    EXPECT_THROW(get_string(o, "b"), HttpError);
    EXPECT_THROW(get_int(o, "n"), HttpError);
}

TEST(Response, ErrorIsJson) {
    auto r = Response::error(404, "no such \"station\"");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(boost::json::parse(r.body).at("error").as_string(), "no such \"station\"");
}

boost::asio::awaitable<void> use_pool(WorkerPool* pool, std::thread::id* ran_on, int* result,
                                      bool* caught) {
    *result = co_await pool->run<int>([ran_on] {
        *ran_on = std::this_thread::get_id();
        return 42;
    });
    try {
        co_await pool->run<int>([]() -> int { throw HttpError(409, "busy"); });
    } catch (const HttpError& e) {
        *caught = e.status == 409;
    }
}

TEST(WorkerPool, RunsOffTheLoopAndPropagatesExceptions) {
    WorkerPool pool(1);
    boost::asio::io_context io;
    std::thread::id ran_on;
    int result = 0;
    bool caught = false;
    boost::asio::co_spawn(io, use_pool(&pool, &ran_on, &result, &caught), boost::asio::detached);
    io.run();
    EXPECT_EQ(result, 42);
    EXPECT_TRUE(caught);
    EXPECT_TRUE(ran_on != std::this_thread::get_id());
}

}  // namespace
}  // namespace tinyice::http
