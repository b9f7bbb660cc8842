#pragma once
// The streaming server: accepts connections on every listen address with one acceptor per
// event loop (SO_REUSEPORT, so the kernel spreads accepts over the cores), reads and routes the
// request head, and hands each connection to the source, listener or admin handler.

#include "config/Config.hpp"
#include "core/MountRegistry.hpp"
#include "core/Snapshot.hpp"
#include "http/Router.hpp"
#include "http/WorkerPool.hpp"
#include "protocol/http/Query.hpp"
#include "protocol/http/RequestHead.hpp"
#include "server/AccessControl.hpp"
#include "server/Accounts.hpp"
#include "server/Authenticator.hpp"
#include "server/ConnectionLimiter.hpp"
#include "server/EventLoop.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::storage {
class AuditStore;
class HistoryStore;
class ListenerStatsStore;
} // namespace tinyice::storage

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

// The web interface (pages and assets), provided by app/ (src/server/WebUi implements it).
class WebPages {
public:
    virtual ~WebPages() = default;
    // True for the GET/HEAD paths the web interface serves.
    [[nodiscard]] virtual bool owns(std::string_view path) const = 0;
    // Runs on the worker pool; req.principal is the caller (anonymous when not logged in).
    virtual http::Response handle(http::Request& req) = 0;
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

// The JSON API for IP rules, lockouts and the audit log (SecurityApi.cpp).
void register_security_routes(http::Router& router, AccessControl& access,
                              storage::AuditStore* audit);

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
    void set_web(WebPages* web) { web_ = web; }
    // Bans, allow list, lockouts and trusted proxies; user accounts, sessions and tokens.
    // Without them only the config file's administrator (HTTP Basic) is known.
    void set_security(AccessControl* access, Accounts* accounts) {
        access_ = access;
        accounts_ = accounts;
    }
    // Live data for the dashboard feed (/admin/events), provided by app/: the statistics
    // sampler's latest document, the AutoDJ stations' now-playing documents (each with a
    // "mount"), and audio levels per mount (while someone watches).
    struct Level {
        double peak_db = -90;
        double rms_db = -90;
    };
    void set_live_sources(std::function<std::shared_ptr<const boost::json::object>()> stats,
                          std::function<boost::json::array()> stations,
                          std::function<std::optional<Level>(const std::string&)> levels) {
        live_stats_ = std::move(stats);
        stations_provider_ = std::move(stations);
        level_provider_ = std::move(levels);
    }
    // Where finished listener sessions are recorded (statistics); null = not recorded.
    void set_listener_stats(storage::ListenerStatsStore* stats) { listener_stats_ = stats; }

    // ---- counters for /metrics (any thread) ---------------------------------------------
    struct HttpCounters {
        std::array<std::atomic<std::uint64_t>, 600> by_status{};
        std::atomic<std::uint64_t> auth_admin_login{0}; // wrong admin/user credentials
        std::atomic<std::uint64_t> auth_source{0};      // wrong source passwords
        std::atomic<std::uint64_t> auth_token{0};       // unknown/revoked API tokens
        std::atomic<std::uint64_t> auth_basic{0};       // wrong Basic on the API/admin
        std::atomic<std::uint64_t> auth_csrf{0};        // missing/wrong CSRF token
    };
    [[nodiscard]] const HttpCounters& http_counters() const { return http_counters_; }
    // Drops open connections (listeners) from a banned network.
    void drop_connections_from(const security::IpNetwork& network);

    // ---- in-process sources (any thread) ---------------------------------------------------
    // Claims `mount` for an in-process source; nullptr when a source holds it already, the
    // server is stopping, or limits.max_sources is reached. `info.origin` names the feature.
    std::unique_ptr<InternalSource> open_internal_source(const std::string& mount,
                                                         core::SourceInfo info);
    std::shared_ptr<core::Mount> find_mount(std::string_view name) const {
        return mounts_.find(name);
    }

    // ---- mounts defined at run time (MountControl.cpp) -------------------------------------
    // Before start() or from worker threads (the JSON API); never from an event loop.
    // Adds a mount definition or changes one: live settings apply at once, buffer settings when
    // the mount is next idle (see core::MountRegistry). True while such a change waits.
    bool define_mount(const config::MountConfig& mount);
    // Removes a definition: a connected source is disconnected (its listeners move to the
    // fallback, as when a source leaves) and the mount goes once the source is gone.
    void undefine_mount(const std::string& name);
    [[nodiscard]] bool mount_pending(std::string_view name) const {
        return mounts_.is_pending(name);
    }
    // Source logins check these (the effective definitions, replaced as a whole).
    void set_mount_credentials(MountCredentialMap credentials) {
        auth_.set_mount_credentials(std::move(credentials));
    }
    // Names the server answers itself (admin, API, playlists, web pages): never a mount.
    [[nodiscard]] bool reserved_mount_name(std::string_view name) const;
    // What a definition means for the streaming core (server-wide limits fill the gaps).
    [[nodiscard]] core::MountSettings mount_settings(const config::MountConfig& mount) const;
    // Sets the title of `mount` for ICY listeners and the status pages (as /admin/metadata).
    void set_mount_title(core::Mount& mount, std::string display, std::string artist) {
        publish_title(mount, std::move(display), std::move(artist), {});
    }
    // Runs `fn(loop)` on every event loop's own thread and waits for the results (in loop
    // order) for at most `timeout`; nullopt on timeout or while the server stops. Blocks: for
    // worker threads only (throws std::logic_error on an event loop). `fn` is copied and may
    // still run after a timeout, so it must capture by value.
    template <class Fn>
    auto run_on_every_loop(Fn fn, std::chrono::milliseconds timeout)
        -> std::optional<std::vector<decltype(fn(std::declval<EventLoop&>()))>>;

private:
    friend class InternalSource;
    using tcp = boost::asio::ip::tcp;

