#include "http/Router.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <boost/json.hpp>

namespace tinyice::http {

namespace json = boost::json;

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < path.size()) {
        while (i < path.size() && path[i] == '/') {
            ++i;
        }
        if (i >= path.size()) {
            break;
        }
        auto end = path.find('/', i);
        if (end == std::string_view::npos) {
            end = path.size();
        }
        out.push_back(path.substr(i, end - i));
        i = end;
    }
    return out;
}

bool is_capture(std::string_view seg) {
    return seg.size() >= 3 && seg.front() == '{' && seg.back() == '}';
}

bool is_rest(std::string_view seg) {
    return is_capture(seg) && seg[1] == '*';
}

bool is_capture_str(const std::string& seg) {
    return is_capture(seg);
}

std::string capture_name(std::string_view seg) {
    return std::string(seg.substr(is_rest(seg) ? 2 : 1, seg.size() - (is_rest(seg) ? 3 : 2)));
}

// Score: literal matches count more than captures, so the most specific route wins.
bool match_segments(const std::vector<std::string>& pattern,
                    const std::vector<std::string_view>& path, std::string_view raw_path,
                    std::vector<std::pair<std::string, std::string>>& params, int& score) {
    params.clear();
    score = 0;
    auto match_one = [&](const std::string& seg, std::string_view value) {
        if (is_capture(seg)) {
            params.emplace_back(capture_name(seg), std::string(value));
            score += 1;
            return true;
        }
        if (seg == value) {
            score += 4;
            return true;
        }
        return false;
    };
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const auto& seg = pattern[i];
        if (is_rest(seg)) {
            // "{*rest}" takes every segment but those the rest of the pattern needs (at least
            // one), so "/api/mounts/{*mount}/listeners/{id}" works for mounts with slashes.
            const std::size_t tail = pattern.size() - i - 1;
            if (path.size() < i + 1 + tail) {
                return false;
            }
            const std::size_t last = path.size() - tail;  // first path index of the tail
            for (std::size_t k = 0; k < tail; ++k) {
                if (!match_one(pattern[i + 1 + k], path[last + k])) {
                    return false;
                }
            }
            auto start = static_cast<std::size_t>(path[i].data() - raw_path.data());
            auto end = static_cast<std::size_t>(path[last - 1].data() - raw_path.data()) +
                       path[last - 1].size();
            params.emplace(params.end() - static_cast<std::ptrdiff_t>(
                                              std::count_if(pattern.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                                            pattern.end(), is_capture_str)),
                           capture_name(seg), std::string(raw_path.substr(start, end - start)));
            return true;
        }
        if (i >= path.size() || !match_one(seg, path[i])) {
            return false;
        }
    }
    return pattern.size() == path.size();
}

const json::value* member(const json::object& o, std::string_view key) {
    return o.if_contains(key);
}

}  // namespace

std::string_view to_string(Principal::Role role) {
    switch (role) {
    case Principal::Role::dj:
        return "dj";
    case Principal::Role::admin:
        return "admin";
    case Principal::Role::superadmin:
        return "superadmin";
    case Principal::Role::anonymous:
        break;
    }
    return "anonymous";
}

std::optional<Principal::Role> role_from_string(std::string_view name) {
    if (name == "dj") {
        return Principal::Role::dj;
    }
    if (name == "admin") {
        return Principal::Role::admin;
    }
    if (name == "superadmin") {
        return Principal::Role::superadmin;
    }
    return std::nullopt;
}

const std::string& Request::param(std::string_view name) const {
    static const std::string empty;
    for (const auto& [k, v] : params) {
        if (k == name) {
            return v;
        }
    }
    return empty;
}

std::optional<std::string_view> Request::header(std::string_view name) const {
    if (head == nullptr) {
        return std::nullopt;
    }
    return head->header(name);
}

json::object Request::json_body() const {
    if (body.empty()) {
        return {};
    }
    json::error_code ec;
    json::parse_options opts;
    opts.max_depth = 32;
    json::value v = json::parse(body, ec, {}, opts);
    if (ec) {
        throw HttpError(400, "request body is not valid JSON: " + ec.message());
    }
    if (!v.is_object()) {
        throw HttpError(400, "request body must be a JSON object");
    }
    return std::move(v.as_object());
}

