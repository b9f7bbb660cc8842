// TranscoderManager: definitions from the file and the API, their rules (names, outputs,
// cycles), the shared hub per input, and the JSON API driven through a real http::Router.

#include "autodj/TranscoderManager.hpp"

#include "storage/Database.hpp"
#include "storage/DefinitionStore.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <map>
#include <mutex>

namespace tinyice::autodj {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const Transcoder::Timing fast{5ms, 50ms, 100ms};

// Inputs can be registered; outputs are never granted (no audio flows in these tests).
class Mounts : public MountAccess {
public:
    std::unique_ptr<SourceSession> open_source(const std::string&, core::SourceInfo) override {
        return nullptr;
    }
    std::shared_ptr<core::Mount> find_mount(std::string_view name) override {
        std::lock_guard lock(mutex_);
        auto it = mounts_.find(std::string(name));
        return it == mounts_.end() ? nullptr : it->second;
    }
    std::shared_ptr<core::Mount> add(const std::string& name) {
        core::MountSettings s;
        s.name = name;
        s.queue_size = 65536;
        auto m = std::make_shared<core::Mount>(s);
        std::lock_guard lock(mutex_);
        mounts_[name] = m;
        return m;
    }

private:
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<core::Mount>> mounts_;
};

config::TranscoderConfig transcoder(const std::string& name, const std::string& input,
                                    const std::string& output) {
    config::TranscoderConfig t;
    t.name = name;
    t.input = input;
    t.output = output;
    return t;
}

struct Reply {
    int status = 0;
    json::value body;
};

class TranscoderManagerTest : public testing::Test {
protected:
    TranscoderManagerTest() : db_(":memory:"), defs_(db_) { make_manager(); }

    void make_manager() {
        manager_.reset();
        router_ = std::make_unique<http::Router>();
        manager_ = std::make_unique<TranscoderManager>(
            TranscoderManager::Dependencies{mounts_, defs_}, fast);
        manager_->register_routes(*router_);
    }

    Reply call(const std::string& method, const std::string& path, const std::string& body = "") {
        auto match = router_->match(method, path);
        if (match.route == nullptr) {
            return {match.path_known ? 405 : 404, nullptr};
        }
        EXPECT_EQ(match.route->access, http::Access::admin) << method << " " << path;
        http::Request req;
        req.method = method;
        req.path = path;
        req.body = body;
        req.params = match.params;
        req.client_ip = "127.0.0.1";
        try {
            auto resp = match.route->handler(req);
            return {resp.status, resp.body.empty() ? json::value(nullptr) : json::parse(resp.body)};
        } catch (const http::HttpError& e) {
            json::object o;
            o["error"] = e.what();
            return {e.status, std::move(o)};
        }
    }

    static std::vector<std::string> hub_mounts(const std::shared_ptr<Transcoder>& hub) {
        std::vector<std::string> out;
        if (hub) {
            for (const auto& o : hub->outputs()) {
                out.push_back(o.mount);
            }
        }
        return out;
    }

