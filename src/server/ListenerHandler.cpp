// Listener admission: GET/HEAD on a mount (icecast-protocol.md §2).

#include "server/Server.hpp"
#include "util/Log.hpp"

#include <fmt/format.h>

namespace tinyice::server {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

bool wants_icy(const protocol::http::RequestHead& head) {
    auto v = head.header("icy-metadata");
    if (!v) {
        return false;
    }
    int n = 0;
    for (char c : *v) {
        if (c < '0' || c > '9') {
            break;
        }
        n = std::min(n * 10 + (c - '0'), 1000);
    }
    return n != 0;
}

std::string truncated(std::string_view s, std::size_t max) {
    return std::string(s.substr(0, max));
}

} // namespace

asio::awaitable<void> Server::handle_listener(tcp::socket& socket, Request& req,
                                              ConnectionSlot& slot, int& status) {
    const auto& head = req.head;
    auto home = req.path.empty() ? nullptr : mounts_.find(req.path);
    if (!home) {
        // Many different unknown paths from one address is a scanner (404-scan lockout).
        std::string unknown = req.path.empty() ? std::string(head.path) : req.path;
        co_await note_unknown_path(req, std::move(unknown));
        co_await send_error(socket, 404, "The file you requested could not be found", status, true);
        co_return;
    }
    auto mount = live_mount_for(home);
    if (!mount) {
        co_await send_error(socket, 404, "The file you requested could not be found", status, true);
        co_return;
    }
    // A copy: an administrator may change the live settings at any time.
    const auto settings = home->settings();
    if (settings.max_listeners && home->listeners() >= *settings.max_listeners) {
        co_await send_error(socket, 403, "max listeners reached", status);
        co_return;
    }
    if (config_.limits.max_listeners != 0 &&
        listeners_total_.load(std::memory_order_relaxed) >= config_.limits.max_listeners) {
        co_await send_error(socket, 503, "Server full", status);
        co_return;
    }

    auto info = mount->source_info();
    const bool ogg = mount->format() == codec::StreamFormat::ogg;
    const bool icy = wants_icy(head) && !ogg && settings.metaint > 0;

    std::string response = "HTTP/1.0 200 OK\r\n";
    response += common_headers();
    response += "Content-Type: ";
    response += info ? info->content_type : "audio/mpeg";
    response += "\r\n";
    if (!config_.http.cors_allow_origin.empty()) {
        response += "Access-Control-Expose-Headers: icy-br, icy-description, icy-genre, "
                    "icy-metaint, icy-name, icy-pub, icy-url, ice-audio-info\r\n";
    }
    if (info) {
        for (const auto& [k, v] : info->listener_headers) {
            if (k == "icy-name" && !settings.stream_name.empty()) {
                continue;
            }
            response += k;
            response += k == "ice-audio-info" ? ": " : ":";
            response += v;
            response += "\r\n";
        }
    }
    if (!settings.stream_name.empty()) {
        response += "icy-name:" + settings.stream_name + "\r\n";
    }
    if (icy) {
        response += fmt::format("icy-metaint:{}\r\n", settings.metaint);
    }
    response += "\r\n";

    if (head.method == "HEAD") {
        status = 200;
        co_await send(socket, std::move(response));
        co_return;
    }

    boost::system::error_code ec;
    socket.non_blocking(true, ec);
    if (ec) {
        co_return;
    }
    auto listener = std::make_unique<Listener>(std::move(socket), icy ? settings.metaint : 0);
    auto& l = *listener;
    l.id = next_listener_id();
    l.slot = std::move(slot);
    l.home = home;
    l.prefix = std::move(response);
    l.connected_at = std::chrono::steady_clock::now();
    l.ip = req.ip;
    l.user_agent = truncated(head.header("user-agent").value_or(""), 256);
    l.referer = truncated(head.header("referer").value_or(""), 256);
    l.request_line = truncated(fmt::format("{} {} {}/{}.{}", head.method, head.target,
                                           head.protocol, head.version_major, head.version_minor),
                               512);
    const auto feed = mount->settings();
    EventLoop::attach(l, mount, feed.burst_size);
    listeners_total_.fetch_add(1, std::memory_order_relaxed);
    listener_connections_.fetch_add(1, std::memory_order_relaxed);
    // The session ends here; the loop owns the listener from now on and logs it on close.
    status = 0;
    req.loop.add_listener(std::move(listener), feed.flush_interval_ms);
    co_return;
}

} // namespace tinyice::server
