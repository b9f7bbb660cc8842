#include "autodj/TranscoderManager.hpp"

#include "codec/AudioTypes.hpp"
#include "util/Log.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace tinyice::autodj {

std::vector<TranscoderOutput> outputs_from(const config::TranscoderConfig& cfg) {
    const auto codec = codec::output_codec_from_string(cfg.format);
    if (!codec) {
        throw std::invalid_argument("format: must be mp3, opus, vorbis or aac (got '" + cfg.format +
                                    "')");
    }
    // "0 = 44100 (opus: always 48000)", as for AutoDJ stations.
    const int rate = *codec == codec::OutputCodec::opus ? 48000
                     : cfg.sample_rate != 0             ? static_cast<int>(cfg.sample_rate)
                                                        : 44100;
    const auto mounts = cfg.output_mounts();
    std::vector<TranscoderOutput> out;
    for (std::size_t i = 0; i < mounts.size(); ++i) {
        TranscoderOutput o;
        o.owner = cfg.name;
        o.mount = mounts[i];
        o.encoder.codec = *codec;
        o.encoder.bitrate_kbps = static_cast<int>(cfg.ladder.empty() ? cfg.bitrate : cfg.ladder[i]);
        o.encoder.sample_rate = rate;
        o.encoder.channels = static_cast<int>(cfg.channels);
        o.stream_name = cfg.stream_name;
        out.push_back(std::move(o));
    }
    return out;
}

TranscoderManager::TranscoderManager(Dependencies deps, Transcoder::Timing timing)
    : deps_(deps), timing_(timing) {}

TranscoderManager::~TranscoderManager() {
    stop_all();
}

std::string TranscoderManager::conflict_locked(const config::TranscoderConfig& cfg,
                                               std::string_view replacing) const {
    if (replacing.empty() && entries_.contains(cfg.name)) {
        return "a transcoder named '" + cfg.name + "' exists already";
    }
    const auto outputs = cfg.output_mounts();
    // input -> the mounts transcoders reading it feed, for the cycle check below.
    std::map<std::string, std::vector<std::string>, std::less<>> feeds;
    feeds[cfg.input] = outputs;
    for (const auto& [name, e] : entries_) {
        if (name == replacing) {
            continue;
        }
        const auto theirs = e.cfg.output_mounts();
        for (const auto& m : outputs) {
            if (std::find(theirs.begin(), theirs.end(), m) != theirs.end()) {
                return "mount " + m + " is already fed by transcoder '" + name + "'";
            }
        }
        auto& f = feeds[e.cfg.input];
        f.insert(f.end(), theirs.begin(), theirs.end());
    }
    // Walk from this transcoder's outputs: reaching its input again means audio would loop.
    std::set<std::string, std::less<>> seen;
    std::vector<std::string> todo = outputs;
    while (!todo.empty()) {
        std::string m = std::move(todo.back());
        todo.pop_back();
        if (m == cfg.input) {
            return "its output would feed its own input " + cfg.input +
                   " (through other transcoders): a loop that would outlive the real source";
        }
        if (!seen.insert(m).second) {
            continue;
        }
        if (auto it = feeds.find(m); it != feeds.end()) {
            todo.insert(todo.end(), it->second.begin(), it->second.end());
        }
    }
    return {};
}

