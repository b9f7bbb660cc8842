#pragma once
// Housekeeping on a timer: deletes plays older than storage.history_days (at start, then every
// six hours). Runs on its own thread; stopping wakes it at once.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "storage/Database.hpp"
#include "storage/HistoryStore.hpp"
#include "util/Log.hpp"

namespace tinyice::app {

class Maintenance {
public:
    Maintenance(storage::HistoryStore& history, std::uint32_t history_days)
        : history_(history), history_days_(history_days), thread_([this] { run(); }) {}
    ~Maintenance() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }
    Maintenance(const Maintenance&) = delete;
    Maintenance& operator=(const Maintenance&) = delete;

private:
    void run() {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            prune();
            lock.lock();
            wake_.wait_for(lock, std::chrono::hours(6), [this] { return stopping_; });
        }
    }

    void prune() {
        if (history_days_ == 0) {
            return;
        }
        try {
            const std::int64_t cutoff =
                storage::unix_ms_now() - std::int64_t{history_days_} * 24 * 3600 * 1000;
            if (auto n = history_.prune(cutoff); n > 0) {
                util::logger("storage")->info("deleted {} plays older than {} days", n,
                                              history_days_);
            }
        } catch (const std::exception& e) {
            util::logger("storage")->warn("history clean-up failed: {}", e.what());
        }
    }

    storage::HistoryStore& history_;
    const std::uint32_t history_days_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;  // last: starts after the members it uses
};

}  // namespace tinyice::app
