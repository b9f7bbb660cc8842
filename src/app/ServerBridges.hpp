#pragma once
// Adapters between the streaming server and the features that feed it (AutoDJ stations,
// transcoders): the features declare what they need (autodj::MountAccess) and the server
// provides it (server::InternalSource); app/ is the only place that knows both.

#include <memory>
#include <string>
#include <string_view>

#include "autodj/MountAccess.hpp"
#include "autodj/StationManager.hpp"
#include "server/Server.hpp"

namespace tinyice::app {

class ServerSourceSession : public autodj::SourceSession {
public:
    explicit ServerSourceSession(std::unique_ptr<server::InternalSource> source)
        : source_(std::move(source)) {}
    void write(std::span<const std::uint8_t> data) override { source_->write(data); }
    void set_title(const std::string& artist, const std::string& title) override {
        source_->set_title(artist, title);
    }
    [[nodiscard]] bool killed() const override { return source_->killed(); }
    [[nodiscard]] std::uint64_t listeners() const override { return source_->listeners(); }
    [[nodiscard]] const std::string& mount() const override { return source_->mount_name(); }

private:
    std::unique_ptr<server::InternalSource> source_;
};

// `origin` names the feature in logs, status and history ("autodj", "transcoder").
class ServerMountAccess : public autodj::MountAccess {
public:
    ServerMountAccess(server::Server& server, std::string origin)
        : server_(server), origin_(std::move(origin)) {}

    std::unique_ptr<autodj::SourceSession> open_source(const std::string& mount,
                                                       core::SourceInfo info) override {
        info.origin = origin_;
        auto source = server_.open_internal_source(mount, std::move(info));
        if (!source) {
            return nullptr;
        }
        return std::make_unique<ServerSourceSession>(std::move(source));
    }
    std::shared_ptr<core::Mount> find_mount(std::string_view name) override {
        return server_.find_mount(name);
    }

private:
    server::Server& server_;
    std::string origin_;
};

class StationNowPlaying : public server::NowPlayingProvider {
public:
    explicit StationNowPlaying(autodj::StationManager& stations) : stations_(stations) {}
    std::optional<boost::json::object> now_playing(std::string_view mount) override {
        return stations_.now_playing(mount);
    }

private:
    autodj::StationManager& stations_;
};

}  // namespace tinyice::app
