#pragma once
// Adapters for the statistics and /metrics: the AutoDJ stations' and transcoders' states as the
// metrics layer's plain structs (the server does not include the features), and the interval
// of the per-minute listener sampling.

#include "autodj/StationManager.hpp"
#include "autodj/TranscoderManager.hpp"
#include "server/MetricsRoute.hpp"
#include "util/Log.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace tinyice::app {

inline metrics::StationState station_state(const autodj::NowPlaying& np) {
    if (!np.running) {
        return metrics::StationState::stopped;
    }
    switch (np.state) {
    case autodj::PlayState::playing:
        return metrics::StationState::playing;
    case autodj::PlayState::paused:
        return metrics::StationState::paused;
    case autodj::PlayState::stopped:
        break;
    }
    return metrics::StationState::stopped;
}

// Both managers must outlive the server (the callbacks run on its API workers).
inline server::MetricsSources metrics_sources(autodj::StationManager& stations,
                                              autodj::TranscoderManager& transcoders) {
    server::MetricsSources s;
    s.stations = [&stations] {
        std::vector<metrics::StationMetrics> out;
        for (const auto& name : stations.names()) {
            auto station = stations.find(name);
            if (!station) {
                continue; // deleted in between
            }
            const auto np = station->now_playing();
            metrics::StationMetrics m;
            m.station = name;
            m.mount = station->settings().mount;
            m.state = station_state(np);
            // Tracks the station started playing: files it opened minus those it could not.
            m.tracks_played_total =
                np.open_attempts >= np.open_failures ? np.open_attempts - np.open_failures : 0;
            out.push_back(std::move(m));
        }
        return out;
    };
    s.transcoders = [&transcoders] {
        std::vector<metrics::TranscoderMetrics> out;
        for (const auto& name : transcoders.names()) {
            auto doc = transcoders.describe(name);
            if (!doc) {
                continue;
            }
            bool running = false;
            if (const auto* status = doc->if_contains("status"); status && status->is_object()) {
                if (const auto* r = status->get_object().if_contains("running");
                    r && r->is_bool()) {
                    running = r->get_bool();
                }
            }
            out.push_back(metrics::TranscoderMetrics{name, running});
        }
        return out;
    };
    return s;
}

// How often the per-minute listener counts are sampled: once a minute. FOR TESTS ONLY, the
// environment variable TINYICE_TEST_STATS_MINUTE_MS (100..60000) samples more often, so an
// integration test sees points without waiting a minute; each sample still lands in the current
// unix minute (a later one in the same minute replaces it), so the stored data keep their
// meaning.
inline std::chrono::milliseconds listener_minute_interval() {
    constexpr std::chrono::milliseconds normal{60'000};
    const char* text = std::getenv("TINYICE_TEST_STATS_MINUTE_MS");
    if (text == nullptr || *text == '\0') {
        return normal;
    }
    char* end = nullptr;
    const long ms = std::strtol(text, &end, 10);
    if (end == nullptr || *end != '\0' || ms < 100 || ms > 60'000) {
        util::logger("main")->warn("TINYICE_TEST_STATS_MINUTE_MS='{}' ignored (100..60000)", text);
        return normal;
    }
    util::logger("main")->warn("listener counts sampled every {} ms (TINYICE_TEST_STATS_MINUTE_MS,"
                               " for tests only)",
                               ms);
    return std::chrono::milliseconds(ms);
}

} // namespace tinyice::app
