#pragma once
// Housekeeping on a timer, on one thread of its own: deleting old plays, statistics, audit
// entries and expired sessions, dropping expired bans, sampling per-minute listener counts.
// Each task runs at start and then every `interval`; a task that throws is logged and runs
// again at its next turn. Stopping wakes the thread at once.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "util/Log.hpp"

namespace tinyice::app {

class Maintenance {
public:
    Maintenance() = default;
    ~Maintenance() { stop(); }
    Maintenance(const Maintenance&) = delete;
    Maintenance& operator=(const Maintenance&) = delete;

    // Before start().
    void add(std::string name, std::chrono::milliseconds interval, std::function<void()> task) {
        tasks_.push_back(Task{std::move(name), interval, std::move(task), {}});
    }

    void start() {
        thread_ = std::thread([this] { run(); });
    }

    void stop() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        if (thread_.joinable()) {
            thread_.join();
        }
    }

private:
    struct Task {
        std::string name;
        std::chrono::milliseconds interval;
        std::function<void()> fn;
        std::chrono::steady_clock::time_point due;
    };

    void run() {
        const auto now = std::chrono::steady_clock::now();
        for (auto& t : tasks_) {
            t.due = now;
        }
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            auto next = std::chrono::steady_clock::now() + std::chrono::hours(1);
            for (auto& t : tasks_) {
                if (std::chrono::steady_clock::now() >= t.due) {
                    lock.unlock();
                    try {
                        t.fn();
                    } catch (const std::exception& e) {
                        util::logger("main")->warn("maintenance task '{}' failed: {}", t.name,
                                                   e.what());
                    }
                    lock.lock();
                    t.due = std::chrono::steady_clock::now() + t.interval;
                    if (stopping_) {
                        return;
                    }
                }
                next = std::min(next, t.due);
            }
            wake_.wait_until(lock, next, [this] { return stopping_; });
        }
    }

    std::vector<Task> tasks_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace tinyice::app
