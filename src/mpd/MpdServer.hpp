#pragma once
// An MPD server (the Music Player Daemon protocol, version 0.23.5 as far as clients can tell)
// for one backend, so that real MPD clients (mpc, ncmpcpp, MPDroid, M.A.L.P.) can control an
// AutoDJ station. Each station gets its own server on its own port.
//
// Threads: everything runs on one strand of the io_context the caller runs (sessions, the
// accept loop, event delivery), so sessions need no locks and the backend sees one call at a
// time. The slow password check runs on a private worker thread. start() and stop() may be
// called from any thread.
//
// Per connection: the greeting "OK MPD 0.23.5\n", requests read as lines of at most
// max_line_bytes (a longer line is answered with an ACK and the connection closed), replies
// bounded by max_output_bytes (a longer reply is replaced by an ACK), and MPD's connection
// timeout: a client that sends nothing for connection_timeout is dropped, except while it
// waits in "idle". At most max_connections clients at once; more are closed at once without a
// greeting (as MPD does) and counted in a rate-limited log line.

#include "mpd/Backend.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace tinyice::mpd {

namespace detail {
struct ServerCore; // MpdServer.cpp; shared with the sessions, which may outlive the MpdServer
}

struct ServerSettings {
    std::string address = "127.0.0.1";
    std::uint16_t port = 6600; // 0 = an ephemeral port (see MpdServer::port())
    // crypt(3) hash of the password (security::hash_password); "" = no password.
    std::string password_hash;
    // Name used in log lines ("station main").
    std::string name = "mpd";

    // Limits; the defaults are MPD's where it has one.
    std::chrono::milliseconds connection_timeout{60'000};
    std::size_t max_connections = 32;
    std::size_t max_line_bytes = std::size_t{64} * 1024;
    std::size_t max_output_bytes = std::size_t{16} * 1024 * 1024;
    std::size_t max_command_list_commands = 10'000;
    std::size_t max_command_list_bytes = std::size_t{2} * 1024 * 1024;
};

class MpdServer {
public:
    // `backend` and `io` must outlive the server. Throws std::invalid_argument for limits that
    // make no sense (a zero timeout, no connections, lines or replies too small to be useful).
    MpdServer(ServerSettings settings, Backend backend, boost::asio::io_context& io);
    // stop(), then waits (bounded) until no session runs any more on the io_context's threads,
    // so that no backend call outlives the server.
    ~MpdServer();
    MpdServer(const MpdServer&) = delete;
    MpdServer& operator=(const MpdServer&) = delete;
    MpdServer(MpdServer&&) = delete;
    MpdServer& operator=(MpdServer&&) = delete;

    // Binds and starts accepting. Throws std::runtime_error naming address:port when the
    // address is invalid or cannot be bound; std::logic_error when called twice or after
    // stop().
    void start();
    // Closes the listening socket and every connection; idempotent, any thread.
    void stop();

    // The bound port (after start(); useful with port 0).
    [[nodiscard]] std::uint16_t port() const;
    // Open client connections (approximate when read from another thread).
    [[nodiscard]] std::size_t connections() const;

private:
    std::shared_ptr<detail::ServerCore> impl_;
};

} // namespace tinyice::mpd
