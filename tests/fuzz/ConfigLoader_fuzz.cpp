// Fuzzes the config loader: JSON front end, typed readers and validate(). ConfigError is the
// documented way to reject input; any other exception, crash or sanitizer report is a bug.
// Accepted input must also survive to_json -> parse unchanged.

#include "config/Config.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    tinyice::config::Config cfg;
    try {
        cfg = tinyice::config::parse_config_unvalidated(text);
    } catch (const tinyice::config::ConfigError&) {
        return 0;
    }
    // The writer must produce something the reader takes back as the same config.
    if (tinyice::config::parse_config_unvalidated(tinyice::config::to_json(cfg)) != cfg) {
        std::abort();
    }
    try {
        tinyice::config::validate(cfg);
    } catch (const tinyice::config::ConfigError&) {
        return 0;
    }
    // parse_config is exactly parse_config_unvalidated followed by validate.
    if (tinyice::config::parse_config(text) != cfg) {
        std::abort();
    }
    return 0;
}
