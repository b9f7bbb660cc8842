// One mount section on its own: the JSON round trip and the validation used for mounts
// defined through the API (kept in the database in the file's shape).

#include "config/Config.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tinyice::config {
namespace {

constexpr std::string_view a_hash =
    "$y$j9T$UCvj0XuKcYzXSdnl9tFFk.$q8teiqIYQB22mCGar/BkykJC046ekABP6qb1WMQlyNB";

std::string error_of_validate(const MountConfig& m, const LimitsConfig& limits = {}) {
    try {
        validate_mount(m, limits, "");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

MountConfig valid() {
    MountConfig m;
    m.name = "/show";
    return m;
}

}  // namespace

TEST(MountSection, RoundTripsThroughJson) {
    MountConfig m;
    m.name = "/show";
    m.username = "dj";
    m.password = std::string(a_hash);
    m.max_listeners = 10;
    m.burst_size = 32768;
    m.queue_size = 262144;
    m.flush_interval_ms = 0;
    m.metaint = 8192;
    m.fallback = "/backup";
    m.fallback_override = false;
    m.hidden = true;
    m.stream_name = "The Show";
    m.charset = "ISO-8859-1";
    EXPECT_EQ(parse_mount(to_json(m)), m);
    EXPECT_EQ(parse_mount(to_json(valid())), valid());  // unset optionals stay unset
}

TEST(MountSection, ParseNamesTheBadKey) {
    try {
        parse_mount(R"({"name": "/x", "max_listener": 3})");
        FAIL() << "unknown key accepted";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("max_listener"), std::string::npos) << e.what();
    }
    try {
        parse_mount(R"({"name": "/x", "burst_size": "big"})");
        FAIL() << "string accepted for a number";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()).rfind("burst_size:", 0), 0U) << e.what();
    }
    EXPECT_THROW(parse_mount("[1]"), ConfigError);
    EXPECT_THROW(parse_mount("{"), ConfigError);
    // null switches an override off (back to the server default).
    EXPECT_FALSE(parse_mount(R"({"name": "/x", "max_listeners": null})").max_listeners);
}

TEST(MountSection, ValidateAppliesTheFileRules) {
    EXPECT_EQ(error_of_validate(valid()), "");
    auto m = valid();
    m.name = "show";
    EXPECT_EQ(error_of_validate(m).rfind("name: must start with '/'", 0), 0U);
    m = valid();
    m.name = "/a b";
    EXPECT_NE(error_of_validate(m), "");
    m = valid();
    m.password = "plain-text";
    EXPECT_EQ(error_of_validate(m).rfind("password: is not a crypt hash", 0), 0U);
    m = valid();
    m.queue_size = 1000;
    EXPECT_EQ(error_of_validate(m).rfind("queue_size: must be at least", 0), 0U);
    m = valid();
    m.burst_size = 600000;  // above the default queue size
    EXPECT_EQ(error_of_validate(m).rfind("burst_size: must be less than", 0), 0U);
    m = valid();
    m.metaint = 10;
    EXPECT_EQ(error_of_validate(m).rfind("metaint:", 0), 0U);
    m = valid();
    m.flush_interval_ms = 5000;
    EXPECT_EQ(error_of_validate(m).rfind("flush_interval_ms:", 0), 0U);
    m = valid();
    m.fallback = "/show";
    EXPECT_EQ(error_of_validate(m).rfind("fallback: must differ", 0), 0U);
    m = valid();
    m.charset = "UTF 8";
    EXPECT_EQ(error_of_validate(m).rfind("charset:", 0), 0U);
    m = valid();
    m.stream_name = "a\nb";
    EXPECT_EQ(error_of_validate(m).rfind("stream_name:", 0), 0U);
    m = valid();
    m.username = "a:b";
    EXPECT_EQ(error_of_validate(m).rfind("username:", 0), 0U);
}

TEST(MountSection, ValidateUsesTheLimitsForUnsetSizes) {
    LimitsConfig limits;
    limits.queue_size = 65536;
    limits.burst_size = 8192;
    auto m = valid();
    m.burst_size = 70000;  // above the server's queue size, no queue_size of its own
    EXPECT_EQ(error_of_validate(m, limits).rfind("burst_size:", 0), 0U);
    m.queue_size = 131072;
    EXPECT_EQ(error_of_validate(m, limits), "");
    // With a path the keys are prefixed, as for the file's mounts[i].
    m.metaint = 1;
    try {
        validate_mount(m, limits, "mounts[3]");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()).rfind("mounts[3].metaint:", 0), 0U) << e.what();
    }
}

}  // namespace tinyice::config
