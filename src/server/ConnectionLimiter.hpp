#pragma once
// Counts open connections, server-wide and per client address, and refuses new ones past the
// configured caps. A ConnectionSlot is the RAII token of one admitted connection; it moves
// with the connection (into a Listener when the connection becomes one).

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

namespace tinyice::server {

class ConnectionLimiter;

class ConnectionSlot {
public:
    ConnectionSlot() = default;
    ConnectionSlot(ConnectionLimiter* limiter, const boost::asio::ip::address& addr);
    ConnectionSlot(ConnectionSlot&& other) noexcept;
    ConnectionSlot& operator=(ConnectionSlot&& other) noexcept;
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;
    ~ConnectionSlot();
    explicit operator bool() const { return limiter_ != nullptr; }

private:
    void release();
    ConnectionLimiter* limiter_ = nullptr;
    std::array<std::uint8_t, 16> key_{};
};

class ConnectionLimiter {
public:
    enum class Verdict { admitted, server_full, ip_full };

    ConnectionLimiter(std::uint32_t max_clients, std::uint32_t max_per_ip)
        : max_clients_(max_clients), max_per_ip_(max_per_ip) {}

    // On success `slot` holds the connection's token.
    Verdict admit(const boost::asio::ip::address& addr, ConnectionSlot& slot);

    std::uint64_t open() const { return open_.load(std::memory_order_relaxed); }
    std::uint64_t accepted() const { return accepted_.load(std::memory_order_relaxed); }

private:
    friend class ConnectionSlot;
    struct KeyHash {
        std::size_t operator()(const std::array<std::uint8_t, 16>& k) const noexcept;
    };
    void release(const std::array<std::uint8_t, 16>& key);

    const std::uint32_t max_clients_;
    const std::uint32_t max_per_ip_;
    std::atomic<std::uint64_t> open_{0};
    std::atomic<std::uint64_t> accepted_{0};
    std::mutex mutex_;
    std::unordered_map<std::array<std::uint8_t, 16>, std::uint32_t, KeyHash> per_ip_;
};

// IPv4-mapped IPv6 addresses (dual-stack sockets) shown and counted as plain IPv4.
boost::asio::ip::address unmap(const boost::asio::ip::address& addr);

}  // namespace tinyice::server
