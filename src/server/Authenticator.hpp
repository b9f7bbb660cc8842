#pragma once
// Checks admin and source credentials against the hashes in the config (mount passwords: the
// effective definitions, which may change at run time). Hash verification is
// deliberately slow (yescrypt/bcrypt), so it runs on a worker thread, never on an event loop,
// and a successful check is remembered (keyed by a SHA-256 of hash and password) so encoders
// that reconnect or update titles every few seconds do not pay for it each time.

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "config/Config.hpp"
#include "protocol/http/Auth.hpp"

namespace tinyice::server {

// The source credentials of a defined mount (config file or API).
struct MountCredentials {
    std::string username;       // checked only together with an own password
    std::string password_hash;  // crypt hash; "" = the default source password applies
    bool operator==(const MountCredentials&) const = default;
};
using MountCredentialMap = std::map<std::string, MountCredentials, std::less<>>;

class Authenticator {
public:
    explicit Authenticator(const config::Config& cfg);
    ~Authenticator();

    // The effective mount credentials (the file's mounts, then changed at run time). Replaced
    // as a whole; checks already running keep the snapshot they started with. Any thread.
    void set_mount_credentials(MountCredentialMap credentials);
    [[nodiscard]] std::optional<MountCredentials> mount_credentials(std::string_view mount) const;

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
    mutable std::mutex credentials_mutex_;  // guards the pointer only (snapshot pattern)
    std::shared_ptr<const MountCredentialMap> credentials_;
    boost::asio::thread_pool pool_{1};
    std::mutex mutex_;
    std::list<std::string> lru_;
    std::unordered_map<std::string, std::list<std::string>::iterator> verified_;
};

}  // namespace tinyice::server
