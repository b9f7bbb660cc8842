#include "metrics/ServerMetrics.hpp"

#include "metrics/Exposition.hpp"
#include "metrics/MetricsTestUtil.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Checks exposition files against the text format 0.0.4 line grammar (stricter than the Python
// parser, which accepts a lot), then parses each with prometheus_client. For every file it prints
//   @@ ok | @@ fail
// followed, when ok, by
//   family <name> <type> <sample count>
//   sample <name> <labels as sorted JSON> <value as Python repr>
// and otherwise by the problems found.
constexpr const char* exposition_checker = R"PY(
import json, re, sys
from prometheus_client.parser import text_string_to_metric_families

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*'
LVALUE = r'"(?:[^"\\\n]|\\[\\"n])*"'
VALUE = r'(?:NaN|[+-]Inf|[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)'
PAIR = LABEL + '=' + LVALUE
SAMPLE = re.compile('(' + NAME + r')(\{(?:' + PAIR + '(?:,' + PAIR + r')*)?\})? (' + VALUE + ')')
HELP = re.compile('# HELP (' + NAME + r')(?: (?:[^\\\n]|\\[\\n])*)?')
TYPE = re.compile('# TYPE (' + NAME + ') (counter|gauge|histogram|summary|untyped)')
SUFFIXES = {'counter': [''], 'gauge': [''], 'untyped': [''],
            'summary': ['', '_sum', '_count'], 'histogram': ['_bucket', '_sum', '_count']}

def grammar_errors(text):
    errors = []
    if not text.endswith('\n'):
        errors.append('no newline at the end')
    helps, types, series = set(), {}, set()
    current = None
    for n, line in enumerate(text.split('\n')[:-1], 1):
        if line.startswith('# HELP '):
            m = HELP.fullmatch(line)
            if not m:
                errors.append('%d: bad HELP line: %r' % (n, line))
            elif m.group(1) in helps:
                errors.append('%d: second HELP for %s' % (n, m.group(1)))
            else:
                helps.add(m.group(1))
        elif line.startswith('# TYPE '):
            m = TYPE.fullmatch(line)
            if not m:
                errors.append('%d: bad TYPE line: %r' % (n, line))
                continue
            name = m.group(1)
            if name in types:
                errors.append('%d: second TYPE for %s' % (n, name))
            if name not in helps:
                errors.append('%d: TYPE without HELP before it: %s' % (n, name))
            if m.group(2) == 'counter' and not name.endswith('_total'):
                errors.append('%d: counter not named *_total: %s' % (n, name))
            types[name] = m.group(2)
            current = name
        else:
            m = SAMPLE.fullmatch(line)
            if not m:
                errors.append('%d: bad line: %r' % (n, line))
                continue
            if current is None or m.group(1) not in [current + s for s in SUFFIXES[types[current]]]:
                errors.append('%d: sample %s outside its family' % (n, m.group(1)))
            key = line.rsplit(' ', 1)[0]
            if key in series:
                errors.append('%d: duplicate series %s' % (n, key))
            series.add(key)
    return errors

for path in sys.argv[1:]:
    try:
        text = open(path, 'rb').read().decode('utf-8')  # strict: invalid UTF-8 raises
        errors = grammar_errors(text)
        lines = []
        if not errors:
            for family in text_string_to_metric_families(text):
                lines.append('family %s %s %d' % (family.name, family.type, len(family.samples)))
                for s in family.samples:
                    lines.append('sample %s %s %r' % (s.name, json.dumps(s.labels, sort_keys=True), s.value))
    except Exception as e:
        errors = ['%s: %s' % (type(e).__name__, e)]
    print('@@ fail' if errors else '@@ ok')
    print('\n'.join(errors or lines))
)PY";

struct Checked {
    bool ok = false;
    std::string output; // what the checker printed (problems, or the parsed families)
};

