#pragma once
// The writer thread behind HistoryStore, AuditStore and ListenerStatsStore: callers queue rows
// and return at once; one thread writes everything that piled up since its last batch in one
// call of `write` (one transaction). Private to src/storage.
//
// Bounded: beyond `queue_limit` pending rows (queued, or held by a write in progress) new rows
// are dropped and counted, so a stuck disk costs data, never memory or a stalled caller. A
// failed write is logged and its rows counted as dropped; the thread carries on.

#include "storage/Database.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <iterator>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace tinyice::storage::detail {

// The writer's log lines (out of line: this header is included by public store headers).
void log_queue_full(const Database& db, std::string_view queue_name, std::size_t queue_limit,
                    std::string_view rows_name);
void log_write_failed(std::size_t rows, std::string_view rows_name, std::string_view why);

template <class T>
class BackgroundWriter {
public:
    // Writes one batch; throws on failure (the batch is then counted as dropped).
    using WriteBatch = std::function<void(const std::vector<T>&)>;

    // `queue_name` and `rows_name` are for log lines: "play history", "plays". Starts the thread.
    BackgroundWriter(Database& db, std::string queue_name, std::string rows_name,
                     std::size_t queue_limit, WriteBatch write)
        : db_(db), queue_name_(std::move(queue_name)), rows_name_(std::move(rows_name)),
          queue_limit_(queue_limit), write_(std::move(write)) {
        thread_ = std::thread(&BackgroundWriter::run, this);
    }

    // Writes what is queued, then stops the thread.
    ~BackgroundWriter() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_one();
        thread_.join();
    }

    BackgroundWriter(const BackgroundWriter&) = delete;
    BackgroundWriter& operator=(const BackgroundWriter&) = delete;

    // Queues a row; never waits for I/O (only for the short queue lock). False when dropped.
    bool push(T row) {
        bool accepted = false;
        bool first_drop = false;
        {
            std::lock_guard lock(mutex_);
            // Counts what the writer holds too, so a stuck write cannot let memory grow either.
            if (queued_total_ - written_total_ >= queue_limit_) {
                ++dropped_;
                first_drop = !dropping_;
                dropping_ = true;
            } else {
                queue_.push_back(std::move(row));
                ++queued_total_;
                accepted = true;
            }
        }
        if (accepted) {
            wake_.notify_one();
        } else if (first_drop) {
            log_queue_full(db_, queue_name_, queue_limit_, rows_name_);
        }
        return accepted;
    }

    // Returns once every row queued before the call is written (or failed).
    void flush() {
        std::unique_lock lock(mutex_);
        const std::uint64_t target = queued_total_;
        written_.wait(lock, [&] { return written_total_ >= target; });
    }

    // Rows refused because the queue was full, plus rows whose write failed.
    [[nodiscard]] std::uint64_t dropped() const {
        std::lock_guard lock(mutex_);
        return dropped_;
    }

private:
    void run() {
        std::unique_lock lock(mutex_);
        for (;;) {
            wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) {
                return; // stopping, and everything queued is written
            }
            // Everything that piled up while the last batch was written goes in one batch.
            std::vector<T> batch(std::make_move_iterator(queue_.begin()),
                                 std::make_move_iterator(queue_.end()));
            queue_.clear();
            lock.unlock();

            std::string failure;
            try {
                write_(batch);
            } catch (const std::exception& e) {
                failure = e.what();
            } catch (...) {
                failure = "unknown error";
            }
            if (!failure.empty()) {
                log_write_failed(batch.size(), rows_name_, failure);
            }

            lock.lock();
            written_total_ += batch.size();
            if (failure.empty()) {
                dropping_ = false;
            } else {
                dropped_ += batch.size();
            }
            written_.notify_all();
        }
    }

    Database& db_;
    const std::string queue_name_;
    const std::string rows_name_;
    const std::size_t queue_limit_;
    const WriteBatch write_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable written_;
    std::deque<T> queue_;
    std::uint64_t queued_total_ = 0;
    std::uint64_t written_total_ = 0; // rows the writer is done with, written or failed
    std::uint64_t dropped_ = 0;
    bool dropping_ = false; // since the last successful write; logs once per episode
    bool stopping_ = false;
    std::thread thread_; // last: started once everything above is initialised
};

} // namespace tinyice::storage::detail
