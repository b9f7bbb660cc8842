#include "storage/UserStore.hpp"

#include "StorageTestUtil.hpp"
#include "storage/SessionStore.hpp"
#include "storage/TokenStore.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tinyice::storage {
namespace {

using test::error_of;
using ::testing::ElementsAre;

constexpr const char* hash_a = "$y$j9T$abc$0123456789";
constexpr const char* hash_b = "$2b$12$zyxwvutsrqponmlkjihgf";

UserRecord user(std::string name, std::string role = "admin") {
    UserRecord u;
    u.username = std::move(name);
    u.password_hash = hash_a;
    u.role = std::move(role);
    return u;
}

std::vector<std::string> names(const std::vector<UserRecord>& users) {
    std::vector<std::string> out;
    for (const auto& u : users) {
        out.push_back(u.username);
    }
    return out;
}

class UserStoreTest : public ::testing::Test {
protected:
    Database db_{":memory:"};
    UserStore users_{db_};
    SessionStore sessions_{db_};
    TokenStore tokens_{db_};

    void add_session(const std::string& username, const std::string& hash) {
        sessions_.create(SessionRecord{.token_hash = hash,
                                       .username = username,
                                       .csrf = "csrf-" + hash,
                                       .created_at = 1000,
                                       .expires_at = 1000000});
    }
    std::int64_t add_token(const std::string& username, const std::string& hash) {
        return tokens_.create(TokenRecord{
            .username = username, .name = "script", .token_hash = hash, .created_at = 1000});
    }
};

TEST_F(UserStoreTest, EveryFieldRoundTrips) {
    UserRecord u;
    u.username = "Dj Ünïcode";
    u.password_hash = hash_a;
    u.role = "dj";
    u.mounts = {"/live", "/rock \"loud\"", "/ümlaut"};
    u.disabled = true;
    u.created_at = 1700000000000;
    u.updated_at = 1700000000500;
    u.last_login_at = 1700000001000;
    const auto id = users_.create(u);
    ASSERT_TRUE(id.has_value());
    EXPECT_GT(*id, 0);
    u.id = *id;
    EXPECT_EQ(users_.get(*id), u);
    EXPECT_EQ(users_.find("Dj Ünïcode"), u);
    EXPECT_FALSE(users_.get(*id + 1).has_value());
    EXPECT_FALSE(users_.find("nobody").has_value());
    EXPECT_EQ(users_.count(), 1U);
}

TEST_F(UserStoreTest, TimesDefaultToNow) {
    const auto before = unix_ms_now();
    const auto id = users_.create(user("alice"));
    const auto after = unix_ms_now();
    ASSERT_TRUE(id.has_value());
    const auto u = users_.get(*id);
    ASSERT_TRUE(u.has_value());
    EXPECT_GE(u->created_at, before);
    EXPECT_LE(u->created_at, after);
    EXPECT_EQ(u->updated_at, u->created_at);
    EXPECT_EQ(u->last_login_at, 0);
    EXPECT_TRUE(u->mounts.empty());
    EXPECT_FALSE(u->disabled);
}

TEST_F(UserStoreTest, UsernamesAreCaseInsensitiveAndKeptAsWritten) {
    const auto id = users_.create(user("Alice"));
    ASSERT_TRUE(id.has_value());
    for (const char* spelling : {"Alice", "alice", "ALICE", "aLiCe"}) {
        const auto found = users_.find(spelling);
        ASSERT_TRUE(found.has_value()) << spelling;
        EXPECT_EQ(found->id, *id);
        EXPECT_EQ(found->username, "Alice");
    }
    EXPECT_FALSE(users_.find("Alic").has_value());
    EXPECT_FALSE(users_.find("Alice ").has_value());
}

TEST_F(UserStoreTest, DuplicatesAreRefusedWhateverTheirCase) {
    ASSERT_TRUE(users_.create(user("alice")).has_value());
    EXPECT_FALSE(users_.create(user("alice")).has_value());
    EXPECT_FALSE(users_.create(user("ALICE", "dj")).has_value());
    EXPECT_EQ(users_.count(), 1U);
    EXPECT_EQ(users_.find("alice")->role, "admin");
}

TEST_F(UserStoreTest, ListIsByNameIgnoringCase) {
    for (const char* name : {"carol", "Bob", "alice", "Dave"}) {
        ASSERT_TRUE(users_.create(user(name)).has_value());
    }
    EXPECT_THAT(names(users_.list()), ElementsAre("alice", "Bob", "carol", "Dave"));
    EXPECT_EQ(users_.count(), 4U);
}

TEST_F(UserStoreTest, IdsAreNeverReused) {
    const auto first = users_.create(user("a"));
    const auto second = users_.create(user("b"));
    ASSERT_TRUE(first && second);
    EXPECT_GT(*second, *first);
    ASSERT_TRUE(users_.remove(*second));
    const auto third = users_.create(user("c"));
    ASSERT_TRUE(third.has_value());
    EXPECT_GT(*third, *second);
}

TEST_F(UserStoreTest, UpdateWritesTheProfileOnly) {
    UserRecord u = user("bob", "dj");
    u.created_at = 1000;
    u.updated_at = 1000;
    const auto id = users_.create(u);
    ASSERT_TRUE(id.has_value());
    users_.touch_login(*id, 5000);

    UserRecord changed = *users_.get(*id);
    changed.role = "admin";
    changed.mounts = {"/a", "/b"};
    changed.disabled = true;
    changed.password_hash = hash_b; // ignored
    changed.created_at = 42;        // ignored
    changed.last_login_at = 1;      // ignored: touch_login owns it
    changed.updated_at = 7;         // ignored: stamped with now
    const auto before = unix_ms_now();
    ASSERT_TRUE(users_.update(changed));

    const auto stored = users_.get(*id);
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->role, "admin");
    EXPECT_THAT(stored->mounts, ElementsAre("/a", "/b"));
    EXPECT_TRUE(stored->disabled);
    EXPECT_EQ(stored->password_hash, hash_a);
    EXPECT_EQ(stored->created_at, 1000);
    EXPECT_EQ(stored->last_login_at, 5000);
    EXPECT_GE(stored->updated_at, before);