// One Python run (its start-up and import cost most of the time) for all `texts`; nullopt when
// there is no Python with prometheus_client.
std::optional<std::vector<Checked>> check_expositions(const std::vector<std::string>& texts) {
    static const std::string python = test::find_python("prometheus_client.parser");
    if (python.empty()) {
        return std::nullopt;
    }
    std::vector<std::unique_ptr<test::TempFile>> files;
    std::vector<std::string> paths;
    for (const auto& text : texts) {
        files.push_back(std::make_unique<test::TempFile>(text));
        paths.push_back(files.back()->path().string());
    }
    const auto r = test::run_python(python, exposition_checker, paths);
    std::vector<Checked> out;
    for (const auto& line : test::split_lines(r.out)) {
        if (line == "@@ ok" || line == "@@ fail") {
            out.push_back({.ok = line == "@@ ok"});
        } else if (!out.empty()) {
            out.back().output += line + "\n";
        }
    }
    // A checker that died (or printed too few sections) fails every text.
    if (!r.ok() || out.size() != texts.size()) {
        const std::string why = "checker failed: " + r.error + r.err + r.out;
        out.assign(texts.size(), Checked{.ok = false, .output = why});
    }
    return out;
}

constexpr const char* no_parser =
    "no python3 with prometheus_client (apt-get install python3-prometheus-client)";

std::vector<std::string> type_lines(const std::string& text) {
    std::vector<std::string> out;
    for (const auto& line : test::split_lines(text)) {
        if (line.starts_with("# TYPE ")) {
            out.push_back(line);
        }
    }
    return out;
}

TEST(ServerMetricsTest, FullRenderParsesWithThePrometheusParser) {
    const std::string text = render_server_metrics(test::full_input());
    const auto results = check_expositions({text});
    if (!results) {
        GTEST_SKIP() << no_parser;
    }
    const Checked& checked = results->at(0);
    ASSERT_TRUE(checked.ok) << checked.output << "\n--- exposition ---\n" << text;

    const auto lines = test::split_lines(checked.output);
    std::map<std::string, std::string> family_types; // as the Python parser names them
    std::set<std::string> samples;
    for (const auto& line : lines) {
        if (line.starts_with("family ")) {
            std::string name;
            std::string type;
            std::istringstream(line.substr(7)) >> name >> type;
            EXPECT_TRUE(family_types.emplace(name, type).second) << "family twice: " << name;
        } else if (line.starts_with("sample ")) {
            samples.insert(line.substr(7));
        }
    }
    // One parsed family per TYPE line: a sample outside its group would have become an extra
    // "untyped" family.
    EXPECT_EQ(family_types.size(), type_lines(text).size());
    for (const auto& [name, type] : family_types) {
        EXPECT_NE(type, "untyped") << name;
    }
    // The Python parser names counter families without _total.
    EXPECT_EQ(family_types["tinyice_mount_bytes_out"], "counter");
    EXPECT_EQ(family_types["process_cpu_seconds"], "counter");
    EXPECT_EQ(family_types["tinyice_mount_listeners"], "gauge");

    for (
        const char* expected : {
            R"(tinyice_build_info {"version": "0.1.0"} 1.0)",
            R"(tinyice_uptime_seconds {} 3600.0)",
            R"(tinyice_connections_open {} 17.0)",
            R"(tinyice_connections_total {} 4242.0)",
            R"(tinyice_listeners {} 15.0)",
            R"(tinyice_sources {} 2.0)",
            R"(tinyice_listener_connections_total {} 4000.0)",
            R"(tinyice_source_connections_total {} 12.0)",
            R"(tinyice_http_requests_total {"code": "200"} 5000.0)",
            R"(tinyice_http_requests_total {"code": "503"} 1.0)",
            R"(tinyice_auth_failures_total {"kind": "admin_login"} 4.0)",
            R"(tinyice_auth_failures_total {"kind": "csrf"} 0.0)",
            R"(tinyice_auth_failures_total {"kind": "future_kind"} 1.0)",
            R"(tinyice_lockouts_total {"kind": "login"} 0.0)",
            R"(tinyice_lockouts_total {"kind": "scan"} 1.0)",
            R"(tinyice_bans_active {} 2.0)",
            R"(tinyice_mount_listeners {"mount": "/live"} 12.0)",
            R"(tinyice_mount_listener_peak {"mount": "/live"} 40.0)",
            R"(tinyice_mount_bytes_in_total {"mount": "/live"} 1234567890123.0)",
            R"(tinyice_mount_bytes_out_total {"mount": "/live"} 98765432109876.0)",
            R"(tinyice_mount_slow_listeners_total {"mount": "/live"} 3.0)",
            R"(tinyice_mount_source_connected {"mount": "/live"} 1.0)",
            R"(tinyice_mount_source_connected {"mount": "/idle"} 0.0)",
            R"(tinyice_mount_source_uptime_seconds {"mount": "/live"} 1800.5)",
            R"(tinyice_mount_source_origin {"mount": "/live", "origin": "live"} 1.0)",
            R"(tinyice_mount_source_origin {"mount": "/autodj.ogg", "origin": "autodj"} 1.0)",
            // Escaped on the way out, unescaped by the parser: the same string again.
            R"(tinyice_mount_listeners {"mount": "/we\"ird\\name\nCaf\u00e9"} 1.0)",
            R"(tinyice_autodj_station_state {"mount": "/autodj.ogg", "state": "playing", "station": "main"} 1.0)",
            R"(tinyice_autodj_station_state {"mount": "/autodj.ogg", "state": "stopped", "station": "main"} 0.0)",
            R"(tinyice_autodj_station_state {"mount": "/night", "state": "paused", "station": "night"} 1.0)",
            R"(tinyice_autodj_tracks_played_total {"mount": "/autodj.ogg", "station": "main"} 321.0)",
            R"(tinyice_transcoder_running {"transcoder": "live-opus"} 1.0)",
            R"(tinyice_transcoder_running {"transcoder": "live-aac"} 0.0)",
            R"(process_cpu_seconds_total {} 12.34)",
            R"(process_resident_memory_bytes {} 52428800.0)",
            R"(process_virtual_memory_bytes {} 734003200.0)",
            R"(process_open_fds {} 123.0)",
            R"(process_max_fds {} 1048576.0)",
            R"(process_start_time_seconds {} 1700000000.5)",
            R"(process_threads {} 9.0)",
        }) {
        EXPECT_TRUE(samples.contains(expected)) << "missing: " << expected << "\n"
                                                << checked.output;
    }
    // No origin series for mounts without a source.
    for (const auto& s : samples) {
        EXPECT_FALSE(s.starts_with("tinyice_mount_source_origin {\"mount\": \"/idle\""));
    }
}

