#pragma once
// Builds MPD replies: "key: value" lines, song blocks, "list_OK" and "OK". The builder is
// bounded: once the text would pass `max_bytes` it stops growing and reports overflowed(), and
// the session replaces the reply of the command that overflowed with an ACK (MPD itself drops
// the connection when its output buffer overflows).

#include "protocol/mpd/Song.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tinyice::protocol::mpd {

// "2024-03-01T12:30:00Z" (MPD's Last-Modified format).
[[nodiscard]] std::string iso8601_utc(std::int64_t unix_seconds);

class Response {
public:
    static constexpr std::size_t default_max_bytes = std::size_t{16} * 1024 * 1024;

    explicit Response(std::size_t max_bytes = default_max_bytes) : max_bytes_(max_bytes) {}

    // "key: value\n". Control characters in `value` (a tag with a line break) become spaces,
    // so a value can never start a new line of the reply.
    void add(std::string_view key, std::string_view value);
    void add(std::string_view key, std::uint64_t value);
    void add(std::string_view key, std::int64_t value);
    void add(std::string_view key, int value) { add(key, static_cast<std::int64_t>(value)); }
    void add(std::string_view key, unsigned value) { add(key, static_cast<std::uint64_t>(value)); }
    // Fixed-point with `decimals` digits ("elapsed: 12.345").
    void add_fixed(std::string_view key, double value, int decimals = 3);

    // file, Last-Modified, Format, the tags in `tags` that the song has, Time, duration, and
    // Pos/Id when given (queue entries).
    void add_song(const Song& song, TagMask tags, std::optional<std::size_t> position = {},
                  std::optional<std::uint64_t> id = {});

    // Appends protocol text as is ("OK\n", "list_OK\n", an ACK line). Not counted against the
    // limit, so the terminator or the ACK of an overflowed reply always fits.
    void raw(std::string_view text);

    // Where the text ends now; truncate() goes back to such a mark (dropping the partial reply
    // of a command that failed or overflowed) and clears the overflow.
    [[nodiscard]] std::size_t mark() const { return text_.size(); }
    void truncate(std::size_t mark);

    [[nodiscard]] bool overflowed() const { return overflowed_; }
    [[nodiscard]] std::size_t size() const { return text_.size(); }
    [[nodiscard]] const std::string& text() const { return text_; }
    [[nodiscard]] std::string take();
    [[nodiscard]] std::size_t max_bytes() const { return max_bytes_; }

private:
    bool room_for(std::size_t bytes);

    std::size_t max_bytes_;
    std::string text_;
    bool overflowed_ = false;
};

} // namespace tinyice::protocol::mpd