    Mounts mounts_;
    storage::Database db_;
    storage::DefinitionStore defs_;
    std::unique_ptr<http::Router> router_;
    std::unique_ptr<TranscoderManager> manager_;
};

TEST(TranscoderOutputs, SingleOutputAndLadderRungs) {
    auto t = transcoder("t", "/in", "/out.mp3");
    t.bitrate = 96;
    auto outs = outputs_from(t);
    ASSERT_EQ(outs.size(), 1U);
    EXPECT_EQ(outs[0].owner, "t");
    EXPECT_EQ(outs[0].mount, "/out.mp3");
    EXPECT_EQ(outs[0].encoder.codec, codec::OutputCodec::mp3);
    EXPECT_EQ(outs[0].encoder.bitrate_kbps, 96);
    EXPECT_EQ(outs[0].encoder.sample_rate, 44100); // 0 = 44100
    EXPECT_EQ(outs[0].encoder.channels, 2);

    t.format = "opus";
    t.output = "";
    t.ladder = {32, 64};
    t.channels = 1;
    t.stream_name = "Low";
    outs = outputs_from(t);
    ASSERT_EQ(outs.size(), 2U);
    EXPECT_EQ(outs[0].mount, "/in-32");
    EXPECT_EQ(outs[1].mount, "/in-64");
    EXPECT_EQ(outs[1].encoder.bitrate_kbps, 64);
    EXPECT_EQ(outs[1].encoder.sample_rate, 48000); // Opus is always 48 kHz
    EXPECT_EQ(outs[1].encoder.channels, 1);
    EXPECT_EQ(outs[1].stream_name, "Low");

    t.format = "flac";
    EXPECT_THROW(outputs_from(t), std::invalid_argument);
}

TEST_F(TranscoderManagerTest, CreateListGetAndDeleteThroughTheApi) {
    manager_->start({});
    auto r = call("POST", "/api/transcoders",
                  R"({"name": "low", "input": "/live", "format": "mp3", "ladder": [64, 128]})");
    ASSERT_EQ(r.status, 201) << json::serialize(r.body);
    EXPECT_EQ(r.body.at("name"), "low");
    EXPECT_EQ(r.body.at("defined_in"), "api");
    EXPECT_EQ(r.body.at("config").at("input"), "/live");
    const auto& status = r.body.at("status");
    EXPECT_EQ(status.at("running"), true);
    EXPECT_EQ(status.at("input_live"), false);
    ASSERT_EQ(status.at("outputs").as_array().size(), 2U);
    EXPECT_EQ(status.at("outputs").at(0).at("mount"), "/live-64");
    EXPECT_EQ(status.at("outputs").at(1).at("bitrate"), 128);
    EXPECT_EQ(status.at("outputs").at(1).at("format"), "mp3");
    EXPECT_EQ(status.at("outputs").at(1).at("on_air"), false);
    EXPECT_TRUE(status.at("since").is_null());

    // Kept in the database, shown in the list, one hub for its input.
    ASSERT_TRUE(defs_.get("transcoder", "low").has_value());
    EXPECT_EQ(hub_mounts(manager_->hub("/live")),
              (std::vector<std::string>{"/live-64", "/live-128"}));
    r = call("GET", "/api/transcoders");
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(r.body.at("transcoders").as_array().size(), 1U);
    EXPECT_EQ(call("GET", "/api/transcoders/low").status, 200);
    EXPECT_EQ(call("GET", "/api/transcoders/nope").status, 404);

    EXPECT_EQ(call("DELETE", "/api/transcoders/low").status, 204);
    EXPECT_FALSE(defs_.get("transcoder", "low").has_value());
    EXPECT_EQ(manager_->hub("/live"), nullptr);
    EXPECT_EQ(call("GET", "/api/transcoders/low").status, 404);
    EXPECT_EQ(call("DELETE", "/api/transcoders/low").status, 404);
}

TEST_F(TranscoderManagerTest, RejectsBadDefinitionsClashesAndLoops) {
    manager_->start({});
    ASSERT_EQ(call("POST", "/api/transcoders",
                   R"({"name": "a", "input": "/a", "output": "/b", "format": "mp3"})")
                  .status,
              201);
    // Bad values name the key.
    auto r = call("POST", "/api/transcoders",
                  R"({"name": "x", "input": "/a", "output": "/x", "bitrate": 999})");
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(json::value_to<std::string>(r.body.at("error")).find("bitrate"), std::string::npos);
    EXPECT_EQ(
        call("POST", "/api/transcoders", R"({"name": "x", "input": "/a", "output": "/a"})").status,
        400);
    EXPECT_EQ(call("POST", "/api/transcoders", R"({"nmae": "x"})").status, 400);
    EXPECT_EQ(call("POST", "/api/transcoders", "not json").status, 400);

    // Same name, same output mount.
    EXPECT_EQ(
        call("POST", "/api/transcoders", R"({"name": "a", "input": "/c", "output": "/d"})").status,
        409);
    r = call("POST", "/api/transcoders", R"({"name": "b", "input": "/c", "output": "/b"})");
    EXPECT_EQ(r.status, 409);
    EXPECT_NE(json::value_to<std::string>(r.body.at("error")).find("'a'"), std::string::npos);

    // /a -> /b -> /c is a chain; /c -> /a would close a loop.
    EXPECT_EQ(
        call("POST", "/api/transcoders", R"({"name": "b", "input": "/b", "output": "/c"})").status,
        201);
    r = call("POST", "/api/transcoders", R"({"name": "c", "input": "/c", "output": "/a"})");
    EXPECT_EQ(r.status, 409);
    EXPECT_NE(json::value_to<std::string>(r.body.at("error")).find("own input"), std::string::npos);
    EXPECT_EQ(manager_->names(), (std::vector<std::string>{"a", "b"}));
}

TEST_F(TranscoderManagerTest, UpdatesRestartOnlyWhatChanged) {
    manager_->start({});
    ASSERT_EQ(call("POST", "/api/transcoders",
                   R"({"name": "t", "input": "/in", "output": "/out", "bitrate": 128})")
                  .status,
              201);
    auto r = call("PATCH", "/api/transcoders/t", R"({"bitrate": 192})");
    ASSERT_EQ(r.status, 200) << json::serialize(r.body);
    EXPECT_EQ(r.body.at("config").at("bitrate"), 192);
    EXPECT_EQ(r.body.at("config").at("output"), "/out"); // merged
    auto hub = manager_->hub("/in");
    ASSERT_NE(hub, nullptr);
    ASSERT_EQ(hub->outputs().size(), 1U);
    EXPECT_EQ(hub->outputs()[0].encoder.bitrate_kbps, 192);
    EXPECT_NE(defs_.get("transcoder", "t")->json.find("192"), std::string::npos);

    // PUT replaces the whole definition; the name comes from the URL when the body has none.
    r = call("PUT", "/api/transcoders/t",
             R"({"input": "/other", "output": "/out", "format": "aac"})");
    ASSERT_EQ(r.status, 200) << json::serialize(r.body);
    EXPECT_EQ(r.body.at("config").at("format"), "aac");
    EXPECT_EQ(manager_->hub("/in"), nullptr); // nobody reads /in any more
    ASSERT_NE(manager_->hub("/other"), nullptr);

    EXPECT_EQ(call("PUT", "/api/transcoders/t", R"({"name": "u", "input": "/in", "output": "/o"})")
                  .status,
              400); // no renames
    EXPECT_EQ(call("PATCH", "/api/transcoders/t", R"({"format": "wav"})").status, 400);
    EXPECT_EQ(call("PATCH", "/api/transcoders/nope", "{}").status, 404);
    // A rejected update leaves the running definition alone.
    EXPECT_EQ(json::parse(defs_.get("transcoder", "t")->json).at("format"), "aac");

    // Disabled through the API: kept, not running.
    r = call("PATCH", "/api/transcoders/t", R"({"enabled": false})");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body.at("status").at("running"), false);
    EXPECT_EQ(manager_->hub("/other"), nullptr);
}

