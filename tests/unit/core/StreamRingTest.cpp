#include "core/StreamRing.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

using tinyice::core::StreamRing;

namespace {

std::vector<std::uint8_t> bytes(std::size_t n, std::uint8_t start = 0) {
    std::vector<std::uint8_t> v(n);
    std::iota(v.begin(), v.end(), start);
    return v;
}

std::vector<std::uint8_t> read(const StreamRing& ring, std::uint64_t from, std::uint64_t to) {
    std::span<const std::uint8_t> spans[2];
    auto n = ring.view(from, to, spans);
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i < n; ++i) {
        out.insert(out.end(), spans[i].begin(), spans[i].end());
    }
    return out;
}

}  // namespace

TEST(StreamRing, AppendAndReadWithoutWrap) {
    StreamRing ring(16);
    auto data = bytes(10);
    ring.append(data);
    EXPECT_EQ(ring.head(), 10U);
    EXPECT_EQ(ring.tail(), 0U);
    EXPECT_EQ(read(ring, 0, 10), data);
    EXPECT_EQ(read(ring, 3, 7), std::vector<std::uint8_t>(data.begin() + 3, data.begin() + 7));
}

TEST(StreamRing, WrapGivesTwoSpansInOrder) {
    StreamRing ring(16);
    ring.append(bytes(12));
    ring.append(bytes(10, 100));  // positions 12..21 wrap at 16
    EXPECT_EQ(ring.head(), 22U);
    EXPECT_EQ(ring.tail(), 6U);
    std::span<const std::uint8_t> spans[2];
    EXPECT_EQ(ring.view(12, 22, spans), 2U);
    EXPECT_EQ(spans[0].size(), 4U);
    EXPECT_EQ(spans[1].size(), 6U);
    EXPECT_EQ(read(ring, 12, 22), bytes(10, 100));
}

TEST(StreamRing, OversizedAppendKeepsNewestBytes) {
    StreamRing ring(8);
    ring.append(bytes(20));
    EXPECT_EQ(ring.head(), 20U);
    EXPECT_EQ(read(ring, 12, 20), bytes(8, 12));
}

TEST(StreamRing, LaggingReaderIsDetected) {
    StreamRing ring(16);
    ring.append(bytes(16));
    EXPECT_TRUE(ring.still_valid(0));
    ring.append(bytes(1));
    EXPECT_FALSE(ring.still_valid(0));  // position 0 was overwritten
    EXPECT_TRUE(ring.still_valid(1));
}

TEST(StreamRing, EmptyRangeHasNoSpans) {
    StreamRing ring(16);
    ring.append(bytes(5));
    std::span<const std::uint8_t> spans[2];
    EXPECT_EQ(ring.view(5, 5, spans), 0U);
}
