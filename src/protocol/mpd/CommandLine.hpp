#pragma once
// Sans-I/O tokenizer for one MPD request line, with MPD's quoting rules (its Tokenizer.cxx):
//   * the command name comes first: a letter, then letters, digits and '_';
//   * arguments are separated by spaces or tabs;
//   * an argument in double quotes may hold anything; inside, a backslash makes the next
//     character literal (\" and \\; "\x" is just "x"); the closing quote must be followed by
//     a separator or the end of the line;
//   * an unquoted argument is a run of printable bytes other than '"' and '\''.
// Errors carry MPD's ACK code: a bad command name is ACK_ERROR_UNKNOWN (5), a bad argument
// ACK_ERROR_ARG (2).

#include "protocol/mpd/Ack.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tinyice::protocol::mpd {

struct Command {
    std::string name;              // as sent (MPD command names are case-sensitive)
    std::vector<std::string> args; // unquoted and unescaped
    bool operator==(const Command&) const = default;
};

struct ParseError {
    Ack code = Ack::arg;
    std::string message;
    bool operator==(const ParseError&) const = default;
};

// MPD accepts 4096 arguments; no command takes more than a handful, except filters and
// "tagtypes enable", which stay far below this.
inline constexpr std::size_t default_max_arguments = 256;

using ParsedLine = std::variant<Command, ParseError>;

// Tokenizes a line as LineReader returns it (no "\n"). A NUL byte anywhere is an error.
[[nodiscard]] ParsedLine parse_command_line(std::string_view line,
                                            std::size_t max_arguments = default_max_arguments);

// Quotes `value` as an MPD argument: "..." with '"' and '\\' escaped. For tests and for
// building requests (the inverse of the tokenizer).
[[nodiscard]] std::string quote_argument(std::string_view value);

} // namespace tinyice::protocol::mpd
