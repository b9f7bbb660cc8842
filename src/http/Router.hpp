#pragma once
// The JSON API's request/response types and its router. Features (the AutoDJ, the server's own
// now-playing and history endpoints, later the web studio) register routes; the server owns the
// sockets, reads the request (head and a bounded body), authenticates the caller, and runs the
// matched handler on the worker pool (handlers may block: they never run on an event loop).
//
// Patterns are '/'-separated segments: literals, "{name}" (exactly one non-empty segment) and
// at most one "{*name}" (one or more segments, '/' kept, e.g. a mount name), which may be
// followed by more segments: "/api/mounts/{*mount}/listeners/{id}" matches
// "/api/mounts/radio/main/listeners/7" with mount = "radio/main". Literal segments win over
// captures, so "/api/autodj/{name}/start" and "/api/autodj/{name}" coexist.
//
// Handlers report client errors by throwing HttpError (status + message); the server turns it
// into {"error": message}. Any other exception becomes a logged 500.

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "protocol/http/Query.hpp"
#include "protocol/http/RequestHead.hpp"

namespace tinyice::http {

// Who is calling, as established by the server before a handler runs: a login session
// (cookie), an API token (Authorization: Bearer), HTTP Basic (user accounts or the built-in
// admin of the config file), or nobody.
struct Principal {
    enum class Role { anonymous, dj, admin, superadmin };
    enum class Via { none, session, token, basic };
    Role role = Role::anonymous;
    Via via = Via::none;
    std::string user;                 // "" when anonymous
    std::int64_t user_id = 0;         // 0 = the built-in admin of the config file (or anonymous)
    std::vector<std::string> mounts;  // the mounts a DJ owns ("/live")
    std::string csrf;                 // the session's CSRF token (Via::session)
    [[nodiscard]] bool logged_in() const { return role != Role::anonymous; }
    [[nodiscard]] bool is_admin() const { return role == Role::admin || role == Role::superadmin; }
    [[nodiscard]] bool is_superadmin() const { return role == Role::superadmin; }
    // Administrators manage every mount; a DJ only the mounts they own.
    [[nodiscard]] bool may_manage_mount(std::string_view mount) const {
        if (is_admin()) {
            return true;
        }
        if (role != Role::dj) {
            return false;
        }
        for (const auto& m : mounts) {
            if (m == mount) {
                return true;
            }
        }
        return false;
    }
};

std::string_view to_string(Principal::Role role);  // "anonymous", "dj", "admin", "superadmin"
std::optional<Principal::Role> role_from_string(std::string_view name);

enum class Access {
    anyone,      // public endpoints (now playing, history of public mounts)
    user,        // any logged-in user; the handler checks which mounts (DJs own some)
    admin,       // administrators
    superadmin,  // users and server settings
};

struct Request {
    std::string method;       // "GET", "POST", ...
    std::string path;         // decoded path, e.g. "/api/autodj/main/play"
    protocol::http::QueryParams query{""};
    const protocol::http::RequestHead* head = nullptr;  // for headers; valid during the call
    std::string body;
    std::string client_ip;    // the client (behind trusted proxies: the forwarded address)
    bool secure = false;      // reached over HTTPS (a trusted proxy said so)
    Principal principal;
    std::vector<std::pair<std::string, std::string>> params;  // captures, by name

    // A capture by name ("" when absent).
    [[nodiscard]] const std::string& param(std::string_view name) const;
    [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
    // The body parsed as a JSON object (an empty body is {}). Throws HttpError 400 with the
    // parser's message for anything else.
    [[nodiscard]] boost::json::object json_body() const;
};

struct Response {
    int status = 200;
    std::string content_type = "application/json; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;

    static Response json(const boost::json::value& v, int status = 200);
    static Response error(int status, std::string_view message);  // {"error": "..."}
    static Response text(std::string body, std::string content_type, int status = 200);
    static Response no_content() { return Response{204, {}, {}, {}}; }
};

struct HttpError : std::runtime_error {
    HttpError(int status, const std::string& message) : runtime_error(message), status(status) {}
    int status;
};

using Handler = std::function<Response(Request&)>;

struct Route {
    std::string method;
    std::string pattern;
    Access access = Access::admin;
    Handler handler;
    std::size_t max_body = 1024 * 1024;  // bytes
};

class Router {
public:
    // Adds a route; throws std::invalid_argument for a malformed pattern or a duplicate.
    void add(Route route);
    void add(std::string method, std::string pattern, Access access, Handler handler) {
        add(Route{std::move(method), std::move(pattern), access, std::move(handler)});
    }

    struct Match {
        const Route* route = nullptr;       // null: no route for this path and method
        bool path_known = false;            // some route has this path (405 vs 404)
        std::vector<std::pair<std::string, std::string>> params;
        std::vector<std::string> allowed;   // methods for this path (for 405's Allow)
    };
    [[nodiscard]] Match match(std::string_view method, std::string_view path) const;
    // True when some route begins with `prefix` segments (e.g. "/api"), i.e. the server should
    // send requests under it here instead of treating them as mounts.
    [[nodiscard]] bool owns(std::string_view path) const;

    [[nodiscard]] const std::vector<Route>& routes() const { return routes_; }

private:
    struct Compiled {
        std::vector<std::string> segments;  // "{x}" / "{*x}" kept as written
    };
    std::vector<Route> routes_;
    std::vector<Compiled> compiled_;
    std::vector<std::string> prefixes_;  // first segments of all routes ("/api")
};

// Helpers for handlers.
// A JSON member of `o` as the type, or the default when absent; HttpError 400 naming the key
// when present with the wrong type.
std::string get_string(const boost::json::object& o, std::string_view key, std::string def = {});
bool get_bool(const boost::json::object& o, std::string_view key, bool def);
double get_number(const boost::json::object& o, std::string_view key, double def);
std::optional<std::int64_t> get_int(const boost::json::object& o, std::string_view key);

}  // namespace tinyice::http
