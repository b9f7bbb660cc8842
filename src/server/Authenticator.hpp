#pragma once
// Checks admin and source credentials against the hashes in the config. Hash verification is
// deliberately slow (yescrypt/bcrypt), so it runs on a worker thread, never on an event loop,
// and a successful check is remembered (keyed by a SHA-256 of hash and password) so encoders
// that reconnect or update titles every few seconds do not pay for it each time.

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "config/Config.hpp"
#include "protocol/http/Auth.hpp"

namespace tinyice::server {

class Authenticator {
public:
    explicit Authenticator(const config::Config& cfg);
    ~Authenticator();

    boost::asio::awaitable<bool> is_admin(const protocol::http::BasicCredentials& creds);
    // The mount's own password when it has one, else the default source password.
    boost::asio::awaitable<bool> is_source(std::string_view mount,
                                           const protocol::http::BasicCredentials& creds);
    // Admin credentials, or the source credentials of `mount`.
    boost::asio::awaitable<bool> may_manage(std::string_view mount,
                                            const protocol::http::BasicCredentials& creds);

private:
    boost::asio::awaitable<bool> verify(std::string password, std::string hash);
    bool verify_cached(const std::string& password, const std::string& hash);

    const config::Config& config_;
    boost::asio::thread_pool pool_{1};
    std::mutex mutex_;
    std::list<std::string> lru_;
    std::unordered_map<std::string, std::list<std::string>::iterator> verified_;
};

}  // namespace tinyice::server