TEST_F(TranscoderManagerTest, ConfigFileTranscodersCanOnlyBeStartedAndStopped) {
    auto file = transcoder("file", "/in", "/out.mp3");
    manager_->start({file});
    auto r = call("GET", "/api/transcoders/file");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body.at("defined_in"), "config");
    EXPECT_EQ(call("PUT", "/api/transcoders/file", R"({"input": "/in", "output": "/x"})").status,
              409);
    EXPECT_EQ(call("PATCH", "/api/transcoders/file", R"({"bitrate": 64})").status, 409);
    EXPECT_EQ(call("DELETE", "/api/transcoders/file").status, 409);
    EXPECT_FALSE(defs_.get("transcoder", "file").has_value()); // the file is not copied

    r = call("POST", "/api/transcoders/file/stop");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body.at("status").at("running"), false);
    EXPECT_EQ(manager_->hub("/in"), nullptr);
    r = call("POST", "/api/transcoders/file/start");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body.at("status").at("running"), true);
    ASSERT_NE(manager_->hub("/in"), nullptr);
    EXPECT_TRUE(manager_->hub("/in")->running());
    EXPECT_EQ(call("POST", "/api/transcoders/nope/start").status, 404);

    // A disabled one is listed but does not run until started.
    auto off = transcoder("off", "/in2", "/out2.mp3");
    off.enabled = false;
    manager_->start({file, off});
    EXPECT_EQ(manager_->hub("/in2"), nullptr);
    EXPECT_EQ(call("GET", "/api/transcoders/off").body.at("status").at("running"), false);
}

