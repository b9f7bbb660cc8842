// Mount definitions: the config file's mounts merged with those stored through the API
// (overrides and API-only mounts), their validation, persistence and what reaches the server.
// Also the server's blocking "run on every event loop" helper the mounts API relies on.

#include "server/MountDefinitions.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "http/Router.hpp"
#include "server/Server.hpp"
#include "storage/Database.hpp"
#include "storage/DefinitionStore.hpp"

namespace tinyice::server {
namespace {

// Hash of "change-me" (yescrypt), so no test pays for hashing.
constexpr std::string_view a_hash =
    "$y$j9T$UCvj0XuKcYzXSdnl9tFFk.$q8teiqIYQB22mCGar/BkykJC046ekABP6qb1WMQlyNB";

class FakeTarget : public MountTarget {
public:
    bool define_mount(const config::MountConfig& m) override {
        defined[m.name] = m;
        ++defines;
        return answer_pending;
    }
    void undefine_mount(const std::string& name) override {
        defined.erase(name);
        undefined.push_back(name);
    }
    void set_mount_credentials(MountCredentialMap c) override { credentials = std::move(c); }
    [[nodiscard]] bool reserved_mount_name(std::string_view name) const override {
        return name.starts_with("/admin") || name == "/api" || name.starts_with("/api/") ||
               name.ends_with(".m3u");
    }

    std::map<std::string, config::MountConfig> defined;  // what the server was told last
    std::vector<std::string> undefined;
    MountCredentialMap credentials;
    int defines = 0;
    bool answer_pending = false;
};

config::MountConfig mount(std::string name) {
    config::MountConfig m;
    m.name = std::move(name);
    return m;
}

int status_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const http::HttpError& e) {
        return e.status;
    }
    return 0;
}

std::string message_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const http::HttpError& e) {
        return e.what();
    }
    return "";
}

class MountDefinitionsTest : public ::testing::Test {
protected:
    MountDefinitionsTest() : db_(":memory:"), store_(db_) {
        auto live = mount("/live");
        live.password = std::string(a_hash);
        live.username = "enc";
        auto backup = mount("/backup");
        backup.hidden = true;
        cfg_.mounts = {live, backup};
    }

    std::unique_ptr<MountDefinitions> make() {
        auto d = std::make_unique<MountDefinitions>(cfg_, store_, target_);
        d->load();
        return d;
    }

    config::Config cfg_;
    storage::Database db_;
    storage::DefinitionStore store_;
    FakeTarget target_;
};

TEST_F(MountDefinitionsTest, FileMountsAloneAreConfig) {
    auto defs = make();
    auto all = defs->list();
    ASSERT_EQ(all.size(), 2U);
    EXPECT_EQ(all[0].config.name, "/backup");
    EXPECT_EQ(all[0].defined_in, DefinedIn::config);
    EXPECT_EQ(all[1].config.name, "/live");
    EXPECT_EQ(target_.defines, 0);  // the server has the file's mounts already
    ASSERT_EQ(target_.credentials.size(), 2U);
    EXPECT_EQ(target_.credentials["/live"], (MountCredentials{"enc", std::string(a_hash)}));
    EXPECT_EQ(target_.credentials["/backup"].password_hash, "");
}

TEST_F(MountDefinitionsTest, CreateStoresAppliesAndSurvivesARestart) {
    auto defs = make();
    auto show = mount("/show");
    show.password = std::string(a_hash);
    show.max_listeners = 5;
    show.fallback = "/backup";
    EXPECT_FALSE(defs->create(show));
    ASSERT_TRUE(target_.defined.contains("/show"));
    EXPECT_EQ(target_.defined["/show"], show);
    EXPECT_EQ(target_.credentials["/show"].password_hash, a_hash);
    auto found = defs->find("/show");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->defined_in, DefinedIn::api);
    EXPECT_TRUE(store_.get("mount", "/show"));

    // A new process: the stored definition is applied again at load.
    FakeTarget fresh;
    MountDefinitions again(cfg_, store_, fresh);
    again.load();
    ASSERT_TRUE(fresh.defined.contains("/show"));
    EXPECT_EQ(fresh.defined["/show"], show);
    EXPECT_EQ(fresh.credentials["/show"].password_hash, a_hash);
    EXPECT_EQ(again.find("/show")->defined_in, DefinedIn::api);
}