TEST(ServerMetricsTest, EmptyInputStillHasEveryFamily) {
    const std::string empty = render_server_metrics(MetricsInput{});
    const std::string full = render_server_metrics(test::full_input());
    EXPECT_EQ(type_lines(empty), type_lines(full));
    const auto results = check_expositions({empty});
    if (!results) {
        GTEST_SKIP() << no_parser;
    }
    const Checked& checked = results->at(0);
    EXPECT_TRUE(checked.ok) << checked.output << "\n--- exposition ---\n" << empty;
}

TEST(ServerMetricsTest, ProcessMetricsUseTheStandardNames) {
    const std::string text = render_server_metrics(test::full_input());
    for (const char* line : {
             "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 12.34\n",
             "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 52428800\n",
             "# TYPE process_open_fds gauge\nprocess_open_fds 123\n",
             "# TYPE process_max_fds gauge\nprocess_max_fds 1048576\n",
             "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds 1700000000.5\n",
             "# TYPE process_threads gauge\nprocess_threads 9\n",
         }) {
        EXPECT_THAT(text, HasSubstr(line));
    }
}

TEST(ServerMetricsTest, EveryTinyIceFamilyHasThePrefix) {
    const std::string text = render_server_metrics(test::full_input());
    for (const auto& line : type_lines(text)) {
        const std::string name = line.substr(7, line.find(' ', 7) - 7);
        EXPECT_TRUE(name.starts_with("tinyice_") || name.starts_with("process_")) << name;
    }
}

