#pragma once
// All AutoDJ stations of the server: those from the config file and those created at run time
// through the admin API (kept in the database's definitions, so they come back after a
// restart). Owns the stations and the libraries they play (one Library per distinct music
// folder, shared), registers the AutoDJ part of the JSON API, and answers now-playing queries
// for the mounts it feeds.
//
// Stations from the config file can be started, stopped and driven through the API, but not
// edited or deleted there (409): the file stays the operator's. Stations created through the
// API can be edited (the station restarts) and deleted (its saved state goes too).
//
// Lifecycle: start() opens the manager, stop_all() closes it (every station is retired: it stops
// and can never start again, even if an API handler still holds it); while closed, API calls
// that would add a station get 503, so nothing outlives the server. Names are unique: adding a
// station under a name in use is refused (409), never a silent replacement.
//
// Threads: every method is thread-safe; API handlers run on the HTTP worker pool. Changes to the
// set of stations (start, stop_all, create, update, delete) are serialised.

#include "autodj/Library.hpp"
#include "autodj/MountAccess.hpp"
#include "autodj/Station.hpp"
#include "config/Config.hpp"
#include "http/Router.hpp"
#include "storage/AutoDjStore.hpp"
#include "storage/Database.hpp"
#include "storage/DefinitionStore.hpp"
#include "storage/HistoryStore.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::autodj {

// Converts a config section to station settings; relative music folders and playlist files are
// resolved against `data_dir`. Throws codec::CodecError / std::invalid_argument like Station.
StationSettings settings_from(const config::AutoDjConfig& cfg);

class StationManager {
public:
    // Told about stations coming and going (app/ uses it to run an MPD server per station).
    class Observer {
    public:
        virtual ~Observer() = default;
        virtual void on_station_added(Station& station, const config::AutoDjConfig& cfg) = 0;
        // Called before the station is stopped and destroyed.
        virtual void on_station_removed(Station& station) = 0;
    };

    struct Dependencies {
        MountAccess& mounts;
        storage::Database& db;
        storage::AutoDjStore& state;
        storage::HistoryStore& history;
        storage::DefinitionStore& definitions;
        std::filesystem::path data_dir;
    };

    StationManager(Dependencies deps, Observer* observer = nullptr);
    ~StationManager(); // stop_all()
    StationManager(const StationManager&) = delete;
    StationManager& operator=(const StationManager&) = delete;

    // Opens the manager, creates the stations of the config file and of the stored definitions
    // (a stored definition whose name clashes with a file station is skipped with a warning),
    // and starts those that are enabled. A station that fails to build is logged and skipped,
    // never fatal.
    void start(const std::vector<config::AutoDjConfig>& from_file);
    // Closes the manager (see above) and stops and drops every station; their libraries stop
    // once no station holds them any more. Idempotent.
    void stop_all();

    void register_routes(http::Router& router);

    // Now-playing members for the mount's JSON document, when a station feeds it.
    [[nodiscard]] std::optional<boost::json::object> now_playing(std::string_view mount) const;
    // Every station's now-playing document (as GET /api/autodj/NAME/player), with its "mount":
    // the dashboard's live feed.
    [[nodiscard]] boost::json::array now_playing_documents() const;

    // For tests and the MPD bridge.
    [[nodiscard]] std::shared_ptr<Station> find(std::string_view name) const;
    [[nodiscard]] std::vector<std::string> names() const;

private:
    struct Entry {
        config::AutoDjConfig cfg;
        bool from_file = false;
        std::shared_ptr<Library> library;
        std::shared_ptr<Station> station;
    };

    // Builds the station (and its library) for `cfg`; throws on bad settings.
    Entry build(const config::AutoDjConfig& cfg, bool from_file);
    // Throws http::HttpError 503 when closed and 409 when `name` is in use. The callers hold
    // admin_mutex_ from this check to add(), so it cannot go stale in between.
    void check_can_add(const std::string& name) const;
    // Takes the station in (and starts it); throws like check_can_add(). Call with
    // admin_mutex_ held.
    void add(Entry entry, bool start);
    // Takes the station out and retires it. Call with admin_mutex_ held.
    void remove(const std::string& name);
    // Everything that can refuse `cfg` short of building it (the settings, a trial encoder, the
    // music folder), so that a bad update never touches the running station. Throws
    // http::HttpError 400 saying what is wrong.
    void preflight(const config::AutoDjConfig& cfg) const;
    std::shared_ptr<Library> library_for(const std::filesystem::path& folder, bool analyse);
    config::AutoDjConfig resolved(config::AutoDjConfig cfg) const;

    // API handlers (AutoDjApi.cpp).
    http::Response api_list(http::Request& req);
    http::Response api_create(http::Request& req);
    http::Response api_get(http::Request& req);
    http::Response api_update(http::Request& req, bool merge);
    http::Response api_delete(http::Request& req);
    boost::json::object describe(const Entry& e) const;
    std::shared_ptr<Station> station_of(const http::Request& req) const;

    Dependencies deps_;
    Observer* observer_;
    mutable std::mutex mutex_; // guards entries_, libraries_ and closed_
    std::map<std::string, Entry, std::less<>> entries_;
    std::map<std::string, std::weak_ptr<Library>, std::less<>> libraries_;
    bool closed_ = false;    // stop_all() was called and start() was not called again
    std::mutex admin_mutex_; // serialises start, stop_all, create, update and delete
};

} // namespace tinyice::autodj