    changed.id = *id + 100;
    EXPECT_FALSE(users_.update(changed));
}

TEST_F(UserStoreTest, RenamingToATakenNameIsRefused) {
    const auto alice = users_.create(user("alice"));
    const auto bob = users_.create(user("bob"));
    ASSERT_TRUE(alice && bob);
    UserRecord u = *users_.get(*bob);
    u.username = "ALICE";
    EXPECT_EQ(error_of([&] { users_.update(u); }), R"(username "ALICE" is already taken)");
    EXPECT_EQ(users_.get(*bob)->username, "bob");

    // A change of case of one's own name is not a clash.
    u.username = "Bob";
    EXPECT_TRUE(users_.update(u));
    EXPECT_EQ(users_.get(*bob)->username, "Bob");
}

TEST_F(UserStoreTest, RenameCarriesSessionsAndTokensAlong) {
    const auto bob = users_.create(user("bob"));
    ASSERT_TRUE(bob.has_value());
    add_session("bob", "s1");
    add_session("BOB", "s2");
    add_session("carol", "s3");
    add_token("bob", "t1");
    add_token("carol", "t2");

    UserRecord u = *users_.get(*bob);
    u.username = "robert";
    ASSERT_TRUE(users_.update(u));

    EXPECT_TRUE(sessions_.list("bob").empty());
    EXPECT_EQ(sessions_.list("robert").size(), 2U);
    EXPECT_EQ(sessions_.find("s1")->username, "robert");
    EXPECT_EQ(sessions_.find("s3")->username, "carol");
    EXPECT_EQ(tokens_.find_by_hash("t1")->username, "robert");
    EXPECT_EQ(tokens_.find_by_hash("t2")->username, "carol");
}

TEST_F(UserStoreTest, RemoveTakesSessionsAndTokensAlong) {
    const auto bob = users_.create(user("bob"));
    ASSERT_TRUE(bob.has_value());
    add_session("bob", "s1");
    add_session("carol", "s2");
    add_token("Bob", "t1");
    add_token("carol", "t2");

    EXPECT_TRUE(users_.remove(*bob));
    EXPECT_FALSE(users_.remove(*bob));
    EXPECT_FALSE(users_.get(*bob).has_value());
    EXPECT_EQ(users_.count(), 0U);
    EXPECT_FALSE(sessions_.find("s1").has_value());
    EXPECT_FALSE(tokens_.find_by_hash("t1").has_value());
    EXPECT_TRUE(sessions_.find("s2").has_value());
    EXPECT_TRUE(tokens_.find_by_hash("t2").has_value());

    // A new account of the same name starts with nothing.
    ASSERT_TRUE(users_.create(user("bob")).has_value());
    EXPECT_TRUE(sessions_.list("bob").empty());
    EXPECT_TRUE(tokens_.list("bob").empty());
}

