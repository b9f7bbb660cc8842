#include "metrics/Exposition.hpp"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <system_error>

namespace tinyice::metrics {
namespace {

TEST(ExpositionTest, WritesHelpTypeAndSamples) {
    TextExposition out;
    out.family("tinyice_mount_listeners", MetricType::gauge, "Listeners connected now.");
    out.sample({{"mount", "/live"}}, std::uint64_t{3});
    out.sample({{"mount", "/jazz"}}, 0);
    out.family("tinyice_connections_total", MetricType::counter, "Connections accepted.");
    out.sample({}, std::uint64_t{18446744073709551615ULL});
    EXPECT_EQ(out.finish(), "# HELP tinyice_mount_listeners Listeners connected now.\n"
                            "# TYPE tinyice_mount_listeners gauge\n"
                            "tinyice_mount_listeners{mount=\"/live\"} 3\n"
                            "tinyice_mount_listeners{mount=\"/jazz\"} 0\n"
                            "# HELP tinyice_connections_total Connections accepted.\n"
                            "# TYPE tinyice_connections_total counter\n"
                            "tinyice_connections_total 18446744073709551615\n");
}

TEST(ExpositionTest, GroupsSamplesUnderTheirFamilyInDeclarationOrder) {
    TextExposition out;
    // A renderer looping over mounts alternates between families.
    for (const char* mount : {"/a", "/b"}) {
        out.family("x_listeners", MetricType::gauge, "L");
        out.sample({{"mount", mount}}, 1);
        out.family("x_bytes_total", MetricType::counter, "B");
        out.sample({{"mount", mount}}, 2);
    }
    EXPECT_EQ(out.finish(), "# HELP x_listeners L\n"
                            "# TYPE x_listeners gauge\n"
                            "x_listeners{mount=\"/a\"} 1\n"
                            "x_listeners{mount=\"/b\"} 1\n"
                            "# HELP x_bytes_total B\n"
                            "# TYPE x_bytes_total counter\n"
                            "x_bytes_total{mount=\"/a\"} 2\n"
                            "x_bytes_total{mount=\"/b\"} 2\n");
}

TEST(ExpositionTest, FamilyWithoutSamplesKeepsItsMetadata) {
    TextExposition out;
    out.family("x_up", MetricType::untyped, "");
    EXPECT_EQ(out.finish(), "# HELP x_up\n# TYPE x_up untyped\n");
}

TEST(ExpositionTest, FinishEmptiesTheBuilder) {
    TextExposition out;
    out.family("x", MetricType::gauge, "h");
    out.sample({}, 1);
    EXPECT_FALSE(out.finish().empty());
    EXPECT_EQ(out.finish(), "");
    EXPECT_THROW(out.sample({}, 1), std::logic_error);
    // The same names may be used again for the next scrape.
    out.family("x", MetricType::untyped, "other help");
    out.sample({}, 2);
    EXPECT_EQ(out.finish(), "# HELP x other help\n# TYPE x untyped\nx 2\n");
}

TEST(ExpositionTest, EscapesHelpText) {
    EXPECT_EQ(escape_help("a\\b\nc \"quoted\""), "a\\\\b\\nc \"quoted\"");
    TextExposition out;
    out.family("x", MetricType::gauge, "line one\nC:\\path");
    EXPECT_EQ(out.finish(), "# HELP x line one\\nC:\\\\path\n# TYPE x gauge\n");
}

TEST(ExpositionTest, EscapesLabelValues) {
    EXPECT_EQ(escape_label_value("say \"hi\"\\\n"), "say \\\"hi\\\"\\\\\\n");
    TextExposition out;
    out.family("x", MetricType::gauge, "h");
    out.sample({{"mount", "/a\"b\\c\nd"}, {"e", ""}}, 1);
    EXPECT_EQ(out.finish(), "# HELP x h\n# TYPE x gauge\nx{mount=\"/a\\\"b\\\\c\\nd\",e=\"\"} 1\n");
}

TEST(ExpositionTest, KeepsUtf8AndReplacesInvalidBytes) {
    EXPECT_EQ(escape_label_value("Caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8E\xB5"),
              "Caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8E\xB5");
    const std::string fffd = "\xEF\xBF\xBD";
    EXPECT_EQ(escape_label_value("a\xFF"
                                 "b"),
              "a" + fffd + "b");
    EXPECT_EQ(escape_label_value("\xC3"), fffd);                                  // cut off
    EXPECT_EQ(escape_label_value("\xC0\xAF"), fffd + fffd);                       // overlong '/'
    EXPECT_EQ(escape_label_value("\xED\xA0\x80"), fffd + fffd + fffd);            // surrogate
    EXPECT_EQ(escape_label_value("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd); // > U+10FFFF
    EXPECT_EQ(escape_help("\x80\n"), fffd + "\\n");
}

TEST(ExpositionTest, FormatsSpecialFloatsAsPrometheusSpellsThem) {
    EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
    EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
    EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(ExpositionTest, FormatsIntegralFloatsWithoutExponent) {
    EXPECT_EQ(format_value(0.0), "0");
    EXPECT_EQ(format_value(-0.0), "0");
    EXPECT_EQ(format_value(1500000.0), "1500000");
    EXPECT_EQ(format_value(-42.0), "-42");
    EXPECT_EQ(format_value(1e15), "1000000000000000");
    EXPECT_EQ(format_value(9007199254740993.0), "9007199254740992"); // nearest double
}

TEST(ExpositionTest, FormatsFractionsShortestRoundTrip) {
    EXPECT_EQ(format_value(0.1), "0.1");
    EXPECT_EQ(format_value(-2.5), "-2.5");
    EXPECT_EQ(format_value(1.5e-7), "1.5e-07");
    EXPECT_EQ(format_value(1e300), "1e+300");
    for (const double v : {0.1, 1.0 / 3.0, 123456.789, 6.02214076e23, 5e-324}) {
        const std::string text = format_value(v);
        double back = 0;
        const auto res = std::from_chars(text.data(), text.data() + text.size(), back);
        EXPECT_EQ(res.ec, std::errc{}) << text;
        EXPECT_EQ(back, v) << text;
    }
}

TEST(ExpositionTest, WritesIntegersExactly) {
    TextExposition out;
    out.family("x", MetricType::gauge, "h");
    out.sample({{"k", "min"}}, std::numeric_limits<std::int64_t>::min());
    out.sample({{"k", "neg"}}, -7);
    out.sample({{"k", "true"}}, true);
    out.sample({{"k", "false"}}, false);
    out.sample({{"k", "nan"}}, std::nan(""));
    EXPECT_EQ(out.finish(), "# HELP x h\n# TYPE x gauge\n"
                            "x{k=\"min\"} -9223372036854775808\n"
                            "x{k=\"neg\"} -7\n"
                            "x{k=\"true\"} 1\n"
                            "x{k=\"false\"} 0\n"
                            "x{k=\"nan\"} NaN\n");
}

TEST(ExpositionTest, ValidatesMetricNames) {
    for (const char* good : {"a", "_", ":", "tinyice_x", "a:b_c9", "A1"}) {
        EXPECT_TRUE(is_valid_metric_name(good)) << good;
    }
    for (const char* bad : {"", "9a", "a-b", "a b", "a.b", "a{", "caf\xC3\xA9"}) {
        EXPECT_FALSE(is_valid_metric_name(bad)) << bad;
    }
    TextExposition out;
    EXPECT_THROW(out.family("1x", MetricType::gauge, "h"), std::invalid_argument);
    EXPECT_THROW(out.family("x-y", MetricType::gauge, "h"), std::invalid_argument);
}

TEST(ExpositionTest, ValidatesLabelNames) {
    for (const char* good : {"a", "_a", "mount", "A_9", "_"}) {
        EXPECT_TRUE(is_valid_label_name(good)) << good;
    }
    for (const char* bad : {"", "__name__", "__x", "9a", "a:b", "a-b", "a b"}) {
        EXPECT_FALSE(is_valid_label_name(bad)) << bad;
    }
    TextExposition out;
    out.family("x", MetricType::gauge, "h");
    EXPECT_THROW(out.sample({{"__name__", "y"}}, 1), std::invalid_argument);
    EXPECT_THROW(out.sample({{"a:b", "y"}}, 1), std::invalid_argument);
    EXPECT_THROW(out.sample({{"a", "1"}, {"a", "2"}}, 1), std::invalid_argument);
    // Refused samples leave nothing behind.
    EXPECT_EQ(out.finish(), "# HELP x h\n# TYPE x gauge\n");
}

TEST(ExpositionTest, CountersMustEndInTotal) {
    TextExposition out;
    EXPECT_THROW(out.family("tinyice_bytes", MetricType::counter, "h"), std::invalid_argument);
    EXPECT_NO_THROW(out.family("tinyice_bytes_total", MetricType::counter, "h"));
    EXPECT_NO_THROW(out.family("tinyice_bytes", MetricType::gauge, "h"));
}

TEST(ExpositionTest, RedeclaringAFamilyMustAgree) {
    TextExposition out;
    out.family("x", MetricType::gauge, "h");
    EXPECT_THROW(out.family("x", MetricType::untyped, "h"), std::invalid_argument);
    EXPECT_THROW(out.family("x", MetricType::gauge, "other"), std::invalid_argument);
    EXPECT_NO_THROW(out.family("x", MetricType::gauge, "h"));
}

TEST(ExpositionTest, RefusesDuplicateSeries) {
    TextExposition out;
    out.family("x", MetricType::gauge, "h");
    out.sample({{"a", "1"}, {"b", "2"}}, 1);
    EXPECT_THROW(out.sample({{"a", "1"}, {"b", "2"}}, 1), std::invalid_argument);
    // Label order does not make another series.
    EXPECT_THROW(out.sample({{"b", "2"}, {"a", "1"}}, 1), std::invalid_argument);
    EXPECT_NO_THROW(out.sample({{"a", "1"}, {"b", "3"}}, 1));
    out.sample({}, 1);
    EXPECT_THROW(out.sample({}, 2), std::invalid_argument);
    // Returning to the family still knows its series.
    out.family("y", MetricType::gauge, "h");
    out.family("x", MetricType::gauge, "h");
    EXPECT_THROW(out.sample({{"a", "1"}, {"b", "3"}}, 1), std::invalid_argument);
}

TEST(ExpositionTest, HistogramSamplesTakeSuffixes) {
    TextExposition out;
    out.family("x_seconds", MetricType::histogram, "h");
    EXPECT_THROW(out.sample({}, 1), std::invalid_argument);
    EXPECT_THROW(out.sample({}, 1, "_bucket"), std::invalid_argument); // no le
    EXPECT_THROW(out.sample({}, 1, "_total"), std::invalid_argument);
    out.sample({{"le", format_value(0.5)}}, 1, "_bucket");
    out.sample({{"le", format_value(std::numeric_limits<double>::infinity())}}, 3, "_bucket");
    out.sample({}, 2.25, "_sum");
    out.sample({}, 3, "_count");
    EXPECT_EQ(out.finish(), "# HELP x_seconds h\n# TYPE x_seconds histogram\n"
                            "x_seconds_bucket{le=\"0.5\"} 1\n"
                            "x_seconds_bucket{le=\"+Inf\"} 3\n"
                            "x_seconds_sum 2.25\n"
                            "x_seconds_count 3\n");
}

TEST(ExpositionTest, SummaryAndPlainTypesCheckSuffixes) {
    TextExposition out;
    out.family("x_latency", MetricType::summary, "h");
    EXPECT_THROW(out.sample({}, 1), std::invalid_argument); // needs quantile
    EXPECT_THROW(out.sample({}, 1, "_bucket"), std::invalid_argument);
    out.sample({{"quantile", "0.99"}}, 0.5);
    out.sample({}, 10, "_sum");
    out.sample({}, 20, "_count");
    out.family("x_total", MetricType::counter, "h");
    EXPECT_THROW(out.sample({}, 1, "_sum"), std::invalid_argument);
    out.family("x_gauge", MetricType::gauge, "h");
    EXPECT_THROW(out.sample({}, 1, "_count"), std::invalid_argument);
    EXPECT_EQ(out.finish(), "# HELP x_latency h\n# TYPE x_latency summary\n"
                            "x_latency{quantile=\"0.99\"} 0.5\n"
                            "x_latency_sum 10\n"
                            "x_latency_count 20\n"
                            "# HELP x_total h\n# TYPE x_total counter\n"
                            "# HELP x_gauge h\n# TYPE x_gauge gauge\n");
}

TEST(ExpositionTest, SampleBeforeFamilyIsALogicError) {
    TextExposition out;
    EXPECT_THROW(out.sample({}, 1.0), std::logic_error);
}

TEST(ExpositionTest, TypeNames) {
    EXPECT_EQ(to_string(MetricType::counter), "counter");
    EXPECT_EQ(to_string(MetricType::gauge), "gauge");
    EXPECT_EQ(to_string(MetricType::histogram), "histogram");
    EXPECT_EQ(to_string(MetricType::summary), "summary");
    EXPECT_EQ(to_string(MetricType::untyped), "untyped");
    EXPECT_EQ(exposition_content_type, "text/plain; version=0.0.4; charset=utf-8");
}

} // namespace
} // namespace tinyice::metrics
