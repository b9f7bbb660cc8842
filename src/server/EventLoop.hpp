#pragma once
// One event loop (one thread, one io_context) and the listeners it owns. Listeners are
// written on a flush interval, not on every source chunk: the number of writes decides the CPU
// cost of fan-out (docs/broadcast-path). Each listener gets its own phase in the interval, so
// the loop never writes to all of its listeners in one go and accepts stay fast. A timer wheel
// with 10 ms ticks does the scheduling; a write is one non-blocking sendmsg straight from the
// mount's ring memory (two iovecs at the wrap, plus ICY blocks), nothing is allocated per write.

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/Snapshot.hpp"
#include "server/Listener.hpp"

namespace tinyice::server {

class EventLoop {
public:
    static constexpr std::chrono::milliseconds tick{10};
    static constexpr std::size_t wheel_size = 256;  // 2.56 s horizon

    struct Hooks {
        // Called on this loop's thread when a listener goes away (access log, counters).
        std::function<void(const Listener&, std::string_view reason)> on_listener_closed;
    };

    EventLoop(unsigned index, Hooks hooks);
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;
    ~EventLoop();

    boost::asio::io_context& context() { return io_; }
    unsigned index() const { return index_; }

    void start();  // starts the thread
    void stop();   // closes every listener, stops the thread; idempotent
    void join();

    // ---- loop thread only -----------------------------------------------------------
    // Takes a listener whose head/burst is ready in `prefix` and `pos`; writes at once.
    void add_listener(std::unique_ptr<Listener> listener, std::uint32_t flush_interval_ms);
    // Flushes the low-latency listeners of `mount` (the source posts this on new data).
    void flush_mount(const core::Mount* mount);
    // The source of `mount` left: move its listeners to `fallback` (may be null) or close them.
    void source_ended(const std::shared_ptr<core::Mount>& mount,
                      const std::shared_ptr<core::Mount>& fallback);
    // A source started on `mount`: listeners whose home it is come back (fallback override).
    void source_started(const std::shared_ptr<core::Mount>& mount);
    // Moves every listener fed by `from` to `to`; returns how many moved.
    std::size_t move_listeners(const core::Mount* from, const std::shared_ptr<core::Mount>& to);
    // Closes listener `id` if it is fed by `mount` (any mount when null).
    bool kill_listener(std::uint64_t id, const core::Mount* mount);
    // Closes every listener for which `pred` is true (e.g. from a banned network); returns
    // how many.
    std::size_t kill_listeners_if(const std::function<bool(const Listener&)>& pred);
    std::vector<core::ListenerSnapshot> listeners_of(const core::Mount* mount) const;
    // Listeners that asked for the mount `name` or are fed by it now (after a fallback the two
    // differ). By name, so a mount object replaced at run time still finds its listeners.
    std::vector<core::ListenerSnapshot> listeners_named(std::string_view name) const;
    // Closes listener `id` if it asked for or is fed by the mount `name`.
    bool kill_listener_named(std::uint64_t id, std::string_view name);
    std::size_t listener_count() const { return listeners_.size(); }

    // Points `l` at `mount`, starting at a frame/page boundary `burst` bytes back, with the
    // Ogg header pages queued when the new stream needs them.
    static void attach(Listener& l, const std::shared_ptr<core::Mount>& mount, std::size_t burst);

private:
    void on_tick(const boost::system::error_code& ec);
    void arm_timer();
    void schedule(Listener& l, std::uint32_t ticks);
    void unschedule(Listener& l);
    // Writes what is pending for `l`; false when the listener was closed.
    bool flush(Listener& l);
    void close(Listener& l, std::string_view reason);
    // Moves `l` to `mount`'s live edge, keeping counts and indexes right.
    void retarget(Listener& l, const std::shared_ptr<core::Mount>& mount);
    void register_low_latency(Listener& l);
    void unregister_low_latency(Listener& l);

    unsigned index_;
    Hooks hooks_;
    boost::asio::io_context io_{1};
    boost::asio::steady_timer timer_{io_};
    std::chrono::steady_clock::time_point next_tick_;
    std::uint64_t tick_count_ = 0;
    std::thread thread_;
    bool stopped_ = false;

    std::unordered_map<std::uint64_t, std::unique_ptr<Listener>> listeners_;
    std::array<std::vector<Listener*>, wheel_size> wheel_;
    std::vector<Listener*> due_;  // scratch for the slot being processed
    std::unordered_map<const core::Mount*, std::vector<Listener*>> low_latency_;
};

std::uint64_t next_listener_id();

}  // namespace tinyice::server
