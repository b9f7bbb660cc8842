#include "autodj/StationManager.hpp"

#include "codec/AudioTypes.hpp"
#include "util/Log.hpp"

#include <algorithm>
#include <unistd.h>

namespace tinyice::autodj {

namespace fs = std::filesystem;

StationSettings settings_from(const config::AutoDjConfig& cfg) {
    StationSettings s;
    s.name = cfg.name;
    s.mount = cfg.mount;
    auto codec = codec::output_codec_from_string(cfg.format);
    if (!codec) {
        throw std::invalid_argument("format: must be mp3, opus, vorbis or aac");
    }
    s.encoder.codec = *codec;
    s.encoder.bitrate_kbps = static_cast<int>(cfg.bitrate);
    s.encoder.sample_rate = static_cast<int>(cfg.sample_rate);
    s.encoder.channels = static_cast<int>(cfg.channels);
    s.crossfade_seconds = cfg.crossfade;
    s.normalize = cfg.normalize;
    s.target_lufs = cfg.target_lufs;
    s.volume = static_cast<double>(cfg.volume) / 100.0;
    s.initial_modes.random = cfg.shuffle;
    s.initial_modes.repeat = cfg.loop;
    s.initial_playlist = cfg.playlist;
    s.next_track_command = HookCommand{cfg.next_track.command, cfg.next_track.timeout_ms};
    s.on_play_command = HookCommand{cfg.on_play.command, cfg.on_play.timeout_ms};
    s.stream_name = cfg.stream_name.empty() ? cfg.name : cfg.stream_name;
    s.description = cfg.description;
    s.genre = cfg.genre;
    s.url = cfg.url;
    s.is_public = cfg.is_public;
    return s;
}

StationManager::StationManager(Dependencies deps, Observer* observer)
    : deps_(std::move(deps)), observer_(observer) {}

StationManager::~StationManager() {
    stop_all();
}

config::AutoDjConfig StationManager::resolved(config::AutoDjConfig cfg) const {
    if (!cfg.music_dir.empty() && fs::path(cfg.music_dir).is_relative()) {
        cfg.music_dir = (deps_.data_dir / cfg.music_dir).lexically_normal().string();
    }
    return cfg;
}

std::shared_ptr<Library> StationManager::library_for(const fs::path& folder, bool analyse) {
    std::error_code ec;
    auto canonical = fs::weakly_canonical(folder, ec);
    const std::string key = (ec ? folder : canonical).lexically_normal().string();
    std::lock_guard lock(mutex_);
    if (auto it = libraries_.find(key); it != libraries_.end()) {
        if (auto lib = it->second.lock()) {
            return lib;
        }
    }
    Library::Options options;
    options.analyse_loudness = analyse;
    auto lib = std::make_shared<Library>(fs::path(key), deps_.db, options);
    lib->start();
    libraries_[key] = lib;
    return lib;
}

StationManager::Entry StationManager::build(const config::AutoDjConfig& raw, bool from_file) {
    Entry e;
    e.cfg = raw;
    e.from_file = from_file;
    auto cfg = resolved(raw);
    auto settings = settings_from(cfg);
    e.library = library_for(cfg.music_dir, cfg.analyse_loudness);
    e.station = std::make_shared<Station>(
        std::move(settings),
        Station::Dependencies{deps_.mounts, e.library, deps_.state, deps_.history});
    return e;
}

void StationManager::preflight(const config::AutoDjConfig& raw) const {
    const auto cfg = resolved(raw);
    try {
        Station::validate_settings(settings_from(cfg));
    } catch (const std::exception& e) {
        throw http::HttpError(400, e.what());
    }
    std::error_code ec;
    if (!fs::is_directory(cfg.music_dir, ec) || ::access(cfg.music_dir.c_str(), R_OK | X_OK) != 0) {
        throw http::HttpError(400, "music_dir: " + cfg.music_dir + " is not a readable folder");
    }
}

void StationManager::check_can_add(const std::string& name) const {
    std::lock_guard lock(mutex_);
    if (closed_) {
        throw http::HttpError(503, "the AutoDJ is shutting down");
    }
    if (entries_.contains(name)) {
        throw http::HttpError(409, "a station named '" + name + "' exists already");
    }
}

void StationManager::add(Entry entry, bool start) {
    auto station = entry.station;
    auto cfg = entry.cfg;
    {
        std::lock_guard lock(mutex_);
        if (closed_ || entries_.contains(cfg.name)) {
            // The callers checked under admin_mutex_; this cannot happen, and must not replace
            // (and so destroy, unannounced) a station the observer knows.
            throw http::HttpError(closed_ ? 503 : 409,
                                  "station '" + cfg.name + "' cannot be added now");
        }
        entries_.emplace(cfg.name, std::move(entry));
    }
    if (start) {
        station->start();
    }
    if (observer_ != nullptr) {
        try {
            observer_->on_station_added(*station, cfg);
        } catch (const std::exception& e) {
            util::logger("autodj")->error("station '{}': {}", cfg.name, e.what());
        }
    }
}

void StationManager::remove(const std::string& name) {
    Entry e;
    {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(name);
        if (it == entries_.end()) {
            return;
        }
        e = std::move(it->second);
        entries_.erase(it);
    }
    if (observer_ != nullptr) {
        try {
            observer_->on_station_removed(*e.station);
        } catch (const std::exception& ex) {
            util::logger("autodj")->error("station '{}': {}", name, ex.what());
        }
    }
    // Retired, not just stopped: an API handler may still hold the station and must not be able
    // to start it again. The station keeps its library alive for such late callers; the library
    // stops when the last station using it is gone.
    e.station->retire();
    e.station.reset();
    e.library.reset();
}

void StationManager::start(const std::vector<config::AutoDjConfig>& from_file) {
    std::lock_guard admin(admin_mutex_);
    {
        std::lock_guard lock(mutex_);
        closed_ = false;
    }
    auto log = util::logger("autodj");
    for (const auto& cfg : from_file) {
        try {
            check_can_add(cfg.name);
            add(build(cfg, true), cfg.enabled);
        } catch (const std::exception& e) {
            log->error("station '{}' (config file) not started: {}", cfg.name, e.what());
        }
    }
    std::vector<storage::Definition> stored;
    try {
        stored = deps_.definitions.list("autodj");
    } catch (const std::exception& e) {
        log->error("cannot read AutoDJ definitions from the database: {}", e.what());
    }
    for (const auto& def : stored) {
        try {
            auto cfg = config::parse_autodj(def.json);
            config::validate_autodj(cfg, "");
            if (find(cfg.name)) {
                log->warn("station '{}' from the database is skipped: the config file defines "
                          "a station with that name",
                          cfg.name);
                continue;
            }
            check_can_add(cfg.name);
            add(build(cfg, false), cfg.enabled);
        } catch (const std::exception& e) {
            log->error("station '{}' (created through the API) not started: {}", def.name,
                       e.what());
        }
    }
}

void StationManager::stop_all() {
    std::lock_guard admin(admin_mutex_);
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
    }
    for (const auto& name : names()) {
        remove(name);
    }
}

std::shared_ptr<Station> StationManager::find(std::string_view name) const {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : it->second.station;
}

std::vector<std::string> StationManager::names() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [name, e] : entries_) {
        out.push_back(name);
    }
    return out;
}

} // namespace tinyice::autodj
