// Fuzzes the parsers behind accounts and reverse proxies: Cookie headers, Set-Cookie round
// trips, X-Forwarded-For / X-Real-IP / X-Forwarded-Proto, form bodies, and IP address / network
// text. The input is used whole and split into lines:
//   line 0 = the peer address, line 1 = X-Real-IP, lines 2.. = X-Forwarded-For headers,
// and every line is also tried as a cookie header, an address and a network. Address parsing is
// checked against glibc's inet_pton, the Boost.URL validation inside client_address against our
// own parser, and IpSet against a linear scan over networks built from the raw bytes.

#include "protocol/http/Ascii.hpp"
#include "protocol/http/Cookies.hpp"
#include "protocol/http/Forwarded.hpp"
#include "protocol/http/Query.hpp"
#include "security/IpNetwork.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using namespace tinyice::protocol::http;
using tinyice::security::anonymize;
using tinyice::security::IpAddress;
using tinyice::security::IpNetwork;
using tinyice::security::IpSet;

namespace {

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

constexpr std::size_t max_lines = 64;

std::vector<std::string_view> split_lines(std::string_view s) {
    std::vector<std::string_view> lines;
    while (lines.size() < max_lines) {
        const auto nl = s.find('\n');
        lines.push_back(s.substr(0, nl));
        if (nl == std::string_view::npos) {
            break;
        }
        s.remove_prefix(nl + 1);
    }
    return lines;
}

void check_cookies(std::string_view header) {
    const auto cookies = parse_cookies(header);
    FUZZ_CHECK(cookies.size() <= max_cookies);
    for (std::size_t i = 0; i < cookies.size(); ++i) {
        // (Not a structured binding: clang before 16 cannot capture one in a lambda.)
        const std::string& name = cookies[i].first;
        const std::string& value = cookies[i].second;
        FUZZ_CHECK(is_token(name));
        FUZZ_CHECK(name.size() <= max_cookie_bytes && value.size() <= max_cookie_bytes);
        FUZZ_CHECK(value.find(';') == std::string::npos);
        FUZZ_CHECK(std::none_of(value.begin(), value.end(), is_ctl));
        if (i < 8) {
            // find_cookie returns the first pair with that name.
            const auto first = std::find_if(cookies.begin(), cookies.end(),
                                            [&](const auto& c) { return c.first == name; });
            FUZZ_CHECK(find_cookie(header, name) == first->second);
        }
    }
    if (cookies.empty()) {
        FUZZ_CHECK(!find_cookie(header, "sid").has_value());
    }
}

bool is_cookie_octet(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x21 && u <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
}

void check_set_cookie(std::string_view name_bytes, std::string_view value_bytes,
                      std::uint8_t flags) {
    // As given: either refused, or a header whose first pair parses back.
    SetCookie raw{.name = std::string(name_bytes.substr(0, 64)),
                  .value = std::string(value_bytes),
                  .max_age = (flags & 1U) ? std::optional<std::int64_t>(flags) : std::nullopt,
                  .http_only = (flags & 2U) != 0,
                  .secure = (flags & 4U) != 0};
    for (int pass = 0; pass < 2; ++pass) {
        std::string header;
        try {
            header = format_set_cookie(raw);
        } catch (const std::invalid_argument&) {
            FUZZ_CHECK(pass == 0); // the filtered pass below must always be accepted
            // Keep only what a cookie can carry and try again.
            std::string name;
            std::copy_if(raw.name.begin(), raw.name.end(), std::back_inserter(name), is_tchar);
            if (name.empty() || name.starts_with("__")) { // keep clear of the prefix rules
                name = "k" + name;
            }
            std::string value;
            std::copy_if(raw.value.begin(), raw.value.end(), std::back_inserter(value),
                         is_cookie_octet);
            raw.name = name;
            raw.value = value.substr(0, max_cookie_bytes);
            continue;
        }
        FUZZ_CHECK(header.find('\r') == std::string::npos &&
                   header.find('\n') == std::string::npos);
        const auto pair = std::string_view(header).substr(0, header.find(';'));
        const auto cookies = parse_cookies(pair);
        FUZZ_CHECK(cookies.size() == 1);
        FUZZ_CHECK(cookies[0].first == raw.name && cookies[0].second == raw.value);
        FUZZ_CHECK(find_cookie(std::string("zz=1; ") + std::string(pair), raw.name) == raw.value ||
                   raw.name == "zz");
        break;
    }
}

IpSet trusted_proxies() {
    IpSet set;
    for (const char* rule : {"10.0.0.0/8", "192.168.0.0/16", "::1", "fd00::/8", "172.16.0.1"}) {
        set.add(*IpNetwork::parse(rule));
    }
    return set;
}

void check_forwarded(const std::vector<std::string_view>& lines) {
    static const IpSet trusted = trusted_proxies();
    const auto is_trusted = [](std::string_view text) {
        const auto a = IpAddress::parse(text);
        return a && trusted.contains(*a);
    };
    const std::string_view peer = lines[0];
    const std::optional<std::string_view> real_ip =
        lines.size() > 1 ? std::optional(lines[1]) : std::nullopt;
    std::vector<std::string_view> xff;
    if (lines.size() > 2) {
        xff.assign(lines.begin() + 2, lines.end());
    }
    const std::string client = client_address(peer, xff, real_ip, is_trusted);
    if (client != peer) {
        FUZZ_CHECK(is_trusted(peer));
        // Every address client_address accepts is one our parser accepts too.
        FUZZ_CHECK(IpAddress::parse(client).has_value());
        FUZZ_CHECK(client.find(',') == std::string::npos);
        const bool from_header = std::any_of(xff.begin(), xff.end(),
                                             [&](std::string_view h) {
                                                 return h.find(client) != std::string_view::npos;
                                             }) ||
                                 (real_ip && real_ip->find(client) != std::string_view::npos);
        FUZZ_CHECK(from_header);
    }
    // Fewer headers never make an untrusted peer's headers count.
    FUZZ_CHECK(client_address("203.0.113.1", xff, real_ip, is_trusted) == "203.0.113.1");
}

void check_forwarded_https(std::string_view value) {
    if (forwarded_https(value)) {
        const auto first = trim_ows(value.substr(0, value.find(',')));
        FUZZ_CHECK(iequals(first, "https"));
    }
}

void check_form(std::string_view body) {
    const QueryParams q(body);
    FUZZ_CHECK(q.items().size() <= QueryParams::max_params);
    for (const auto& [k, v] : q.items()) {
        FUZZ_CHECK(k.size() <= QueryParams::max_value_bytes);
        FUZZ_CHECK(v.size() <= QueryParams::max_value_bytes);
        FUZZ_CHECK(q.get(k).has_value());
    }
}

// glibc's inet_pton as the reference for the zone-less address grammar.
std::optional<IpAddress> reference_parse(std::string_view text) {
    char buf[64];
    if (text.size() >= sizeof buf || text.find('\0') != std::string_view::npos) {
        return std::nullopt;
    }
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    std::array<std::uint8_t, 4> v4{};
    if (inet_pton(AF_INET, buf, v4.data()) == 1) {
        return IpAddress::from_v4(v4);
    }
    std::array<std::uint8_t, 16> v6{};
    if (inet_pton(AF_INET6, buf, v6.data()) == 1) {
        return IpAddress::from_v6(v6);
    }
    return std::nullopt;
}

void check_address(std::string_view text) {
    const auto a = IpAddress::parse(text);
    if (text.find('%') == std::string_view::npos) {
        const auto expected = reference_parse(text);
        if (text.size() < 64) {
            FUZZ_CHECK(a == expected);
        } else {
            FUZZ_CHECK(!a);
        }
    }
    if (!a) {
        return;
    }
    const std::string printed = a->to_string();
    FUZZ_CHECK(IpAddress::parse(printed) == a);
    FUZZ_CHECK(reference_parse(printed) == a);
    FUZZ_CHECK(a->is_v4() == (printed.find(':') == std::string::npos));

    const std::string anon = anonymize(*a);
    const auto anon_addr = IpAddress::parse(anon);
    FUZZ_CHECK(anon_addr.has_value());
    FUZZ_CHECK(anonymize(*anon_addr) == anon);
    const int keep = a->is_v4() ? 96 + 24 : 48;
    FUZZ_CHECK(*anon_addr == a->masked(keep));
}

void check_network(std::string_view text) {
    std::string error;
    const auto n = IpNetwork::parse(text, &error);
    if (!n) {
        FUZZ_CHECK(!error.empty());
        FUZZ_CHECK(error.find('\n') == std::string::npos && error.size() < 300);
        return;
    }
    FUZZ_CHECK(n->prefix >= 0 && n->prefix <= 128);
    FUZZ_CHECK(n->base == n->base.masked(n->prefix));
    FUZZ_CHECK(n->contains(n->base));
    const std::string printed = n->to_string();
    std::string error2;
    const auto again = IpNetwork::parse(printed, &error2);
    FUZZ_CHECK(again.has_value() && *again == *n);
    FUZZ_CHECK(again->to_string() == printed);
    // The last address of the range is inside, the one after the range is not.
    if (n->prefix > 0) {
        IpAddress last = n->base;
        for (int bit = n->prefix; bit < 128; ++bit) {
            last.bytes[static_cast<std::size_t>(bit / 8)] |=
                static_cast<std::uint8_t>(0x80U >> static_cast<unsigned>(bit % 8));
        }
        FUZZ_CHECK(n->contains(last));
        IpAddress flipped = n->base;
        const int bit = n->prefix - 1;
        flipped.bytes[static_cast<std::size_t>(bit / 8)] ^=
            static_cast<std::uint8_t>(0x80U >> static_cast<unsigned>(bit % 8));
        FUZZ_CHECK(!n->contains(flipped));
    }
}

// Networks and addresses from raw 17-byte records (16 address bytes + prefix), so that the set
// sees many lengths and overlapping rules whatever the text looks like.
void check_ip_set(std::string_view raw, const std::vector<std::string_view>& lines) {
    IpSet set;
    std::vector<IpNetwork> rules;
    std::vector<IpAddress> probes;
    for (std::size_t i = 0; i + 17 <= raw.size() && rules.size() < 64; i += 17) {
        IpAddress a;
        std::memcpy(a.bytes.data(), raw.data() + i, 16);
        const int prefix = static_cast<unsigned char>(raw[i + 16]) % 129;
        const IpNetwork n{a.masked(prefix), prefix};
        set.add(n);
        rules.push_back(n);
        probes.push_back(a);
        IpAddress neighbour = a;
        neighbour.bytes[15] ^= 1U;
        neighbour.bytes[static_cast<std::size_t>(prefix % 128) / 8] ^= 0x10U;
        probes.push_back(neighbour);
    }
    for (std::string_view line : lines) {
        if (const auto n = IpNetwork::parse(line)) {
            set.add(*n);
            rules.push_back(*n);
            probes.push_back(n->base);
        }
        if (const auto a = IpAddress::parse(line)) {
            probes.push_back(*a);
        }
    }
    std::vector<IpNetwork> unique;
    for (const auto& r : rules) {
        if (std::find(unique.begin(), unique.end(), r) == unique.end()) {
            unique.push_back(r);
        }
    }
    FUZZ_CHECK(set.size() == unique.size());
    for (const auto& a : probes) {
        const bool linear =
            std::any_of(rules.begin(), rules.end(), [&](const auto& r) { return r.contains(a); });
        FUZZ_CHECK(set.contains(a) == linear);
    }
    if (!unique.empty()) {
        FUZZ_CHECK(set.remove(unique.front()));
        FUZZ_CHECK(!set.remove(unique.front()));
        FUZZ_CHECK(set.size() == unique.size() - 1);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view wire(reinterpret_cast<const char*>(data), size);
    const auto lines = split_lines(wire);

    check_cookies(wire);
    check_form(wire);
    check_forwarded_https(wire);
    check_forwarded(lines);
    for (std::string_view line : lines) {
        check_cookies(line);
        check_address(line);
        check_network(line);
        check_forwarded_https(line);
    }
    check_address(wire);
    check_network(wire);

    const auto half = wire.size() / 2;
    check_set_cookie(wire.substr(0, half), wire.substr(half), size > 0 ? data[0] : 0);
    check_ip_set(wire, lines);
    return 0;
}
