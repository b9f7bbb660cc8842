#pragma once
// MPD's error replies: "ACK [error@command_listNum] {current_command} message_text\n".
// The numbers are MPD's own (its src/protocol/Ack.hxx); clients act on some of them, e.g.
// libmpdclient reports 3 as "wrong password" and 50 as "no such thing".

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tinyice::protocol::mpd {

enum class Ack : int {
    not_list = 1,
    arg = 2,
    password = 3,
    permission = 4,
    unknown = 5,
    no_exist = 50,
    playlist_max = 51,
    system = 52,
    playlist_load = 53,
    update_already = 54,
    player_sync = 55,
    exist = 56,
};

// A failed command. Command code throws it (commands are control plane) and the session turns
// it into one ACK line; the message is what the client shows to its user.
class CommandError : public std::runtime_error {
public:
    CommandError(Ack code, const std::string& message) : std::runtime_error(message), code_(code) {}
    [[nodiscard]] Ack code() const { return code_; }

private:
    Ack code_;
};

// "ACK [2@0] {play} wrong number of arguments for \"play\"\n". `list_index` is the position of
// the failing command in a command list (0 outside lists); `command` is empty when the command
// is not known. Control characters in `command` and `message` become spaces so that an error
// can never split the reply into two lines.
[[nodiscard]] std::string format_ack(Ack code, std::size_t list_index, std::string_view command,
                                     std::string_view message);

} // namespace tinyice::protocol::mpd
