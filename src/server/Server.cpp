#include "server/Server.hpp"

#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include "protocol/http/Ascii.hpp"
#include "protocol/http/Forwarded.hpp"
#include "protocol/http/Response.hpp"
#include "storage/Database.hpp"
#include "storage/ListenerStatsStore.hpp"
#include "server/Deadline.hpp"
#include "util/Log.hpp"

namespace tinyice::server {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
constexpr auto write_timeout = std::chrono::seconds(10);

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

core::MountSettings defaults_from(const config::Config& cfg) {
    core::MountSettings s;
    s.queue_size = cfg.limits.queue_size;
    s.burst_size = cfg.limits.burst_size;
    s.flush_interval_ms = cfg.limits.flush_interval_ms;
    s.metaint = cfg.limits.metaint;
    return s;
}

core::MountSettings settings_from(const config::Config& cfg, const config::MountConfig& m) {
    auto s = defaults_from(cfg);
    s.name = m.name;
    s.queue_size = m.queue_size.value_or(cfg.limits.queue_size);
    s.burst_size = m.burst_size.value_or(cfg.limits.burst_size);
    s.flush_interval_ms = m.flush_interval_ms.value_or(cfg.limits.flush_interval_ms);
    s.metaint = m.metaint.value_or(cfg.limits.metaint);
    s.max_listeners = m.max_listeners;
    s.fallback = m.fallback;
    s.fallback_override = m.fallback_override;
    s.hidden = m.hidden;
    s.stream_name = m.stream_name;
    s.charset = m.charset;
    return s;
}

}  // namespace

Server::Server(config::Config cfg, std::string version)
    : config_(std::move(cfg)),
      version_(std::move(version)),
      server_header_(config_.http.server_header.empty() ? "TinyIce/" + version_
                                                        : config_.http.server_header),
      started_unix_(unix_now()),
      mounts_(defaults_from(config_)),
      auth_(config_),
      limiter_(config_.limits.max_clients, config_.limits.max_connections_per_ip) {
    for (const auto& m : config_.mounts) {
        mounts_.add_configured(settings_from(config_, m));
    }
    register_builtin_routes();
    unsigned threads = config_.limits.threads;
    if (threads == 0) {
        threads = std::max(1U, std::thread::hardware_concurrency());
    }
    for (unsigned i = 0; i < threads; ++i) {
        EventLoop::Hooks hooks;
        hooks.on_listener_closed = [this](const Listener& l, std::string_view reason) {
            on_listener_closed(l, reason);
        };
        loops_.push_back(std::make_unique<EventLoop>(i, std::move(hooks)));
    }
}

Server::~Server() {
    stop();
    wait();
}

void Server::start() {
    auto log = util::logger("server");
    for (const auto& addr : config_.listen) {
        boost::system::error_code ec;
        auto ip = asio::ip::make_address(addr.address, ec);
        if (ec) {
            throw std::runtime_error(fmt::format("listen address '{}' is not an IP address",
                                                 addr.address));
        }
        tcp::endpoint endpoint(ip, addr.port);
        // One acceptor per loop on the same address (SO_REUSEPORT): the kernel spreads new
        // connections over the loops, so admission never waits on a busy core.
        for (auto& loop : loops_) {
            auto acc = std::make_unique<tcp::acceptor>(loop->context());
            acc->open(endpoint.protocol(), ec);
            if (!ec && ip.is_v6()) {
                // "::" is dual stack: IPv4 clients arrive as v4-mapped addresses.
                acc->set_option(asio::ip::v6_only(!ip.is_unspecified()), ec);
            }
            if (!ec) {
                acc->set_option(tcp::acceptor::reuse_address(true), ec);
            }
            if (!ec) {
                int one = 1;
                if (::setsockopt(acc->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one,
                                 sizeof(one)) != 0) {
                    ec.assign(errno, boost::system::system_category());
                }
            }
            if (!ec) {
                acc->bind(endpoint, ec);
            }
            if (!ec) {
                acc->listen(static_cast<int>(config_.limits.listen_backlog), ec);
            }
            if (ec) {
                throw std::runtime_error(fmt::format("cannot listen on [{}]:{}: {}", addr.address,
                                                     addr.port, ec.message()));
            }
            // With port 0 the first acceptor picks the port; the others must share it.
            if (endpoint.port() == 0) {
                endpoint.port(acc->local_endpoint().port());
            }
            acceptors_.push_back(std::move(acc));
        }
        log->info("listening on {}", fmt::format("[{}]:{}", addr.address, endpoint.port()));
    }
    for (std::size_t i = 0; i < acceptors_.size(); ++i) {
        auto& loop = *loops_[i % loops_.size()];
        asio::co_spawn(loop.context(), accept_loop(*acceptors_[i], loop), asio::detached);
    }
    for (auto& loop : loops_) {
        loop->start();
    }
}

