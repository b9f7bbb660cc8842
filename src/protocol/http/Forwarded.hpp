#pragma once
// The real client behind trusted reverse proxies (X-Forwarded-For / X-Real-IP) and whether it
// spoke HTTPS to them (X-Forwarded-Proto). Pure functions.
//
// Every proxy appends the address it received the request from to X-Forwarded-For, so the list
// can only be believed from the right: the peer (a trusted proxy) vouches for the last entry,
// that entry (if it is a trusted proxy too) for the one before, and so on. The first untrusted
// entry met on the way is the client; anything further left was written by the client itself
// and may be forged.
//
// The standard Forwarded header (RFC 7239) is not read: the proxies TinyIce is deployed behind
// (nginx, Caddy, HAProxy, Traefik) send X-Forwarded-For by default.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::protocol::http {

// At most this many X-Forwarded-For elements are examined; a longer chain of trusted proxies
// is treated as garbage.
inline constexpr std::size_t max_forwarded_hops = 64;

// The client address behind trusted reverse proxies: walks X-Forwarded-For from the right,
// skipping addresses that `is_trusted` accepts, and returns the first untrusted one (the real
// client); falls back to X-Real-IP; returns `peer` when the peer itself is not trusted or the
// headers are absent/garbage. Several X-Forwarded-For headers are concatenated in order.
// (No dependency on security/: take the trust test as a callback on the address text, and
// return the address as text; the caller parses it.)
//
// Details. Elements are split at ',' with spaces and tabs trimmed; empty elements are skipped.
// An element must be an IPv4 address, an IPv6 address, "a.b.c.d:port", "[v6]" or "[v6]:port";
// the port and brackets are dropped, so `is_trusted` and the result only ever see a bare
// address (never a zone). The walk returns `peer` as soon as it meets anything else ("unknown",
// a host name, junk) or more than max_forwarded_hops elements, since the chain can then no
// longer be followed. When every element is trusted, the left-most is the client (a client on a
// trusted network). X-Real-IP is consulted only when X-Forwarded-For has no elements.
std::string client_address(std::string_view peer,
                           const std::vector<std::string_view>& x_forwarded_for,
                           std::optional<std::string_view> x_real_ip,
                           const std::function<bool(std::string_view)>& is_trusted);

// X-Forwarded-Proto of a trusted proxy: true when the left-most value is "https".
// (Case-insensitive, surrounding spaces and tabs ignored. Only meaningful when the peer is a
// trusted proxy; the caller checks that.)
bool forwarded_https(std::string_view x_forwarded_proto);

} // namespace tinyice::protocol::http
