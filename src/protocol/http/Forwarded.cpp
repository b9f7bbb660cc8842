#include "protocol/http/Forwarded.hpp"

#include "protocol/http/Ascii.hpp"

#include <boost/url/grammar/parse.hpp>
#include <boost/url/rfc/ipv4_address_rule.hpp>
#include <boost/url/rfc/ipv6_address_rule.hpp>

#include <algorithm>

namespace tinyice::protocol::http {

namespace {

bool is_ipv4(std::string_view s) {
    return boost::urls::grammar::parse(s, boost::urls::ipv4_address_rule).has_value();
}

bool is_ipv6(std::string_view s) {
    return boost::urls::grammar::parse(s, boost::urls::ipv6_address_rule).has_value();
}

bool is_port(std::string_view s) {
    return !s.empty() && s.size() <= 5 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The bare address in one X-Forwarded-For element or X-Real-IP value (already trimmed), or
// nullopt when it is not an address with an optional port.
std::optional<std::string_view> element_address(std::string_view e) {
    if (e.starts_with('[')) {
        const auto close = e.find(']');
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        const auto rest = e.substr(close + 1);
        if (!rest.empty() && !(rest.front() == ':' && is_port(rest.substr(1)))) {
            return std::nullopt;
        }
        const auto inner = e.substr(1, close - 1);
        return is_ipv6(inner) ? std::optional(inner) : std::nullopt;
    }
    if (is_ipv4(e) || is_ipv6(e)) {
        return e;
    }
    // "a.b.c.d:port" (an unbracketed IPv6 address with a port would be ambiguous)
    const auto colon = e.find(':');
    if (colon != std::string_view::npos && is_port(e.substr(colon + 1)) &&
        is_ipv4(e.substr(0, colon))) {
        return e.substr(0, colon);
    }
    return std::nullopt;
}

} // namespace

std::string client_address(std::string_view peer,
                           const std::vector<std::string_view>& x_forwarded_for,
                           std::optional<std::string_view> x_real_ip,
                           const std::function<bool(std::string_view)>& is_trusted) {
    if (!is_trusted(peer)) {
        return std::string(peer);
    }
    std::optional<std::string_view> leftmost_trusted;
    std::size_t hops = 0;
    for (auto header = x_forwarded_for.rbegin(); header != x_forwarded_for.rend(); ++header) {
        std::string_view rest = *header;
        while (!rest.empty()) {
            const auto comma = rest.rfind(',');
            const auto element =
                trim_ows(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
            if (element.empty()) {
                continue;
            }
            const auto address = element_address(element);
            if (!address || ++hops > max_forwarded_hops) {
                return std::string(peer);
            }
            if (!is_trusted(*address)) {
                return std::string(*address);
            }
            leftmost_trusted = address;
        }
    }
    if (leftmost_trusted) {
        return std::string(*leftmost_trusted);
    }
    if (x_real_ip) {
        if (const auto address = element_address(trim_ows(*x_real_ip))) {
            return std::string(*address);
        }
    }
    return std::string(peer);
}

bool forwarded_https(std::string_view x_forwarded_proto) {
    const auto comma = x_forwarded_proto.find(',');
    return iequals(trim_ows(x_forwarded_proto.substr(0, comma)), "https");
}

} // namespace tinyice::protocol::http
