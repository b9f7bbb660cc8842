// The live statistics document: bandwidth from byte-counter deltas (mounts coming and going,
// counters restarting, time not advancing), totals, and what a DJ may see. Snapshots and clocks
// are injected; the sampler's thread is only exercised for start/stop.

#include "server/StatsSampler.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using tinyice::core::MountSnapshot;
using tinyice::core::ServerSnapshot;
using tinyice::http::Principal;
using tinyice::server::StatsSampler;

MountSnapshot mount(std::string name, std::uint64_t in, std::uint64_t out,
                    std::uint64_t listeners = 0, bool live = true) {
    MountSnapshot m;
    m.mount = std::move(name);
    m.total_bytes_read = in;
    m.total_bytes_sent = out;
    m.listeners = listeners;
    m.has_source = live;
    if (live) {
        m.content_type = "audio/mpeg";
        m.source_ip = "192.0.2.7";
        m.user_agent = "butt 0.1";
        m.stream_start = 1'700'000'000;
        m.bitrate = 128;
    }
    m.title = "Artist - Title";
    return m;
}

ServerSnapshot server(std::vector<MountSnapshot> mounts) {
    ServerSnapshot s;
    s.server_start = 1'700'000'000;
    s.clients = 9;
    for (const auto& m : mounts) {
        s.listeners += m.listeners;
        s.sources += m.has_source ? 1 : 0;
    }
    s.mounts = std::move(mounts);
    return s;
}

StatsSampler make_sampler() {
    return StatsSampler(StatsSampler::Sources{[] { return ServerSnapshot{}; },
                                              [](const MountSnapshot& m) {
                                                  return m.mount == "/autodj" ? "autodj" : "live";
                                              }});
}

const json::object& mount_of(const json::object& doc, std::string_view name) {
    for (const auto& v : doc.at("mounts").as_array()) {
        if (v.as_object().at("mount").as_string() == name) {
            return v.as_object();
        }
    }
    throw std::runtime_error("mount not in the document");
}

std::uint64_t u64(const json::value& v) {
    return json::value_to<std::uint64_t>(v);
}

const auto t0 = std::chrono::steady_clock::time_point{} + 1000s;
constexpr std::int64_t unix0 = 1'700'000'100'000;

TEST(BitsPerSecond, CountsBytesAsBitsOverTheInterval) {
    EXPECT_EQ(tinyice::server::bits_per_second(1000, 17000, 1.0), 128000U);
    EXPECT_EQ(tinyice::server::bits_per_second(0, 16000, 2.0), 64000U);
    EXPECT_EQ(tinyice::server::bits_per_second(5, 5, 1.0), 0U);
}

TEST(BitsPerSecond, NeverNegativeOrInfinite) {
    // Restarted counter: only the bytes since the restart count.
    EXPECT_EQ(tinyice::server::bits_per_second(1'000'000, 500, 1.0), 4000U);
    EXPECT_EQ(tinyice::server::bits_per_second(0, 1000, 0.0), 0U);
    EXPECT_EQ(tinyice::server::bits_per_second(0, 1000, -1.0), 0U);
}

TEST(StatsSampler, LatestIsAValidEmptyDocumentBeforeTheFirstSample) {
    auto sampler = make_sampler();
    auto doc = sampler.latest();
    ASSERT_NE(doc, nullptr);
    EXPECT_EQ(sampler.version(), 0U);
    EXPECT_EQ(u64(doc->at("server").at("listeners")), 0U);
    EXPECT_EQ(u64(doc->at("server").at("bandwidth_out_bps")), 0U);
    EXPECT_TRUE(doc->at("server").at("mounts").as_array().empty());
    EXPECT_TRUE(doc->at("mounts").as_array().empty());
}

