#pragma once
// The Icecast status and admin documents (docs/icecast-protocol.md §4), rendered from the
// snapshot structs. Pure functions; the HTTP layer adds headers and authentication.
//
// Common rules:
//   * only mounts with a running source are listed (Icecast's stats tree holds running sources
//     only); public documents also leave out hidden mounts;
//   * per-source keys are sorted by name (strcmp order), as Icecast's stats tree does;
//   * ice-audio-info pairs become keys of their own, as in Icecast, unless the key collides
//     with a key of ours or is not made of [A-Za-z0-9_.-] (a source cannot inject or override
//     stats); all-digit values become JSON numbers;
//   * text is repaired to valid UTF-8 and XML-escaped; XML documents start with
//     `<?xml version="1.0"?>` and a newline and end with a newline, like libxml2's output.

#include "core/Snapshot.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::protocol::icecast {

// /status-json.xsl with Icecast 2.4's schema: {"icestats":{"admin","host","location",
// "server_id","server_start","server_start_iso8601","source":...}}. `source` is absent with no
// public source (then "dummy":null closes icestats, as in Icecast), an object with one, an array
// with two or more. Numbers stay numbers (bitrate, channels, samplerate, listener_peak,
// listeners); every source object ends with "dummy":null. Always valid JSON (Icecast's unquoted
// numeric-looking titles are not reproduced). `mount_filter` keeps only that mount.
std::string status_json(const core::ServerSnapshot& snapshot,
                        std::optional<std::string_view> mount_filter = {});

// /admin/stats: the admin view, hidden mounts and hidden keys included.
// Global client_connections and source_client_connections have no snapshot fields of their own;
// they repeat `connections` and `source_total_connections`.
std::string admin_stats_xml(const core::ServerSnapshot& snapshot,
                            std::optional<std::string_view> mount_filter = {});

// /admin/listmounts: <source mount=".."><fallback/><listeners/><Connected/><content-type/>,
// Connected = now - stream_start in seconds (never negative).
std::string listmounts_xml(const core::ServerSnapshot& snapshot, std::int64_t now);

// /admin/listclients for one mount; `listeners` are that mount's listeners (not filtered here).
// UserAgent is "Unknown" when the client sent none.
std::string listclients_xml(std::string_view mount,
                            const std::vector<core::ListenerSnapshot>& listeners);

// <?xml version="1.0"?>\n<iceresponse><message>..</message><return>1|0</return></iceresponse>\n
std::string iceresponse_xml(std::string_view message, bool ok);

// /admin/moveclients without a destination: <current_source> then the other running mounts,
// each node as in listmounts (Icecast builds both with admin_build_sourcelist). Connected is
// included only when `now` is given.
std::string moveclients_list_xml(std::string_view current, const core::ServerSnapshot& snapshot,
                                 std::optional<std::int64_t> now = {});

// Escapes & < > " ' and makes the text valid XML 1.0 character data: invalid UTF-8 becomes
// U+FFFD, control characters other than tab, LF and CR and the non-characters U+FFFE/U+FFFF are
// dropped.
std::string xml_escape(std::string_view text);

// "Mon, 23 Nov 2026 23:32:37 +0000" (Icecast's "%a, %d %b %Y %H:%M:%S %z" in UTC, C locale).
std::string icecast_time(std::int64_t unix_seconds);
// "2026-11-23T23:32:37+0000".
std::string iso8601_time(std::int64_t unix_seconds);

} // namespace tinyice::protocol::icecast
