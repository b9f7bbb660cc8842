#pragma once
// IP addresses, networks (CIDR) and sets of networks for ban/allow lists, trusted proxies and
// lockout keys. Pure values, no I/O, no name resolution.
//
// Every address lives in the 128-bit IPv6 space; IPv4 is stored v4-mapped (::ffff:a.b.c.d), so
// one rule matches a client whether it arrived on an IPv4 socket or as a v4-mapped peer on a
// dual-stack one. An IPv4 network "a.b.c.d/n" is the IPv6 network "::ffff:a.b.c.d/(96+n)".
// Consequently "0.0.0.0/0" matches every IPv4 client and no IPv6 one, and "::/0" matches all.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace tinyice::security {

// An IPv4 or IPv6 address as 16 bytes (IPv4 as ::ffff:a.b.c.d, so v4 rules match v4-mapped
// peers on dual-stack sockets).
struct IpAddress {
    std::array<std::uint8_t, 16> bytes{};

    // Strict textual forms only: dotted quad with exactly four decimal parts and no leading
    // zeros ("010.0.0.1" is refused: inet_aton would read it as octal), or RFC 4291 IPv6 with
    // at most one "::" and an optional trailing dotted quad ("::ffff:1.2.3.4"). An IPv6 zone
    // ("fe80::1%eth0", as printed for link-local peers) is accepted and dropped. No
    // surrounding whitespace, brackets or ports. nullopt for anything else.
    static std::optional<IpAddress> parse(std::string_view text);

    // From the network-order bytes a socket API hands out (e.g. asio's address_v4::to_bytes()
    // and address_v6::to_bytes()), without a detour through text.
    static IpAddress from_v4(const std::array<std::uint8_t, 4>& v4);
    static IpAddress from_v6(const std::array<std::uint8_t, 16>& v6) { return IpAddress{v6}; }

    // True for v4-mapped addresses (::ffff:0:0/96).
    [[nodiscard]] bool is_v4() const;

    // Dotted quad for v4-mapped addresses, otherwise RFC 5952 canonical IPv6 (lower case,
    // no leading zeros, the longest run of two or more zero groups shortened to "::").
    [[nodiscard]] std::string to_string() const;

    // This address with every bit after the first `prefix` (clamped to 0..128) cleared, e.g.
    // a.masked(64) to key IPv6 clients by their /64 (one subscriber's usual allocation).
    [[nodiscard]] IpAddress masked(int prefix) const;

    bool operator==(const IpAddress&) const = default;
};

// Keyed (SipHash, random per process) so that attacker-chosen addresses cannot be crafted to
// collide in a hash table.
struct IpAddressHash {
    std::size_t operator()(const IpAddress& a) const noexcept;
};

struct IpNetwork {
    IpAddress base;
    int prefix = 128; // prefix in the 128-bit space

    // "1.2.3.4" (/32), "10.0.0.0/8", "::1", "2001:db8::/32", "::ffff:10.0.0.0/104"; host bits
    // set ("10.0.0.1/8") are accepted and masked. nullopt for anything else (with the reason in
    // `error` when given). The prefix is decimal without sign or leading zeros, at most 32
    // after a dotted quad and 128 after an IPv6 address; zones and whitespace are refused.
    static std::optional<IpNetwork> parse(std::string_view text, std::string* error = nullptr);

    // True when `a` agrees with `base` on the first `prefix` bits (host bits of `base`, if a
    // hand-built network has any, are ignored).
    [[nodiscard]] bool contains(const IpAddress& a) const;

    // Canonical: "10.0.0.0/8", "2001:db8::/32", "1.2.3.4"; a single host has no "/n". IPv4 is
    // used whenever the network lies inside ::ffff:0:0/96. parse(to_string()) gives the
    // network back with its base masked.
    [[nodiscard]] std::string to_string() const;

    bool operator==(const IpNetwork&) const = default;
};

// A set of networks with fast membership: one hash set of masked bases per prefix length in
// use, so contains() costs one lookup per distinct prefix length (usually a handful), however
// many rules there are. Not synchronised: guard it, or build it once and share it read-only.
class IpSet {
public:
    // Duplicates (after masking) are stored once.
    void add(const IpNetwork& n);
    // True when `n` (after masking) was in the set. It removes that exact rule only, not
    // narrower or wider rules that overlap it.
    bool remove(const IpNetwork& n);
    void clear();

    [[nodiscard]] bool contains(const IpAddress& a) const;
    [[nodiscard]] std::size_t size() const { return size_; }
    [[nodiscard]] bool empty() const { return size_ == 0; }

private:
    static constexpr int prefix_lengths = 129; // /0 .. /128

    std::array<std::unordered_set<IpAddress, IpAddressHash>, prefix_lengths> by_prefix_;
    std::vector<int> prefixes_in_use_; // longest first
    std::size_t size_ = 0;
};

// Anonymised form for statistics: IPv4 keeps the first 3 octets ("1.2.3.0"), IPv6 the first
// 48 bits ("2001:db8:1::").
std::string anonymize(const IpAddress& a);

} // namespace tinyice::security
