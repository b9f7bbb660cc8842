#pragma once
// One connected listener: a socket and a position in its mount's ring. Owned by exactly one
// EventLoop and touched only on that loop's thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "core/Mount.hpp"
#include "protocol/icecast/IcyInterleaver.hpp"
#include "server/ConnectionLimiter.hpp"

namespace tinyice::server {

struct Listener {
    Listener(boost::asio::ip::tcp::socket s, std::uint32_t metaint)
        : socket(std::move(s)), icy(metaint) {}

    std::uint64_t id = 0;
    boost::asio::ip::tcp::socket socket;
    ConnectionSlot slot;                   // counts against max_clients / per-IP caps
    std::shared_ptr<core::Mount> mount;    // the mount feeding this listener now
    std::shared_ptr<core::Mount> home;     // the mount it asked for (differs after a fallback)
    std::uint64_t pos = 0;                 // next ring position to send
    std::string prefix;                    // response head and Ogg header pages, sent first
    std::size_t prefix_sent = 0;
    protocol::icecast::IcyInterleaver icy;
    std::shared_ptr<const core::MetaBlock> meta;  // block being sent (kept alive for partials)

    // Scheduling (EventLoop bookkeeping).
    std::uint32_t interval_ticks = 0;      // 0 = low latency: flushed when data arrives
    std::size_t wheel_slot = 0;
    std::size_t wheel_index = 0;
    bool scheduled = false;

    // For the admin API and the access log.
    std::chrono::steady_clock::time_point connected_at;
    std::uint64_t bytes_sent = 0;
    std::string ip;
    std::string user_agent;
    std::string request_line;
    std::string referer;
};

}  // namespace tinyice::server
