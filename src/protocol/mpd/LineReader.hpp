#pragma once
// Sans-I/O framing of MPD's request stream into lines. MPD requests are single lines ended by
// "\n"; like MPD, trailing whitespace (including a "\r" from telnet-style clients) is stripped.
// The buffer never holds more than one line limit plus the last piece fed, so a client that
// sends an endless line costs at most `max_line_bytes` before it is refused.

#include <cstddef>
#include <string>
#include <string_view>

namespace tinyice::protocol::mpd {

class LineReader {
public:
    // MPD's own default is 1 MiB of pending input; one line of 64 KiB is far more than any
    // real command needs (a long filter expression is a few hundred bytes).
    static constexpr std::size_t default_max_line_bytes = std::size_t{64} * 1024;

    explicit LineReader(std::size_t max_line_bytes = default_max_line_bytes);

    // Appends bytes received from the client.
    void feed(std::string_view data);

    enum class Status {
        line,      // `line` holds the next request line (without "\n" and trailing blanks)
        need_more, // no complete line buffered
        too_long,  // the next line exceeds the limit: refuse and close the connection
    };
    // Takes the next complete line out of the buffer. Once too_long, it stays too_long.
    Status next(std::string& line);

    [[nodiscard]] std::size_t buffered() const { return buffer_.size() - start_; }
    [[nodiscard]] std::size_t max_line_bytes() const { return max_line_bytes_; }

private:
    std::size_t max_line_bytes_;
    std::string buffer_;
    std::size_t start_ = 0; // first byte not yet returned
    std::size_t scan_ = 0;  // bytes after start_ already known to hold no '\n'
    bool too_long_ = false;
};

} // namespace tinyice::protocol::mpd
