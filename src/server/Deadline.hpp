#pragma once
// A per-connection watchdog: cancels the socket's pending operations when the deadline
// passes. Extending the deadline is just a store (no timer operation per read), so a source
// that sends 40 chunks a second costs one timer wake-up per timeout period, not 40.
// The socket and the Deadline live in the same coroutine frame and run on one thread.

#include <chrono>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

namespace tinyice::server {

class Deadline {
public:
    using clock = std::chrono::steady_clock;

    Deadline(boost::asio::ip::tcp::socket& socket, clock::duration timeout)
        : socket_(socket), timer_(socket.get_executor()), deadline_(clock::now() + timeout) {
        arm();
    }
    Deadline(const Deadline&) = delete;
    Deadline& operator=(const Deadline&) = delete;
    ~Deadline() { timer_.cancel(); }

    void extend(clock::duration timeout) { deadline_ = clock::now() + timeout; }
    void disarm() {
        disarmed_ = true;
        timer_.cancel();
    }
    bool expired() const { return expired_; }

private:
    void arm() {
        timer_.expires_at(deadline_);
        // `this` outlives every handler that can see ec == success: the destructor cancels
        // the wait, and a cancelled handler only sees operation_aborted.
        timer_.async_wait([this](const boost::system::error_code& ec) {
            if (ec || disarmed_) {
                return;
            }
            if (clock::now() < deadline_) {
                arm();
                return;
            }
            expired_ = true;
            boost::system::error_code ignored;
            socket_.cancel(ignored);
        });
    }

    boost::asio::ip::tcp::socket& socket_;
    boost::asio::steady_timer timer_;
    clock::time_point deadline_;
    bool expired_ = false;
    bool disarmed_ = false;
};

}  // namespace tinyice::server