TEST_F(TranscoderManagerTest, TranscodersOfOneInputShareOneHub) {
    auto mp3 = transcoder("mp3", "/in", "/in.mp3");
    auto aac = transcoder("aac", "/in", "/in.aac");
    aac.format = "aac";
    aac.bitrate = 64;
    auto other = transcoder("other", "/elsewhere", "/e.mp3");
    manager_->start({mp3, aac, other});
    auto hub = manager_->hub("/in");
    ASSERT_NE(hub, nullptr);
    EXPECT_EQ(hub_mounts(hub), (std::vector<std::string>{"/in.aac", "/in.mp3"}));
    EXPECT_EQ(hub_mounts(manager_->hub("/elsewhere")), (std::vector<std::string>{"/e.mp3"}));
    auto r = call("GET", "/api/transcoders/mp3");
    EXPECT_EQ(r.body.at("status").at("decoder_shared_with"), json::parse(R"(["aac"])"));

    // Stopping one keeps the hub for the other; stopping both ends it.
    ASSERT_EQ(call("POST", "/api/transcoders/aac/stop").status, 200);
    EXPECT_EQ(manager_->hub("/in"), hub);
    EXPECT_EQ(hub_mounts(hub), (std::vector<std::string>{"/in.mp3"}));
    ASSERT_EQ(call("POST", "/api/transcoders/mp3/stop").status, 200);
    EXPECT_EQ(manager_->hub("/in"), nullptr);
    EXPECT_FALSE(hub->running());
}

TEST_F(TranscoderManagerTest, StatusShowsTheInputAndWhyItIsNotDecoded) {
    auto input = mounts_.add("/in");
    core::SourceInfo info;
    info.content_type = "video/webm";
    ASSERT_TRUE(input->claim_source(info, {}));
    manager_->start({transcoder("t", "/in", "/out.mp3")});
    auto hub = manager_->hub("/in");
    ASSERT_NE(hub, nullptr);
    ASSERT_TRUE(hub->wait_for([](const auto& s) { return s.input_format == "generic"; }, 20s));
    const auto status = call("GET", "/api/transcoders/t").body.at("status");
    EXPECT_EQ(status.at("input_live"), true);
    EXPECT_EQ(status.at("decoding"), false);
    EXPECT_EQ(status.at("input_format"), "generic");
    EXPECT_NE(json::value_to<std::string>(status.at("error")).find("video/webm"),
              std::string::npos);
    EXPECT_EQ(status.at("outputs").at(0).at("state"), "idle");
}

TEST_F(TranscoderManagerTest, StoredDefinitionsComeBackAfterARestart) {
    manager_->start({});
    ASSERT_EQ(call("POST", "/api/transcoders",
                   R"({"name": "kept", "input": "/in", "output": "/kept.mp3"})")
                  .status,
              201);
    ASSERT_EQ(call("POST", "/api/transcoders",
                   R"({"name": "clash", "input": "/in", "output": "/taken.mp3"})")
                  .status,
              201);
    ASSERT_EQ(call("POST", "/api/transcoders",
                   R"({"name": "same", "input": "/x", "output": "/same.mp3"})")
                  .status,
              201);
    // A definition the database cannot make sense of any more is skipped, not fatal.
    defs_.put("transcoder", "broken", R"({"name": "broken", "input": "nope"})");

    make_manager();
    // The operator has since put transcoders into the file that clash with two of them.
    manager_->start({transcoder("same", "/y", "/y.mp3"), transcoder("file", "/z", "/taken.mp3")});
    EXPECT_EQ(manager_->names(), (std::vector<std::string>{"file", "kept", "same"}));
    EXPECT_EQ(call("GET", "/api/transcoders/same").body.at("defined_in"), "config");
    EXPECT_EQ(call("GET", "/api/transcoders/kept").body.at("defined_in"), "api");
    EXPECT_EQ(hub_mounts(manager_->hub("/in")), (std::vector<std::string>{"/kept.mp3"}));
}

TEST_F(TranscoderManagerTest, NothingRestartsAfterStopAll) {
    manager_->start({transcoder("t", "/in", "/out.mp3")});
    auto hub = manager_->hub("/in");
    ASSERT_NE(hub, nullptr);
    manager_->stop_all();
    EXPECT_FALSE(hub->running());
    EXPECT_EQ(manager_->hub("/in"), nullptr);
    EXPECT_EQ(call("POST", "/api/transcoders/t/start").status, 503);
    EXPECT_EQ(manager_->hub("/in"), nullptr);
    EXPECT_EQ(call("GET", "/api/transcoders/t").body.at("status").at("running"), false);
    manager_->stop_all(); // idempotent
}

} // namespace
} // namespace tinyice::autodj
