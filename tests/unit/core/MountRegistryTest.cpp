// Run-time changes of configured mounts: live settings at once, buffer settings when idle
// (a replacement Mount swapped in by the registry), removal of definitions.

#include "core/MountRegistry.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using tinyice::core::Mount;
using tinyice::core::MountRegistry;
using tinyice::core::MountSettings;
using tinyice::core::SourceInfo;

namespace {

MountSettings defaults() {
    MountSettings s;
    s.queue_size = 65536;
    s.burst_size = 8192;
    return s;
}

MountSettings configured(std::string name, std::size_t queue = 65536, std::size_t burst = 8192) {
    MountSettings s = defaults();
    s.name = std::move(name);
    s.queue_size = queue;
    s.burst_size = burst;
    return s;
}

SourceInfo mp3() {
    SourceInfo info;
    info.content_type = "audio/mpeg";
    return info;
}

}  // namespace

TEST(MountRegistry, LiveSettingsApplyToTheRunningMount) {
    MountRegistry reg(defaults());
    reg.add_configured(configured("/live"));
    auto before = reg.find("/live");
    ASSERT_TRUE(reg.claim_source("/live", mp3(), [] {}));
    before->listener_added();

    auto s = configured("/live");
    s.max_listeners = 5;
    s.hidden = true;
    s.fallback = "/backup";
    s.fallback_override = false;
    s.stream_name = "Renamed";
    s.charset = "ISO-8859-1";
    EXPECT_FALSE(reg.configure(s));  // nothing waits: only live fields changed

    auto after = reg.find("/live");
    EXPECT_EQ(after, before);  // same object: source and listener undisturbed
    auto now = after->settings();
    EXPECT_EQ(now.max_listeners, 5U);
    EXPECT_TRUE(now.hidden);
    EXPECT_EQ(now.fallback, "/backup");
    EXPECT_FALSE(now.fallback_override);
    EXPECT_EQ(now.stream_name, "Renamed");
    EXPECT_EQ(now.charset, "ISO-8859-1");
    EXPECT_TRUE(after->snapshot().hidden);
    EXPECT_EQ(after->snapshot().server_name, "Renamed");
    EXPECT_TRUE(after->has_source());
}

TEST(MountRegistry, BufferChangeWaitsForTheSourceToLeave) {
    MountRegistry reg(defaults());
    reg.add_configured(configured("/live"));
    auto old = reg.claim_source("/live", mp3(), [] {});
    ASSERT_TRUE(old);

    EXPECT_TRUE(reg.configure(configured("/live", 131072, 16384)));
    EXPECT_TRUE(reg.is_pending("/live"));
    EXPECT_EQ(reg.find("/live"), old);  // still the running mount with its ring
    EXPECT_EQ(old->settings().burst_size, 8192U);
    EXPECT_EQ(old->ring().capacity(), 65536U);

    old->release_source();
    reg.remove_if_unused(old);  // what the source path does when it leaves
    EXPECT_FALSE(reg.is_pending("/live"));
    auto fresh = reg.find("/live");
    ASSERT_TRUE(fresh);
    EXPECT_NE(fresh, old);
    EXPECT_EQ(fresh->settings().burst_size, 16384U);
    EXPECT_EQ(fresh->ring().capacity(), 131072U);
    EXPECT_TRUE(fresh->settings().configured);
}

TEST(MountRegistry, BufferChangeWaitsForListenersToLeave) {
    MountRegistry reg(defaults());
    reg.add_configured(configured("/live"));
    auto old = reg.find("/live");
    old->listener_added();  // e.g. a listener whose source just left, not yet moved

    EXPECT_TRUE(reg.configure(configured("/live", 65536, 4096)));
    EXPECT_EQ(reg.find("/live"), old);
    EXPECT_EQ(reg.all().front(), old);
    EXPECT_TRUE(reg.is_pending("/live"));

    old->listener_removed();
    // The next lookup of any kind settles the swap.
    auto all = reg.all();
    ASSERT_EQ(all.size(), 1U);
    EXPECT_NE(all.front(), old);
    EXPECT_EQ(all.front()->settings().burst_size, 4096U);
    EXPECT_FALSE(reg.is_pending("/live"));
}

TEST(MountRegistry, IdleMountIsReplacedAtOnce) {
    MountRegistry reg(defaults());
    reg.add_configured(configured("/live"));
    auto old = reg.find("/live");
    EXPECT_FALSE(reg.configure(configured("/live", 262144, 8192)));
    EXPECT_FALSE(reg.is_pending("/live"));
    EXPECT_EQ(reg.find("/live")->ring().capacity(), 262144U);
    EXPECT_NE(reg.find("/live"), old);
}

TEST(MountRegistry, ReplacementKeepsStatisticsAndTitle) {
    MountRegistry reg(defaults());
    reg.add_configured(configured("/live"));
    auto old = reg.claim_source("/live", mp3(), [] {});
    ASSERT_TRUE(old);
    std::vector<std::uint8_t> bytes(1000, 0x55);
    old->write(bytes);
    old->listener_added();
    old->listener_added();
    old->listener_removed();
    old->listener_removed();
    old->add_bytes_sent(777);
    old->set_metadata({"Artist - Song", "Artist", "", "icy-block-bytes"});
    const auto version = old->title_version();
    old->release_source();

    reg.configure(configured("/live", 131072, 8192));
    auto fresh = reg.find("/live");
    ASSERT_NE(fresh, old);
    auto snap = fresh->snapshot();
    EXPECT_EQ(snap.listener_peak, 2U);
    EXPECT_EQ(snap.total_bytes_read, 1000U);
    EXPECT_EQ(snap.total_bytes_sent, 777U);
    EXPECT_EQ(snap.title, "Artist - Song");
    EXPECT_EQ(fresh->title_version(), version);
    EXPECT_EQ(fresh->meta_at(0)->bytes, old->meta_at(old->ring().head())->bytes);
}

