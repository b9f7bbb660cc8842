#pragma once
// All transcoders of the server: those from the config file and those created at run time
// through the admin API (kept in the database's definitions, kind "transcoder", so they come
// back after a restart). A transcoder definition reads one input mount and feeds one output
// mount, or one per ladder bitrate. Definitions that read the same input share ONE hub
// (Transcoder.hpp): one thread and one decoder per input mount, however many transcoders and
// rungs read it. A hub runs while at least one running definition uses it.
//
// Transcoders from the config file can be started and stopped through the API, but not edited
// or deleted there (409): the file stays the operator's. Transcoders created through the API can
// be edited (only the outputs that changed restart) and deleted.
//
// Rules checked here (the config validator checks the file's own sections): names unique, no
// output mount fed by two transcoders, and no cycle (a transcoder feeding, directly or through
// others, its own input would keep itself alive after the real source left).
//
// Threads: every method is thread-safe; API handlers run on the HTTP worker pool.

#include "autodj/MountAccess.hpp"
#include "autodj/Transcoder.hpp"
#include "config/Config.hpp"
#include "http/Router.hpp"
#include "storage/DefinitionStore.hpp"

#include <boost/json/object.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::autodj {

// The outputs a definition asks for (ladder rungs in order), sample rates resolved.
// Throws std::invalid_argument for an unknown format (validate_transcoder catches it first).
std::vector<TranscoderOutput> outputs_from(const config::TranscoderConfig& cfg);

class TranscoderManager {
public:
    struct Dependencies {
        MountAccess& mounts;
        storage::DefinitionStore& definitions;
    };

    // `timing` is passed to every hub (tests shorten it).
    explicit TranscoderManager(Dependencies deps, Transcoder::Timing timing = {});
    ~TranscoderManager(); // stop_all()
    TranscoderManager(const TranscoderManager&) = delete;
    TranscoderManager& operator=(const TranscoderManager&) = delete;

    // Adds the transcoders of the config file and of the stored definitions (a stored one whose
    // name or outputs clash with the file's, or that would close a cycle, is skipped with a
    // warning) and runs the enabled ones. Never throws for a bad definition: it is logged.
    void start(const std::vector<config::TranscoderConfig>& from_file);
    // Stops every hub (outputs flushed, mounts released) and keeps them stopped until the next
    // start(), so an API call racing with shutdown cannot restart one; idempotent. The
    // definitions stay listed.
    void stop_all();

    void register_routes(http::Router& router);

    // For the API, tests and the app.
    [[nodiscard]] std::vector<std::string> names() const;
    // The API's JSON description of one transcoder (name, defined_in, config, status).
    [[nodiscard]] std::optional<boost::json::object> describe(std::string_view name) const;
    // Runs or stops one transcoder (not persisted: a restart uses `enabled`). False when unknown.
    // After stop_all() nothing runs until start().
    bool set_running(std::string_view name, bool run);
    // The hub reading `input`, when one runs (tests).
    [[nodiscard]] std::shared_ptr<Transcoder> hub(std::string_view input) const;

private:
    struct Entry {
        config::TranscoderConfig cfg;
        bool from_file = false;
        bool running = false;
        std::vector<TranscoderOutput> outputs;
    };

    // Empty when `cfg` may join the definitions (replacing the one named `replacing`), else why
    // not. Call with mutex_ held.
    [[nodiscard]] std::string conflict_locked(const config::TranscoderConfig& cfg,
                                              std::string_view replacing) const;
    // Brings the hubs in line with the running definitions. Call with admin_mutex_ held.
    void apply();
    boost::json::object describe_locked(const Entry& e) const;

    // API handlers (TranscoderApi.cpp).
    http::Response api_list(http::Request& req);
    http::Response api_create(http::Request& req);
    http::Response api_get(http::Request& req) const;
    http::Response api_update(http::Request& req, bool merge);
    http::Response api_delete(http::Request& req);
    http::Response api_run(http::Request& req, bool run);

    Dependencies deps_;
    const Transcoder::Timing timing_;
    mutable std::mutex mutex_; // guards entries_ and hubs_
    std::map<std::string, Entry, std::less<>> entries_;
    std::map<std::string, std::shared_ptr<Transcoder>, std::less<>> hubs_; // by input mount
    bool closed_ = false;    // stop_all() was called: no hub runs until start()
    std::mutex admin_mutex_; // serialises changes (create, update, delete, start, stop)
};

} // namespace tinyice::autodj
