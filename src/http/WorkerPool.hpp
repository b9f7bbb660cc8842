#pragma once
// A small pool of worker threads for work that must not run on an event loop: anything that
// may block (SQLite, a station's mutex held across a state save, FFmpeg probing) or take more
// than a few microseconds. An event-loop coroutine awaits the result without blocking its loop:
//
//   Response r = co_await pool.run<Response>([&] { return handler(request); });
//
// The function runs on a pool thread; the coroutine resumes on its own executor. Exceptions
// thrown by the function are rethrown in the coroutine.

#include <exception>
#include <functional>
#include <optional>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace tinyice::http {

class WorkerPool {
public:
    explicit WorkerPool(std::size_t threads) : pool_(threads) {}
    ~WorkerPool() { stop(); }
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Waits for queued work to finish and joins the threads; idempotent.
    void stop() {
        pool_.join();
    }

    boost::asio::thread_pool& pool() { return pool_; }

    template <class R>
    boost::asio::awaitable<R> run(std::function<R()> fn) {
        // A plain asynchronous operation (no coroutine on the pool, no capturing lambda
        // coroutine: GCC 12 mis-compiles those).
        auto outcome = co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                                            void(Outcome<R>)>(
            [this](auto handler, std::function<R()> work) {
                auto home = boost::asio::get_associated_executor(handler);
                boost::asio::post(pool_, [handler = std::move(handler), home,
                                          work = std::move(work)]() mutable {
                    Outcome<R> result;
                    try {
                        result.value.emplace(work());
                    } catch (...) {
                        result.error = std::current_exception();
                    }
                    boost::asio::post(home, [handler = std::move(handler),
                                             result = std::move(result)]() mutable {
                        std::move(handler)(std::move(result));
                    });
                });
            },
            boost::asio::use_awaitable, std::move(fn));
        if (outcome.error) {
            std::rethrow_exception(outcome.error);
        }
        co_return std::move(*outcome.value);
    }

private:
    template <class R>
    struct Outcome {
        std::optional<R> value;
        std::exception_ptr error;
    };

    boost::asio::thread_pool pool_;
};

}  // namespace tinyice::http
