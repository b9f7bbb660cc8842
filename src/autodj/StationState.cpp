#include "autodj/StationState.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>

namespace tinyice::autodj {
namespace json = boost::json;
namespace {

constexpr int format_version = 1;

double read_number(const json::object& o, std::string_view key, double fallback, double lo,
                   double hi) {
    const auto* v = o.if_contains(key);
    if (v == nullptr || !v->is_number()) {
        return fallback;
    }
    const double d = v->to_number<double>();
    return std::isfinite(d) ? std::clamp(d, lo, hi) : fallback;
}

} // namespace

std::string_view to_string(PlayState state) {
    switch (state) {
    case PlayState::playing:
        return "playing";
    case PlayState::paused:
        return "paused";
    case PlayState::stopped:
        return "stopped";
    }
    return "stopped";
}

std::string serialize_state(const PlayQueue& queue, const StateValues& values) {
    json::object o;
    o["format"] = format_version;
    o["state"] = to_string(values.state);
    o["volume"] = values.volume;
    o["crossfade"] = values.crossfade_seconds;
    o["position"] = values.position;
    o["configured_volume"] = values.configured_volume;
    o["configured_crossfade"] = values.configured_crossfade;
    o["queue"] = queue.to_json();
    return json::serialize(o);
}

std::optional<SavedState> parse_state(std::string_view text) {
    json::error_code ec;
    auto doc = json::parse(text, ec);
    if (ec || !doc.is_object()) {
        return std::nullopt;
    }
    const auto& o = doc.get_object();
    const auto* queue = o.if_contains("queue");
    if (queue == nullptr) {
        return std::nullopt;
    }
    SavedState saved;
    saved.queue = PlayQueue::from_json(*queue);
    auto& v = saved.values;
    if (const auto* s = o.if_contains("state"); s != nullptr && s->is_string()) {
        const auto& name = s->get_string();
        v.state = name == "paused"    ? PlayState::paused
                  : name == "stopped" ? PlayState::stopped
                                      : PlayState::playing;
    }
    v.volume = read_number(o, "volume", 1.0, 0.0, 1.0);
    v.crossfade_seconds = read_number(o, "crossfade", 0.0, 0.0, 30.0);
    v.position = read_number(o, "position", 0.0, 0.0, 1e9);
    v.configured_volume = read_number(o, "configured_volume", v.volume, 0.0, 1.0);
    v.configured_crossfade = read_number(o, "configured_crossfade", v.crossfade_seconds, 0.0, 30.0);
    return saved;
}

} // namespace tinyice::autodj
