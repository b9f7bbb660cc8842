#include "server/AccessControl.hpp"

#include "protocol/http/Forwarded.hpp"
#include "util/Log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tinyice::server {

namespace {

std::int64_t unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// An IPv6 client usually holds a whole /64: count and ban per subscriber, not per address.
security::IpAddress lockout_key(const security::IpAddress& a) {
    return a.is_v4() ? a : a.masked(64);
}

security::IpNetwork lockout_network(const security::IpAddress& a) {
    return a.is_v4() ? security::IpNetwork{a, 128} : security::IpNetwork{a.masked(64), 64};
}

} // namespace

AccessControl::AccessControl(const config::Config& cfg, storage::IpRuleStore* store)
    : config_(cfg), store_(store) {
    for (const auto& text : cfg.http.trusted_proxies) {
        if (auto n = security::IpNetwork::parse(text)) {
            trusted_.add(*n);
        }
    }
    for (const auto& [list, kind] :
         {std::pair{&cfg.security.banned, "ban"}, std::pair{&cfg.security.allowed, "allow"}}) {
        for (const auto& text : *list) {
            if (auto n = security::IpNetwork::parse(text)) {
                Rule r;
                r.kind = kind;
                r.network = n->to_string();
                r.reason = "config file";
                r.source = "config";
                config_rules_.push_back(std::move(r));
            }
        }
    }
    const auto& sec = cfg.security;
    if (sec.login_failures > 0 && sec.lockout_minutes > 0) {
        logins_ = std::make_unique<security::FailureCounter>(
            sec.login_failures, std::chrono::seconds(sec.login_window_s));
    }
    if (sec.scan_404s > 0 && sec.scan_lockout_minutes > 0) {
        scans_ = std::make_unique<security::DistinctCounter>(
            sec.scan_404s, std::chrono::seconds(sec.scan_window_s), 100000,
            std::max<std::size_t>(64, sec.scan_404s));
    }
    {
        std::lock_guard lock(mutex_);
        rebuild(); // the config rules, even if the database cannot be read
    }
    reload();
}

std::shared_ptr<const AccessControl::Snapshot> AccessControl::snapshot() const {
    return snapshot_.load(std::memory_order_acquire);
}

void AccessControl::reload() {
    std::vector<Rule> rules;
    if (store_ != nullptr) {
        try {
            const auto now = unix_ms();
            store_->remove_expired(now);
            for (const auto& r : store_->list()) {
                rules.push_back(Rule{r.id, r.kind, r.network, r.reason, r.source, r.created_at,
                                     r.expires_at, r.created_by});
            }
        } catch (const std::exception& e) {
            util::logger("security")->error("cannot read the IP rules: {}", e.what());
            return;
        }
    }
    std::lock_guard lock(mutex_);
    db_rules_ = std::move(rules);
    rebuild();
}

void AccessControl::rebuild() {
    auto snap = std::make_shared<Snapshot>();
    const auto now = unix_ms();
    auto add = [&](const Rule& r) {
        if (r.expires_at != 0 && r.expires_at <= now) {
            return;
        }
        auto n = security::IpNetwork::parse(r.network);
        if (!n) {
            return;
        }
        (r.kind == "allow" ? snap->allows : snap->bans).add(*n);
        if (r.expires_at != 0 && (snap->next_expiry == 0 || r.expires_at < snap->next_expiry)) {
            snap->next_expiry = r.expires_at;
        }
    };
    for (const auto* list : {&config_rules_, &db_rules_, &memory_rules_}) {
        for (const auto& r : *list) {
            add(r);
        }
    }
    std::erase_if(memory_rules_,
                  [now](const Rule& r) { return r.expires_at != 0 && r.expires_at <= now; });
    snapshot_.store(std::move(snap), std::memory_order_release);
}

AccessControl::Verdict AccessControl::check(const security::IpAddress& client) const {
    auto snap = snapshot();
    if (snap->next_expiry != 0 && unix_ms() >= snap->next_expiry) {
        // A temporary ban ran out: rebuild without it (cheap; skipped if someone else is).
        auto* self = const_cast<AccessControl*>(this);
        std::unique_lock lock(self->mutex_, std::try_to_lock);
        if (lock.owns_lock()) {
            self->rebuild();
            snap = snapshot();
        }
    }
    if (snap->allows.contains(client)) {
        return Verdict::allowed;
    }
    if (snap->bans.contains(client)) {
        return Verdict::banned;
    }
    if (config_.security.allow_only) {
        return Verdict::not_allowed;
    }
    return Verdict::allowed;
}

bool AccessControl::is_trusted_proxy(const security::IpAddress& peer) const {
    return trusted_.contains(peer);
}

std::string AccessControl::client_address(const std::string& peer,
                                          const std::vector<std::string_view>& forwarded_for,
                                          std::optional<std::string_view> real_ip) const {
    if (trusted_.empty()) {
        return peer;
    }
    return protocol::http::client_address(peer, forwarded_for, real_ip,
                                          [this](std::string_view text) {
                                              auto a = security::IpAddress::parse(text);
                                              return a && trusted_.contains(*a);
                                          });
}

