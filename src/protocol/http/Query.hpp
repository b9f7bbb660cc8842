#pragma once
// Query strings / application/x-www-form-urlencoded bodies, and request path -> mount name.
// Percent-decoding goes through Boost.URL; splitting is done here because Boost's query grammar
// rejects the raw bytes sloppy encoders put into /admin/metadata?song=... and one bad title
// must not lose the whole update.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tinyice::protocol::http {

class QueryParams {
public:
    static constexpr std::size_t max_params = 64;        // later parameters are dropped
    static constexpr std::size_t max_value_bytes = 8192; // decoded keys/values are cut here

    // '&'-separated "key=value" pairs; '+' is a space; %XX decoded; a '%' that does not start
    // a valid escape is kept literally. Empty pieces ("a=1&&b=2") are skipped; "flag" without
    // '=' has an empty value.
    explicit QueryParams(std::string_view query);

    // First value whose key matches exactly (after decoding).
    [[nodiscard]] std::optional<std::string> get(std::string_view key) const;
    [[nodiscard]] bool has(std::string_view key) const;
    [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& items() const {
        return items_;
    }

private:
    std::vector<std::pair<std::string, std::string>> items_;
};

// Percent-encodes everything except RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string url_encode(std::string_view text);

// Turns a raw (still encoded) request path into a mount name: percent-decodes (an invalid
// escape makes it invalid; '+' stays '+'), requires a leading '/', collapses runs of '/', and
// rejects "." / ".." segments, NUL and other control characters, and backslashes. The result is
// at most max_mount_path bytes. A trailing '/' is kept ("/live/" is not "/live").
inline constexpr std::size_t max_mount_path = 255;
std::optional<std::string> normalize_mount_path(std::string_view raw_path);

} // namespace tinyice::protocol::http
