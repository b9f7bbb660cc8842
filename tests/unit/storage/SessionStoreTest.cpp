#include "storage/SessionStore.hpp"

#include "StorageTestUtil.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace tinyice::storage {
namespace {

using test::error_of;
using ::testing::ElementsAre;

SessionRecord session(std::string hash, std::string username, std::int64_t created_at,
                      std::int64_t expires_at) {
    return SessionRecord{.token_hash = std::move(hash),
                         .username = std::move(username),
                         .csrf = "csrf",
                         .created_at = created_at,
                         .last_seen_at = created_at,
                         .expires_at = expires_at};
}

std::vector<std::string> hashes(const std::vector<SessionRecord>& sessions) {
    std::vector<std::string> out;
    for (const auto& s : sessions) {
        out.push_back(s.token_hash);
    }
    return out;
}

class SessionStoreTest : public ::testing::Test {
protected:
    Database db_{":memory:"};
    SessionStore store_{db_};
};

TEST_F(SessionStoreTest, EveryFieldRoundTrips) {
    const SessionRecord s{
        .token_hash = std::string(64, 'a'),
        .username = "Alice",
        .csrf = "Zm9vYmFy-csrf_token",
        .created_at = 1700000000000,
        .last_seen_at = 1700000001000,
        .expires_at = 1700086400000,
        .ip = "2001:db8::1",
        .user_agent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0",
    };
    store_.create(s);
    EXPECT_EQ(store_.find(s.token_hash), s);
    EXPECT_FALSE(store_.find(std::string(64, 'b')).has_value());
    EXPECT_FALSE(store_.find("").has_value());
}

TEST_F(SessionStoreTest, TimesDefaultToNow) {
    const auto before = unix_ms_now();
    store_.create(SessionRecord{
        .token_hash = "h", .username = "alice", .csrf = "c", .expires_at = before + 1000});
    const auto s = store_.find("h");
    ASSERT_TRUE(s.has_value());
    EXPECT_GE(s->created_at, before);
    EXPECT_LE(s->created_at, unix_ms_now());
    EXPECT_EQ(s->last_seen_at, s->created_at);
}

TEST_F(SessionStoreTest, ADuplicateTokenHashIsRefused) {
    store_.create(session("h", "alice", 1000, 9000));
    EXPECT_THROW(store_.create(session("h", "bob", 2000, 9000)), StorageError);
    EXPECT_EQ(store_.find("h")->username, "alice");
}

TEST_F(SessionStoreTest, InvalidInputIsRefusedAndClientFieldsAreClipped) {
    EXPECT_EQ(error_of([&] { store_.create(session("", "alice", 1, 2)); }),
              "session token hash is empty");
    EXPECT_EQ(error_of([&] { store_.create(session("h", "", 1, 2)); }),
              "session username is empty");
    SessionRecord no_csrf = session("h", "alice", 1, 2);
    no_csrf.csrf.clear();
    EXPECT_EQ(error_of([&] { store_.create(no_csrf); }), "session CSRF token is empty");
    EXPECT_EQ(error_of([&] { store_.create(session(std::string(129, 'h'), "alice", 1, 2)); }),
              "session token hash is longer than 128 bytes");
    EXPECT_TRUE(store_.list("").empty());

    // A long user agent is the client's doing: clipped, never cut inside a UTF-8 sequence.
    SessionRecord s = session("h", "alice", 1, 2);
    s.user_agent = std::string(SessionStore::max_user_agent_bytes - 1, 'u') + "é"; // 2 bytes
    s.ip = std::string(100, '1');
    store_.create(s);
    const auto stored = store_.find("h");
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->user_agent, std::string(SessionStore::max_user_agent_bytes - 1, 'u'));
    EXPECT_EQ(stored->ip, std::string(SessionStore::max_ip_bytes, '1'));
}

TEST_F(SessionStoreTest, TouchOnlyMovesForward) {
    store_.create(session("h", "alice", 1000, 90000));
    store_.touch("h", 5000);
    EXPECT_EQ(store_.find("h")->last_seen_at, 5000);
    store_.touch("h", 3000); // a request that started earlier finished later
    EXPECT_EQ(store_.find("h")->last_seen_at, 5000);
    store_.touch("missing", 7000);
    EXPECT_EQ(store_.list("").size(), 1U);
}

TEST_F(SessionStoreTest, RemoveAndRemoveUser) {
    store_.create(session("a1", "alice", 1000, 9000));
    store_.create(session("a2", "Alice", 2000, 9000));
    store_.create(session("b1", "bob", 3000, 9000));
    EXPECT_TRUE(store_.remove("b1"));
    EXPECT_FALSE(store_.remove("b1"));
    EXPECT_EQ(store_.remove_user("ALICE"), 2U);
    EXPECT_EQ(store_.remove_user("alice"), 0U);
    EXPECT_TRUE(store_.list("").empty());
}

TEST_F(SessionStoreTest, PruneByAbsoluteExpiry) {
    store_.create(session("expired", "alice", 1000, 5000));
    store_.create(session("at-now", "alice", 1000, 6000));
    store_.create(session("valid", "alice", 1000, 6001));
    // Without an idle limit only the absolute expiry counts, however old last_seen_at is.
    EXPECT_EQ(store_.prune(6000, 0), 2U);
    EXPECT_THAT(hashes(store_.list("")), ElementsAre("valid"));
    EXPECT_EQ(store_.prune(6000, 0), 0U);
}

TEST_F(SessionStoreTest, PruneByIdleTime) {
    constexpr std::int64_t far = 1'000'000'000;
    store_.create(session("idle", "alice", 1000, far));
    store_.create(session("exactly-limit", "alice", 1000, far));
    store_.create(session("active", "alice", 1000, far));
    store_.touch("idle", 3999);
    store_.touch("exactly-limit", 4000);
    store_.touch("active", 9000);
    // Idle longer than 6000 ms at 10000: last seen before 4000.
    EXPECT_EQ(store_.prune(10000, 6000), 1U);
    EXPECT_FALSE(store_.find("idle").has_value());
    EXPECT_TRUE(store_.find("exactly-limit").has_value());
    EXPECT_TRUE(store_.find("active").has_value());
    // Both rules at once.
    store_.create(session("expired-but-active", "bob", 9500, 9999));
    EXPECT_EQ(store_.prune(10001, 6000), 2U);
    EXPECT_THAT(hashes(store_.list("")), ElementsAre("active"));
}

TEST_F(SessionStoreTest, PruneWithAHugeIdleLimitDoesNotOverflow) {
    store_.create(session("h", "alice", 1000, 1'000'000));
    EXPECT_EQ(store_.prune(2000, std::numeric_limits<std::int64_t>::max()), 0U);
    EXPECT_EQ(store_.prune(std::numeric_limits<std::int64_t>::min(), 1), 0U);
    EXPECT_TRUE(store_.find("h").has_value());
}

TEST_F(SessionStoreTest, ListIsNewestFirstPerUser) {
    store_.create(session("a-old", "alice", 1000, 90000));
    store_.create(session("b-new", "bob", 4000, 90000));
    store_.create(session("a-new", "Alice", 3000, 90000));
    store_.create(session("b-old", "bob", 2000, 90000));
    EXPECT_THAT(hashes(store_.list("alice")), ElementsAre("a-new", "a-old"));
    EXPECT_THAT(hashes(store_.list("BOB")), ElementsAre("b-new", "b-old"));
    EXPECT_TRUE(store_.list("carol").empty());
    EXPECT_THAT(hashes(store_.list("")), ElementsAre("a-new", "a-old", "b-new", "b-old"));
}

} // namespace
} // namespace tinyice::storage
