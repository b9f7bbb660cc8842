// Accounts: passwords of the built-in administrator and of users, login sessions with idle and
// absolute expiry (checked by a fresh Accounts so that no cached principal hides the database),
// sessions ended with their user, disabled users, and API tokens with expiry and revocation.

#include "server/Accounts.hpp"

#include "security/PasswordHash.hpp"
#include "security/Tokens.hpp"
#include "server/AccessControl.hpp"
#include "storage/Database.hpp"
#include "storage/Sqlite.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace tinyice::server {
namespace {

constexpr const char* admin_password = "builtin-admin-password";
constexpr const char* dj_password = "dj-long-password";

class AccountsTest : public ::testing::Test {
protected:
    AccountsTest() {
        cfg_.auth.admin_user = "admin";
        cfg_.auth.admin_password = security::hash_password(admin_password);
        cfg_.http.session_idle_minutes = 30;
        cfg_.http.session_max_hours = 2;
        storage::UserRecord dj;
        dj.username = "dj1";
        dj.password_hash = security::hash_password(dj_password);
        dj.role = "dj";
        dj.mounts = {"/dj1"};
        dj_id_ = *users_.create(dj);
    }

    // A new Accounts: nothing cached, everything read from the database.
    std::unique_ptr<Accounts> fresh() {
        return std::make_unique<Accounts>(cfg_, Accounts::Stores{users_, sessions_, tokens_},
                                          access_);
    }

    void sql(const std::string& statement) {
        db_.with([&](SQLite::Database& d) { d.exec(statement); });
    }

    config::Config cfg_;
    storage::Database db_{":memory:"};
    storage::UserStore users_{db_};
    storage::SessionStore sessions_{db_};
    storage::TokenStore tokens_{db_};
    AccessControl access_{cfg_, nullptr};
    std::int64_t dj_id_ = 0;
};

TEST_F(AccountsTest, PasswordsOfTheBuiltinAdministratorAndOfUsers) {
    auto accounts = fresh();
    auto admin = accounts->check_password("admin", admin_password);
    ASSERT_TRUE(admin);
    EXPECT_TRUE(admin->is_superadmin());
    auto dj = accounts->check_password("dj1", dj_password);
    ASSERT_TRUE(dj);
    EXPECT_EQ(dj->role, http::Principal::Role::dj);
    EXPECT_TRUE(dj->may_manage_mount("/dj1"));
    EXPECT_FALSE(dj->may_manage_mount("/other"));
    EXPECT_FALSE(accounts->check_password("dj1", "wrong-password"));
    EXPECT_FALSE(accounts->check_password("admin", dj_password));
    EXPECT_FALSE(accounts->check_password("nobody", dj_password));
    EXPECT_FALSE(accounts->check_password("dj1", ""));
}

TEST_F(AccountsTest, SessionsSurviveANewInstanceAndCarryTheirCsrfToken) {
    auto accounts = fresh();
    auto who = accounts->check_password("dj1", dj_password);
    ASSERT_TRUE(who);
    auto session = accounts->create_session(*who, "192.0.2.1", "test-agent");
    EXPECT_GE(session.token.size(), 32U);
    auto again = fresh()->from_session(session.token);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->user, "dj1");
    EXPECT_EQ(again->csrf, session.csrf);
    EXPECT_EQ(again->via, http::Principal::Via::session);
    // Only the token's hash is stored.
    int clear = db_.with([&](SQLite::Database& d) {
        SQLite::Statement q(d, "SELECT COUNT(*) FROM sessions WHERE token_hash = ?");
        q.bind(1, session.token);
        q.executeStep();
        return q.getColumn(0).getInt();
    });
    EXPECT_EQ(clear, 0);
    EXPECT_FALSE(fresh()->from_session("not-a-token"));
}

TEST_F(AccountsTest, IdleSessionsEnd) {
    auto accounts = fresh();
    auto session =
        accounts->create_session(*accounts->check_password("dj1", dj_password), "192.0.2.1", "");
    const auto now = storage::unix_ms_now();
    sql("UPDATE sessions SET last_seen_at = " + std::to_string(now - 29 * 60'000));
    EXPECT_TRUE(fresh()->from_session(session.token)); // 29 minutes idle: still valid
    sql("UPDATE sessions SET last_seen_at = " + std::to_string(now - 31 * 60'000));
    EXPECT_FALSE(fresh()->from_session(session.token)); // 31 > 30
}

TEST_F(AccountsTest, SessionsEndAtTheirAbsoluteLimitEvenWhenUsed) {
    auto accounts = fresh();
    auto session =
        accounts->create_session(*accounts->check_password("dj1", dj_password), "192.0.2.1", "");
    const auto now = storage::unix_ms_now();
    // Created two hours ago (session_max_hours), used a second ago.
    EXPECT_LE(session.expires_at, now + 2 * 3600'000 + 1000);
    EXPECT_GE(session.expires_at, now + 2 * 3600'000 - 1000);
    sql("UPDATE sessions SET last_seen_at = " + std::to_string(now - 1000) +
        ", expires_at = " + std::to_string(now - 1));
    EXPECT_FALSE(fresh()->from_session(session.token));
    (void)accounts->prune_sessions();
    EXPECT_FALSE(sessions_.find(security::sha256_hex(session.token)));
}

TEST_F(AccountsTest, EndingAUsersSessionsAndDisablingTakeEffectAtOnce) {
    auto accounts = fresh();
    auto who = *accounts->check_password("dj1", dj_password);
    auto a = accounts->create_session(who, "192.0.2.1", "");
    auto b = accounts->create_session(who, "192.0.2.2", "");
    ASSERT_TRUE(accounts->from_session(a.token)); // now cached
    accounts->end_user_sessions("dj1");
    EXPECT_FALSE(accounts->from_session(a.token));
    EXPECT_FALSE(accounts->from_session(b.token));

    auto c = accounts->create_session(who, "192.0.2.1", "");
    auto user = *users_.get(dj_id_);
    user.disabled = true;
    users_.update(user);
    EXPECT_FALSE(fresh()->from_session(c.token));
    EXPECT_FALSE(fresh()->check_password("dj1", dj_password));
}

TEST_F(AccountsTest, ApiTokensExpireAndAreRevoked) {
    const std::string token = std::string(Accounts::token_prefix) + security::random_token(32);
    storage::TokenRecord t;
    t.username = "dj1";
    t.name = "script";
    t.token_hash = security::sha256_hex(token);
    t.prefix = token.substr(0, 10);
    const auto id = tokens_.create(t);
    auto who = fresh()->from_token(token, "192.0.2.9");
    ASSERT_TRUE(who);
    EXPECT_EQ(who->user, "dj1");
    EXPECT_EQ(who->via, http::Principal::Via::token);
    EXPECT_FALSE(fresh()->from_token(token + "x", "192.0.2.9"));
    EXPECT_FALSE(fresh()->from_token("tki_short", "192.0.2.9"));

    sql("UPDATE api_tokens SET expires_at = " + std::to_string(storage::unix_ms_now() - 1) +
        " WHERE id = " + std::to_string(id));
    EXPECT_FALSE(fresh()->from_token(token, "192.0.2.9"));
    sql("UPDATE api_tokens SET expires_at = 0, revoked_at = 1 WHERE id = " + std::to_string(id));
    EXPECT_FALSE(fresh()->from_token(token, "192.0.2.9"));
}

} // namespace
} // namespace tinyice::server
