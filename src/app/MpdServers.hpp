#pragma once
// One MPD server per AutoDJ station that asks for one (autodj[].mpd.enabled), created and
// destroyed as stations come and go (config file or admin API). All MPD servers share one
// io_context on a thread of their own, never the streaming event loops: a library change makes
// a server rebuild its song snapshot, which takes milliseconds for large libraries.

#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "app/MpdStationBridge.hpp"
#include "autodj/StationManager.hpp"
#include "mpd/MpdServer.hpp"
#include "util/Log.hpp"

namespace tinyice::app {

class MpdServers : public autodj::StationManager::Observer {
public:
    MpdServers() : work_(io_.get_executor()), thread_([this] { io_.run(); }) {}
    ~MpdServers() override {
        {
            std::lock_guard lock(mutex_);
            servers_.clear();  // each server stops and waits for its sessions
        }
        work_.reset();
        io_.stop();
        thread_.join();
    }
    MpdServers(const MpdServers&) = delete;
    MpdServers& operator=(const MpdServers&) = delete;

    void on_station_added(autodj::Station& station, const config::AutoDjConfig& cfg) override {
        if (!cfg.mpd.enabled) {
            return;
        }
        auto entry = std::make_unique<Entry>();
        entry->bridge = std::make_unique<MpdStationBridge>(station);
        mpd::ServerSettings settings;
        settings.address = cfg.mpd.address;
        settings.port = cfg.mpd.port;
        settings.password_hash = cfg.mpd.password;
        settings.name = "station " + cfg.name;
        try {
            entry->server =
                std::make_unique<mpd::MpdServer>(settings, entry->bridge->backend(), io_);
            entry->server->start();
        } catch (const std::exception& e) {
            // The station plays on without remote control; the operator sees why.
            util::logger("mpd")->error("station '{}': MPD server not started: {}", cfg.name,
                                       e.what());
            return;
        }
        util::logger("mpd")->info("station '{}': MPD server on {}:{}", cfg.name, cfg.mpd.address,
                                  entry->server->port());
        std::lock_guard lock(mutex_);
        servers_[&station] = std::move(entry);
    }

    void on_station_removed(autodj::Station& station) override {
        std::unique_ptr<Entry> entry;
        {
            std::lock_guard lock(mutex_);
            auto it = servers_.find(&station);
            if (it == servers_.end()) {
                return;
            }
            entry = std::move(it->second);
            servers_.erase(it);
        }
        // Server first (it stops and waits for its sessions), then the bridge it uses.
        entry->server.reset();
    }

private:
    struct Entry {
        std::unique_ptr<MpdStationBridge> bridge;
        std::unique_ptr<mpd::MpdServer> server;
        ~Entry() { server.reset(); }
    };

    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::mutex mutex_;
    std::map<const autodj::Station*, std::unique_ptr<Entry>> servers_;
    std::thread thread_;  // last: runs io_ once everything above exists
};

}  // namespace tinyice::app
