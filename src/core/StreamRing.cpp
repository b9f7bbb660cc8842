#include "core/StreamRing.hpp"

#include <cassert>
#include <cstring>

namespace tinyice::core {

StreamRing::StreamRing(std::size_t capacity)
    : capacity_(capacity), data_(std::make_unique<std::uint8_t[]>(capacity)) {
    assert(capacity > 0);
}

void StreamRing::append(std::span<const std::uint8_t> data) {
    auto head = head_.load(std::memory_order_relaxed);
    if (data.size() > capacity_) {
        head += data.size() - capacity_;
        data = data.subspan(data.size() - capacity_);
    }
    auto offset = static_cast<std::size_t>(head % capacity_);
    auto first = std::min(data.size(), capacity_ - offset);
    std::memcpy(data_.get() + offset, data.data(), first);
    if (first < data.size()) {
        std::memcpy(data_.get(), data.data() + first, data.size() - first);
    }
    head_.store(head + data.size(), std::memory_order_release);
}

std::size_t StreamRing::view(std::uint64_t from, std::uint64_t to,
                             std::span<const std::uint8_t> (&out)[2]) const {
    assert(from <= to && to - from <= capacity_);
    if (from == to) {
        return 0;
    }
    auto len = static_cast<std::size_t>(to - from);
    auto offset = static_cast<std::size_t>(from % capacity_);
    auto first = std::min(len, capacity_ - offset);
    out[0] = {data_.get() + offset, first};
    if (first == len) {
        return 1;
    }
    out[1] = {data_.get(), len - first};
    return 2;
}

}  // namespace tinyice::core