TEST_F(MountDefinitionsTest, CreateRefusesTakenNamesAndBadDefinitions) {
    auto defs = make();
    EXPECT_EQ(status_of([&] { defs->create(mount("/live")); }), 409);
    auto bad = mount("/x");
    bad.burst_size = 600000;  // not below the default queue size
    EXPECT_EQ(message_of([&] { defs->create(bad); }).rfind("burst_size:", 0), 0U);
    EXPECT_EQ(status_of([&] { defs->create(mount("x")); }), 400);
    EXPECT_EQ(status_of([&] { defs->create(mount("/a//b")); }), 400);
    EXPECT_NE(message_of([&] { defs->create(mount("/admin/x")); }).find("server answers"),
              std::string::npos);
    EXPECT_EQ(status_of([&] { defs->create(mount("/api/x")); }), 400);
    EXPECT_EQ(status_of([&] { defs->create(mount("/list.m3u")); }), 400);
    auto plain = mount("/p");
    plain.password = "not-a-hash";
    EXPECT_EQ(status_of([&] { defs->create(plain); }), 400);
    auto loop = mount("/y");
    loop.fallback = "/y";
    EXPECT_EQ(status_of([&] { defs->create(loop); }), 400);
    EXPECT_TRUE(target_.defined.empty());
    EXPECT_TRUE(store_.list("mount").empty());
}

TEST_F(MountDefinitionsTest, FallbackCyclesThroughOtherMountsAreRefused) {
    auto defs = make();
    auto a = mount("/a");
    a.fallback = "/b";
    defs->create(a);
    auto b = mount("/b");
    b.fallback = "/live";
    defs->create(b);
    // /live -> /a -> /b -> /live
    auto live = *defs->find("/live");
    live.config.fallback = "/a";
    auto msg = message_of([&] { defs->update(live.config); });
    EXPECT_NE(msg.find("cycle /live -> /a -> /b -> /live"), std::string::npos) << msg;
    EXPECT_EQ(defs->find("/live")->defined_in, DefinedIn::config);  // unchanged
    live.config.fallback = "/backup";
    EXPECT_NO_THROW(defs->update(live.config));
}

TEST_F(MountDefinitionsTest, ChangingAFileMountOverridesItAndDeleteReverts) {
    auto defs = make();
    auto live = defs->find("/live")->config;
    live.max_listeners = 3;
    live.password.clear();  // the default source password from now on
    target_.answer_pending = true;
    EXPECT_TRUE(defs->update(live));
    EXPECT_EQ(defs->find("/live")->defined_in, DefinedIn::config_api);
    EXPECT_EQ(target_.defined["/live"].max_listeners, 3U);
    EXPECT_EQ(target_.credentials["/live"].password_hash, "");
    EXPECT_TRUE(store_.get("mount", "/live"));

    // A restart keeps the override.
    {
        FakeTarget fresh;
        MountDefinitions again(cfg_, store_, fresh);
        again.load();
        EXPECT_EQ(again.find("/live")->defined_in, DefinedIn::config_api);
        EXPECT_EQ(fresh.defined["/live"].max_listeners, 3U);
    }

    EXPECT_EQ(defs->remove("/live"), DefinedIn::config);
    EXPECT_EQ(defs->find("/live")->defined_in, DefinedIn::config);
    EXPECT_EQ(target_.defined["/live"], cfg_.mounts[0]);  // the file's definition again
    EXPECT_EQ(target_.credentials["/live"].password_hash, a_hash);
    EXPECT_TRUE(target_.undefined.empty());
    EXPECT_FALSE(store_.get("mount", "/live"));
}

TEST_F(MountDefinitionsTest, DeleteRemovesApiMountsAndRefusesFileOnlyOnes) {
    auto defs = make();
    defs->create(mount("/show"));
    EXPECT_EQ(defs->remove("/show"), std::nullopt);
    EXPECT_EQ(target_.undefined, std::vector<std::string>{"/show"});
    EXPECT_FALSE(defs->find("/show"));
    EXPECT_FALSE(target_.credentials.contains("/show"));
    EXPECT_EQ(status_of([&] { defs->remove("/show"); }), 404);
    EXPECT_EQ(status_of([&] { defs->remove("/live"); }), 409);
    EXPECT_EQ(status_of([&] { defs->update(mount("/nope")); }), 404);
}

