#include "server/Authenticator.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <openssl/evp.h>

#include "security/PasswordHash.hpp"

namespace tinyice::server {
namespace {

constexpr std::size_t cache_entries = 256;

std::string cache_key(const std::string& password, const std::string& hash) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    std::string input = hash;
    input.push_back('\0');
    input += password;
    EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha256(), nullptr);
    return {reinterpret_cast<const char*>(digest), len};
}

}  // namespace

Authenticator::Authenticator(const config::Config& cfg) : config_(cfg) {
    MountCredentialMap initial;
    for (const auto& m : cfg.mounts) {
        initial[m.name] = MountCredentials{m.username, m.password};
    }
    credentials_ = std::make_shared<const MountCredentialMap>(std::move(initial));
}

void Authenticator::set_mount_credentials(MountCredentialMap credentials) {
    auto next = std::make_shared<const MountCredentialMap>(std::move(credentials));
    std::lock_guard lock(credentials_mutex_);
    credentials_.swap(next);
}

std::optional<MountCredentials> Authenticator::mount_credentials(std::string_view mount) const {
    std::shared_ptr<const MountCredentialMap> snapshot;
    {
        std::lock_guard lock(credentials_mutex_);
        snapshot = credentials_;
    }
    auto it = snapshot->find(mount);
    if (it == snapshot->end()) {
        return std::nullopt;
    }
    return it->second;
}

Authenticator::~Authenticator() { pool_.join(); }

bool Authenticator::verify_cached(const std::string& password, const std::string& hash) {
    auto key = cache_key(password, hash);
    {
        std::lock_guard lock(mutex_);
        if (auto it = verified_.find(key); it != verified_.end()) {
            lru_.splice(lru_.begin(), lru_, it->second);
            return true;
        }
    }
    if (!security::verify_password(password, hash)) {
        return false;
    }
    std::lock_guard lock(mutex_);
    if (verified_.count(key) == 0) {
        lru_.push_front(key);
        verified_.emplace(key, lru_.begin());
        if (lru_.size() > cache_entries) {
            verified_.erase(lru_.back());
            lru_.pop_back();
        }
    }
    return true;
}

boost::asio::awaitable<bool> Authenticator::verify(std::string password, std::string hash) {
    if (hash.empty() || password.empty()) {
        co_return false;
    }
    // Hop to the hashing thread and back with a plain asynchronous operation (no nested
    // coroutine on the pool): the result is posted to the caller's executor.
    bool ok = co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                                   void(bool)>(
        [this](auto handler, std::string pw, std::string h) {
            auto home = boost::asio::get_associated_executor(handler);
            boost::asio::post(pool_, [this, handler = std::move(handler), home,
                                      pw = std::move(pw), h = std::move(h)]() mutable {
                bool result = verify_cached(pw, h);
                boost::asio::post(home, [handler = std::move(handler), result]() mutable {
                    std::move(handler)(result);
                });
            });
        },
        boost::asio::use_awaitable, std::move(password), std::move(hash));
    co_return ok;
}

boost::asio::awaitable<bool> Authenticator::is_admin(
    const protocol::http::BasicCredentials& creds) {
    if (creds.user != config_.auth.admin_user) {
        co_return false;
    }
    bool ok = co_await verify(creds.password, config_.auth.admin_password);
    co_return ok;
}

boost::asio::awaitable<bool> Authenticator::is_source(
    std::string_view mount, const protocol::http::BasicCredentials& creds) {
    // A mount with its own credentials checks its user name too (as Icecast does). For the
    // default source password the user name is not checked: encoders send "source" or
    // whatever their UI defaults to, and the password is the secret.
    std::string hash = config_.auth.source_password;
    const auto own = mount_credentials(mount);
    if (own && !own->password_hash.empty()) {
        if (!own->username.empty() && creds.user != own->username) {
            co_return false;
        }
        hash = own->password_hash;
    }
    bool ok = co_await verify(creds.password, std::move(hash));
    co_return ok;
}

boost::asio::awaitable<bool> Authenticator::may_manage(
    std::string_view mount, const protocol::http::BasicCredentials& creds) {
    bool admin = co_await is_admin(creds);
    if (admin) {
        co_return true;
    }
    bool source = co_await is_source(mount, creds);
    co_return source;
}

}  // namespace tinyice::server
