#include "server/ConnectionLimiter.hpp"

#include <cstring>

namespace tinyice::server {
namespace {

std::array<std::uint8_t, 16> key_of(const boost::asio::ip::address& addr) {
    auto a = unmap(addr);
    if (a.is_v4()) {
        return boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, a.to_v4()).to_bytes();
    }
    return a.to_v6().to_bytes();
}

}  // namespace

boost::asio::ip::address unmap(const boost::asio::ip::address& addr) {
    if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
        return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, addr.to_v6());
    }
    return addr;
}

std::size_t ConnectionLimiter::KeyHash::operator()(
    const std::array<std::uint8_t, 16>& k) const noexcept {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    std::memcpy(&a, k.data(), 8);
    std::memcpy(&b, k.data() + 8, 8);
    return static_cast<std::size_t>((a * 0x9E3779B97F4A7C15ULL) ^ (b + (a << 6) + (a >> 2)));
}

ConnectionLimiter::Verdict ConnectionLimiter::admit(const boost::asio::ip::address& addr,
                                                    ConnectionSlot& slot) {
    accepted_.fetch_add(1, std::memory_order_relaxed);
    if (max_clients_ != 0 && open_.load(std::memory_order_relaxed) >= max_clients_) {
        return Verdict::server_full;
    }
    if (max_per_ip_ != 0) {
        std::lock_guard lock(mutex_);
        auto& count = per_ip_[key_of(addr)];
        if (count >= max_per_ip_) {
            return Verdict::ip_full;
        }
        ++count;
    }
    open_.fetch_add(1, std::memory_order_relaxed);
    slot = ConnectionSlot(this, addr);
    return Verdict::admitted;
}

void ConnectionLimiter::release(const std::array<std::uint8_t, 16>& key) {
    open_.fetch_sub(1, std::memory_order_relaxed);
    if (max_per_ip_ != 0) {
        std::lock_guard lock(mutex_);
        auto it = per_ip_.find(key);
        if (it != per_ip_.end() && --it->second == 0) {
            per_ip_.erase(it);
        }
    }
}

ConnectionSlot::ConnectionSlot(ConnectionLimiter* limiter, const boost::asio::ip::address& addr)
    : limiter_(limiter), key_(key_of(addr)) {}

ConnectionSlot::ConnectionSlot(ConnectionSlot&& other) noexcept
    : limiter_(other.limiter_), key_(other.key_) {
    other.limiter_ = nullptr;
}

ConnectionSlot& ConnectionSlot::operator=(ConnectionSlot&& other) noexcept {
    if (this != &other) {
        release();
        limiter_ = other.limiter_;
        key_ = other.key_;
        other.limiter_ = nullptr;
    }
    return *this;
}

ConnectionSlot::~ConnectionSlot() { release(); }

void ConnectionSlot::release() {
    if (limiter_ != nullptr) {
        limiter_->release(key_);
        limiter_ = nullptr;
    }
}

}  // namespace tinyice::server