Response Response::json(const json::value& v, int status) {
    Response r;
    r.status = status;
    r.body = json::serialize(v);
    r.body += '\n';
    return r;
}

Response Response::error(int status, std::string_view message) {
    json::object o;
    o["error"] = message;
    return json(o, status);
}

Response Response::text(std::string body, std::string content_type, int status) {
    Response r;
    r.status = status;
    r.content_type = std::move(content_type);
    r.body = std::move(body);
    return r;
}

void Router::add(Route route) {
    if (route.pattern.empty() || route.pattern.front() != '/') {
        throw std::invalid_argument("route pattern must start with '/': " + route.pattern);
    }
    Compiled c;
    auto segs = split_path(route.pattern);
    if (segs.empty()) {
        throw std::invalid_argument("route pattern names no path: " + route.pattern);
    }
    bool rest_seen = false;
    for (std::size_t i = 0; i < segs.size(); ++i) {
        if (is_rest(segs[i])) {
            if (rest_seen) {
                throw std::invalid_argument("only one {*rest} per pattern: " + route.pattern);
            }
            rest_seen = true;
        }
        c.segments.emplace_back(segs[i]);
    }
    for (std::size_t i = 0; i < routes_.size(); ++i) {
        if (routes_[i].method == route.method && compiled_[i].segments == c.segments) {
            throw std::invalid_argument("duplicate route " + route.method + " " + route.pattern);
        }
    }
    std::string prefix = "/" + std::string(segs.front());
    if (std::find(prefixes_.begin(), prefixes_.end(), prefix) == prefixes_.end()) {
        prefixes_.push_back(prefix);
    }
    routes_.push_back(std::move(route));
    compiled_.push_back(std::move(c));
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
    Match out;
    auto segs = split_path(path);
    int best = -1;
    std::vector<std::pair<std::string, std::string>> params;
    // HEAD is served by GET routes (without the body).
    std::string_view wanted = method == "HEAD" ? std::string_view("GET") : method;
    for (std::size_t i = 0; i < routes_.size(); ++i) {
        int score = 0;
        if (!match_segments(compiled_[i].segments, segs, path, params, score)) {
            continue;
        }
        out.path_known = true;
        if (std::find(out.allowed.begin(), out.allowed.end(), routes_[i].method) ==
            out.allowed.end()) {
            out.allowed.push_back(routes_[i].method);
        }
        if (routes_[i].method != wanted) {
            continue;
        }
        if (score > best) {
            best = score;
            out.route = &routes_[i];
            out.params = params;
        }
    }
    return out;
}

bool Router::owns(std::string_view path) const {
    for (const auto& p : prefixes_) {
        if (path == p || (path.starts_with(p) && path.size() > p.size() && path[p.size()] == '/')) {
            return true;
        }
    }
    return false;
}

std::string get_string(const json::object& o, std::string_view key, std::string def) {
    const auto* v = member(o, key);
    if (v == nullptr || v->is_null()) {
        return def;
    }
    if (!v->is_string()) {
        throw HttpError(400, std::string(key) + ": expected a string");
    }
    return std::string(v->as_string());
}

bool get_bool(const json::object& o, std::string_view key, bool def) {
    const auto* v = member(o, key);
    if (v == nullptr || v->is_null()) {
        return def;
    }
    if (!v->is_bool()) {
        throw HttpError(400, std::string(key) + ": expected true or false");
    }
    return v->as_bool();
}

double get_number(const json::object& o, std::string_view key, double def) {
    const auto* v = member(o, key);
    if (v == nullptr || v->is_null()) {
        return def;
    }
    if (!v->is_number()) {
        throw HttpError(400, std::string(key) + ": expected a number");
    }
    double d = v->to_number<double>();
    if (!std::isfinite(d)) {
        throw HttpError(400, std::string(key) + ": expected a finite number");
    }
    return d;
}

std::optional<std::int64_t> get_int(const json::object& o, std::string_view key) {
    const auto* v = member(o, key);
    if (v == nullptr || v->is_null()) {
        return std::nullopt;
    }
    json::error_code ec;
    auto n = v->to_number<std::int64_t>(ec);
    if (ec) {
        throw HttpError(400, std::string(key) + ": expected an integer");
    }
    return n;
}

}  // namespace tinyice::http
