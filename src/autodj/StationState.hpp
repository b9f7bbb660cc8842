#pragma once
// Internal to src/autodj: the document a station saves with storage::AutoDjStore so that a
// restart resumes where it left off: the play queue (playlist, up-next, modes, shuffle round,
// current song) plus the transport state, volume, crossfade and the position in the current
// song. The configured volume and crossfade are saved too: when the operator changes them in
// the config, the new configured value wins over the one saved at run time.

#include "autodj/PlayQueue.hpp"
#include "autodj/Station.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace tinyice::autodj {

struct StateValues {
    PlayState state = PlayState::playing;
    double volume = 1.0;
    double crossfade_seconds = 0;
    double position = 0; // seconds into the current song
    double configured_volume = 1.0;
    double configured_crossfade = 0;
};

struct SavedState {
    PlayQueue queue;
    StateValues values;
};

[[nodiscard]] std::string serialize_state(const PlayQueue& queue, const StateValues& values);
// nullopt when `text` is not a station state at all; values out of range are clamped and
// missing ones take their defaults.
[[nodiscard]] std::optional<SavedState> parse_state(std::string_view text);

[[nodiscard]] std::string_view to_string(PlayState state);

} // namespace tinyice::autodj
