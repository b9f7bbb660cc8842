#pragma once
// The streaming server: accepts connections on every listen address with one acceptor per
// event loop (SO_REUSEPORT, so the kernel spreads accepts over the cores), reads and routes the
// request head, and hands each connection to the source, listener or admin handler.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <boost/json/object.hpp>

#include "config/Config.hpp"
#include "core/MountRegistry.hpp"
#include "core/Snapshot.hpp"
#include "http/Router.hpp"
#include "http/WorkerPool.hpp"
#include "protocol/http/Query.hpp"
#include "protocol/http/RequestHead.hpp"
#include "server/Authenticator.hpp"
#include "server/ConnectionLimiter.hpp"
#include "server/EventLoop.hpp"

namespace tinyice::storage {
class HistoryStore;
}

namespace tinyice::server {

class Server;

// Extra now-playing data for mounts fed by an in-process source (the AutoDJ), provided by app/
// (features do not include each other).
class NowPlayingProvider {
public:
    virtual ~NowPlayingProvider() = default;
    // Members to merge into the mount's now-playing document ("station", "elapsed", "next",
    // ...); nullopt when the mount is not the provider's. Called on a worker thread.
    virtual std::optional<boost::json::object> now_playing(std::string_view mount) = 0;
};

// A mount claimed by an in-process source (AutoDJ station, transcoder output): the same path
// through the mount as an encoder's bytes, without a socket. Destroying it releases the mount
// and moves listeners to the fallback like an encoder disconnecting. Must not outlive the
// Server. write() and set_title() are for one thread at a time (the source's own).
class InternalSource {
public:
    ~InternalSource();
    InternalSource(const InternalSource&) = delete;
    InternalSource& operator=(const InternalSource&) = delete;

    void write(std::span<const std::uint8_t> data);
    // "Artist - Title" for ICY listeners and the status pages from the next byte on.
    void set_title(const std::string& artist, const std::string& title);
    [[nodiscard]] bool killed() const { return killed_->load(std::memory_order_acquire); }
    [[nodiscard]] std::uint64_t listeners() const;
    [[nodiscard]] const std::string& mount_name() const;

private:
    friend class Server;
    InternalSource(Server& server, std::shared_ptr<core::Mount> mount,
                   std::shared_ptr<std::atomic<bool>> killed, bool record_history);

    Server& server_;
    std::shared_ptr<core::Mount> mount_;
    std::shared_ptr<std::atomic<bool>> killed_;
    bool record_history_;
    bool low_latency_;
    std::uint64_t seen_title_version_ = 0;
    std::string last_recorded_;
};

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

    // ---- composition (call before start()) -------------------------------------------------
    // Routes of the JSON API; the server serves every path under a registered prefix ("/api").
    http::Router& router() { return router_; }
    // Where plays of live sources (title changes) are recorded; null = not recorded.
    void set_history(storage::HistoryStore* history) { history_ = history; }
    void set_now_playing_provider(NowPlayingProvider* p) { now_playing_ = p; }

    // ---- in-process sources (any thread) ---------------------------------------------------
    // Claims `mount` for an in-process source; nullptr when a source holds it already, the
    // server is stopping, or limits.max_sources is reached. `info.origin` names the feature.
    std::unique_ptr<InternalSource> open_internal_source(const std::string& mount,
                                                         core::SourceInfo info);
    std::shared_ptr<core::Mount> find_mount(std::string_view name) const {
        return mounts_.find(name);
    }

private:
    friend class InternalSource;
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
    boost::asio::awaitable<void> handle_api(tcp::socket& socket, Request& req, int& status);
    void register_builtin_routes();
    http::Response now_playing_response(http::Request& req);
    http::Response history_response(http::Request& req);
    boost::json::object now_playing_of(const core::MountSnapshot& snap,
                                       const std::shared_ptr<core::Mount>& mount);
    // The title of `mount` changed: record a play (live sources and transcoder outputs).
    void record_play(const core::Mount& mount, std::string_view origin);
    // Renders and publishes a title for ICY listeners and the status pages.
    void publish_title(core::Mount& mount, std::string display, std::string artist,
                       std::string url);

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

    http::Router router_;
    http::WorkerPool workers_{2};
    storage::HistoryStore* history_ = nullptr;
    NowPlayingProvider* now_playing_ = nullptr;
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