std::vector<tcp::endpoint> Server::local_endpoints() const {
    std::vector<tcp::endpoint> out;
    for (std::size_t i = 0; i < acceptors_.size(); i += loops_.size()) {
        boost::system::error_code ec;
        auto ep = acceptors_[i]->local_endpoint(ec);
        if (!ec) {
            out.push_back(ep);
        }
    }
    return out;
}

void Server::stop() {
    if (stopping_.exchange(true)) {
        return;
    }
    for (std::size_t i = 0; i < acceptors_.size(); ++i) {
        auto* acc = acceptors_[i].get();
        asio::post(loops_[i % loops_.size()]->context(), [acc] {
            boost::system::error_code ignored;
            acc->close(ignored);
        });
    }
    {
        std::lock_guard lock(sources_mutex_);
        for (auto& weak : source_sockets_) {
            if (auto s = weak.lock()) {
                asio::post(s->get_executor(), [s] {
                    boost::system::error_code ignored;
                    s->close(ignored);
                });
            }
        }
    }
    for (auto& loop : loops_) {
        loop->stop();
    }
}

void Server::wait() {
    for (auto& loop : loops_) {
        loop->join();
    }
}

asio::awaitable<void> Server::accept_loop(tcp::acceptor& acceptor, EventLoop& loop) {
    auto log = util::logger("server");
    while (!stopping_) {
        auto [ec, socket] = co_await acceptor.async_accept(loop.context(), tuple_awaitable);
        if (ec) {
            if (ec == asio::error::operation_aborted || stopping_) {
                co_return;
            }
            // Out of descriptors or a transient error: back off briefly instead of spinning.
            log->warn("accept failed: {}", ec.message());
            asio::steady_timer t(loop.context(), std::chrono::milliseconds(50));
            co_await t.async_wait(tuple_awaitable);
            continue;
        }
        boost::system::error_code peer_ec;
        auto peer = socket.remote_endpoint(peer_ec);
        if (peer_ec) {
            continue;
        }
        if (access_ != nullptr) {
            // Bans and the allow list, before anything else: a refused address gets no answer.
            auto ip = unmap(peer.address());
            auto addr = ip.is_v4() ? security::IpAddress::from_v4(ip.to_v4().to_bytes())
                                   : security::IpAddress::from_v6(ip.to_v6().to_bytes());
            auto v = access_->check(addr);
            if (v != AccessControl::Verdict::allowed) {
                auto& c = const_cast<AccessControl::Counters&>(access_->counters());
                (v == AccessControl::Verdict::banned ? c.refused_banned : c.refused_not_allowed)
                    .fetch_add(1, std::memory_order_relaxed);
                continue;  // the socket closes as it goes out of scope
            }
        }
        ConnectionSlot slot;
        auto verdict = limiter_.admit(peer.address(), slot);
        if (verdict != ConnectionLimiter::Verdict::admitted) {
            // Refused at the door; a short plain answer, no parsing, no allocation beyond it.
            static constexpr std::string_view full =
                "HTTP/1.0 503 Service Unavailable\r\nConnection: close\r\nContent-Type: "
                "text/plain\r\nContent-Length: 28\r\n\r\nServer connection limit hit\n";
            static constexpr std::string_view ip_full =
                "HTTP/1.0 429 Too Many Requests\r\nConnection: close\r\nContent-Type: "
                "text/plain\r\nContent-Length: 31\r\n\r\nToo many connections from you\n";
            auto msg = verdict == ConnectionLimiter::Verdict::server_full ? full : ip_full;
            ::send(socket.native_handle(), msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            continue;
        }
        asio::co_spawn(loop.context(), session(std::move(socket), loop, std::move(slot)),
                       asio::detached);
    }
}

asio::awaitable<void> Server::session(tcp::socket socket, EventLoop& loop, ConnectionSlot slot) {
    auto started = std::chrono::steady_clock::now();
    boost::system::error_code ec;
    auto peer = socket.remote_endpoint(ec);
    std::string ip = ec ? "-" : unmap(peer.address()).to_string();
    socket.set_option(tcp::no_delay(true), ec);

    protocol::http::RequestHeadParser parser(config_.limits.max_header_bytes);
    std::array<char, 4096> buf{};
    std::string leftover;
    int status = 0;
    {
    Deadline deadline(socket, std::chrono::milliseconds(config_.limits.header_timeout_ms));
    for (;;) {
        auto [read_ec, n] = co_await socket.async_read_some(asio::buffer(buf), tuple_awaitable);
        if (read_ec && deadline.expired()) {
            // Slow or silent client (slowloris): the header did not arrive in time.
            co_await send_error(socket, 408, "Request header timeout", status);
            log_access(ip, "-", "-", status, 0, "", "", std::chrono::steady_clock::now() - started);
            co_return;
        }
        if (read_ec) {
            co_return;  // closed before sending a full head: nothing to answer
        }
        std::size_t consumed = 0;
        auto st = parser.feed(std::span<const char>(buf.data(), n), consumed);
        if (st == protocol::http::RequestHeadParser::Status::need_more) {
            continue;
        }
        if (st == protocol::http::RequestHeadParser::Status::error) {
            bool too_large = parser.error() == protocol::http::HeadError::too_large;
            int code = too_large ? 431 : 400;
            std::string_view message =
                too_large ? "Request header too large" : protocol::http::to_string(parser.error());
            co_await send_error(socket, code, message, status);
            log_access(ip, "-", "-", status, 0, "", "", std::chrono::steady_clock::now() - started);
            co_return;
        }
        leftover.assign(buf.data() + consumed, n - consumed);
        break;
    }
    }

    const auto& head = parser.head();
    auto path = protocol::http::normalize_mount_path(head.path);
    bool secure = false;
    if (access_ != nullptr && access_->has_trusted_proxies()) {
        // Behind a trusted reverse proxy the client is the forwarded address: it is the one
        // that bans, lockouts, logs and statistics see.
        if (auto peer_addr = security::IpAddress::parse(ip);
            peer_addr && access_->is_trusted_proxy(*peer_addr)) {
            std::vector<std::string_view> xff;
            for (const auto& h : head.headers) {
                if (protocol::http::iequals(h.name, "x-forwarded-for")) {
                    xff.push_back(h.value);
                }
            }
            ip = access_->client_address(ip, xff, head.header("x-real-ip"));
            secure = protocol::http::forwarded_https(head.header("x-forwarded-proto").value_or(""));
            auto client = security::IpAddress::parse(ip);
            if (client && access_->check(*client) != AccessControl::Verdict::allowed) {
                co_await send_error(socket, 403, "Forbidden", status);
                log_access(ip, "-", "-", status, 0, "", "",
                           std::chrono::steady_clock::now() - started);
                co_return;
            }
        }
    }
    Request req{head, leftover, ip, path.value_or(""), protocol::http::QueryParams(head.query),
                loop, secure};
    try {
        co_await route(socket, req, slot, status);
    } catch (const std::exception& e) {
        // A handler bug must cost one connection, never the server.
        util::logger("server")->error("{} {} {}: {}", ip, head.method, head.target, e.what());
        status = 500;
    }
    if (status > 0 && status < 600) {
        http_counters_.by_status[static_cast<std::size_t>(status)].fetch_add(
            1, std::memory_order_relaxed);
    }
    if (status != 0) {
        auto line = fmt::format("{} {} {}/{}.{}", head.method, head.target, head.protocol,
                                head.version_major, head.version_minor);
        auto ua = head.header("user-agent").value_or("");
        auto referer = head.header("referer").value_or("");
        log_access(ip, "-", line, status, 0, referer, ua,
                   std::chrono::steady_clock::now() - started);
    }
}

asio::awaitable<void> Server::route(tcp::socket& socket, Request& req, ConnectionSlot& slot,
                                    int& status) {
    const auto& head = req.head;
    const auto& method = head.method;
    // The JSON API owns its prefixes ("/api"): never a mount, any method.
    if (router_.owns(head.path)) {
        co_await handle_api(socket, req, status);
        co_return;
    }
    if (method == "SOURCE" || method == "PUT") {
        co_await handle_source(socket, req, status);
        co_return;
    }
    if (method == "OPTIONS") {
        auto r = protocol::http::ResponseBuilder(204);
        r.header("Server", server_header_);
        r.header("Allow", "GET, HEAD, OPTIONS, PUT, SOURCE");
        if (!config_.http.cors_allow_origin.empty()) {
            r.header("Access-Control-Allow-Origin", config_.http.cors_allow_origin);
            r.header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
            r.header("Access-Control-Allow-Headers",
                     "Icy-MetaData, Range, If-Range, Authorization, Content-Type");
            r.header("Access-Control-Max-Age", "300");
        }
        r.header("Connection", "close");
        status = 204;
        co_await send(socket, r.finish());
        co_return;
    }
    if (method != "GET" && method != "HEAD") {
        co_await send_error(socket, 405, "Method not allowed", status);
        co_return;
    }
    if (head.protocol != "HTTP") {
        co_await send_error(socket, 400, "Bad request", status);
        co_return;
    }
    std::string_view path = head.path;
    if (path == "/events" || path == "/admin/events") {
        co_await handle_events(socket, req, status, path == "/admin/events");
        co_return;
    }
    if (web_ != nullptr && !req.path.empty() && web_->owns(req.path)) {
        co_await handle_web(socket, req, status);
        co_return;
    }
    if (path == "/admin.cgi" || path.starts_with("/admin/") || path == "/admin") {
        co_await handle_admin(socket, req, status);
        co_return;
    }
    if (path == "/status-json.xsl" || path == "/status.xsl" || path == "/" ||
        path == "/server_version.xsl") {
        co_await handle_status(socket, req, status);
        co_return;
    }
    bool served = co_await handle_playlist(socket, req, status);
    if (served) {
        co_return;
    }
    co_await handle_listener(socket, req, slot, status);
}

std::string Server::common_headers() const {
    std::string h;
    h.reserve(256);
    h += "Server: ";
    h += server_header_;
    h += "\r\nConnection: Close\r\nDate: ";
    h += protocol::http::http_date(std::chrono::system_clock::now());
    h += "\r\nCache-Control: no-cache, no-store\r\nExpires: Mon, 26 Jul 1997 05:00:00 GMT\r\n"
         "Pragma: no-cache\r\n";
    if (!config_.http.cors_allow_origin.empty()) {
        h += "Access-Control-Allow-Origin: ";
        h += config_.http.cors_allow_origin;
        h += "\r\n";
    }
    return h;
}

asio::awaitable<void> Server::send(tcp::socket& socket, std::string data) {
    Deadline deadline(socket, write_timeout);
    co_await asio::async_write(socket, asio::buffer(data), tuple_awaitable);
}

asio::awaitable<void> Server::send_error(tcp::socket& socket, int status, std::string_view message,
                                         int& status_out, bool html) {
    status_out = status;
    std::string body;
    std::string type;
    if (html) {
        type = "text/html; charset=utf-8";
        body = fmt::format("<html><head><title>Error {0}</title></head><body><b>{0} - {1}</b>"
                           "</body></html>\r\n",
                           status, message);
    } else {
        type = "text/plain; charset=utf-8";
        body = fmt::format("{}\r\n", message);
    }
    auto head = fmt::format("HTTP/1.0 {} {}\r\n{}Content-Type: {}\r\nContent-Length: {}\r\n\r\n",
                            status, protocol::http::reason_phrase(status), common_headers(), type,
                            body.size());
    co_await send(socket, head + body);
}

asio::awaitable<void> Server::send_unauthorized(tcp::socket& socket, int& status_out) {
    status_out = 401;
    std::string body = "You need to authenticate\r\n";
    auto head = fmt::format(
        "HTTP/1.0 401 Authentication Required\r\n{}Content-Type: text/plain; charset=utf-8\r\n"
        "WWW-Authenticate: Basic realm=\"TinyIce\"\r\nContent-Length: {}\r\n\r\n",
        common_headers(), body.size());
    co_await send(socket, head + body);
}

asio::awaitable<void> Server::send_document(tcp::socket& socket, std::string_view content_type,
                                            std::string body, int& status_out, bool head_only) {
    status_out = 200;
    auto head = fmt::format("HTTP/1.0 200 OK\r\n{}Content-Type: {}\r\nContent-Length: {}\r\n\r\n",
                            common_headers(), content_type, body.size());
    if (!head_only) {
        head += body;
    }
    co_await send(socket, std::move(head));
}

std::shared_ptr<core::Mount> Server::live_mount_for(
    const std::shared_ptr<core::Mount>& mount) const {
    auto current = mount;
    // Fallback chains are validated acyclic at load, but on-demand mounts can point anywhere:
    // bound the walk.
    for (int depth = 0; current && depth < 8; ++depth) {
        if (current->has_source()) {
            return current;
        }
        if (current->settings().fallback.empty()) {
            return nullptr;
        }
        current = mounts_.find(current->settings().fallback);
    }
    return nullptr;
}

void Server::announce_source_started(const std::shared_ptr<core::Mount>& mount) {
    if (!mount->settings().fallback_override) {
        return;
    }
    for (auto& loop : loops_) {
        auto* l = loop.get();
        asio::post(l->context(), [l, mount] { l->source_started(mount); });
    }
}

void Server::announce_source_ended(const std::shared_ptr<core::Mount>& mount) {
    std::shared_ptr<core::Mount> fallback;
    if (!mount->settings().fallback.empty()) {
        if (auto f = mounts_.find(mount->settings().fallback)) {
            fallback = live_mount_for(f);
        }
    }
    for (auto& loop : loops_) {
        auto* l = loop.get();
        asio::post(l->context(), [l, mount, fallback] { l->source_ended(mount, fallback); });
    }
}

std::string Server::listen_url(std::string_view mount) const {
    auto port = config_.listen.empty() ? 8000 : config_.listen.front().port;
    return fmt::format("http://{}:{}{}", config_.hostname, port, mount);
}

core::ServerSnapshot Server::snapshot() const {
    core::ServerSnapshot s;
    s.admin = config_.admin_email;
    s.host = config_.hostname;
    s.location = config_.location;
    s.server_id = "TinyIce " + version_;
    s.server_start = started_unix_;
    s.clients = limiter_.open();
    s.connections = limiter_.accepted();
    s.listeners = listeners_total_.load(std::memory_order_relaxed);
    s.sources = sources_active_.load(std::memory_order_relaxed);
    s.listener_connections = listener_connections_.load(std::memory_order_relaxed);
    s.source_total_connections = source_connections_.load(std::memory_order_relaxed);
    for (const auto& m : mounts_.all()) {
        auto snap = m->snapshot();
        snap.listenurl = listen_url(snap.mount);
        s.mounts.push_back(std::move(snap));
    }
    return s;
}

void Server::on_listener_closed(const Listener& l, std::string_view reason) {
    listeners_total_.fetch_sub(1, std::memory_order_relaxed);
    http_counters_.by_status[200].fetch_add(1, std::memory_order_relaxed);
    if (listener_stats_ != nullptr && l.home) {
        const auto now = storage::unix_ms_now();
        const auto lasted = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - l.connected_at)
                                .count();
        storage::ListenerSessionRecord rec;
        rec.mount = l.home->name();
        rec.started_at = now - lasted;
        rec.ended_at = now;
        rec.user_agent = l.user_agent;
        if (auto a = security::IpAddress::parse(l.ip)) {
            rec.ip_anon = security::anonymize(*a);
        }
        rec.bytes = l.bytes_sent;
        listener_stats_->record_session(std::move(rec));  // queued; never blocks the loop
    }
    util::logger("listener")
        ->debug("{} left {} after {} bytes: {}", l.ip, l.mount->name(), l.bytes_sent, reason);
    log_access(l.ip, "-", l.request_line, 200, l.bytes_sent, l.referer, l.user_agent,
               std::chrono::steady_clock::now() - l.connected_at);
}

