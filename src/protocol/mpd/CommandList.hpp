#pragma once
// The command-list state machine (MPD's CommandListBuilder and client_process_line):
//   command_list_begin / command_list_ok_begin  open a list (no reply yet);
//   other lines                                 are stored verbatim while a list is open;
//   command_list_end                            closes it: the caller runs the stored lines in
//                                               order, stops at the first error (ACK with the
//                                               failing index), writes "list_OK\n" after each
//                                               success in ok mode and "OK\n" at the end.
// A list is bounded in commands and bytes. MPD drops the connection when a list grows too big;
// here the rest of the list is discarded up to command_list_end, which is then answered with
// one error, so the client and the server stay in step.
// Lines are matched exactly (LineReader already strips trailing blanks), like MPD does.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::protocol::mpd {

inline constexpr std::string_view command_list_begin = "command_list_begin";
inline constexpr std::string_view command_list_ok_begin = "command_list_ok_begin";
inline constexpr std::string_view command_list_end = "command_list_end";

class CommandListCollector {
public:
    struct Limits {
        std::size_t max_commands = 10000;
        std::size_t max_bytes = std::size_t{2} * 1024 * 1024; // MPD's default max_command_list_size
    };

    struct Batch {
        bool list_ok = false; // command_list_ok_begin: "list_OK" after each command
        std::vector<std::string> lines;
    };

    enum class Step {
        execute,  // not in a list: run this line on its own now
        begun,    // a list was opened; nothing to answer
        queued,   // stored (or discarded after an overflow); nothing to answer
        complete, // the list was closed: run take()
        too_long, // the list that just closed went over the limits: answer with an error
    };

    CommandListCollector() = default;
    explicit CommandListCollector(Limits limits) : limits_(limits) {}

    Step feed(std::string_view line);
    // The list closed by the last `complete` step; leaves the collector idle.
    Batch take();

    [[nodiscard]] bool active() const { return active_; }
    [[nodiscard]] std::size_t size() const { return batch_.lines.size(); }
    [[nodiscard]] const Limits& limits() const { return limits_; }

private:
    Limits limits_;
    Batch batch_;
    std::size_t bytes_ = 0;
    bool active_ = false;
    bool overflow_ = false;
};

} // namespace tinyice::protocol::mpd
