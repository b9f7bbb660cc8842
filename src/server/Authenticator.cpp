#include "server/Authenticator.hpp"

#include <boost/asio/co_spawn.hpp>
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

Authenticator::Authenticator(const config::Config& cfg) : config_(cfg) {}

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

boost::asio::awaitable<bool> Authenticator::verify_on_pool(Authenticator* self,
                                                          std::string password,
                                                          std::string hash) {
    co_return self->verify_cached(password, hash);
}

boost::asio::awaitable<bool> Authenticator::verify(std::string password, std::string hash) {
    if (hash.empty() || password.empty()) {
        co_return false;
    }
    // A plain coroutine function, not a capturing lambda: GCC 12 mis-destroys the captures of
    // lambda coroutines handed to co_spawn.
    co_return co_await boost::asio::co_spawn(
        pool_, verify_on_pool(this, std::move(password), std::move(hash)),
        boost::asio::use_awaitable);
}

boost::asio::awaitable<bool> Authenticator::is_admin(
    const protocol::http::BasicCredentials& creds) {
    if (creds.user != config_.auth.admin_user) {
        co_return false;
    }
    co_return co_await verify(creds.password, config_.auth.admin_password);
}

boost::asio::awaitable<bool> Authenticator::is_source(
    std::string_view mount, const protocol::http::BasicCredentials& creds) {
    // The user name is not checked for the default password: encoders send "source" or
    // whatever their UI defaults to, and the password is the secret.
    if (const auto* m = config_.find_mount(mount); m != nullptr && !m->password.empty()) {
        co_return co_await verify(creds.password, m->password);
    }
    co_return co_await verify(creds.password, config_.auth.source_password);
}

boost::asio::awaitable<bool> Authenticator::may_manage(
    std::string_view mount, const protocol::http::BasicCredentials& creds) {
    if (co_await is_admin(creds)) {
        co_return true;
    }
    co_return co_await is_source(mount, creds);
}

}  // namespace tinyice::server