TEST(MountRegistry, ASourceArrivingAfterTheChangeGetsTheNewMount) {
    MountRegistry reg(defaults());
    reg.add_configured(configured("/live"));
    auto old = reg.find("/live");
    old->listener_added();
    ASSERT_TRUE(reg.configure(configured("/live", 65536, 1024)));
    old->listener_removed();
    // No lookup in between: the claim itself settles first.
    auto claimed = reg.claim_source("/live", mp3(), [] {});
    ASSERT_TRUE(claimed);
    EXPECT_NE(claimed, old);
    EXPECT_EQ(claimed->settings().burst_size, 1024U);
    EXPECT_FALSE(old->claimed());
}

TEST(MountRegistry, ChangingBackCancelsThePendingReplacement) {
    MountRegistry reg(defaults());
    reg.add_configured(configured("/live"));
    auto old = reg.claim_source("/live", mp3(), [] {});
    ASSERT_TRUE(reg.configure(configured("/live", 131072, 8192)));
    EXPECT_FALSE(reg.configure(configured("/live")));  // the running values again
    EXPECT_FALSE(reg.is_pending("/live"));
    old->release_source();
    reg.remove_if_unused(old);
    EXPECT_EQ(reg.find("/live"), old);
}

TEST(MountRegistry, OnDemandMountBecomesConfiguredInPlace) {
    MountRegistry reg(defaults());
    auto m = reg.claim_source("/show", mp3(), [] {});
    ASSERT_TRUE(m);
    EXPECT_FALSE(reg.is_configured("/show"));
    auto s = configured("/show");
    s.hidden = true;
    EXPECT_FALSE(reg.configure(s));
    EXPECT_TRUE(reg.is_configured("/show"));
    EXPECT_EQ(reg.find("/show"), m);
    m->release_source();
    reg.remove_if_unused(m);
    EXPECT_EQ(reg.find("/show"), m);  // configured now: survives its source leaving
    EXPECT_TRUE(m->settings().hidden);
}

TEST(MountRegistry, UnconfigureDropsAnIdleMountAtOnce) {
    MountRegistry reg(defaults());
    reg.add_configured(configured("/show"));
    EXPECT_EQ(reg.unconfigure("/show"), nullptr);
    EXPECT_EQ(reg.find("/show"), nullptr);
    EXPECT_EQ(reg.unconfigure("/show"), nullptr);
    EXPECT_EQ(reg.unconfigure("/never"), nullptr);
}

TEST(MountRegistry, UnconfigureALiveMountKeepsItUntilItsSourceLeaves) {
    MountRegistry reg(defaults());
    auto s = configured("/show");
    s.fallback = "/backup";
    reg.add_configured(s);
    int kills = 0;
    auto m = reg.claim_source("/show", mp3(), [&kills] { ++kills; });
    ASSERT_TRUE(m);
    auto live = reg.unconfigure("/show");
    ASSERT_EQ(live, m);
    EXPECT_FALSE(reg.is_configured("/show"));
    EXPECT_EQ(live->settings().fallback, "/backup");  // its listeners still move there
    EXPECT_TRUE(live->kill_source());
    EXPECT_EQ(kills, 1);
    EXPECT_EQ(reg.find("/show"), m);
    m->release_source();
    reg.remove_if_unused(m);
    EXPECT_EQ(reg.find("/show"), nullptr);
}

TEST(MountRegistry, UnconfigureIgnoresOnDemandMounts) {
    MountRegistry reg(defaults());
    auto m = reg.claim_source("/x", mp3(), [] {});
    EXPECT_EQ(reg.unconfigure("/x"), nullptr);
    EXPECT_EQ(reg.find("/x"), m);
}

TEST(MountRegistry, RemoveIfUnusedIgnoresASwappedOutMount) {
    MountRegistry reg(defaults());
    reg.add_configured(configured("/live"));
    auto old = reg.find("/live");
    reg.configure(configured("/live", 131072, 8192));
    reg.remove_if_unused(old);  // a stale pointer must not remove the new mount
    ASSERT_TRUE(reg.find("/live"));
    EXPECT_NE(reg.find("/live"), old);
}

// Sources claiming while an administrator changes buffer settings: every claim gets a mount
// that is in the registry at that moment, at most one source holds the name at a time, and the
// registry never hands out a swapped-out mount to a source.
TEST(MountRegistry, ConcurrentClaimsAndChangesNeverShareAMount) {
    MountRegistry reg(defaults());
    reg.add_configured(configured("/live"));
    std::atomic<bool> stop{false};
    std::atomic<int> holders{0};
    std::atomic<int> overlaps{0};
    std::atomic<int> claims{0};
    std::thread source([&] {
        while (!stop.load()) {
            auto m = reg.claim_source("/live", mp3(), [] {});
            if (!m) {
                continue;
            }
            ++claims;
            if (holders.fetch_add(1) != 0) {
                ++overlaps;
            }
            if (reg.find("/live") != m) {
                ++overlaps;  // a claimed mount must stay the registered one
            }
            holders.fetch_sub(1);
            m->release_source();
            reg.remove_if_unused(m);
        }
    });
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (int i = 0; (i < 2000 || claims.load() < 200) && std::chrono::steady_clock::now() < give_up;
         ++i) {
        reg.configure(configured("/live", 65536 + static_cast<std::size_t>(i % 4) * 65536, 8192));
    }
    stop.store(true);
    source.join();
    EXPECT_EQ(overlaps.load(), 0);
    EXPECT_GT(claims.load(), 0);
    EXPECT_FALSE(reg.is_pending("/live"));
}
