#include "protocol/mpd/Ack.hpp"

#include <fmt/format.h>

namespace tinyice::protocol::mpd {

namespace {

std::string one_line(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            c = ' ';
        }
    }
    return out;
}

} // namespace

std::string format_ack(Ack code, std::size_t list_index, std::string_view command,
                       std::string_view message) {
    return fmt::format("ACK [{}@{}] {{{}}} {}\n", static_cast<int>(code), list_index,
                       one_line(command), one_line(message));
}

} // namespace tinyice::protocol::mpd
