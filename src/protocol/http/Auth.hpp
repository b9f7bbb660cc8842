#pragma once
// HTTP Basic credentials (RFC 7617) as sent by every Icecast source client, plus the base64
// codec they need. Pure functions: no I/O, no allocation beyond the returned strings.

#include <optional>
#include <string>
#include <string_view>

namespace tinyice::protocol::http {

struct BasicCredentials {
    std::string user;
    std::string password;
};

// Decoded credentials longer than this are refused before any password check runs.
inline constexpr std::size_t max_basic_credentials = 1024;

// Parses an Authorization header value "Basic <base64(user:password)>". The scheme is
// case-insensitive and surrounding / separating spaces and tabs are tolerated. The password
// may contain ':' (the split is at the first one). nullopt when the scheme is not Basic, the
// base64 is malformed, there is no ':', the decoded form exceeds max_basic_credentials, or it
// contains control characters (a NUL would let "pw\0junk" match "pw" in C-string code, and
// CR/LF would forge log lines).
std::optional<BasicCredentials> parse_basic_auth(std::string_view authorization_header_value);

// Standard alphabet (RFC 4648 §4) with '=' padding.
std::string base64_encode(std::string_view data);

// Standard alphabet; padding optional, but when present it must be correct and final.
// nullopt on any other character (including whitespace and the URL-safe '-' / '_').
std::optional<std::string> base64_decode(std::string_view text);

} // namespace tinyice::protocol::http
