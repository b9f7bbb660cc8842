#pragma once
// The MPD command set, mapped onto a Backend. No I/O: a command reads its arguments, calls the
// backend and writes its reply into a protocol::mpd::Response; failures are thrown as
// CommandError and turned into one ACK by the session. The few commands that depend on the
// connection itself (idle, noidle, close, password) are looked up and checked here but run by
// the session.
//
// Permissions: with a password set, a client that has not sent the right one may only use
// password, ping, close, commands, notcommands, tagtypes and binarylimit. "config" is refused
// to everyone (MPD allows it on local sockets only).

#include "mpd/Backend.hpp"
#include "protocol/mpd/CommandLine.hpp"
#include "protocol/mpd/Response.hpp"
#include "protocol/mpd/Song.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tinyice::mpd {

// Per-connection state the commands read and change.
struct ClientState {
    static constexpr std::size_t max_channels = 16;
    static constexpr std::size_t max_messages = 64;

    bool authenticated = false; // the password was given (or none is set)
    protocol::mpd::TagMask tags = protocol::mpd::all_tags;    // "tagtypes"
    std::vector<std::string> channels;                        // subscribed channels
    std::deque<std::pair<std::string, std::string>> messages; // (channel, text), oldest first
    // Adds idle events to this client's connection (messages, subscriptions). May be empty.
    std::function<void(unsigned)> notify;
};

// Client-to-client messages (MPD's channels): subscribe, sendmessage, readmessages. Holds the
// clients of one server; used from the server's strand only.
class MessageBoard {
public:
    static constexpr std::size_t max_channel_name = 64;
    static constexpr std::size_t max_message_bytes = 4096;

    void join(ClientState& client);
    // Drops the client and its subscriptions; `notify` tells the others (not at shutdown).
    void leave(ClientState& client, bool notify = true);
    void subscribe(ClientState& client, const std::string& channel);
    void unsubscribe(ClientState& client, const std::string& channel);
    [[nodiscard]] std::vector<std::string> channels() const; // with subscribers, sorted
    // Queues the message for every subscriber; false when nobody listens on the channel.
    bool send(const std::string& channel, const std::string& text);

private:
    void notify_all(unsigned idle);

    std::vector<ClientState*> clients_;
};

struct CommandContext;

enum class SessionCommand { none, idle, noidle, close, password };

struct CommandInfo {
    std::string_view name;
    int min_args = 0;
    int max_args = 0;            // -1 = no limit
    bool always_allowed = false; // usable before the password is given
    bool refused = false;        // never allowed over TCP ("config")
    SessionCommand session = SessionCommand::none;
    void (*handler)(CommandContext&) = nullptr;
};

class Commands {
public:
    struct Options {
        bool password_required = false;
        std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    };

    Commands(Backend backend, Options options);

    // nullptr for an unknown command (names are case-sensitive, as in MPD).
    [[nodiscard]] static const CommandInfo* find(std::string_view name);
    // Throws CommandError: Ack::permission "you don't have permission for \"x\"", Ack::arg
    // "wrong number of arguments" / "too few arguments" / "too many arguments".
    void check(const CommandInfo& info, const protocol::mpd::Command& cmd,
               const ClientState& client) const;
    // Runs a command that is not a session command; the reply goes to `out` (without "OK").
    void run(const CommandInfo& info, const protocol::mpd::Command& cmd, ClientState& client,
             protocol::mpd::Response& out);

    [[nodiscard]] bool allowed(const CommandInfo& info, const ClientState& client) const;
    [[nodiscard]] bool password_required() const { return options_.password_required; }
    [[nodiscard]] MessageBoard& board() { return board_; }
    [[nodiscard]] static const std::vector<CommandInfo>& table();

private:
    Backend backend_;
    Options options_;
    MessageBoard board_;
};

} // namespace tinyice::mpd