    // Everything a handler needs to know about the request being served.
    struct Request {
        const protocol::http::RequestHead& head;
        std::string_view leftover; // bytes that arrived after the head
        std::string ip;            // the client (behind trusted proxies: the forwarded one)
        std::string path;          // percent-decoded, normalised; empty when invalid
        protocol::http::QueryParams query;
        EventLoop& loop;
        bool secure = false; // HTTPS at a trusted proxy (X-Forwarded-Proto)
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
    boost::asio::awaitable<void> handle_web(tcp::socket& socket, Request& req, int& status);
    // Establishes who is calling (session cookie, bearer token, Basic) into api.principal.
    boost::asio::awaitable<void> identify(Request& req, http::Request& api);
    // Failed logins and unknown paths counted for the lockouts (on the worker pool).
    boost::asio::awaitable<void> note_login_failure(std::string ip, std::string user);
    boost::asio::awaitable<void> note_unknown_path(const Request& req, std::string path);
    // A user name and password checked against the accounts, on the worker pool.
    boost::asio::awaitable<std::optional<http::Principal>> check_account(std::string user,
                                                                         std::string password);
    bool csrf_ok(const Request& req, const http::Request& api) const;
    boost::asio::awaitable<void> handle_events(tcp::socket& socket, Request& req, int& status,
                                               bool admin);
    // The current document of a live-event feed, rebuilt at most once a second.
    std::shared_ptr<const std::string> event_document(bool admin);
    std::string render_response(const http::Response& r, bool head_only) const;
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
    std::string common_headers() const; // Server, Date, no-cache, CORS
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
    auto on_every_loop(Fn fn)
        -> boost::asio::awaitable<std::vector<decltype(fn(std::declval<EventLoop&>()))>>;

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
    std::vector<std::unique_ptr<tcp::acceptor>> acceptors_; // acceptors_[i] runs on loop i % n
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
    AccessControl* access_ = nullptr;
    Accounts* accounts_ = nullptr;
    storage::ListenerStatsStore* listener_stats_ = nullptr;
    HttpCounters http_counters_;
    std::function<std::shared_ptr<const boost::json::object>()> live_stats_;
    std::function<boost::json::array()> stations_provider_;
    std::function<std::optional<Level>(const std::string&)> level_provider_;
    struct EventCache {
        std::mutex mutex;
        std::shared_ptr<const std::string> doc;
        std::chrono::steady_clock::time_point built;
    };
    EventCache public_events_;
    EventCache admin_events_;
    std::atomic<std::size_t> public_subscribers_{0};
    std::atomic<std::size_t> admin_subscribers_{0};
    storage::HistoryStore* history_ = nullptr;
    NowPlayingProvider* now_playing_ = nullptr;
    WebPages* web_ = nullptr;
};

} // namespace tinyice::server

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <condition_variable>
#include <stdexcept>

namespace tinyice::server {

namespace detail {
// A plain coroutine function (GCC 12 mishandles capturing lambda coroutines in co_spawn).
template <class Result, class Fn>
boost::asio::awaitable<Result> run_on_loop(Fn* fn, EventLoop* loop) {
    co_return (*fn)(*loop);
}
} // namespace detail

template <class Fn>
auto Server::run_on_every_loop(Fn fn, std::chrono::milliseconds timeout)
    -> std::optional<std::vector<decltype(fn(std::declval<EventLoop&>()))>> {
    using Result = decltype(fn(std::declval<EventLoop&>()));
    for (auto& loop : loops_) {
        if (loop->context().get_executor().running_in_this_thread()) {
            throw std::logic_error("run_on_every_loop called on an event loop: it would wait "
                                   "for itself");
        }
    }
    if (stopping_.load()) {
        return std::nullopt; // the loops may never run what we post
    }
    // Shared with the posted handlers, which may outlive this call after a timeout.
    struct State {
        explicit State(Fn f, std::size_t n) : fn(std::move(f)), results(n) {}
        Fn fn;
        std::mutex mutex;
        std::condition_variable done;
        std::vector<std::optional<Result>> results;
        std::size_t finished = 0;
    };
    auto state = std::make_shared<State>(std::move(fn), loops_.size());
    for (std::size_t i = 0; i < loops_.size(); ++i) {
        EventLoop* loop = loops_[i].get();
        boost::asio::post(loop->context(), [state, loop, i] {
            auto r = state->fn(*loop);
            std::lock_guard lock(state->mutex);
            state->results[i] = std::move(r);
            ++state->finished;
            state->done.notify_all();
        });
    }
    std::unique_lock lock(state->mutex);
    const bool all = state->done.wait_for(
        lock, timeout, [&state] { return state->finished == state->results.size(); });
    if (!all) {
        return std::nullopt;
    }
    std::vector<Result> out;
    out.reserve(state->results.size());
    for (auto& r : state->results) {
        out.push_back(std::move(*r));
    }
    return out;
}

template <class Fn>
auto Server::on_every_loop(Fn fn)
    -> boost::asio::awaitable<std::vector<decltype(fn(std::declval<EventLoop&>()))>> {
    using Result = decltype(fn(std::declval<EventLoop&>()));
    std::vector<Result> out;
    out.reserve(loops_.size());
    for (auto& loop : loops_) {
        EventLoop* target = loop.get();
        Result r = co_await boost::asio::co_spawn(target->context(),
                                                  detail::run_on_loop<Result>(&fn, target),
                                                  boost::asio::use_awaitable);
        out.push_back(std::move(r));
    }
    co_return out;
}

} // namespace tinyice::server
