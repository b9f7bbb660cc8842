#pragma once
// The fixed-size circular buffer behind a mount. One writer (the mount's source) appends;
// any number of readers (listeners, on any thread) hold an absolute stream position and read
// straight from the ring memory (writev, no copy). Positions only grow, so "how far behind"
// is a subtraction. A reader that falls more than capacity() behind has lost data and must
// be dropped or moved forward; after reading, `still_valid(from)` tells whether the writer
// overwrote the range while it was being read (a seqlock-style check).

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>

namespace tinyice::core {

class StreamRing {
public:
    explicit StreamRing(std::size_t capacity);
    StreamRing(const StreamRing&) = delete;
    StreamRing& operator=(const StreamRing&) = delete;

    std::size_t capacity() const { return capacity_; }

    // Writer only. Copies `data` in (keeping only the newest capacity() bytes if larger).
    void append(std::span<const std::uint8_t> data);

    // Absolute position one past the newest byte. Acquire: bytes before it are readable.
    std::uint64_t head() const { return head_.load(std::memory_order_acquire); }

    // Oldest position still held.
    std::uint64_t tail() const {
        auto h = head();
        return h > capacity_ ? h - capacity_ : 0;
    }

    // The bytes of [from, to) as up to two spans (two at the wrap). Requires
    // tail() <= from <= to <= head(). Returns the number of spans filled (0..2).
    std::size_t view(std::uint64_t from, std::uint64_t to,
                     std::span<const std::uint8_t> (&out)[2]) const;

    // True while [from, ...) has not been overwritten; call after reading to validate.
    bool still_valid(std::uint64_t from) const { return head() - from <= capacity_; }

private:
    std::size_t capacity_;
    std::unique_ptr<std::uint8_t[]> data_;
    std::atomic<std::uint64_t> head_{0};
};

}  // namespace tinyice::core
