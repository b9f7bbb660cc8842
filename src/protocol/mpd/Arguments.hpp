#pragma once
// Parsers for MPD command arguments: numbers, booleans, seek times and ranges. Each throws
// CommandError(Ack::arg, ...) with MPD's wording ("Integer expected: x", "Bad range") so that
// command code can parse an argument in one line and the session answers with one ACK.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

namespace tinyice::protocol::mpd {

// A decimal integer in [0, max] ("12"); no sign, no blanks.
[[nodiscard]] std::uint64_t
parse_unsigned(std::string_view s, std::uint64_t max = std::numeric_limits<std::uint32_t>::max());
// A decimal integer in [min, max], optionally signed ("-5", "+5").
[[nodiscard]] std::int64_t parse_integer(std::string_view s, std::int64_t min, std::int64_t max);
// "0" or "1".
[[nodiscard]] bool parse_bool(std::string_view s);
// A non-negative, finite number of seconds ("12", "12.5"), at most `max`.
[[nodiscard]] double parse_seconds(std::string_view s, double max = 1e9);

// seekcur's TIME: absolute ("30") or relative to the current position ("+5", "-5").
struct TimeOffset {
    double seconds = 0; // signed when relative
    bool relative = false;
};
[[nodiscard]] TimeOffset parse_time_offset(std::string_view s);

// A half-open range of queue positions: "5" is [5, 6), "3:7" is [3, 7), "3:" is [3, end of the
// list). "-1" (older MPD's "everything") is [0, end).
struct Range {
    static constexpr std::size_t open = std::numeric_limits<std::size_t>::max();
    std::size_t start = 0;
    std::size_t end = open;
    [[nodiscard]] bool open_ended() const { return end == open; }
    // The range limited to a list of `size` entries.
    [[nodiscard]] Range clamped(std::size_t size) const;
    bool operator==(const Range&) const = default;
};
[[nodiscard]] Range parse_range(std::string_view s);

} // namespace tinyice::protocol::mpd
