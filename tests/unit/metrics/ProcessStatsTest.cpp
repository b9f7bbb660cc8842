#include "metrics/ProcessStats.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

namespace tinyice::metrics {
namespace {

TEST(ProcessStatsTest, ReadsMemory) {
    const ProcessStats stats = read_process_stats();
    // A running test binary with GoogleTest linked has at least a few hundred KiB resident.
    EXPECT_GT(stats.resident_bytes, 100U * 1024U);
    EXPECT_GE(stats.virtual_bytes, stats.resident_bytes);
    EXPECT_EQ(stats.resident_bytes % static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)), 0U);
}

TEST(ProcessStatsTest, CountsThreads) {
    const auto before = read_process_stats().threads;
    ASSERT_GE(before, 1U);

    std::mutex mutex;
    std::condition_variable cv;
    bool started = false;
    bool release = false;
    std::thread worker([&] {
        std::unique_lock lock(mutex);
        started = true;
        cv.notify_all();
        cv.wait(lock, [&] { return release; });
    });
    {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return started; });
    }
    EXPECT_EQ(read_process_stats().threads, before + 1);
    {
        std::lock_guard lock(mutex);
        release = true;
    }
    cv.notify_all();
    worker.join();
    // join() returns when the kernel clears the thread's tid, a moment before it drops the
    // task from the thread count, and nothing signals that; so poll, with a generous limit.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    auto after = read_process_stats().threads;
    while (after != before && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        after = read_process_stats().threads;
    }
    EXPECT_EQ(after, before);
}

TEST(ProcessStatsTest, CountsOpenDescriptors) {
    const auto before = read_process_stats().open_fds;
    EXPECT_GE(before, 3U); // stdin, stdout, stderr
    std::array<int, 2> fds = {-1, -1};
    ASSERT_EQ(::pipe(fds.data()), 0);
    EXPECT_EQ(read_process_stats().open_fds, before + 2);
    ::close(fds[0]);
    ::close(fds[1]);
    EXPECT_EQ(read_process_stats().open_fds, before);
}

TEST(ProcessStatsTest, ReportsTheDescriptorLimit) {
    rlimit limit{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
    EXPECT_EQ(read_process_stats().max_fds, static_cast<std::uint64_t>(limit.rlim_cur));
}

TEST(ProcessStatsTest, StartTimeIsInThePast) {
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    const double start = read_process_stats().start_time_seconds;
    // Boot time is whole seconds and the start tick coarse; a clock adjusted since boot can move
    // it a little. The test process itself started moments ago.
    EXPECT_LE(start, now + 2);
    EXPECT_GT(start, now - 600);
}

TEST(ProcessStatsTest, CpuTimeGrowsWithWork) {
    const double before = read_process_stats().cpu_seconds;
    EXPECT_GE(before, 0.0);
    // Spin until the kernel has charged at least one more clock tick (10 ms at CLK_TCK 100).
    const double tick = 1.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    volatile std::uint64_t sink = 0;
    double after = before;
    while (after < before + tick && std::chrono::steady_clock::now() < deadline) {
        for (int i = 0; i < 100000; ++i) {
            sink = sink + static_cast<std::uint64_t>(i);
        }
        after = read_process_stats().cpu_seconds;
    }
    EXPECT_GE(after, before + tick);
}

} // namespace
} // namespace tinyice::metrics
