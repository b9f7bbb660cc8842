#pragma once
// The streaming server: accepts connections on every listen address with one acceptor per
// event loop (SO_REUSEPORT, so the kernel spreads accepts over the cores), reads and routes the
// request head, and hands each connection to the source, listener or admin handler.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "config/Config.hpp"
#include "core/MountRegistry.hpp"
#include "core/Snapshot.hpp"
#include "protocol/http/Query.hpp"
#include "protocol/http/RequestHead.hpp"
#include "server/Authenticator.hpp"
#include "server/ConnectionLimiter.hpp"
#include "server/EventLoop.hpp"

namespace tinyice::server {

class Server {
public:
    Server(config::Config cfg, std::string version);
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;
    ~Server();

    // Binds every listen address (throws std::runtime_error naming the address on failure)
    // and starts the event loops.
    void start();
    // Closes listening sockets, sources and listeners; the loops exit. Idempotent.
    void stop();
    void wait();

    // The ports actually bound (useful with port 0).
    std::vector<boost::asio::ip::tcp::endpoint> local_endpoints() const;

    core::ServerSnapshot snapshot() const;

private:
    using tcp = boost::asio::ip::tcp;

    // Everything a handler needs to know about the request being served.
    struct Request {
        const protocol::http::RequestHead& head;
        std::string_view leftover;  // bytes that arrived after the head
        std::string ip;
        std::string path;           // percent-decoded, normalised; empty when invalid
        protocol::http::QueryParams query;
        EventLoop& loop;
    };

    boost::asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, EventLoop& loop);
    boost::asio::awaitable<void> session(tcp::socket socket, EventLoop& loop, ConnectionSlot slot);
    boost::asio::awaitable<void> route(tcp::socket& socket, Request& req, ConnectionSlot& slot,
                                       int& status);

    // Handlers (each in its own .cpp). They write the whole response; `status` is for the log.
    boost::asio::awaitable<void> handle_source(tcp::socket& socket, Request& req, int& status);
    boost::asio::awaitable<void> handle_listener(tcp::socket& socket, Request& req,
                                                 ConnectionSlot& slot, int& status);
    boost::asio::awaitable<void> handle_admin(tcp::socket& socket, Request& req, int& status);
    boost::asio::awaitable<void> handle_status(tcp::socket& socket, Request& req, int& status);
    boost::asio::awaitable<bool> handle_playlist(tcp::socket& socket, Request& req, int& status);

    // Responses.
    std::string common_headers() const;  // Server, Date, no-cache, CORS
    boost::asio::awaitable<void> send(tcp::socket& socket, std::string data);
    boost::asio::awaitable<void> send_error(tcp::socket& socket, int status,
                                            std::string_view message, int& status_out,
                                            bool html = false);
    boost::asio::awaitable<void> send_document(tcp::socket& socket, std::string_view content_type,
                                               std::string body, int& status_out,
                                               bool head_only = false);
    boost::asio::awaitable<void> send_unauthorized(tcp::socket& socket, int& status_out);

    // Source lifecycle events fanned out to every loop.
    void announce_source_started(const std::shared_ptr<core::Mount>& mount);
    void announce_source_ended(const std::shared_ptr<core::Mount>& mount);
    // The mount that should serve listeners of `mount` right now: itself when live, else the
    // first live mount along its fallback chain; nullptr when none.
    std::shared_ptr<core::Mount> live_mount_for(const std::shared_ptr<core::Mount>& mount) const;
    std::string listen_url(std::string_view mount) const;

    // Runs `fn(loop)` on every loop's thread and gathers the results, in loop order.
    template <class Fn>
    auto on_every_loop(Fn fn) -> boost::asio::awaitable<std::vector<decltype(fn(std::declval<EventLoop&>()))>>;

    void on_listener_closed(const Listener& l, std::string_view reason);
    void log_access(std::string_view ip, std::string_view user, std::string_view request_line,
                    int status, std::uint64_t bytes, std::string_view referer,
                    std::string_view user_agent, std::chrono::steady_clock::duration duration);

    const config::Config config_;
    const std::string version_;
    const std::string server_header_;
    const std::int64_t started_unix_;
    core::MountRegistry mounts_;
    Authenticator auth_;
    ConnectionLimiter limiter_;
    std::vector<std::unique_ptr<EventLoop>> loops_;
    std::vector<std::unique_ptr<tcp::acceptor>> acceptors_;  // acceptors_[i] runs on loop i % n
    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> listeners_total_{0};
    std::atomic<std::uint64_t> listener_connections_{0};
    std::atomic<std::uint64_t> source_connections_{0};
    std::atomic<std::uint64_t> sources_active_{0};
    // Live source sockets, so stop() can end them.
    std::mutex sources_mutex_;
    std::vector<std::weak_ptr<tcp::socket>> source_sockets_;
};

}  // namespace tinyice::server

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace tinyice::server {

namespace detail {
// A plain coroutine function (GCC 12 mishandles capturing lambda coroutines in co_spawn).
template <class Result, class Fn>
boost::asio::awaitable<Result> run_on_loop(Fn* fn, EventLoop* loop) {
    co_return (*fn)(*loop);
}
}  // namespace detail

template <class Fn>
auto Server::on_every_loop(Fn fn)
    -> boost::asio::awaitable<std::vector<decltype(fn(std::declval<EventLoop&>()))>> {
    using Result = decltype(fn(std::declval<EventLoop&>()));
    std::vector<Result> out;
    out.reserve(loops_.size());
    for (auto& loop : loops_) {
        EventLoop* target = loop.get();
        Result r = co_await boost::asio::co_spawn(
            target->context(), detail::run_on_loop<Result>(&fn, target),
            boost::asio::use_awaitable);
        out.push_back(std::move(r));
    }
    co_return out;
}

}  // namespace tinyice::server