void TranscoderManager::apply() {
    std::vector<std::shared_ptr<Transcoder>> to_stop;
    std::vector<std::shared_ptr<Transcoder>> to_start;
    {
        std::lock_guard lock(mutex_);
        std::map<std::string, std::vector<TranscoderOutput>, std::less<>> wanted;
        for (const auto& [name, e] : entries_) {
            if (e.running && !closed_) {
                auto& list = wanted[e.cfg.input];
                list.insert(list.end(), e.outputs.begin(), e.outputs.end());
            }
        }
        for (auto it = hubs_.begin(); it != hubs_.end();) {
            if (!wanted.contains(it->first)) {
                to_stop.push_back(std::move(it->second));
                it = hubs_.erase(it);
            } else {
                ++it;
            }
        }
        for (auto& [input, outputs] : wanted) {
            auto& hub = hubs_[input];
            if (!hub) {
                hub = std::make_shared<Transcoder>(input, deps_.mounts, timing_);
            }
            hub->set_outputs(std::move(outputs));
            to_start.push_back(hub);
        }
    }
    // Joining a hub thread takes up to one poll interval: not under mutex_, so the API can still
    // answer status requests meanwhile.
    for (auto& hub : to_stop) {
        hub->stop();
    }
    for (auto& hub : to_start) {
        try {
            hub->start();
        } catch (const std::exception& e) {
            util::logger("transcoder")
                ->error("{}: cannot start the transcoder thread: {}", hub->input(), e.what());
        }
    }
}

void TranscoderManager::start(const std::vector<config::TranscoderConfig>& from_file) {
    std::lock_guard admin(admin_mutex_);
    auto log = util::logger("transcoder");
    {
        std::lock_guard lock(mutex_);
        entries_.clear();
        closed_ = false;
    }
    const auto add = [this](const config::TranscoderConfig& cfg, bool from_file) -> std::string {
        auto outputs = outputs_from(cfg);
        std::lock_guard lock(mutex_);
        if (auto why = conflict_locked(cfg, {}); !why.empty()) {
            return why;
        }
        entries_[cfg.name] = Entry{cfg, from_file, cfg.enabled, std::move(outputs)};
        return {};
    };
    for (std::size_t i = 0; i < from_file.size(); ++i) {
        const auto& cfg = from_file[i];
        try {
            config::validate_transcoder(cfg, "transcoders[" + std::to_string(i) + "]");
            if (auto why = add(cfg, true); !why.empty()) {
                log->error("transcoder '{}' (config file) not started: {}", cfg.name, why);
            }
        } catch (const std::exception& e) {
            log->error("transcoder '{}' (config file) not started: {}", cfg.name, e.what());
        }
    }
    std::vector<storage::Definition> stored;
    try {
        stored = deps_.definitions.list("transcoder");
    } catch (const std::exception& e) {
        log->error("cannot read transcoder definitions from the database: {}", e.what());
    }
    for (const auto& def : stored) {
        try {
            auto cfg = config::parse_transcoder(def.json);
            config::validate_transcoder(cfg, "");
            if (auto why = add(cfg, false); !why.empty()) {
                log->warn("transcoder '{}' from the database is skipped: {}", def.name, why);
            }
        } catch (const std::exception& e) {
            log->error("transcoder '{}' (created through the API) not started: {}", def.name,
                       e.what());
        }
    }
    apply();
}

void TranscoderManager::stop_all() {
    std::lock_guard admin(admin_mutex_);
    {
        std::lock_guard lock(mutex_);
        for (auto& [name, e] : entries_) {
            e.running = false;
        }
        closed_ = true;
    }
    apply();
}

std::vector<std::string> TranscoderManager::names() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [name, e] : entries_) {
        out.push_back(name);
    }
    return out;
}

std::optional<boost::json::object> TranscoderManager::describe(std::string_view name) const {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(name);
    if (it == entries_.end()) {
        return std::nullopt;
    }
    return describe_locked(it->second);
}

bool TranscoderManager::set_running(std::string_view name, bool run) {
    std::lock_guard admin(admin_mutex_);
    {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(name);
        if (it == entries_.end()) {
            return false;
        }
        if (it->second.running == run) {
            return true;
        }
        it->second.running = run;
    }
    util::logger("transcoder")->info("transcoder '{}' {}", name, run ? "started" : "stopped");
    apply();
    return true;
}

std::shared_ptr<Transcoder> TranscoderManager::hub(std::string_view input) const {
    std::lock_guard lock(mutex_);
    auto it = hubs_.find(input);
    return it == hubs_.end() ? nullptr : it->second;
}

} // namespace tinyice::autodj