bool AccessControl::lock_out(const security::IpAddress& who, std::string_view source,
                             double minutes, const std::string& why) {
    const auto network = lockout_network(who);
    const auto expires = unix_ms() + static_cast<std::int64_t>(std::llround(minutes * 60000));
    try {
        add_rule("ban", network.to_string(), why, expires, "", std::string(source));
    } catch (const std::exception& e) {
        util::logger("security")
            ->error("cannot record the lockout of {}: {}", network.to_string(), e.what());
        return false;
    }
    util::logger("security")
        ->warn("{} locked out for {} minutes: {}", network.to_string(), minutes, why);
    if (on_lockout) {
        on_lockout(network.to_string(), source, why);
    }
    return true;
}

bool AccessControl::login_failed(const std::string& client, std::string_view user) {
    auto who = security::IpAddress::parse(client);
    if (!who) {
        return false;
    }
    {
        std::lock_guard lock(watch_mutex_);
        if (std::find(recent_failures_.begin(), recent_failures_.end(), client) ==
            recent_failures_.end()) {
            recent_failures_.push_back(client);
            if (recent_failures_.size() > 256) {
                recent_failures_.erase(recent_failures_.begin());
            }
        }
    }
    if (!logins_ || snapshot()->allows.contains(*who)) {
        return false;
    }
    if (!logins_->add(lockout_key(*who), steady_ms())) {
        return false;
    }
    counters_.login_lockouts.fetch_add(1, std::memory_order_relaxed);
    return lock_out(
        *who, "login_lockout", config_.security.lockout_minutes,
        fmt::format("{} failed logins (last as '{}')", config_.security.login_failures, user));
}

void AccessControl::login_succeeded(const std::string& client) {
    if (auto who = security::IpAddress::parse(client); who && logins_) {
        logins_->clear(lockout_key(*who));
    }
}

bool AccessControl::unknown_path(const std::string& client, std::string_view path) {
    auto who = security::IpAddress::parse(client);
    if (!who || !scans_ || snapshot()->allows.contains(*who)) {
        return false;
    }
    if (!scans_->add(lockout_key(*who), path, steady_ms())) {
        return false;
    }
    counters_.scan_lockouts.fetch_add(1, std::memory_order_relaxed);
    return lock_out(*who, "scan_lockout", config_.security.scan_lockout_minutes,
                    fmt::format("{} different unknown paths (last {})", config_.security.scan_404s,
                                path.substr(0, 200)));
}

std::vector<AccessControl::Rule> AccessControl::rules() const {
    const auto now = unix_ms();
    std::vector<Rule> out;
    std::lock_guard lock(mutex_);
    for (const auto* list : {&config_rules_, &db_rules_, &memory_rules_}) {
        for (const auto& r : *list) {
            if (r.expires_at == 0 || r.expires_at > now) {
                out.push_back(r);
            }
        }
    }
    return out;
}

std::int64_t AccessControl::add_rule(const std::string& kind, const std::string& network,
                                     const std::string& reason, std::int64_t expires_at,
                                     const std::string& created_by, const std::string& source) {
    if (kind != "ban" && kind != "allow") {
        throw std::invalid_argument("kind: ban or allow");
    }
    std::string error;
    auto n = security::IpNetwork::parse(network, &error);
    if (!n) {
        throw std::invalid_argument("network: not an IP address or network: " + error);
    }
    Rule r{0, kind, n->to_string(), reason, source, unix_ms(), expires_at, created_by};
    {
        std::lock_guard lock(mutex_);
        if (store_ != nullptr) {
            r.id = store_->add(storage::IpRule{0, r.kind, r.network, r.reason, r.source,
                                               r.created_at, r.expires_at, r.created_by});
            db_rules_.push_back(r);
        } else {
            r.id = next_memory_id_--;
            memory_rules_.push_back(r);
        }
        rebuild();
    }
    if (kind == "ban" && on_ban) {
        on_ban(*n);
    }
    return r.id;
}

bool AccessControl::remove_rule(std::int64_t id) {
    bool removed = false;
    {
        std::lock_guard lock(mutex_);
        if (id < 0) {
            removed = std::erase_if(memory_rules_, [id](const Rule& r) { return r.id == id; }) > 0;
        } else if (store_ != nullptr && store_->remove(id)) {
            std::erase_if(db_rules_, [id](const Rule& r) { return r.id == id; });
            removed = true;
        }
        if (removed) {
            rebuild();
        }
    }
    return removed;
}

std::vector<AccessControl::Watch> AccessControl::watchlist() const {
    std::vector<std::string> addresses;
    {
        std::lock_guard lock(watch_mutex_);
        addresses = recent_failures_;
    }
    std::vector<Watch> out;
    const auto now = steady_ms();
    for (const auto& a : addresses) {
        auto who = security::IpAddress::parse(a);
        if (!who || !logins_) {
            continue;
        }
        if (auto n = logins_->count(lockout_key(*who), now); n > 0) {
            out.push_back({a, n});
        }
    }
    return out;
}

std::size_t AccessControl::active_bans() const {
    return snapshot()->bans.size();
}

} // namespace tinyice::server
