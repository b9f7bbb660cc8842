#pragma once
// Internal to src/config: the strict JSON front end of the config loader.

#include <boost/json/value.hpp>

#include <string_view>

namespace tinyice::config::detail {

// Parses JSON with comments and trailing commas. Unlike boost::json::parse it refuses duplicate
// keys (where Boost silently keeps the last one, hiding a typo'd second "port") and reports the
// line and column of syntax errors. A leading UTF-8 byte order mark is skipped.
// Throws ConfigError.
boost::json::value parse_json_document(std::string_view text);

} // namespace tinyice::config::detail
