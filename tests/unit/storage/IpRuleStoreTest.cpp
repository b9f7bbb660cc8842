#include "storage/IpRuleStore.hpp"

#include "StorageTestUtil.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tinyice::storage {
namespace {

using test::error_of;
using ::testing::ElementsAre;

IpRule rule(std::string network, std::int64_t expires_at = 0, std::string kind = "ban") {
    return IpRule{.kind = std::move(kind),
                  .network = std::move(network),
                  .reason = "testing",
                  .source = "manual",
                  .created_at = 1000,
                  .expires_at = expires_at,
                  .created_by = "admin"};
}

std::vector<std::string> networks(const std::vector<IpRule>& rules) {
    std::vector<std::string> out;
    for (const auto& r : rules) {
        out.push_back(r.network);
    }
    return out;
}

class IpRuleStoreTest : public ::testing::Test {
protected:
    Database db_{":memory:"};
    IpRuleStore store_{db_};
};

TEST_F(IpRuleStoreTest, RulesRoundTripInIdOrder) {
    IpRule ban{.kind = "ban",
               .network = "10.0.0.0/8",
               .reason = "too many failed logins",
               .source = "login_lockout",
               .created_at = 1700000000000,
               .expires_at = 1700000900000,
               .created_by = ""};
    IpRule allow{.kind = "allow",
                 .network = "2001:db8::/32",
                 .reason = "office",
                 .source = "manual",
                 .created_at = 1700000000001,
                 .expires_at = 0,
                 .created_by = "admin"};
    ban.id = store_.add(ban);
    allow.id = store_.add(allow);
    EXPECT_GT(allow.id, ban.id);
    EXPECT_THAT(store_.list(), ElementsAre(ban, allow));
}

TEST_F(IpRuleStoreTest, CreatedAtDefaultsToNow) {
    const auto before = unix_ms_now();
    IpRule r = rule("::1");
    r.created_at = 0;
    store_.add(r);
    ASSERT_EQ(store_.list().size(), 1U);
    EXPECT_GE(store_.list()[0].created_at, before);
}

TEST_F(IpRuleStoreTest, RemoveExpiredKeepsPermanentAndFutureRules) {
    store_.add(rule("192.0.2.1", 5000));
    store_.add(rule("192.0.2.2", 0)); // permanent
    store_.add(rule("192.0.2.3", 6000));
    store_.add(rule("192.0.2.4", 6001));
    store_.add(rule("192.0.2.5", 0, "allow"));
    // All rules are listed until removed, expired or not.
    EXPECT_EQ(store_.list().size(), 5U);
    EXPECT_EQ(store_.remove_expired(6000), 2U);
    EXPECT_THAT(networks(store_.list()), ElementsAre("192.0.2.2", "192.0.2.4", "192.0.2.5"));
    EXPECT_EQ(store_.remove_expired(6000), 0U);
    EXPECT_EQ(store_.remove_expired(1'000'000'000'000'000), 1U);
    EXPECT_THAT(networks(store_.list()), ElementsAre("192.0.2.2", "192.0.2.5"));
}

TEST_F(IpRuleStoreTest, RemoveByIdAndIdsAreNotReused) {
    const auto a = store_.add(rule("192.0.2.1"));
    const auto b = store_.add(rule("192.0.2.2"));
    EXPECT_TRUE(store_.remove(b));
    EXPECT_FALSE(store_.remove(b));
    const auto c = store_.add(rule("192.0.2.3"));
    EXPECT_GT(c, b);
    EXPECT_THAT(networks(store_.list()), ElementsAre("192.0.2.1", "192.0.2.3"));
    EXPECT_TRUE(store_.remove(a));
}

TEST_F(IpRuleStoreTest, InvalidRulesAreRefused) {
    EXPECT_EQ(error_of([&] { store_.add(rule("192.0.2.1", 0, "block")); }),
              R"(rule kind "block" is not one of ban, allow)");
    IpRule bad_source = rule("192.0.2.1");
    bad_source.source = "robot";
    EXPECT_EQ(error_of([&] { store_.add(bad_source); }),
              R"(rule source "robot" is not one of manual, login_lockout, scan_lockout)");
    EXPECT_EQ(error_of([&] { store_.add(rule("")); }), "rule network is empty");
    EXPECT_EQ(error_of([&] { store_.add(rule(std::string(65, '1'))); }),
              "rule network is longer than 64 bytes");
    EXPECT_EQ(error_of([&] { store_.add(rule("10.0.0.0/8\n")); }),
              "rule network contains a control character");
    EXPECT_TRUE(store_.list().empty());

    // A long reason is clipped, not refused.
    IpRule wordy = rule("192.0.2.1");
    wordy.reason = std::string(2000, 'r');
    store_.add(wordy);
    EXPECT_EQ(store_.list().at(0).reason.size(), IpRuleStore::max_reason_bytes);
}

} // namespace
} // namespace tinyice::storage
