#pragma once
// Process-wide logging setup. Components take a named child logger (`util::logger("source")`)
// so every line carries its subsystem; the access log is a separate logger in combined format.

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/logger.h>

namespace tinyice::util {

struct LogSettings {
    std::string level = "info";   // trace|debug|info|warn|error|critical|off
    std::string format = "text";  // text|json
    std::string error_log;        // file path; empty = stderr
    std::string access_log;       // file path; empty = stdout; "off" = disabled
};

// Replaces the sinks of every logger. Throws std::runtime_error when a log file cannot be opened.
void configure_logging(const LogSettings& settings);

// A logger for one subsystem, sharing the configured sinks and level.
std::shared_ptr<spdlog::logger> logger(std::string_view subsystem);

// The access log (combined log format lines); a no-op logger when disabled.
spdlog::logger& access_log();

// Escapes a string for the JSON log format and for quoted fields of the access log.
std::string escape_log_field(std::string_view s);

}  // namespace tinyice::util
