// The station manager through its JSON API routes (called directly, as the server's workers
// would): lifecycle against the API (closed after stop_all, unique names), updates that must not
// touch the running station when they are refused, and stations that outlive their removal in a
// caller's hands. Real stations, a real database and a small library made with the ffmpeg CLI;
// a fake mount that discards the audio.

#include "autodj/StationManager.hpp"

#include "storage/Database.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unistd.h>
#include <vector>

namespace tinyice::autodj {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

bool have_ffmpeg() {
    static const bool have = std::system("ffmpeg -version > /dev/null 2>&1") == 0;
    return have;
}

class NullSession : public SourceSession {
public:
    explicit NullSession(std::string mount) : mount_(std::move(mount)) {}
    void write(std::span<const std::uint8_t>) override {}
    void set_title(const std::string&, const std::string&) override {}
    [[nodiscard]] bool killed() const override { return false; }
    [[nodiscard]] std::uint64_t listeners() const override { return 0; }
    [[nodiscard]] const std::string& mount() const override { return mount_; }

private:
    std::string mount_;
};

class NullMounts : public MountAccess {
public:
    std::unique_ptr<SourceSession> open_source(const std::string& mount,
                                               core::SourceInfo) override {
        return std::make_unique<NullSession>(mount);
    }
    std::shared_ptr<core::Mount> find_mount(std::string_view) override { return nullptr; }
};

class RecordingObserver : public StationManager::Observer {
public:
    void on_station_added(Station& station, const config::AutoDjConfig&) override {
        std::lock_guard lock(mutex);
        added.push_back(station.settings().name);
    }
    void on_station_removed(Station& station) override {
        std::lock_guard lock(mutex);
        removed.push_back(station.settings().name);
    }
    std::mutex mutex;
    std::vector<std::string> added;
    std::vector<std::string> removed;
};

struct Reply {
    int status = 0;
    std::string body;
    [[nodiscard]] json::object object() const { return json::parse(body).as_object(); }
};

class StationManagerTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!have_ffmpeg()) {
            GTEST_SKIP() << "ffmpeg CLI not installed";
        }
        dir_ = fs::temp_directory_path() /
               ("tinyice-manager-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(music());
        const auto cmd = "ffmpeg -nostdin -v error -y -f lavfi -i sine=f=440:d=2 -ac 2 -ar 44100 "
                         "-b:a 128k '" +
                         (music() / "a.mp3").string() + "'";
        ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
        db_ = std::make_unique<storage::Database>(dir_ / "tinyice.db");
        state_ = std::make_unique<storage::AutoDjStore>(*db_);
        history_ = std::make_unique<storage::HistoryStore>(*db_);
        definitions_ = std::make_unique<storage::DefinitionStore>(*db_);
        manager_ = std::make_unique<StationManager>(
            StationManager::Dependencies{mounts_, *db_, *state_, *history_, *definitions_, dir_},
            &observer_);
        manager_->register_routes(router_);
    }

    void TearDown() override {
        manager_.reset();
        definitions_.reset();
        history_.reset();
        state_.reset();
        db_.reset();
        if (!dir_.empty()) {
            fs::remove_all(dir_);
        }
    }

    fs::path music() const { return dir_ / "music"; }

    config::AutoDjConfig station(const std::string& name, const std::string& mount) const {
        config::AutoDjConfig cfg;
        cfg.name = name;
        cfg.mount = mount;
        cfg.music_dir = music().string();
        cfg.analyse_loudness = false;
        return cfg;
    }

    json::object body(const std::string& name, const std::string& mount) const {
        return json::parse(config::to_json(station(name, mount))).as_object();
    }

    Reply call(const std::string& method, const std::string& path, const json::object& o = {}) {
        auto match = router_.match(method, path);
        EXPECT_NE(match.route, nullptr) << method << " " << path;
        if (match.route == nullptr) {
            return Reply{404, {}};
        }
        http::Request req;
        req.method = method;
        req.path = path;
        req.body = json::serialize(o);
        req.client_ip = "127.0.0.1";
        req.principal.role = http::Principal::Role::admin;
        req.params = match.params;
        try {
            auto resp = match.route->handler(req);
            return Reply{resp.status, resp.body};
        } catch (const http::HttpError& e) {
            return Reply{e.status, e.what()};
        }
    }

    fs::path dir_;
    NullMounts mounts_;
    RecordingObserver observer_;
    std::unique_ptr<storage::Database> db_;
    std::unique_ptr<storage::AutoDjStore> state_;
    std::unique_ptr<storage::HistoryStore> history_;
    std::unique_ptr<storage::DefinitionStore> definitions_;
    http::Router router_;
    std::unique_ptr<StationManager> manager_;
};

TEST_F(StationManagerTest, ANameInUseIsRefusedNotReplaced) {
    manager_->start({station("main", "/a"), station("main", "/b")});
    EXPECT_EQ(manager_->names(), std::vector<std::string>{"main"});
    EXPECT_EQ(observer_.added, std::vector<std::string>{"main"});
    EXPECT_EQ(manager_->find("main")->settings().mount, "/a");
    EXPECT_EQ(call("POST", "/api/autodj", body("main", "/c")).status, 409);
    EXPECT_EQ(manager_->find("main")->settings().mount, "/a");
    EXPECT_TRUE(observer_.removed.empty());
}