TEST(StatsSampler, FirstSampleHasNoRatesTheSecondHasThem) {
    auto sampler = make_sampler();
    sampler.sample(server({mount("/live", 10'000, 50'000, 3)}), t0, unix0);
    auto first = sampler.latest();
    EXPECT_EQ(u64(mount_of(*first, "/live").at("bandwidth_in_bps")), 0U);
    EXPECT_EQ(sampler.version(), 1U);

    // One second later: 16 000 bytes in (128 kbit/s), 48 000 out (3 listeners).
    sampler.sample(server({mount("/live", 26'000, 98'000, 3)}), t0 + 1s, unix0 + 1000);
    auto doc = sampler.latest();
    EXPECT_EQ(sampler.version(), 2U);
    const auto& live = mount_of(*doc, "/live");
    EXPECT_EQ(u64(live.at("bandwidth_in_bps")), 128'000U);
    EXPECT_EQ(u64(live.at("bandwidth_out_bps")), 384'000U);
    EXPECT_EQ(u64(doc->at("server").at("bandwidth_in_bps")), 128'000U);
    EXPECT_EQ(u64(doc->at("server").at("bandwidth_out_bps")), 384'000U);
    // The statistics part lists each mount's numbers only.
    const auto& brief = doc->at("server").at("mounts").as_array().at(0).as_object();
    EXPECT_EQ(brief.size(), 4U);
    EXPECT_EQ(brief.at("mount").as_string(), "/live");
    EXPECT_EQ(u64(brief.at("listeners")), 3U);
    EXPECT_EQ(u64(brief.at("bandwidth_in_bps")), 128'000U);
    EXPECT_EQ(u64(brief.at("bandwidth_out_bps")), 384'000U);
    // The earlier document is untouched (readers may still hold it).
    EXPECT_EQ(u64(mount_of(*first, "/live").at("bandwidth_in_bps")), 0U);
}

TEST(StatsSampler, RatesUseTheRealIntervalNotTheNominalOne) {
    auto sampler = make_sampler();
    sampler.sample(server({mount("/live", 0, 0)}), t0, unix0);
    // A late sample (2.5 s): the rate is averaged over what really passed.
    sampler.sample(server({mount("/live", 40'000, 0)}), t0 + 2500ms, unix0 + 2500);
    EXPECT_EQ(u64(mount_of(*sampler.latest(), "/live").at("bandwidth_in_bps")), 128'000U);
}

TEST(StatsSampler, TotalsAddUpEveryMount) {
    auto sampler = make_sampler();
    sampler.sample(server({mount("/a", 0, 0, 1), mount("/b", 0, 0, 2)}), t0, unix0);
    sampler.sample(server({mount("/a", 1000, 2000, 1), mount("/b", 3000, 4000, 2)}), t0 + 1s,
                   unix0 + 1000);
    const auto& doc = sampler.latest()->at("server").as_object();
    EXPECT_EQ(u64(doc.at("bandwidth_in_bps")), 32'000U);
    EXPECT_EQ(u64(doc.at("bandwidth_out_bps")), 48'000U);
    EXPECT_EQ(u64(doc.at("listeners")), 3U);
    EXPECT_EQ(u64(doc.at("sources")), 2U);
    EXPECT_EQ(u64(doc.at("connections")), 9U);
    EXPECT_EQ(u64(doc.at("uptime")), 101U);
    EXPECT_EQ(json::value_to<std::int64_t>(doc.at("sampled_at")), unix0 + 1000);
}

TEST(StatsSampler, AMountThatAppearsStartsAtZero) {
    auto sampler = make_sampler();
    sampler.sample(server({mount("/a", 0, 0)}), t0, unix0);
    // "/new" already has a large counter: without a baseline it must not count as one second.
    sampler.sample(server({mount("/a", 0, 0), mount("/new", 5'000'000, 5'000'000)}), t0 + 1s,
                   unix0 + 1000);
    EXPECT_EQ(u64(mount_of(*sampler.latest(), "/new").at("bandwidth_in_bps")), 0U);
    sampler.sample(server({mount("/a", 0, 0), mount("/new", 5'001'000, 5'000'000)}), t0 + 2s,
                   unix0 + 2000);
    EXPECT_EQ(u64(mount_of(*sampler.latest(), "/new").at("bandwidth_in_bps")), 8000U);
}

TEST(StatsSampler, AMountThatDisappearsIsForgotten) {
    auto sampler = make_sampler();
    sampler.sample(server({mount("/a", 0, 0), mount("/gone", 1'000'000, 0)}), t0, unix0);
    sampler.sample(server({mount("/a", 0, 0)}), t0 + 1s, unix0 + 1000);
    EXPECT_EQ(sampler.latest()->at("mounts").as_array().size(), 1U);
    EXPECT_EQ(sampler.latest()->at("server").at("mounts").as_array().size(), 1U);
    // It comes back (an on-demand mount, created anew): its counter restarted from zero, and
    // its first sample has no baseline.
    sampler.sample(server({mount("/a", 0, 0), mount("/gone", 2000, 0)}), t0 + 2s, unix0 + 2000);
    EXPECT_EQ(u64(mount_of(*sampler.latest(), "/gone").at("bandwidth_in_bps")), 0U);
}

TEST(StatsSampler, ACounterThatRestartsGivesNoNegativeSpike) {
    auto sampler = make_sampler();
    sampler.sample(server({mount("/a", 9'000'000, 9'000'000)}), t0, unix0);
    // Dropped and created again between two samples: 1000 bytes since then.
    sampler.sample(server({mount("/a", 1000, 0)}), t0 + 1s, unix0 + 1000);
    const auto& a = mount_of(*sampler.latest(), "/a");
    EXPECT_EQ(u64(a.at("bandwidth_in_bps")), 8000U);
    EXPECT_EQ(u64(a.at("bandwidth_out_bps")), 0U);
    EXPECT_LT(u64(sampler.latest()->at("server").at("bandwidth_in_bps")), 1'000'000U);
}

TEST(StatsSampler, TimeThatDoesNotAdvanceKeepsTheBaseline) {
    auto sampler = make_sampler();
    sampler.sample(server({mount("/a", 0, 0)}), t0, unix0);
    sampler.sample(server({mount("/a", 500, 0)}), t0, unix0); // same instant
    EXPECT_EQ(u64(mount_of(*sampler.latest(), "/a").at("bandwidth_in_bps")), 0U);
    // The next real interval measures from the first sample.
    sampler.sample(server({mount("/a", 1000, 0)}), t0 + 1s, unix0 + 1000);
    EXPECT_EQ(u64(mount_of(*sampler.latest(), "/a").at("bandwidth_in_bps")), 8000U);
}

TEST(StatsSampler, MountsCarryTitleAndSource) {
    auto sampler = make_sampler();
    sampler.sample(server({mount("/autodj", 0, 0, 2), mount("/idle", 0, 0, 0, false)}), t0, unix0);
    auto doc = sampler.latest();
    const auto& autodj = mount_of(*doc, "/autodj");
    EXPECT_TRUE(autodj.at("live").as_bool());
    EXPECT_EQ(u64(autodj.at("listeners")), 2U);
    EXPECT_EQ(autodj.at("title").as_string(), "Artist - Title");
    const auto& src = autodj.at("source").as_object();
    EXPECT_EQ(src.at("origin").as_string(), "autodj");
    EXPECT_EQ(src.at("ip").as_string(), "192.0.2.7");
    EXPECT_EQ(src.at("user_agent").as_string(), "butt 0.1");
    EXPECT_EQ(src.at("content_type").as_string(), "audio/mpeg");
    EXPECT_EQ(json::value_to<std::int64_t>(src.at("connected_at")), 1'700'000'000'000);
    EXPECT_EQ(json::value_to<std::int64_t>(src.at("bitrate")), 128);
    const auto& idle = mount_of(*doc, "/idle");
    EXPECT_FALSE(idle.at("live").as_bool());
    EXPECT_TRUE(idle.at("source").is_null());
}

TEST(StatsSampler, ObserverGetsEveryPublishedDocument) {
    auto sampler = make_sampler();
    std::vector<std::shared_ptr<const json::object>> seen;
    sampler.set_observer([&seen](const auto& doc) { seen.push_back(doc); });
    sampler.sample(server({mount("/a", 0, 0)}), t0, unix0);
    sampler.sample(server({mount("/a", 0, 0)}), t0 + 1s, unix0 + 1000);
    ASSERT_EQ(seen.size(), 2U);
    EXPECT_EQ(seen.back(), sampler.latest());
}

TEST(StatsSampler, ThreadSamplesAtOnceAndStopsPromptly) {
    std::mutex m;
    std::condition_variable cv;
    int calls = 0;
    StatsSampler sampler(StatsSampler::Sources{[&] {
                                                   std::lock_guard lock(m);
                                                   ++calls;
                                                   cv.notify_all();
                                                   return server({mount("/a", 0, 0)});
                                               },
                                               {}},
                         std::chrono::hours(1));
    sampler.start();
    {
        std::unique_lock lock(m);
        ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return calls >= 1; }));
    }
    // The next sample is an hour away: stop() must wake the thread instead of waiting.
    const auto before = std::chrono::steady_clock::now();
    sampler.stop();
    sampler.stop(); // idempotent
    EXPECT_LT(std::chrono::steady_clock::now() - before, 2s);
    EXPECT_GE(sampler.version(), 1U);
    EXPECT_EQ(mount_of(*sampler.latest(), "/a").at("source").as_object().at("origin").as_string(),
              "live");
}

TEST(ServerStatsFor, AdminsSeeEverything) {
    auto sampler = make_sampler();
    sampler.sample(server({mount("/a", 0, 0, 1), mount("/b", 0, 0, 2)}), t0, unix0);
    Principal admin;
    admin.role = Principal::Role::admin;
    EXPECT_EQ(tinyice::server::server_stats_for(*sampler.latest(), admin),
              sampler.latest()->at("server").as_object());
}

TEST(ServerStatsFor, DjsSeeOnlyTheirMountsWithTheirTotals) {
    auto sampler = make_sampler();
    sampler.sample(
        server({mount("/a", 0, 0, 1), mount("/b", 0, 0, 2), mount("/c", 0, 0, 4, false)}), t0,
        unix0);
    sampler.sample(
        server({mount("/a", 1000, 0, 1), mount("/b", 2000, 0, 2), mount("/c", 0, 0, 4, false)}),
        t0 + 1s, unix0 + 1000);
    Principal dj;
    dj.role = Principal::Role::dj;
    dj.mounts = {"/b", "/c"};
    auto doc = tinyice::server::server_stats_for(*sampler.latest(), dj);
    ASSERT_EQ(doc.at("mounts").as_array().size(), 2U);
    EXPECT_EQ(doc.at("mounts").as_array()[0].as_object().at("mount").as_string(), "/b");
    EXPECT_EQ(u64(doc.at("listeners")), 6U);
    EXPECT_EQ(u64(doc.at("sources")), 1U);
    EXPECT_EQ(u64(doc.at("connections")), 7U);
    EXPECT_EQ(u64(doc.at("bandwidth_in_bps")), 16'000U);
    EXPECT_EQ(u64(doc.at("uptime")), 101U);
    EXPECT_EQ(doc.at("mounts").as_array()[0].as_object().size(), 4U);

    Principal nobody;
    auto none = tinyice::server::server_stats_for(*sampler.latest(), nobody);
    EXPECT_TRUE(none.at("mounts").as_array().empty());
    EXPECT_EQ(u64(none.at("listeners")), 0U);
}

} // namespace
