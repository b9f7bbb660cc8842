// Proves the broadcast path's promise: once listeners are connected, writing to them does not
// allocate. A counting operator new (this test binary only) counts allocations made on the
// event loop's thread while a real-time source feeds a mount and 200 in-process listeners
// (socket pairs, half of them with ICY metadata) are flushed every 20 ms.

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <new>
#include <thread>
#include <vector>

#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include "core/Mount.hpp"
#include "server/EventLoop.hpp"

namespace {
std::atomic<long> g_allocations{0};
thread_local bool t_counting = false;

void* counted_alloc(std::size_t n) {
    if (t_counting) {
        g_allocations.fetch_add(1, std::memory_order_relaxed);
    }
    if (void* p = std::malloc(n == 0 ? 1 : n)) {
        return p;
    }
    throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    try {
        return counted_alloc(n);
    } catch (...) {
        return nullptr;
    }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

using namespace tinyice;
using namespace std::chrono_literals;

// 128 kbps, 44.1 kHz MPEG-1 Layer III frames of 417 bytes.
std::vector<std::uint8_t> mp3_frame(std::uint8_t fill) {
    std::vector<std::uint8_t> f(417, fill);
    f[0] = 0xFF;
    f[1] = 0xFB;
    f[2] = 0x90;
    f[3] = 0x64;
    return f;
}

template <class Fn>
void run_on(server::EventLoop& loop, Fn fn) {
    std::promise<void> done;
    boost::asio::post(loop.context(), [&] {
        fn();
        done.set_value();
    });
    done.get_future().wait();
}

}  // namespace

TEST(FanoutAllocation, SteadyStateListenerWritesDoNotAllocate) {
    core::MountSettings settings;
    settings.name = "/alloc";
    settings.flush_interval_ms = 20;
    auto mount = std::make_shared<core::Mount>(settings);
    core::SourceInfo info;
    info.content_type = "audio/mpeg";
    ASSERT_TRUE(mount->claim_source(info, [] {}));

    server::EventLoop loop(0, {});
    loop.start();

    constexpr int listeners = 200;
    std::vector<int> peers;
    for (int i = 0; i < listeners; ++i) {
        int fds[2];
        ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
        ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
        peers.push_back(fds[1]);
        int fd = fds[0];
        std::uint32_t metaint = (i % 2 == 0) ? 16000 : 0;
        run_on(loop, [&, fd, metaint] {
            boost::asio::ip::tcp::socket socket(loop.context());
            socket.assign(boost::asio::ip::tcp::v4(), fd);
            socket.non_blocking(true);
            auto l = std::make_unique<server::Listener>(std::move(socket), metaint);
            l->id = server::next_listener_id();
            l->home = mount;
            l->prefix = "HTTP/1.0 200 OK\r\n\r\n";
            server::EventLoop::attach(*l, mount, settings.burst_size);
            loop.add_listener(std::move(l), settings.flush_interval_ms);
        });
    }

    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> received{0};
    std::thread reader([&] {
        std::vector<pollfd> pfds;
        for (int fd : peers) {
            pfds.push_back({fd, POLLIN, 0});
        }
        std::vector<char> buf(65536);
        while (!stop) {
            if (::poll(pfds.data(), pfds.size(), 50) <= 0) {
                continue;
            }
            for (auto& p : pfds) {
                if ((p.revents & POLLIN) != 0) {
                    auto n = ::read(p.fd, buf.data(), buf.size());
                    if (n > 0) {
                        received += static_cast<std::uint64_t>(n);
                    }
                }
            }
        }
    });
    std::thread source([&] {
        auto frame = mp3_frame(0x11);
        int count = 0;
        auto next = std::chrono::steady_clock::now();
        while (!stop) {
            mount->write(frame);
            if (++count % 40 == 0) {  // a title change about every second: full ICY blocks
                std::string block = "\x02StreamTitle='Song " + std::to_string(count) + "';";
                block.resize(33, '\0');
                mount->set_metadata({"Song", "", "", block});
            }
            next += 26ms;
            std::this_thread::sleep_until(next);
        }
    });

    // Warm-up: bursts sent, and one full turn of the timer wheel (2.56 s) so every slot's
    // vector has grown to the size it needs; from then on nothing should allocate.
    std::this_thread::sleep_for(3000ms);
    run_on(loop, [] { t_counting = true; });
    auto before = received.load();
    std::this_thread::sleep_for(2500ms);
    run_on(loop, [] { t_counting = false; });
    auto during = received.load() - before;
    long allocations = g_allocations.load();

    stop = true;
    source.join();
    reader.join();
    EXPECT_EQ(loop.listener_count(), static_cast<std::size_t>(listeners));
    loop.stop();
    loop.join();
    for (int fd : peers) {
        ::close(fd);
    }

    // Every listener kept receiving the stream (~16 kB/s each) while we counted...
    EXPECT_GT(during, static_cast<std::uint64_t>(listeners) * 16000 * 2);
    // ...and the event loop did not allocate once for it.
    EXPECT_EQ(allocations, 0) << "allocations on the event loop thread in steady state";
}