TEST_F(StationManagerTest, NothingIsAddedAfterStopAll) {
    manager_->start({station("main", "/a")});
    const auto held = manager_->find("main");
    ASSERT_TRUE(held->running());
    manager_->stop_all();
    EXPECT_TRUE(manager_->names().empty());
    EXPECT_FALSE(held->running());
    const auto reply = call("POST", "/api/autodj", body("late", "/late"));
    EXPECT_EQ(reply.status, 503);
    EXPECT_TRUE(manager_->names().empty());
    // A handler that looked the station up before the shutdown cannot start it again.
    held->start();
    EXPECT_FALSE(held->running());
    // Open again after start().
    manager_->start({});
    EXPECT_EQ(call("POST", "/api/autodj", body("later", "/later")).status, 201);
}

TEST_F(StationManagerTest, ARemovedStationStaysUsableButNeverRestarts) {
    ASSERT_EQ(call("POST", "/api/autodj", body("extra", "/extra")).status, 201);
    const auto held = manager_->find("extra");
    ASSERT_TRUE(held);
    EXPECT_TRUE(held->running());
    EXPECT_EQ(call("DELETE", "/api/autodj/extra").status, 204);
    EXPECT_EQ(observer_.removed, std::vector<std::string>{"extra"});
    EXPECT_FALSE(held->running());
    held->start();
    EXPECT_FALSE(held->running());
    // Its library is still there for whoever holds the station.
    ASSERT_TRUE(held->library().index());
    EXPECT_TRUE(held->library().resolve("a.mp3"));
    held->library().rescan();
    (void)held->now_playing();
}

TEST_F(StationManagerTest, ARefusedUpdateLeavesTheRunningStationAlone) {
    ASSERT_EQ(call("POST", "/api/autodj", body("extra", "/extra")).status, 201);
    const auto before = manager_->find("extra");
    ASSERT_TRUE(before->running());
    json::object change;
    change["music_dir"] = (dir_ / "no-such-folder").string();
    const auto reply = call("PATCH", "/api/autodj/extra", change);
    EXPECT_EQ(reply.status, 400);
    EXPECT_NE(reply.body.find("music_dir"), std::string::npos) << reply.body;
    EXPECT_EQ(manager_->find("extra"), before);
    EXPECT_TRUE(before->running());
    EXPECT_TRUE(observer_.removed.empty());
    // The stored definition is unchanged too.
    const auto def = definitions_->get("autodj", "extra");
    ASSERT_TRUE(def);
    EXPECT_EQ(config::parse_autodj(def->json).music_dir, music().string());
}

TEST_F(StationManagerTest, AnUpdateKeepsAStoppedStationStopped) {
    ASSERT_EQ(call("POST", "/api/autodj", body("extra", "/extra")).status, 201);
    ASSERT_EQ(call("POST", "/api/autodj/extra/stop").status, 200);
    json::object bitrate;
    bitrate["bitrate"] = 96;
    ASSERT_EQ(call("PATCH", "/api/autodj/extra", bitrate).status, 200);
    auto now = manager_->find("extra");
    EXPECT_EQ(now->settings().encoder.bitrate_kbps, 96);
    EXPECT_FALSE(now->running()) << "stopped through the API, and `enabled` did not change";

    json::object off;
    off["enabled"] = false;
    ASSERT_EQ(call("PATCH", "/api/autodj/extra", off).status, 200);
    EXPECT_FALSE(manager_->find("extra")->running());
    json::object on;
    on["enabled"] = true;
    ASSERT_EQ(call("PATCH", "/api/autodj/extra", on).status, 200);
    EXPECT_TRUE(manager_->find("extra")->running()) << "enabling starts it";
    bitrate["bitrate"] = 64;
    ASSERT_EQ(call("PATCH", "/api/autodj/extra", bitrate).status, 200);
    EXPECT_TRUE(manager_->find("extra")->running()) << "a running station restarts";
}

TEST_F(StationManagerTest, StoredPlaylistsAreBoundedThroughTheApi) {
    manager_->start({station("main", "/a")});
    EXPECT_EQ(call("PUT", "/api/autodj/main/playlists/" + std::string(129, 'x')).status, 400);
    for (std::size_t i = 0; i < Station::max_stored_playlists; ++i) {
        state_->save_playlist("main", "p" + std::to_string(i), {"a.mp3"});
    }
    const auto refused = call("PUT", "/api/autodj/main/playlists/new");
    EXPECT_EQ(refused.status, 409);
    EXPECT_NE(refused.body.find("delete one"), std::string::npos) << refused.body;
    EXPECT_EQ(call("PUT", "/api/autodj/main/playlists/p1").status, 200); // replacing
}

} // namespace
} // namespace tinyice::autodj
