#include "security/IpNetwork.hpp"

#include "security/KeyedHash.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace tinyice::security {

namespace {

constexpr std::size_t v4_mapped_prefix = 96;
// "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" is the longest address we print or accept
// without leading zeros; 4-digit groups make the longest plain form 39. Anything much longer
// is refused before it is scanned.
constexpr std::size_t max_address_text = 45;
constexpr std::size_t max_zone_text = 32;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

int hex_digit(char c) {
    if (is_digit(c)) {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// Decimal 0..max without sign or leading zeros.
std::optional<int> parse_small_decimal(std::string_view s, int max) {
    if (s.empty() || s.size() > 3 || (s.size() > 1 && s.front() == '0')) {
        return std::nullopt;
    }
    int v = 0;
    for (char c : s) {
        if (!is_digit(c)) {
            return std::nullopt;
        }
        v = v * 10 + (c - '0');
    }
    if (v > max) {
        return std::nullopt;
    }
    return v;
}

bool parse_v4(std::string_view s, std::uint8_t* out) {
    for (int i = 0; i < 4; ++i) {
        const auto dot = s.find('.');
        if ((i < 3) == (dot == std::string_view::npos)) {
            return false; // fewer or more than four parts
        }
        const auto octet = parse_small_decimal(s.substr(0, dot), 255);
        if (!octet) {
            return false;
        }
        out[i] = static_cast<std::uint8_t>(*octet);
        s = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
    }
    return true;
}

// Parses ':'-separated h16 groups ("" is zero groups) into `groups`, appending at `count`.
// A dotted quad is allowed as the last piece when `v4_tail` and then counts as two groups.
bool parse_groups(std::string_view s, bool v4_tail, std::array<std::uint16_t, 8>& groups,
                  std::size_t& count) {
    if (s.empty()) {
        return true;
    }
    while (true) {
        const auto colon = s.find(':');
        const auto piece = s.substr(0, colon);
        const bool last = colon == std::string_view::npos;
        if (piece.find('.') != std::string_view::npos) {
            std::array<std::uint8_t, 4> v4{};
            if (!last || !v4_tail || count + 2 > groups.size() || !parse_v4(piece, v4.data())) {
                return false;
            }
            groups[count++] = static_cast<std::uint16_t>((v4[0] << 8U) | v4[1]);
            groups[count++] = static_cast<std::uint16_t>((v4[2] << 8U) | v4[3]);
            return true;
        }
        if (piece.empty() || piece.size() > 4 || count == groups.size()) {
            return false;
        }
        unsigned v = 0;
        for (char c : piece) {
            const int d = hex_digit(c);
            if (d < 0) {
                return false;
            }
            v = (v << 4U) | static_cast<unsigned>(d);
        }
        groups[count++] = static_cast<std::uint16_t>(v);
        if (last) {
            return true;
        }
        s.remove_prefix(colon + 1);
    }
}

bool parse_v6(std::string_view s, std::array<std::uint8_t, 16>& out) {
    std::array<std::uint16_t, 8> head{};
    std::array<std::uint16_t, 8> tail{};
    std::size_t head_count = 0;
    std::size_t tail_count = 0;
    const auto gap = s.find("::");
    if (gap == std::string_view::npos) {
        if (!parse_groups(s, true, head, head_count) || head_count != 8) {
            return false;
        }
    } else {
        const auto after = s.substr(gap + 2);
        if (after.find("::") != std::string_view::npos ||
            !parse_groups(s.substr(0, gap), false, head, head_count) ||
            !parse_groups(after, true, tail, tail_count) || head_count + tail_count > 7) {
            return false; // "::" stands for at least one zero group
        }
    }
    std::array<std::uint16_t, 8> groups{};
    std::copy_n(head.begin(), head_count, groups.begin());
    std::copy_n(tail.begin(), tail_count, groups.end() - static_cast<std::ptrdiff_t>(tail_count));
    for (std::size_t i = 0; i < 8; ++i) {
        out[2 * i] = static_cast<std::uint8_t>(groups[i] >> 8U);
        out[2 * i + 1] = static_cast<std::uint8_t>(groups[i] & 0xffU);
    }
    return true;
}

bool is_zone_char(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '_' || c == '.';
}

std::optional<IpAddress> parse_address(std::string_view text, bool allow_zone) {
    if (text.size() > max_address_text + 1 + max_zone_text) {
        return std::nullopt;
    }
    IpAddress a;
    if (text.find(':') == std::string_view::npos) {
        a.bytes[10] = 0xff;
        a.bytes[11] = 0xff;
        if (text.size() > max_address_text || !parse_v4(text, a.bytes.data() + 12)) {
            return std::nullopt;
        }
        return a;
    }
    if (const auto percent = text.find('%'); percent != std::string_view::npos) {
        const auto zone = text.substr(percent + 1);
        if (!allow_zone || zone.empty() || zone.size() > max_zone_text ||
            !std::all_of(zone.begin(), zone.end(), is_zone_char)) {
            return std::nullopt;
        }
        text = text.substr(0, percent);
    }
    if (text.size() > max_address_text || !parse_v6(text, a.bytes)) {
        return std::nullopt;
    }
    return a;
}

std::string format_v6(const std::array<std::uint8_t, 16>& b) {
    std::array<unsigned, 8> groups{};
    for (std::size_t i = 0; i < 8; ++i) {
        groups[i] = (static_cast<unsigned>(b[2 * i]) << 8U) | b[2 * i + 1];
    }
    // RFC 5952 4.2: shorten the longest run of zero groups (the first one on a tie), and
    // never a single group.
    std::size_t best_start = 8;
    std::size_t best_len = 1;
    for (std::size_t i = 0; i < 8;) {
        if (groups[i] != 0) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < 8 && groups[j] == 0) {
            ++j;
        }
        if (j - i > best_len) {
            best_start = i;
            best_len = j - i;
        }
        i = j;
    }
    std::string out;
    out.reserve(39);
    for (std::size_t i = 0; i < 8; ++i) {
        if (i == best_start) {
            out += "::";
            i += best_len - 1;
            continue;
        }
        if (!out.empty() && out.back() != ':') {
            out += ':';
        }
        fmt::format_to(std::back_inserter(out), "{:x}", groups[i]);
    }
    return out;
}

// Shows a rejected input in an error message without letting it forge log lines or flood
// them: control and non-ASCII bytes become '?', and long inputs are cut.
std::string quoted(std::string_view text) {
    constexpr std::size_t max_shown = 64;
    std::string out = "'";
    for (char c : text.substr(0, max_shown)) {
        const auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u >= 0x7f) ? '?' : c;
    }
    out += text.size() > max_shown ? "...'" : "'";
    return out;
}

std::optional<IpNetwork> fail(std::string* error, std::string message) {
    if (error != nullptr) {
        *error = std::move(message);
    }
    return std::nullopt;
}

// True when a and b agree on their first `prefix` bits.
bool same_prefix(const IpAddress& a, const IpAddress& b, int prefix) {
    prefix = std::clamp(prefix, 0, 128);
    const auto whole = static_cast<std::size_t>(prefix / 8);
    if (!std::equal(a.bytes.begin(), a.bytes.begin() + static_cast<std::ptrdiff_t>(whole),
                    b.bytes.begin())) {
        return false;
    }
    const int rest = prefix % 8;
    if (rest == 0) {
        return true;
    }
    const auto mask = static_cast<std::uint8_t>(0xffU << (8 - rest));
    return (a.bytes[whole] & mask) == (b.bytes[whole] & mask);
}

} // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    return parse_address(text, true);
}