TEST_F(MountDefinitionsTest, RevertThatWouldCloseACycleIsRefused) {
    // The file has /live -> /other; the API changed /live to fall back nowhere and created
    // /other -> /live. Reverting /live would close /live -> /other -> /live.
    cfg_.mounts[0].fallback = "/other";
    auto defs = make();
    auto live = defs->find("/live")->config;
    live.fallback.clear();
    defs->update(live);
    auto other = mount("/other");
    other.fallback = "/live";
    defs->create(other);
    EXPECT_EQ(status_of([&] { defs->remove("/live"); }), 409);
    EXPECT_EQ(defs->find("/live")->defined_in, DefinedIn::config_api);
    EXPECT_TRUE(store_.get("mount", "/live"));
}

TEST_F(MountDefinitionsTest, LoadSkipsStoredDefinitionsThatNoLongerFit) {
    store_.put("mount", "/garbage", "{not json");
    store_.put("mount", "/renamed", config::to_json(mount("/other-name")));
    store_.put("mount", "/admin/x", config::to_json(mount("/admin/x")));
    auto big = mount("/big");
    big.burst_size = 100000;
    big.queue_size = 131072;
    store_.put("mount", "/big", config::to_json(big));
    auto ok = mount("/ok");
    ok.hidden = true;
    store_.put("mount", "/ok", config::to_json(ok));
    cfg_.limits.queue_size = 65536;  // still fine: /big has its own queue size
    cfg_.limits.burst_size = 8192;
    auto defs = make();
    std::vector<std::string> names;
    for (const auto& d : defs->list()) {
        names.push_back(d.config.name);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"/backup", "/big", "/live", "/ok"}));
    EXPECT_TRUE(target_.defined.contains("/ok"));
    EXPECT_FALSE(target_.defined.contains("/admin/x"));

    // The limits changed so that a stored burst no longer fits: skipped, not fatal.
    big.queue_size.reset();
    store_.put("mount", "/big", config::to_json(big));
    FakeTarget fresh;
    MountDefinitions again(cfg_, store_, fresh);
    again.load();
    EXPECT_FALSE(again.find("/big"));
    EXPECT_TRUE(again.find("/ok"));
}

// ---- Server::run_on_every_loop ------------------------------------------------------------

config::Config loop_config() {
    config::Config cfg;
    cfg.listen = {config::ListenAddress{"127.0.0.1", 0}};
    cfg.limits.threads = 2;
    return cfg;
}

TEST(RunOnEveryLoop, GathersOneResultPerLoopInOrder) {
    Server server(loop_config(), "test");
    server.start();
    auto r = server.run_on_every_loop([](EventLoop& loop) { return loop.index(); },
                                      std::chrono::seconds(5));
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, (std::vector<unsigned>{0, 1}));
    server.stop();
    server.wait();
    EXPECT_FALSE(server.run_on_every_loop([](EventLoop&) { return 1; }, std::chrono::seconds(5)));
}

TEST(RunOnEveryLoop, RefusesToRunOnALoopThread) {
    Server server(loop_config(), "test");
    server.start();
    auto* s = &server;
    auto r = server.run_on_every_loop(
        [s](EventLoop&) {
            try {
                s->run_on_every_loop([](EventLoop&) { return 0; }, std::chrono::seconds(1));
            } catch (const std::logic_error&) {
                return true;
            }
            return false;
        },
        std::chrono::seconds(5));
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, (std::vector<bool>{true, true}));
}

TEST(RunOnEveryLoop, TimesOutWhileALoopIsBusyAndStaysSafeAfterwards) {
    Server server(loop_config(), "test");
    server.start();
    std::promise<void> release;
    auto released = release.get_future().share();
    auto entered = std::make_shared<std::atomic<int>>(0);
    // Occupies both loops until released.
    auto busy = std::async(std::launch::async, [&server, released, entered] {
        return server.run_on_every_loop(
            [released, entered](EventLoop&) {
                entered->fetch_add(1);
                released.wait();
                return 1;
            },
            std::chrono::seconds(10));
    });
    while (entered->load() < 2) {
        std::this_thread::yield();
    }
    auto late = std::make_shared<std::atomic<int>>(0);
    auto r = server.run_on_every_loop(
        [late](EventLoop&) {
            late->fetch_add(1);
            return 2;
        },
        std::chrono::milliseconds(100));
    EXPECT_FALSE(r);
    release.set_value();
    auto first = busy.get();
    ASSERT_TRUE(first);
    EXPECT_EQ(*first, (std::vector<int>{1, 1}));
    // The timed-out work still runs later, on state it owns.
    auto after = server.run_on_every_loop([](EventLoop&) { return 3; }, std::chrono::seconds(5));
    ASSERT_TRUE(after);
    EXPECT_EQ(late->load(), 2);
}

}  // namespace
}  // namespace tinyice::server