TEST_F(UserStoreTest, SetPasswordReplacesTheHashAndStampsUpdatedAt) {
    UserRecord u = user("alice");
    u.created_at = 1000;
    const auto id = users_.create(u);
    ASSERT_TRUE(id.has_value());
    EXPECT_TRUE(users_.set_password(*id, hash_b));
    const auto stored = users_.get(*id);
    EXPECT_EQ(stored->password_hash, hash_b);
    EXPECT_GT(stored->updated_at, 1000);
    EXPECT_EQ(stored->created_at, 1000);
    EXPECT_FALSE(users_.set_password(*id + 1, hash_b));
    EXPECT_EQ(error_of([&] { users_.set_password(*id, ""); }), "password hash is empty");
    EXPECT_EQ(users_.get(*id)->password_hash, hash_b);
}

TEST_F(UserStoreTest, TouchLoginOnlyMovesForward) {
    const auto id = users_.create(user("alice"));
    ASSERT_TRUE(id.has_value());
    users_.touch_login(*id, 2000);
    EXPECT_EQ(users_.get(*id)->last_login_at, 2000);
    users_.touch_login(*id, 1500);
    EXPECT_EQ(users_.get(*id)->last_login_at, 2000);
    users_.touch_login(*id, 3000);
    EXPECT_EQ(users_.get(*id)->last_login_at, 3000);
    users_.touch_login(*id + 1, 9000); // unknown id: nothing happens
    EXPECT_EQ(users_.count(), 1U);
}

TEST_F(UserStoreTest, InvalidInputIsRefusedNamingTheField) {
    EXPECT_EQ(error_of([&] { users_.create(user("")); }), "username is empty");
    EXPECT_EQ(error_of([&] { users_.create(user(std::string(65, 'x'))); }),
              "username is longer than 64 bytes");
    EXPECT_TRUE(users_.create(user(std::string(64, 'x'))).has_value());
    EXPECT_EQ(error_of([&] { users_.create(user("a\nb")); }),
              "username contains a control character");
    EXPECT_EQ(error_of([&] { users_.create(user("eve", "root\n")); }),
              R"(role "root?" is not one of superadmin, admin, dj)");
    UserRecord no_hash = user("eve");
    no_hash.password_hash.clear();
    EXPECT_EQ(error_of([&] { users_.create(no_hash); }), "password hash is empty");
    UserRecord many = user("eve", "dj");
    many.mounts.assign(UserStore::max_mounts + 1, "/m");
    EXPECT_EQ(error_of([&] { users_.create(many); }), "a user owns at most 1000 mounts");
    UserRecord long_mount = user("eve", "dj");
    long_mount.mounts = {"/" + std::string(255, 'm')};
    EXPECT_EQ(error_of([&] { users_.create(long_mount); }), "mount name is longer than 255 bytes");
    UserRecord empty_mount = user("eve", "dj");
    empty_mount.mounts = {""};
    EXPECT_EQ(error_of([&] { users_.create(empty_mount); }), "mount name is empty");
    EXPECT_EQ(users_.count(), 1U);

    // update() checks the same fields.
    UserRecord u = users_.list().front();
    u.role = "owner";
    EXPECT_THROW(users_.update(u), StorageError);
    EXPECT_EQ(users_.list().front().role, "admin");
}

TEST_F(UserStoreTest, CorruptMountsAreReportedNotGuessed) {
    const auto id = users_.create(user("alice", "dj"));
    ASSERT_TRUE(id.has_value());
    test::exec(db_, "UPDATE users SET mounts = '[\"/a\", 3'");
    try {
        (void)users_.get(*id);
        FAIL() << "no exception";
    } catch (const StorageError& e) {
        EXPECT_EQ(std::string(e.what()), ":memory:: mounts of user \"alice\" are corrupt");
    }
}

TEST(UserStoreFile, UsersSurviveARestart) {
    test::TempDir dir;
    std::int64_t id = 0;
    {
        Database db(dir.file("tinyice.db"));
        id = UserStore(db).create(user("Admin", "superadmin")).value();
    }
    Database db(dir.file("tinyice.db"));
    const auto found = UserStore(db).find("admin");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->id, id);
    EXPECT_EQ(found->role, "superadmin");
}

} // namespace
} // namespace tinyice::storage