IpAddress IpAddress::from_v4(const std::array<std::uint8_t, 4>& v4) {
    IpAddress a;
    a.bytes[10] = 0xff;
    a.bytes[11] = 0xff;
    std::copy(v4.begin(), v4.end(), a.bytes.begin() + 12);
    return a;
}

bool IpAddress::is_v4() const {
    return std::all_of(bytes.begin(), bytes.begin() + 10, [](std::uint8_t b) { return b == 0; }) &&
           bytes[10] == 0xff && bytes[11] == 0xff;
}

std::string IpAddress::to_string() const {
    if (is_v4()) {
        return fmt::format("{}.{}.{}.{}", bytes[12], bytes[13], bytes[14], bytes[15]);
    }
    return format_v6(bytes);
}

IpAddress IpAddress::masked(int prefix) const {
    prefix = std::clamp(prefix, 0, 128);
    IpAddress out = *this;
    const auto whole = static_cast<std::size_t>(prefix / 8);
    const int rest = prefix % 8;
    std::size_t first_cleared = whole;
    if (rest != 0) {
        out.bytes[whole] &= static_cast<std::uint8_t>(0xffU << (8 - rest));
        ++first_cleared;
    }
    std::fill(out.bytes.begin() + static_cast<std::ptrdiff_t>(first_cleared), out.bytes.end(), 0);
    return out;
}

