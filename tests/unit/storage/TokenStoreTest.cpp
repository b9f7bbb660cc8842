#include "storage/TokenStore.hpp"

#include "StorageTestUtil.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tinyice::storage {
namespace {

using test::error_of;
using ::testing::ElementsAre;

TokenRecord token(std::string username, std::string hash, std::string name = "script") {
    return TokenRecord{.username = std::move(username),
                       .name = std::move(name),
                       .token_hash = std::move(hash),
                       .prefix = "tik_ab",
                       .created_at = 1000};
}

std::vector<std::string> hashes(const std::vector<TokenRecord>& tokens) {
    std::vector<std::string> out;
    for (const auto& t : tokens) {
        out.push_back(t.token_hash);
    }
    return out;
}

class TokenStoreTest : public ::testing::Test {
protected:
    Database db_{":memory:"};
    TokenStore store_{db_};
};

TEST_F(TokenStoreTest, EveryFieldRoundTrips) {
    TokenRecord t{.username = "alice",
                  .name = "backup script ✓",
                  .token_hash = std::string(64, 'f'),
                  .prefix = "tik_1234",
                  .created_at = 1700000000000,
                  .last_used_at = 1700000005000,
                  .last_used_ip = "192.0.2.7",
                  .expires_at = 1800000000000,
                  .revoked_at = 0};
    t.id = store_.create(t);
    EXPECT_GT(t.id, 0);
    EXPECT_EQ(store_.find_by_hash(t.token_hash), t);
    EXPECT_FALSE(store_.find_by_hash(std::string(64, 'e')).has_value());
}

TEST_F(TokenStoreTest, CreatedAtDefaultsToNow) {
    const auto before = unix_ms_now();
    TokenRecord t = token("alice", "h");
    t.created_at = 0;
    store_.create(t);
    const auto stored = store_.find_by_hash("h");
    ASSERT_TRUE(stored.has_value());
    EXPECT_GE(stored->created_at, before);
    EXPECT_LE(stored->created_at, unix_ms_now());
}

TEST_F(TokenStoreTest, ADuplicateHashAndInvalidInputAreRefused) {
    store_.create(token("alice", "h"));
    EXPECT_THROW(store_.create(token("bob", "h")), StorageError);
    EXPECT_EQ(error_of([&] { store_.create(token("", "h2")); }), "token username is empty");
    EXPECT_EQ(error_of([&] { store_.create(token("bob", "")); }), "token hash is empty");
    EXPECT_EQ(error_of([&] { store_.create(token("bob", "h2", "")); }), "token name is empty");
    EXPECT_EQ(error_of([&] { store_.create(token("bob", "h2", std::string(101, 'n'))); }),
              "token name is longer than 100 bytes");
    TokenRecord long_prefix = token("bob", "h2");
    long_prefix.prefix = std::string(17, 'p');
    EXPECT_EQ(error_of([&] { store_.create(long_prefix); }),
              "token prefix is longer than 16 bytes");
    EXPECT_THAT(hashes(store_.list("")), ElementsAre("h"));
}

TEST_F(TokenStoreTest, ListIsNewestFirstPerUserOrForAll) {
    const auto a1 = store_.create(token("alice", "a1"));
    const auto b1 = store_.create(token("bob", "b1"));
    const auto a2 = store_.create(token("Alice", "a2"));
    EXPECT_LT(a1, b1);
    EXPECT_LT(b1, a2);
    EXPECT_THAT(hashes(store_.list("alice")), ElementsAre("a2", "a1"));
    EXPECT_THAT(hashes(store_.list("ALICE")), ElementsAre("a2", "a1"));
    EXPECT_THAT(hashes(store_.list("bob")), ElementsAre("b1"));
    EXPECT_TRUE(store_.list("carol").empty());
    EXPECT_THAT(hashes(store_.list("")), ElementsAre("a2", "b1", "a1"));
}

TEST_F(TokenStoreTest, RevokeKeepsTheRowAndTheFirstTime) {
    const auto id = store_.create(token("alice", "h"));
    EXPECT_TRUE(store_.revoke(id, 5000));
    EXPECT_FALSE(store_.revoke(id, 6000)); // already revoked
    EXPECT_FALSE(store_.revoke(id + 1, 6000));
    const auto t = store_.find_by_hash("h");
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->revoked_at, 5000);
    EXPECT_EQ(store_.list("alice").size(), 1U);
}

TEST_F(TokenStoreTest, RevokingAtZeroMeansNow) {
    // revoked_at 0 means "not revoked": a revocation at time 0 must not be a no-op.
    const auto id = store_.create(token("alice", "h"));
    const auto before = unix_ms_now();
    EXPECT_TRUE(store_.revoke(id, 0));
    EXPECT_GE(store_.find_by_hash("h")->revoked_at, before);
    store_.create(token("bob", "h2"));
    EXPECT_EQ(store_.revoke_user("bob", 0), 1U);
    EXPECT_GE(store_.find_by_hash("h2")->revoked_at, before);
}

TEST_F(TokenStoreTest, TouchRecordsTheLatestUse) {
    const auto id = store_.create(token("alice", "h"));
    store_.touch(id, 5000, "192.0.2.1");
    auto t = store_.find_by_hash("h");
    EXPECT_EQ(t->last_used_at, 5000);
    EXPECT_EQ(t->last_used_ip, "192.0.2.1");
    store_.touch(id, 4000, "192.0.2.2"); // older use finishing late: ignored
    t = store_.find_by_hash("h");
    EXPECT_EQ(t->last_used_at, 5000);
    EXPECT_EQ(t->last_used_ip, "192.0.2.1");
    store_.touch(id, 6000, std::string(200, '9'));
    t = store_.find_by_hash("h");
    EXPECT_EQ(t->last_used_at, 6000);
    EXPECT_EQ(t->last_used_ip, std::string(TokenStore::max_ip_bytes, '9'));
    store_.touch(id + 1, 7000, "x"); // unknown: nothing happens
    EXPECT_EQ(store_.find_by_hash("h")->last_used_at, 6000);
}

TEST_F(TokenStoreTest, RevokeUserRevokesOnlyTheirLiveTokens) {
    const auto a1 = store_.create(token("alice", "a1"));
    store_.create(token("ALICE", "a2"));
    store_.create(token("alice", "a3"));
    store_.create(token("bob", "b1"));
    ASSERT_TRUE(store_.revoke(a1, 100));
    EXPECT_EQ(store_.revoke_user("Alice", 200), 2U);
    EXPECT_EQ(store_.find_by_hash("a1")->revoked_at, 100);
    EXPECT_EQ(store_.find_by_hash("a2")->revoked_at, 200);
    EXPECT_EQ(store_.find_by_hash("a3")->revoked_at, 200);
    EXPECT_EQ(store_.find_by_hash("b1")->revoked_at, 0);
    EXPECT_EQ(store_.revoke_user("alice", 300), 0U);
}

} // namespace
} // namespace tinyice::storage
