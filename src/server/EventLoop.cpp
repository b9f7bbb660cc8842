#include "server/EventLoop.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>

#include "util/Log.hpp"

namespace tinyice::server {
namespace {

constexpr std::size_t max_iov = 16;
// Upper bound of one write; a listener far behind catches up over several flushes.
constexpr std::size_t max_bytes_per_write = 256 * 1024;

}  // namespace

std::uint64_t next_listener_id() {
    static std::atomic<std::uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
}

EventLoop::EventLoop(unsigned index, Hooks hooks) : index_(index), hooks_(std::move(hooks)) {
    due_.reserve(1024);
}

EventLoop::~EventLoop() {
    stop();
    join();
}

void EventLoop::start() {
    next_tick_ = std::chrono::steady_clock::now() + tick;
    arm_timer();
    thread_ = std::thread([this] {
        try {
            io_.run();
        } catch (const std::exception& e) {
            util::logger("loop")->critical("event loop {} stopped: {}", index_, e.what());
        }
    });
}

void EventLoop::stop() {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    boost::asio::post(io_, [this] {
        timer_.cancel();
        std::vector<Listener*> all;
        all.reserve(listeners_.size());
        for (auto& [id, l] : listeners_) {
            all.push_back(l.get());
        }
        for (auto* l : all) {
            close(*l, "shutdown");
        }
        io_.stop();
    });
}

void EventLoop::join() {
    if (thread_.joinable()) {
        thread_.join();
    }
}

void EventLoop::arm_timer() {
    timer_.expires_at(next_tick_);
    timer_.async_wait([this](const boost::system::error_code& ec) { on_tick(ec); });
}

void EventLoop::on_tick(const boost::system::error_code& ec) {
    if (ec || stopped_) {
        return;
    }
    auto now = std::chrono::steady_clock::now();
    // Catch up on missed ticks (a long flush or a busy machine) without bursting forever.
    int budget = 8;
    while (next_tick_ <= now && budget-- > 0) {
        auto slot = static_cast<std::size_t>(tick_count_ % wheel_size);
        // Copy out rather than swap: every vector keeps the capacity it grew to, so in steady
        // state rescheduling never allocates.
        due_.assign(wheel_[slot].begin(), wheel_[slot].end());
        wheel_[slot].clear();
        for (auto* l : due_) {
            l->scheduled = false;
        }
        for (auto* l : due_) {
            if (flush(*l)) {
                schedule(*l, l->interval_ticks == 0 ? 10 : l->interval_ticks);
            }
        }
        ++tick_count_;
        next_tick_ += tick;
    }
    if (next_tick_ <= now) {
        next_tick_ = now + tick;
    }
    arm_timer();
}

void EventLoop::schedule(Listener& l, std::uint32_t ticks) {
    ticks = std::clamp<std::uint32_t>(ticks, 1, wheel_size - 1);
    auto slot = static_cast<std::size_t>((tick_count_ + ticks) % wheel_size);
    l.wheel_slot = slot;
    l.wheel_index = wheel_[slot].size();
    l.scheduled = true;
    wheel_[slot].push_back(&l);
}

void EventLoop::unschedule(Listener& l) {
    if (!l.scheduled) {
        return;
    }
    auto& vec = wheel_[l.wheel_slot];
    auto* last = vec.back();
    vec[l.wheel_index] = last;
    last->wheel_index = l.wheel_index;
    vec.pop_back();
    l.scheduled = false;
}

void EventLoop::register_low_latency(Listener& l) {
    low_latency_[l.mount.get()].push_back(&l);
}

void EventLoop::unregister_low_latency(Listener& l) {
    auto it = low_latency_.find(l.mount.get());
    if (it == low_latency_.end()) {
        return;
    }
    auto& vec = it->second;
    auto pos = std::find(vec.begin(), vec.end(), &l);
    if (pos != vec.end()) {
        *pos = vec.back();
        vec.pop_back();
    }
    if (vec.empty()) {
        low_latency_.erase(it);
    }
}

void EventLoop::attach(Listener& l, const std::shared_ptr<core::Mount>& mount, std::size_t burst) {
    l.mount = mount;
    l.pos = mount->start_position(burst);
    if (mount->format() == codec::StreamFormat::ogg) {
        if (auto headers = mount->ogg_headers_at(l.pos)) {
            l.prefix.append(headers->begin(), headers->end());
        }
    }
}

void EventLoop::add_listener(std::unique_ptr<Listener> listener, std::uint32_t flush_interval_ms) {
    auto& l = *listener;
    if (stopped_) {
        return;
    }
    l.interval_ticks = flush_interval_ms == 0
                           ? 0
                           : std::max<std::uint32_t>(1, flush_interval_ms / tick.count());
    listeners_.emplace(l.id, std::move(listener));
    l.mount->listener_added();
    if (l.interval_ticks == 0) {
        register_low_latency(l);
    }
    // Header and burst go out at once; afterwards the listener keeps its own phase, spread
    // over the interval by its id so that neighbours do not flush together.
    if (!flush(l)) {
        return;
    }
    auto interval = l.interval_ticks == 0 ? 10 : l.interval_ticks;
    auto phase = static_cast<std::uint32_t>((l.id * 2654435761ULL) % interval) + 1;
    schedule(l, phase);
}

void EventLoop::flush_mount(const core::Mount* mount) {
    auto it = low_latency_.find(mount);
    if (it == low_latency_.end()) {
        return;
    }
    // flush() may close listeners and so edit this vector: work on a copy of the pointers
    // (the scratch vector keeps its capacity between calls).
    due_.assign(it->second.begin(), it->second.end());
    std::vector<Listener*> batch;
    batch.swap(due_);
    for (auto* l : batch) {
        flush(*l);  // closes at most `l` itself, never another listener of the batch
    }
    batch.swap(due_);
}

bool EventLoop::flush(Listener& l) {
    iovec iov[max_iov];
    std::size_t n = 0;
    std::size_t prefix_len = l.prefix.size() - l.prefix_sent;
    if (prefix_len > 0) {
        iov[n++] = {l.prefix.data() + l.prefix_sent, prefix_len};
    }

    const auto& ring = l.mount->ring();
    auto head = ring.head();
    if (head - l.pos > ring.capacity()) {
        l.mount->listener_dropped_slow();
        close(l, "fell too far behind");
        return false;
    }
    auto from = l.pos;
    auto to = std::min<std::uint64_t>(head, from + max_bytes_per_write);
    std::span<const std::uint8_t> spans[2];
    auto count = ring.view(from, to, spans);
    std::span<const std::uint8_t> a = count > 0 ? spans[0] : std::span<const std::uint8_t>{};
    std::span<const std::uint8_t> b = count > 1 ? spans[1] : std::span<const std::uint8_t>{};

    if (l.icy.enabled()) {
        // The block due next belongs to the stream position where it falls; keep the block
        // we are in the middle of sending.
        if (!l.icy.block_in_progress()) {
            auto block_pos = from + l.icy.bytes_until_block();
            if (block_pos <= to) {
                l.meta = l.mount->meta_at(block_pos);
            }
        }
        std::string_view block = l.meta ? std::string_view(l.meta->bytes) : std::string_view{};
        auto meta_id = l.meta ? l.meta->id : 0;
        n += l.icy.plan(a, b, meta_id, block, std::span<iovec>(iov + n, max_iov - n));
    } else {
        if (!a.empty()) {
            iov[n++] = {const_cast<std::uint8_t*>(a.data()), a.size()};
        }
        if (!b.empty()) {
            iov[n++] = {const_cast<std::uint8_t*>(b.data()), b.size()};
        }
    }
    if (n == 0) {
        return true;
    }

    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = n;
    ssize_t written = ::sendmsg(l.socket.native_handle(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (written < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            return true;
        }
        close(l, "client disconnected");
        return false;
    }
    auto w = static_cast<std::size_t>(written);
    l.bytes_sent += w;
    l.mount->add_bytes_sent(w);

    auto from_prefix = std::min(w, prefix_len);
    l.prefix_sent += from_prefix;
    w -= from_prefix;
    if (l.prefix_sent == l.prefix.size() && !l.prefix.empty()) {
        std::string().swap(l.prefix);  // the head is sent once; give its memory back
        l.prefix_sent = 0;
    }
    if (l.icy.enabled()) {
        l.pos += l.icy.commit(w);
    } else {
        l.pos += w;
    }
    // The source may have lapped us while the kernel copied: what we sent may be torn.
    if (!ring.still_valid(from)) {
        l.mount->listener_dropped_slow();
        close(l, "fell too far behind");
        return false;
    }
    return true;
}

void EventLoop::close(Listener& l, std::string_view reason) {
    unschedule(l);
    if (l.interval_ticks == 0) {
        unregister_low_latency(l);
    }
    l.mount->listener_removed();
    boost::system::error_code ignored;
    l.socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    l.socket.close(ignored);
    if (hooks_.on_listener_closed) {
        hooks_.on_listener_closed(l, reason);
    }
    listeners_.erase(l.id);
}

void EventLoop::retarget(Listener& l, const std::shared_ptr<core::Mount>& mount) {
    // Low-latency listeners are indexed by mount: re-index around the switch.
    bool low = l.interval_ticks == 0;
    if (low) {
        unregister_low_latency(l);
    }
    l.mount->listener_removed();
    attach(l, mount, 0);  // at the live edge, on a frame/page boundary
    mount->listener_added();
    if (low) {
        register_low_latency(l);
    }
}

void EventLoop::source_ended(const std::shared_ptr<core::Mount>& mount,
                             const std::shared_ptr<core::Mount>& fallback) {
    std::vector<Listener*> affected;
    for (auto& [id, l] : listeners_) {
        if (l->mount == mount) {
            affected.push_back(l.get());
        }
    }
    for (auto* l : affected) {
        if (fallback && fallback->has_source() && fallback->format() == mount->format()) {
            retarget(*l, fallback);
        } else {
            close(*l, "source left");
        }
    }
}

void EventLoop::source_started(const std::shared_ptr<core::Mount>& mount) {
    for (auto& [id, l] : listeners_) {
        // The home may be an older object of the same mount, replaced at run time while this
        // listener was on a fallback (new buffer settings): match by name, adopt the new one.
        const bool home = l->home == mount || (l->home && l->home->name() == mount->name());
        if (home && l->mount != mount && mount->format() == l->mount->format()) {
            l->home = mount;
            retarget(*l, mount);
        }
    }
}

std::size_t EventLoop::move_listeners(const core::Mount* from,
                                      const std::shared_ptr<core::Mount>& to) {
    std::size_t moved = 0;
    for (auto& [id, l] : listeners_) {
        if (l->mount.get() == from) {
            retarget(*l, to);
            l->home = to;
            ++moved;
        }
    }
    return moved;
}

bool EventLoop::kill_listener(std::uint64_t id, const core::Mount* mount) {
    auto it = listeners_.find(id);
    if (it == listeners_.end() || (mount != nullptr && it->second->mount.get() != mount)) {
        return false;
    }
    close(*it->second, "killed by admin");
    return true;
}

std::size_t EventLoop::kill_listeners_if(const std::function<bool(const Listener&)>& pred) {
    std::vector<Listener*> doomed;
    for (auto& [id, l] : listeners_) {
        if (pred(*l)) {
            doomed.push_back(l.get());
        }
    }
    for (auto* l : doomed) {
        close(*l, "address banned");
    }
    return doomed.size();
}

std::vector<core::ListenerSnapshot> EventLoop::listeners_of(const core::Mount* mount) const {
    std::vector<core::ListenerSnapshot> out;
    auto now = std::chrono::steady_clock::now();
    for (const auto& [id, l] : listeners_) {
        if (mount != nullptr && l->mount.get() != mount) {
            continue;
        }
        out.push_back({l->id, l->ip, l->user_agent,
                       std::chrono::duration_cast<std::chrono::seconds>(now - l->connected_at)
                           .count(),
                       l->mount->name(), l->bytes_sent, l->home ? l->home->name() : ""});
    }
    return out;
}

std::vector<core::ListenerSnapshot> EventLoop::listeners_named(std::string_view name) const {
    std::vector<core::ListenerSnapshot> out;
    auto now = std::chrono::steady_clock::now();
    for (const auto& [id, l] : listeners_) {
        const bool home = l->home && l->home->name() == name;
        if (!home && l->mount->name() != name) {
            continue;
        }
        out.push_back({l->id, l->ip, l->user_agent,
                       std::chrono::duration_cast<std::chrono::seconds>(now - l->connected_at)
                           .count(),
                       l->mount->name(), l->bytes_sent, l->home ? l->home->name() : ""});
    }
    return out;
}

bool EventLoop::kill_listener_named(std::uint64_t id, std::string_view name) {
    auto it = listeners_.find(id);
    if (it == listeners_.end()) {
        return false;
    }
    const auto& l = *it->second;
    if (l.mount->name() != name && !(l.home && l.home->name() == name)) {
        return false;
    }
    close(*it->second, "killed by admin");
    return true;
}

}  // namespace tinyice::server
