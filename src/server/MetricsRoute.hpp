#pragma once
// GET /metrics: the Prometheus text exposition (docs/API.md, "Prometheus metrics"), for
// administrators (HTTP Basic or an API token, like every router route). The document is built
// at scrape time from the same snapshot structs as the status pages and the admin API, the
// server's HTTP and authentication counters, the access control's lockout counters, and the
// AutoDJ stations and transcoders through callbacks that app/ wires (the server does not
// include the features).

#include "core/Snapshot.hpp"
#include "http/Router.hpp"
#include "metrics/ServerMetrics.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tinyice::server {

class AccessControl;
class Server;

struct MetricsSources {
    // Called on an API worker thread at every scrape; must be thread-safe. Empty = none.
    std::function<std::vector<metrics::StationMetrics>()> stations;
    std::function<std::vector<metrics::TranscoderMetrics>()> transcoders;
};

// The server part of the metrics: totals, uptime and one entry per mount of `snap`, at
// `now_unix` (seconds). `origin_of` names who feeds a live mount ("live", "autodj",
// "transcoder"); empty = "live".
[[nodiscard]] metrics::MetricsInput
metrics_from_snapshot(const core::ServerSnapshot& snap, std::int64_t now_unix,
                      const std::function<std::string(const core::MountSnapshot&)>& origin_of);

// Registers GET /metrics (Access::admin). `server` and `access` (may be null) must outlive the
// router's use; `version` goes into tinyice_build_info.
void register_metrics_route(http::Router& router, const Server& server, const AccessControl* access,
                            MetricsSources sources, std::string version);

} // namespace tinyice::server
