// Server-sent events for the web pages: /events (public now playing) and /admin/events (the
// dashboard: totals, bandwidth, per-mount state and levels, AutoDJ stations). One coroutine per
// subscriber on the loop that accepted it; the documents are built at most once a second for
// everybody (on the worker pool) and each subscriber only gets them when they changed, plus a
// comment every 15 s so proxies keep the connection. Subscribers are capped; a subscriber that
// cannot take a write within 10 s is dropped.

#include "protocol/http/Response.hpp"
#include "server/Deadline.hpp"
#include "server/Server.hpp"
#include "util/Log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

namespace tinyice::server {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::ip::tcp;

namespace {

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
constexpr auto tick = std::chrono::seconds(1);
constexpr auto keepalive = std::chrono::seconds(15);
constexpr auto write_timeout = std::chrono::seconds(10);
constexpr std::size_t max_public_subscribers = 2000;
constexpr std::size_t max_admin_subscribers = 200;

// A subscriber's slot; decremented when the subscriber leaves.
struct SubscriberSlot {
    std::atomic<std::size_t>& count;
    explicit SubscriberSlot(std::atomic<std::size_t>& c) : count(c) { ++count; }
    ~SubscriberSlot() { --count; }
    SubscriberSlot(const SubscriberSlot&) = delete;
    SubscriberSlot& operator=(const SubscriberSlot&) = delete;
};

// The parts of the admin document a DJ may see: their mounts and the stations feeding them.
json::object filter_for(const json::object& doc, const http::Principal& who) {
    if (who.is_admin()) {
        return doc;
    }
    json::object out = doc;
    auto keep = [&who](const json::value& v, std::string_view key) {
        const auto* o = v.if_object();
        if (o == nullptr) {
            return false;
        }
        const auto* m = o->if_contains(key);
        return m != nullptr && m->is_string() && who.may_manage_mount(m->as_string());
    };
    for (std::string_view list : {"mounts", "stations"}) {
        if (auto* arr = out.if_contains(list); arr != nullptr && arr->is_array()) {
            json::array kept;
            for (const auto& v : arr->as_array()) {
                if (keep(v, "mount")) {
                    kept.push_back(v);
                }
            }
            *arr = std::move(kept);
        }
    }
    if (auto* server = out.if_contains("server"); server != nullptr && server->is_object()) {
        // Totals and other mounts' bandwidth are not a DJ's business.
        server->as_object().erase("mounts");
    }
    return out;
}

} // namespace

std::shared_ptr<const std::string> Server::event_document(bool admin) {
    auto& cache = admin ? admin_events_ : public_events_;
    {
        std::lock_guard lock(cache.mutex);
        if (cache.doc && std::chrono::steady_clock::now() - cache.built <
                             tick - std::chrono::milliseconds(100)) {
            return cache.doc;
        }
    }
    json::object doc;
    if (admin) {
        if (live_stats_) {
            if (auto live = live_stats_()) {
                doc = *live;
            }
        }
        json::array stations;
        if (stations_provider_) {
            stations = stations_provider_();
        }
        doc["stations"] = std::move(stations);
        if (level_provider_) {
            if (auto* mounts = doc.if_contains("mounts"); mounts != nullptr && mounts->is_array()) {
                for (auto& m : mounts->as_array()) {
                    auto* o = m.if_object();
                    if (o == nullptr || !o->contains("mount") || !o->at("mount").is_string()) {
                        continue;
                    }
                    auto level = level_provider_(std::string(o->at("mount").as_string()));
                    if (level) {
                        (*o)["level"] =
                            json::object{{"peak_db", level->peak_db}, {"rms_db", level->rms_db}};
                    } else {
                        (*o)["level"] = nullptr;
                    }
                }
            }
        }
    } else {
        json::array mounts;
        for (const auto& m : mounts_.all()) {
            if (m->settings().hidden || !m->has_source()) {
                continue;
            }
            mounts.push_back(now_playing_of(m->snapshot(), m));
        }
        doc["mounts"] = std::move(mounts);
    }
    auto text = std::make_shared<const std::string>(json::serialize(doc));
    std::lock_guard lock(cache.mutex);
    cache.doc = text;
    cache.built = std::chrono::steady_clock::now();
    return text;
}

asio::awaitable<void> Server::handle_events(tcp::socket& socket, Request& req, int& status,
                                            bool admin) {
    http::Request who;
    co_await identify(req, who);
    if (admin && !who.principal.logged_in()) {
        auto r = http::Response::error(401, "log in first");
        status = r.status;
        auto reply = render_response(r, false);
        co_await send(socket, std::move(reply));
        co_return;
    }
    auto& count = admin ? admin_subscribers_ : public_subscribers_;
    if (count.load() >= (admin ? max_admin_subscribers : max_public_subscribers)) {
        auto r = http::Response::error(503, "too many live-event subscribers; try again later");
        r.headers.emplace_back("Retry-After", "30");
        status = r.status;
        auto reply = render_response(r, false);
        co_await send(socket, std::move(reply));
        co_return;
    }
    SubscriberSlot slot(count);
    status = 200;
    std::string head = fmt::format(
        "HTTP/1.1 200 OK\r\nServer: {}\r\nDate: {}\r\nContent-Type: text/event-stream; "
        "charset=utf-8\r\nCache-Control: no-store\r\nConnection: close\r\n"
        "X-Accel-Buffering: no\r\nX-Content-Type-Options: nosniff\r\n\r\nretry: 3000\n\n",
        server_header_, protocol::http::http_date(std::chrono::system_clock::now()));
    {
        Deadline deadline(socket, write_timeout);
        auto [ec, n] = co_await asio::async_write(socket, asio::buffer(head), tuple_awaitable);
        if (ec) {
            co_return;
        }
    }
    const std::string_view event = admin ? "stats" : "mounts";
    std::shared_ptr<const std::string> last;
    auto last_write = std::chrono::steady_clock::now();
    auto identified = last_write;
    asio::steady_timer timer(socket.get_executor());
    while (!stopping_) {
        // A logout, a disabled account or a changed role reaches an open feed within 30 s.
        if (admin && std::chrono::steady_clock::now() - identified >= std::chrono::seconds(30)) {
            http::Request again;
            co_await identify(req, again);
            if (!again.principal.logged_in()) {
                co_return;
            }
            who.principal = std::move(again.principal);
            identified = std::chrono::steady_clock::now();
        }
        std::shared_ptr<const std::string> doc;
        try {
            Server* self = this;
            // A DJ's copy is cut down to their mounts on the worker too (parsing and
            // serialising JSON has no place on an event loop). `viewer` lives in this frame and
            // only changes between awaits.
            const http::Principal* viewer =
                admin && !who.principal.is_admin() ? &who.principal : nullptr;
            std::function<std::shared_ptr<const std::string>()> job = [self, admin, viewer] {
                auto full = self->event_document(admin);
                if (viewer == nullptr || !full) {
                    return full;
                }
                return std::make_shared<const std::string>(
                    json::serialize(filter_for(json::parse(*full).as_object(), *viewer)));
            };
            doc = co_await workers_.run<std::shared_ptr<const std::string>>(std::move(job));
        } catch (const std::exception& e) {
            util::logger("web")->warn("live events: {}", e.what());
        }
        std::string out;
        if (doc && (!last || *doc != *last)) {
            out = fmt::format("event: {}\ndata: {}\n\n", event, *doc);
            last = doc;
        } else if (std::chrono::steady_clock::now() - last_write >= keepalive) {
            out = ": keep-alive\n\n";
        }
        if (!out.empty()) {
            Deadline deadline(socket, write_timeout);
            auto [ec, n] = co_await asio::async_write(socket, asio::buffer(out), tuple_awaitable);
            if (ec) {
                co_return; // the subscriber left (or was too slow)
            }
            last_write = std::chrono::steady_clock::now();
        }
        timer.expires_after(tick);
        auto [ec] = co_await timer.async_wait(tuple_awaitable);
        if (ec || !socket.is_open()) {
            co_return;
        }
    }
}

} // namespace tinyice::server