void Server::drop_connections_from(const security::IpNetwork& network) {
    for (auto& loop : loops_) {
        auto* l = loop.get();
        asio::post(l->context(), [l, network] {
            l->kill_listeners_if([&network](const Listener& listener) {
                auto a = security::IpAddress::parse(listener.ip);
                return a && network.contains(*a);
            });
        });
    }
}

void Server::log_access(std::string_view ip, std::string_view user, std::string_view request_line,
                        int status, std::uint64_t bytes, std::string_view referer,
                        std::string_view user_agent, std::chrono::steady_clock::duration duration) {
    auto& log = util::access_log();
    if (!log.should_log(spdlog::level::info) || log.sinks().empty()) {
        return;
    }
    // Combined log format, plus the connection's duration in seconds (as Icecast does).
    auto now = std::chrono::system_clock::now();
    log.info("{} - {} [{:%d/%b/%Y:%H:%M:%S} +0000] \"{}\" {} {} \"{}\" \"{}\" {}", ip,
             user.empty() ? "-" : user, fmt::gmtime(std::chrono::system_clock::to_time_t(now)),
             util::escape_log_field(request_line), status, bytes,
             referer.empty() ? "-" : util::escape_log_field(referer),
             user_agent.empty() ? "-" : util::escape_log_field(user_agent),
             std::chrono::duration_cast<std::chrono::seconds>(duration).count());
}

}  // namespace tinyice::server
