// Source ingest: SOURCE and PUT from encoders (icecast-protocol.md §1).

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include "protocol/http/ChunkedDecoder.hpp"
#include "protocol/icecast/SourceHeaders.hpp"
#include "server/Deadline.hpp"
#include "server/Server.hpp"
#include "util/Log.hpp"

namespace tinyice::server {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
}

asio::awaitable<void> Server::handle_source(tcp::socket& socket, Request& req, int& status) {
    auto log = util::logger("source");
    const auto& head = req.head;
    // Names that the server answers itself can never be mounts.
    if (req.path.empty() || req.path == "/" || req.path.ends_with(".m3u") ||
        req.path.ends_with(".pls") || req.path.ends_with(".xspf") || req.path.ends_with(".xsl") ||
        req.path.starts_with("/admin") || router_.owns(req.path)) {
        co_await send_error(socket, 400, "Invalid mountpoint", status);
        co_return;
    }
    // libshout always asks once without credentials and expects a 401 challenge.
    auto authorization = head.header("authorization");
    auto creds = authorization ? protocol::http::parse_basic_auth(*authorization) : std::nullopt;
    if (!creds) {
        co_await send_unauthorized(socket, status);
        co_return;
    }
    bool authorised = co_await auth_.is_source(req.path, *creds);
    if (!authorised) {
        log->warn("{}: wrong source password for {}", req.ip, req.path);
        http_counters_.auth_source.fetch_add(1, std::memory_order_relaxed);
        co_await send_unauthorized(socket, status);
        co_return;
    }
    auto content_type = head.header("content-type").value_or("");
    if (content_type.empty() && head.method == "PUT") {
        co_await send_error(socket, 403, "No Content-type given", status);
        co_return;
    }
    if (mounts_.sources() >= config_.limits.max_sources) {
        co_await send_error(socket, 403, "too many sources connected", status);
        co_return;
    }

    std::vector<std::pair<std::string_view, std::string_view>> headers;
    headers.reserve(head.headers.size());
    for (const auto& h : head.headers) {
        headers.emplace_back(h.name, h.value);
    }
    auto info = protocol::icecast::parse_source_headers(headers, content_type);
    info.source_ip = req.ip;

    // The socket is shared with the kill hook (admin killsource, shutdown) through a weak
    // handle: closing it from the socket's own executor ends the read loop below.
    auto sock = std::make_shared<tcp::socket>(std::move(socket));
    std::weak_ptr<tcp::socket> weak = sock;
    auto kill = [weak] {
        if (auto s = weak.lock()) {
            asio::post(s->get_executor(), [weak] {
                if (auto s2 = weak.lock()) {
                    boost::system::error_code ignored;
                    s2->close(ignored);
                }
            });
        }
    };
    auto mount = mounts_.claim_source(req.path, std::move(info), kill);
    if (!mount) {
        co_await send_error(*sock, 403, "Mountpoint in use", status);
        co_return;
    }
    {
        std::lock_guard lock(sources_mutex_);
        std::erase_if(source_sockets_, [](const auto& w) { return w.expired(); });
        source_sockets_.push_back(weak);
    }
    source_connections_.fetch_add(1, std::memory_order_relaxed);
    sources_active_.fetch_add(1, std::memory_order_relaxed);
    status = 200;
    log->info("{} started streaming to {} ({}, {})", req.ip, mount->name(),
              mount->source_info()->content_type,
              head.header("user-agent").value_or("no user agent"));

    // Icecast 2.4 answers 100-continue and then 200 at once; every encoder copes with both.
    std::string reply;
    if (head.has_token("expect", "100-continue")) {
        reply = "HTTP/1.1 100 Continue\r\nContent-Length: 0\r\n\r\n";
    }
    reply += "HTTP/1.0 200 OK\r\n\r\n";
    co_await send(*sock, std::move(reply));

    announce_source_started(mount);

    const bool chunked = head.has_token("transfer-encoding", "chunked");
    protocol::http::ChunkedDecoder dechunk;
    const bool low_latency = mount->settings().flush_interval_ms == 0;
    std::string end_reason = "source disconnected";
    auto ingest = [&](std::span<const std::uint8_t> data) -> bool {
        if (!chunked) {
            mount->write(data);
            return true;
        }
        auto st = dechunk.feed(data, [&](std::span<const std::uint8_t> payload) {
            mount->write(payload);
        });
        if (st == protocol::http::ChunkedDecoder::Status::error) {
            end_reason = "malformed chunked body";
            return false;
        }
        if (st == protocol::http::ChunkedDecoder::Status::finished) {
            end_reason = "source finished";
            return false;
        }
        return true;
    };
    auto notify = [&] {
        if (!low_latency) {
            return;
        }
        for (auto& loop : loops_) {
            auto* l = loop.get();
            const core::Mount* key = mount.get();
            asio::post(l->context(), [l, key] { l->flush_mount(key); });
        }
    };

    // Plays of live sources are recorded at every title change (admin/metadata or a new Ogg
    // chain's comments); the check is one atomic load per read.
    std::uint64_t seen_title = mount->title_version();
    std::string last_recorded;
    auto watch_title = [&] {
        auto version = mount->title_version();
        if (version == seen_title) {
            return;
        }
        seen_title = version;
        auto title = mount->title();
        if (!title.empty() && title != last_recorded) {
            last_recorded = title;
            record_play(*mount, "");
        }
    };

    bool ok = true;
    if (!req.leftover.empty()) {
        ok = ingest({reinterpret_cast<const std::uint8_t*>(req.leftover.data()),
                     req.leftover.size()});
        notify();
    }
    std::array<std::uint8_t, 16384> buf{};
    const auto timeout = std::chrono::milliseconds(config_.limits.source_timeout_ms);
    Deadline idle(*sock, timeout);
    while (ok && !stopping_) {
        auto [ec, n] = co_await sock->async_read_some(asio::buffer(buf), tuple_awaitable);
        if (ec && idle.expired()) {
            end_reason = fmt::format("no data for {} ms", timeout.count());
            break;
        }
        if (ec) {
            if (ec != asio::error::eof && ec != asio::error::operation_aborted &&
                ec != asio::error::bad_descriptor) {
                end_reason = ec.message();
            }
            break;
        }
        idle.extend(timeout);
        ok = ingest({buf.data(), n});
        notify();
        watch_title();
    }
    idle.disarm();

    mount->release_source();
    sources_active_.fetch_sub(1, std::memory_order_relaxed);
    log->info("{} stopped streaming to {} after {} bytes: {}", req.ip, mount->name(),
              mount->bytes_read(), end_reason);
    announce_source_ended(mount);
    mounts_.remove_if_unused(mount);
    boost::system::error_code ignored;
    sock->close(ignored);
}

}  // namespace tinyice::server