std::size_t IpAddressHash::operator()(const IpAddress& a) const noexcept {
    return static_cast<std::size_t>(keyed_hash(
        std::string_view(reinterpret_cast<const char*>(a.bytes.data()), a.bytes.size())));
}

std::optional<IpNetwork> IpNetwork::parse(std::string_view text, std::string* error) {
    if (text.empty()) {
        return fail(error, "empty network (expected an address like 10.0.0.1 or a CIDR range "
                           "like 10.0.0.0/8)");
    }
    const auto slash = text.find('/');
    const auto address_text = text.substr(0, slash);
    const auto address = parse_address(address_text, false);
    if (!address) {
        return fail(error, fmt::format("{} is not an IPv4 or IPv6 address", quoted(address_text)));
    }
    const bool v4_text = address_text.find(':') == std::string_view::npos;
    const int max_prefix = v4_text ? 32 : 128;
    int prefix = max_prefix;
    if (slash != std::string_view::npos) {
        const auto prefix_text = text.substr(slash + 1);
        const auto parsed = parse_small_decimal(prefix_text, max_prefix);
        if (!parsed) {
            return fail(error, fmt::format("{}: the prefix length after '/' must be a number "
                                           "from 0 to {} without leading zeros",
                                           quoted(text), max_prefix));
        }
        prefix = *parsed;
    }
    if (v4_text) {
        prefix += static_cast<int>(v4_mapped_prefix);
    }
    return IpNetwork{address->masked(prefix), prefix};
}

bool IpNetwork::contains(const IpAddress& a) const {
    return same_prefix(base, a, prefix);
}

std::string IpNetwork::to_string() const {
    const int p = std::clamp(prefix, 0, 128);
    const IpAddress b = base.masked(p);
    if (p >= static_cast<int>(v4_mapped_prefix) && b.is_v4()) {
        const int v4_prefix = p - static_cast<int>(v4_mapped_prefix);
        return v4_prefix == 32 ? b.to_string() : fmt::format("{}/{}", b.to_string(), v4_prefix);
    }
    return p == 128 ? format_v6(b.bytes) : fmt::format("{}/{}", format_v6(b.bytes), p);
}

void IpSet::add(const IpNetwork& n) {
    const int p = std::clamp(n.prefix, 0, 128);
    auto& bucket = by_prefix_[static_cast<std::size_t>(p)];
    if (!bucket.insert(n.base.masked(p)).second) {
        return;
    }
    ++size_;
    if (bucket.size() == 1) {
        prefixes_in_use_.insert(
            std::upper_bound(prefixes_in_use_.begin(), prefixes_in_use_.end(), p, std::greater<>{}),
            p);
    }
}

bool IpSet::remove(const IpNetwork& n) {
    const int p = std::clamp(n.prefix, 0, 128);
    auto& bucket = by_prefix_[static_cast<std::size_t>(p)];
    if (bucket.erase(n.base.masked(p)) == 0) {
        return false;
    }
    --size_;
    if (bucket.empty()) {
        std::erase(prefixes_in_use_, p);
    }
    return true;
}

void IpSet::clear() {
    for (int p : prefixes_in_use_) {
        by_prefix_[static_cast<std::size_t>(p)].clear();
    }
    prefixes_in_use_.clear();
    size_ = 0;
}

bool IpSet::contains(const IpAddress& a) const {
    return std::any_of(prefixes_in_use_.begin(), prefixes_in_use_.end(), [&](int p) {
        return by_prefix_[static_cast<std::size_t>(p)].contains(a.masked(p));
    });
}

std::string anonymize(const IpAddress& a) {
    if (a.is_v4()) {
        return a.masked(static_cast<int>(v4_mapped_prefix) + 24).to_string();
    }
    return a.masked(48).to_string();
}

} // namespace tinyice::security
