#include "core/Mount.hpp"
#include "core/MountRegistry.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using tinyice::core::Mount;
using tinyice::core::MountRegistry;
using tinyice::core::MountSettings;
using tinyice::core::SourceInfo;

namespace {

// A valid MPEG-1 Layer III frame header: 128 kbps, 44.1 kHz, stereo, no padding -> 417 bytes.
std::vector<std::uint8_t> mp3_frames(std::size_t count) {
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i < count; ++i) {
        std::vector<std::uint8_t> frame(417, static_cast<std::uint8_t>(i));
        frame[0] = 0xFF;
        frame[1] = 0xFB;
        frame[2] = 0x90;
        frame[3] = 0x64;
        out.insert(out.end(), frame.begin(), frame.end());
    }
    return out;
}

MountSettings settings(std::size_t queue = 65536, std::size_t burst = 8192) {
    MountSettings s;
    s.name = "/test";
    s.queue_size = queue;
    s.burst_size = burst;
    return s;
}

SourceInfo source(std::string type) {
    SourceInfo info;
    info.content_type = std::move(type);
    return info;
}

}  // namespace

TEST(Mount, OnlyOneSourceAtATime) {
    Mount m(settings());
    EXPECT_TRUE(m.claim_source(source("audio/mpeg"), [] {}));
    EXPECT_FALSE(m.claim_source(source("audio/mpeg"), [] {}));
    m.release_source();
    EXPECT_TRUE(m.claim_source(source("audio/mpeg"), [] {}));
}

TEST(Mount, BurstStartsOnAnMp3FrameBoundary) {
    Mount m(settings(65536, 8192));
    ASSERT_TRUE(m.claim_source(source("audio/mpeg"), [] {}));
    auto data = mp3_frames(60);  // 25020 bytes
    // Feed in awkward pieces so frame headers straddle writes.
    for (std::size_t off = 0; off < data.size(); off += 333) {
        auto n = std::min<std::size_t>(333, data.size() - off);
        m.write({data.data() + off, n});
    }
    auto head = m.ring().head();
    auto start = m.start_position(8192);
    EXPECT_LE(head - start, 8192U);
    EXPECT_EQ(start % 417, 0U) << "start " << start << " is not a frame boundary";
    EXPECT_GT(head - start, 8192U - 417U);
}

TEST(Mount, BurstNeverReachesBeforeThisSourcesFirstByte) {
    Mount m(settings(65536, 60000));
    ASSERT_TRUE(m.claim_source(source("audio/mpeg"), [] {}));
    auto first = mp3_frames(20);
    m.write(first);
    m.release_source();
    ASSERT_TRUE(m.claim_source(source("audio/mpeg"), [] {}));
    auto second = mp3_frames(5);
    m.write(second);
    EXPECT_EQ(m.start_position(60000), first.size());
}

TEST(Mount, GenericFormatStartsAtStreamStart) {
    Mount m(settings(65536, 1000));
    ASSERT_TRUE(m.claim_source(source("application/octet-stream"), [] {}));
    std::vector<std::uint8_t> data(5000, 0x42);
    m.write(data);
    auto start = m.start_position(1000);
    EXPECT_EQ(m.ring().head() - start, 1000U);
}

TEST(Mount, MetadataIsTaggedWithTheStreamPosition) {
    Mount m(settings());
    ASSERT_TRUE(m.claim_source(source("audio/mpeg"), [] {}));
    auto initial = m.meta_at(0);
    ASSERT_NE(initial, nullptr);
    EXPECT_EQ(initial->bytes, std::string("\x01StreamTitle='';\0", 17));
    m.write(mp3_frames(10));
    auto pos = m.ring().head();
    m.set_metadata({"Song", "", "", "\x02StreamTitle='Song';"});
    m.write(mp3_frames(10));
    EXPECT_EQ(m.meta_at(pos - 1)->id, initial->id);  // audio before the update: old title
    EXPECT_NE(m.meta_at(pos)->id, initial->id);
    EXPECT_EQ(m.title(), "Song");
}

TEST(Mount, ListenerCountsAndPeak) {
    Mount m(settings());
    m.listener_added();
    m.listener_added();
    m.listener_removed();
    auto s = m.snapshot();
    EXPECT_EQ(s.listeners, 1U);
    EXPECT_EQ(s.listener_peak, 2U);
}

TEST(Mount, KillCallsTheSourceHook) {
    Mount m(settings());
    EXPECT_FALSE(m.kill_source());
    int killed = 0;
    ASSERT_TRUE(m.claim_source(source("audio/mpeg"), [&] { ++killed; }));
    EXPECT_TRUE(m.kill_source());
    EXPECT_EQ(killed, 1);
    m.release_source();
    EXPECT_FALSE(m.kill_source());
}

TEST(MountRegistry, OnDemandMountsGoAwayWithTheirSource) {
    MountRegistry reg(settings());
    MountSettings configured = settings();
    configured.name = "/configured";
    reg.add_configured(configured);
    auto m = reg.claim_source("/ondemand", source("audio/mpeg"), [] {});
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(reg.claim_source("/ondemand", source("audio/mpeg"), [] {}), nullptr);
    EXPECT_EQ(reg.sources(), 1U);
    m->release_source();
    reg.remove_if_unused(m);
    EXPECT_EQ(reg.find("/ondemand"), nullptr);

    auto c = reg.claim_source("/configured", source("audio/mpeg"), [] {});
    ASSERT_NE(c, nullptr);
    c->release_source();
    reg.remove_if_unused(c);
    EXPECT_NE(reg.find("/configured"), nullptr);
    auto all = reg.all();
    ASSERT_EQ(all.size(), 1U);
    EXPECT_EQ(all[0]->name(), "/configured");
}
