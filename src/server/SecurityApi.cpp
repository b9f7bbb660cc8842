// JSON API: IP rules (bans and the allow list), lockouts, and the audit log
// (docs/API.md, "Security").

#include <charconv>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "server/Server.hpp"
#include "storage/AuditStore.hpp"
#include "storage/Database.hpp"
#include "util/Log.hpp"

namespace tinyice::server {

namespace json = boost::json;
using http::HttpError;
using http::Request;
using http::Response;

namespace {

json::object rule_json(const AccessControl::Rule& r) {
    json::object o;
    if (r.id > 0) {
        o["id"] = r.id;
    } else {
        o["id"] = nullptr;  // config-file rules cannot be removed here
    }
    o["kind"] = r.kind;
    o["network"] = r.network;
    o["reason"] = r.reason;
    o["source"] = r.source;
    o["created_at"] = r.created_at;
    o["expires_at"] = r.expires_at;
    o["created_by"] = r.created_by;
    return o;
}

std::int64_t parse_i64(std::string_view text, std::string_view what) {
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
        throw HttpError(400, std::string(what) + ": expected an integer");
    }
    return v;
}

}  // namespace

void register_security_routes(http::Router& router, AccessControl& access,
                              storage::AuditStore* audit) {
    using http::Access;
    auto record = [audit](const Request& req, std::string action, std::string target,
                          std::string detail) {
        if (audit == nullptr) {
            return;
        }
        audit->record(storage::AuditRecord{0, storage::unix_ms_now(), req.principal.user,
                                           req.client_ip, "security", std::move(action),
                                           std::move(target), std::move(detail)});
    };
    router.add("GET", "/api/security/rules", Access::admin, [&access](Request&) {
        json::array list;
        for (const auto& r : access.rules()) {
            list.push_back(rule_json(r));
        }
        json::object o;
        o["rules"] = std::move(list);
        return Response::json(o);
    });
    router.add("POST", "/api/security/rules", Access::admin, [&access, record](Request& req) {
        auto body = req.json_body();
        auto kind = http::get_string(body, "kind", "ban");
        auto network = http::get_string(body, "network");
        auto reason = http::get_string(body, "reason");
        if (reason.size() > 512) {
            throw HttpError(400, "reason: at most 512 characters");
        }
        auto minutes = http::get_int(body, "expires_minutes").value_or(0);
        if (minutes < 0 || minutes > 525600 * 10) {
            throw HttpError(400, "expires_minutes: 0 (permanent) or a positive number");
        }
        const auto expires = minutes == 0 ? 0 : storage::unix_ms_now() + minutes * 60000;
        std::int64_t id = 0;
        try {
            id = access.add_rule(kind, network, reason, expires, req.principal.user);
        } catch (const std::invalid_argument& e) {
            throw HttpError(400, e.what());
        }
        util::logger("security")->info("{}: {} added {} {}", req.client_ip, req.principal.user,
                                       kind, network);
        record(req, kind == "ban" ? "ip_banned" : "ip_allowed", network,
               json::serialize(json::object{{"reason", reason}, {"expires_at", expires}}));
        for (const auto& r : access.rules()) {
            if (r.id == id) {
                return Response::json(rule_json(r), 201);
            }
        }
        throw HttpError(500, "rule not found after adding it");
    });
    router.add("DELETE", "/api/security/rules/{id}", Access::admin,
               [&access, record](Request& req) {
                   const auto id = parse_i64(req.param("id"), "id");
                   std::string network;
                   std::string kind;
                   for (const auto& r : access.rules()) {
                       if (r.id == id) {
                           network = r.network;
                           kind = r.kind;
                       }
                   }
                   if (id == 0 || !access.remove_rule(id)) {
                       throw HttpError(404, "no such rule (rules from the config file are "
                                            "removed there)");
                   }
                   record(req, kind == "ban" ? "ip_unbanned" : "ip_unallowed", network, "{}");
                   return Response::no_content();
               });
    router.add("GET", "/api/security/lockouts", Access::admin, [&access](Request&) {
        json::array lockouts;
        for (const auto& r : access.rules()) {
            if (r.source == "login_lockout" || r.source == "scan_lockout") {
                lockouts.push_back(rule_json(r));
            }
        }
        json::array watch;
        for (const auto& w : access.watchlist()) {
            watch.push_back(json::object{{"ip", w.ip}, {"login_failures", w.login_failures}});
        }
        const auto& c = access.counters();
        json::object o;
        o["lockouts"] = std::move(lockouts);
        o["watch"] = std::move(watch);
        o["totals"] = json::object{
            {"login_lockouts", c.login_lockouts.load()},
            {"scan_lockouts", c.scan_lockouts.load()},
            {"refused_banned", c.refused_banned.load()},
            {"refused_not_allowed", c.refused_not_allowed.load()}};
        return Response::json(o);
    });
    router.add("GET", "/api/audit", Access::admin, [audit](Request& req) {
        if (audit == nullptr) {
            throw HttpError(503, "the audit log is not available");
        }
        auto category = req.query.get("category").value_or("");
        std::size_t limit = 50;
        if (auto l = req.query.get("limit")) {
            limit = static_cast<std::size_t>(std::clamp<std::int64_t>(parse_i64(*l, "limit"), 1,
                                                                      500));
        }
        std::int64_t before = 0;
        if (auto b = req.query.get("before")) {
            before = parse_i64(*b, "before");
        }
        json::array entries;
        for (const auto& e : audit->query(category, limit, before)) {
            json::value detail;
            json::error_code ec;
            detail = json::parse(e.detail, ec);
            if (ec) {
                detail = e.detail;
            }
            entries.push_back(json::object{{"id", e.id},         {"at", e.at},
                                           {"username", e.username}, {"ip", e.ip},
                                           {"category", e.category}, {"action", e.action},
                                           {"target", e.target}, {"detail", detail}});
        }
        json::object o;
        o["entries"] = std::move(entries);
        return Response::json(o);
    });
}

}  // namespace tinyice::server