TEST(ServerMetricsTest, DuplicateNamesAreExportedOnce) {
    MetricsInput in;
    in.mounts = {MountMetrics{.mount = "/a", .listeners = 1},
                 MountMetrics{.mount = "/a", .listeners = 2}};
    in.stations = {StationMetrics{.station = "s"}, StationMetrics{.station = "s"}};
    in.transcoders = {TranscoderMetrics{.name = "t"}, TranscoderMetrics{.name = "t"}};
    std::string text;
    ASSERT_NO_THROW(text = render_server_metrics(in));
    EXPECT_THAT(text, HasSubstr("tinyice_mount_listeners{mount=\"/a\"} 1\n"));
    EXPECT_THAT(text, Not(HasSubstr("tinyice_mount_listeners{mount=\"/a\"} 2\n")));
    const auto lines = test::split_lines(text);
    const auto count = [&](std::string_view prefix) {
        return std::count_if(lines.begin(), lines.end(),
                             [&](const std::string& l) { return l.starts_with(prefix); });
    };
    EXPECT_EQ(count("tinyice_mount_listeners{"), 1);
    EXPECT_EQ(count("tinyice_autodj_station_state{"), 3);
    EXPECT_EQ(count("tinyice_autodj_tracks_played_total{"), 1);
    EXPECT_EQ(count("tinyice_transcoder_running{"), 1);
}

TEST(ServerMetricsTest, StationStateIsOneGaugePerState) {
    MetricsInput in;
    in.stations = {StationMetrics{.station = "s", .mount = "/m", .state = StationState::stopped}};
    const std::string text = render_server_metrics(in);
    EXPECT_THAT(text, HasSubstr("tinyice_autodj_station_state{station=\"s\",mount=\"/m\","
                                "state=\"playing\"} 0\n"
                                "tinyice_autodj_station_state{station=\"s\",mount=\"/m\","
                                "state=\"paused\"} 0\n"
                                "tinyice_autodj_station_state{station=\"s\",mount=\"/m\","
                                "state=\"stopped\"} 1\n"));
}

TEST(ServerMetricsTest, SourceUptimeIsZeroWithoutASource) {
    MetricsInput in;
    in.mounts = {MountMetrics{.mount = "/m", .source_uptime_seconds = 99, .origin = "live"}};
    const std::string text = render_server_metrics(in);
    EXPECT_THAT(text, HasSubstr("tinyice_mount_source_uptime_seconds{mount=\"/m\"} 0\n"));
    EXPECT_THAT(text, Not(HasSubstr("tinyice_mount_source_origin{")));
}

// The checker must be able to fail, or the tests above prove nothing.
TEST(ServerMetricsTest, CheckerRejectsBrokenExpositions) {
    const std::vector<std::string> texts = {
        "# HELP a h\n# TYPE a gauge\na 1\n", // the one good text
        "# HELP a h\n# TYPE a gauge\na 1\n# HELP b h\n# TYPE b gauge\nb 1\na 2\n",
        "# HELP a h\n# TYPE a gauge\na{m=\"x\\q\"} 1\n",
        "# HELP a h\n# TYPE a gauge\na{m=\"x\"} 1e\n",
        "# HELP a h\n# TYPE a gauge\na inf\n",
        "# HELP a h\n# TYPE a gauge\na{m=\"\xFF\"} 1\n",
        "# HELP a h\n# TYPE a gauge\na{m=\"x\"} 1\na{m=\"x\"} 2\n",
        "# HELP a h\n# TYPE a counter\na 1\n",
        "# HELP a h\n# TYPE a gauge\na 1",
        "# TYPE a gauge\na 1\n",
    };
    const auto results = check_expositions(texts);
    if (!results) {
        GTEST_SKIP() << no_parser;
    }
    ASSERT_EQ(results->size(), texts.size());
    EXPECT_TRUE(results->at(0).ok) << results->at(0).output;
    for (std::size_t i = 1; i < texts.size(); ++i) {
        EXPECT_FALSE(results->at(i).ok) << "accepted: " << texts[i];
    }
}

} // namespace
} // namespace tinyice::metrics
