#pragma once
// MPD's idle subsystems ("changed: player") as bits, in MPD's order (its IdleFlags.hxx), which
// is also the order of the "changed:" lines in an idle reply.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::protocol::mpd {

enum Idle : unsigned {
    idle_database = 1U << 0,        // the song database changed (after an update)
    idle_stored_playlist = 1U << 1, // a stored playlist was saved, changed or removed
    idle_playlist = 1U << 2,        // the queue changed
    idle_player = 1U << 3,          // play, pause, stop, seek, song change
    idle_mixer = 1U << 4,           // volume
    idle_output = 1U << 5,          // an output was enabled or disabled
    idle_options = 1U << 6,         // random, repeat, single, consume, crossfade, replay gain
    idle_partition = 1U << 7,
    idle_sticker = 1U << 8,
    idle_update = 1U << 9,        // a database update started or finished
    idle_subscription = 1U << 10, // a client subscribed to or left a channel
    idle_message = 1U << 11,      // a message arrived on a subscribed channel
    idle_neighbor = 1U << 12,
    idle_mount = 1U << 13,
};
inline constexpr unsigned idle_all = (1U << 14) - 1;

// Case-insensitive, like MPD; nullopt for an unknown name.
[[nodiscard]] std::optional<Idle> parse_idle_subsystem(std::string_view name);
// Names of the bits set in `mask`, in MPD's order.
[[nodiscard]] std::vector<std::string_view> idle_names(unsigned mask);
// "changed: player\nchanged: mixer\n" for the bits set in `mask` (no "OK").
[[nodiscard]] std::string format_idle_changes(unsigned mask);

} // namespace tinyice::protocol::mpd
