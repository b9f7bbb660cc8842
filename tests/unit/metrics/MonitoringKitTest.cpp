// Keeps monitoring/ true to what render_server_metrics exports: the Grafana dashboard must be a
// valid, importable dashboard whose queries only use metric and label names that exist, and the
// README and Prometheus config must not name metrics that do not.

#include "metrics/MetricsTestUtil.hpp"
#include "metrics/ServerMetrics.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace tinyice::metrics {
namespace {

// Checks the dashboard's structure and prints what its queries use:
//   metric <name>     every tinyice_* / process_* name in a query
//   label <name>      every label name in a matcher, a by/without/on/ignoring/group_* list
//                     or a {{legend}} template
//   queries <count>
// Structural problems are printed as "error: ..." lines (exit status 1).
constexpr const char* dashboard_checker = R"PY(
import json, re, sys

d = json.load(open(sys.argv[1]))
errors = []
def err(msg):
    errors.append(msg)

if not isinstance(d.get('schemaVersion'), int) or d['schemaVersion'] < 37:
    err('schemaVersion must be 37 or newer')
if not any(i.get('name') == 'DS_PROMETHEUS' and i.get('pluginId') == 'prometheus'
           for i in d.get('__inputs', [])):
    err('no DS_PROMETHEUS datasource input')
for key in ('title', 'uid', 'panels', 'templating', 'time'):
    if key not in d:
        err('missing ' + key)
if d.get('id') is not None:
    err('id must be null in a shared dashboard')

queries, legends = [], []
ids = set()
def walk(node, where):
    if isinstance(node, dict):
        ds = node.get('datasource')
        if isinstance(ds, dict) and ds.get('type') == 'prometheus' and ds.get('uid') != '${DS_PROMETHEUS}':
            err(where + ': datasource is not ${DS_PROMETHEUS}')
        for k, v in node.items():
            if k in ('expr', 'query', 'definition') and isinstance(v, str):
                queries.append(v)
            if k == 'legendFormat' and isinstance(v, str):
                legends.append(v)
            walk(v, where + '.' + k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, '%s[%d]' % (where, i))

for i, p in enumerate(d.get('panels', [])):
    where = 'panel %r' % p.get('title')
    if p.get('id') in ids:
        err(where + ': duplicate id')
    ids.add(p.get('id'))
    g = p.get('gridPos', {})
    if not all(isinstance(g.get(k), int) for k in 'hwxy') or g['x'] + g['w'] > 24:
        err(where + ': bad gridPos')
    if p.get('type') != 'row':
        if p.get('datasource') != {'type': 'prometheus', 'uid': '${DS_PROMETHEUS}'}:
            err(where + ': panel datasource is not ${DS_PROMETHEUS}')
        targets = p.get('targets') or []
        if not targets or not all(t.get('expr') for t in targets):
            err(where + ': no query')
        refs = [t.get('refId') for t in targets]
        if len(set(refs)) != len(refs):
            err(where + ': duplicate refId')
walk(d, 'dashboard')

text = '\n'.join(queries)
metrics = set(re.findall(r'\b(?:tinyice|process)_[a-zA-Z0-9_:]+', text))
labels = set()
for body in re.findall(r'\{([^{}]*)\}', text):
    labels.update(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)', body))
for lst in re.findall(r'\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)', text):
    labels.update(x.strip() for x in lst.split(',') if x.strip())
for name in re.findall(r'label_values\(\s*[a-zA-Z_:][a-zA-Z0-9_:]*\s*(?:\{[^}]*\})?\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)', text):
    labels.add(name)
for legend in legends:
    labels.update(re.findall(r'\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}', legend))

for e in errors:
    print('error: ' + e)
for m in sorted(metrics):
    print('metric ' + m)
for l in sorted(labels):
    print('label ' + l)
print('queries %d' % len(queries))
sys.exit(1 if errors else 0)
)PY";

struct Used {
    std::set<std::string> metrics;
    std::set<std::string> labels;
    int queries = 0;
};

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// Sample names (before '{' or ' ') and label names of an exposition.
struct Exported {
    std::set<std::string> metrics;
    std::set<std::string> labels;
};

Exported exported(const std::string& text) {
    Exported out;
    const std::regex label_re(R"(([a-zA-Z_][a-zA-Z0-9_]*)=")");
    for (const auto& line : test::split_lines(text)) {
        if (line.empty() || line.front() == '#') {
            continue;
        }
        const auto end = line.find_first_of("{ ");
        out.metrics.insert(line.substr(0, end));
        if (end != std::string::npos && line[end] == '{') {
            const std::string labels = line.substr(end, line.rfind('}') - end);
            // Label values are quoted and escaped; cut them out before looking for names.
            const std::string names_only =
                std::regex_replace(labels, std::regex(R"("(?:[^"\\]|\\.)*")"), "\"\"");
            for (std::sregex_iterator it(names_only.begin(), names_only.end(), label_re), e;
                 it != e; ++it) {
                out.labels.insert((*it)[1].str());
            }
        }
    }
    return out;
}

TEST(MonitoringKitTest, DashboardQueriesUseOnlyExportedNames) {
    const auto dashboard = test::monitoring_dir() / "grafana-dashboard.json";
    ASSERT_TRUE(std::filesystem::exists(dashboard)) << dashboard;
    const std::string python = test::find_python("json");
    if (python.empty()) {
        GTEST_SKIP() << "no python3";
    }
    const auto r = test::run_python(python, dashboard_checker, {dashboard.string()});
    ASSERT_TRUE(r.ok()) << r.error << r.out << r.err;

    Used used;
    for (const auto& line : test::split_lines(r.out)) {
        if (line.starts_with("metric ")) {
            used.metrics.insert(line.substr(7));
        } else if (line.starts_with("label ")) {
            used.labels.insert(line.substr(6));
        } else if (line.starts_with("queries ")) {
            used.queries = std::stoi(line.substr(8));
        }
    }
    EXPECT_GE(used.queries, 20);

    const Exported ex = exported(render_server_metrics(test::full_input()));
    for (const auto& name : used.metrics) {
        EXPECT_TRUE(ex.metrics.contains(name)) << "dashboard uses unknown metric " << name;
    }
    // instance and job are added by Prometheus to every scraped series.
    for (const auto& label : used.labels) {
        EXPECT_TRUE(ex.labels.contains(label) || label == "instance" || label == "job")
            << "dashboard uses unknown label " << label;
    }
    // What the dashboard must show.
    for (const char* name : {"tinyice_listeners",
                             "tinyice_sources",
                             "tinyice_mount_listeners",
                             "tinyice_mount_bytes_in_total",
                             "tinyice_mount_bytes_out_total",
                             "tinyice_mount_source_connected",
                             "tinyice_mount_slow_listeners_total",
                             "tinyice_http_requests_total",
                             "tinyice_auth_failures_total",
                             "tinyice_lockouts_total",
                             "tinyice_bans_active",
                             "tinyice_uptime_seconds",
                             "tinyice_autodj_station_state",
                             "tinyice_transcoder_running",
                             "process_cpu_seconds_total",
                             "process_resident_memory_bytes",
                             "process_open_fds",
                             "process_max_fds",
                             "process_threads",
                             "process_start_time_seconds"}) {
        EXPECT_TRUE(used.metrics.contains(name)) << "dashboard does not show " << name;
    }
}

TEST(MonitoringKitTest, DashboardCheckerFindsUnknownNames) {
    // The checker must see names in every place a dashboard can hold a query.
    const test::TempFile file(R"JSON({"schemaVersion": 38, "id": null, "title": "t", "uid": "u",
        "time": {}, "__inputs": [{"name": "DS_PROMETHEUS", "pluginId": "prometheus"}],
        "templating": {"list": [{"query": {"query": "label_values(tinyice_a, lbl_a)"}}]},
        "panels": [{"id": 1, "type": "stat", "gridPos": {"h": 1, "w": 1, "x": 0, "y": 0},
                    "datasource": {"type": "prometheus", "uid": "${DS_PROMETHEUS}"},
                    "targets": [{"refId": "A", "legendFormat": "{{lbl_b}}",
                                 "expr": "sum by (lbl_c) (rate(process_b{lbl_d=~\"x\"}[5m]))"}]}]})JSON");
    const std::string python = test::find_python("json");
    if (python.empty()) {
        GTEST_SKIP() << "no python3";
    }
    const auto r = test::run_python(python, dashboard_checker, {file.path().string()});
    EXPECT_TRUE(r.ok()) << r.out << r.err;
    for (const char* line : {"metric tinyice_a", "metric process_b", "label lbl_a", "label lbl_b",
                             "label lbl_c", "label lbl_d"}) {
        EXPECT_NE(r.out.find(std::string(line) + "\n"), std::string::npos) << line << "\n" << r.out;
    }

    const test::TempFile broken(R"JSON({"schemaVersion": 30, "panels": [{"id": 1, "type": "stat",
        "datasource": {"type": "prometheus", "uid": "my-prometheus"}, "targets": []}]})JSON");
    const auto bad = test::run_python(python, dashboard_checker, {broken.path().string()});
    EXPECT_FALSE(bad.ok());
    for (const char* problem : {"schemaVersion", "DS_PROMETHEUS datasource input",
                                "panel datasource", "no query", "bad gridPos"}) {
        EXPECT_NE(bad.out.find(problem), std::string::npos) << problem << "\n" << bad.out;
    }
}

// Metric names mentioned in the README and the Prometheus config exist too.
TEST(MonitoringKitTest, DocumentationNamesExportedMetrics) {
    const Exported ex = exported(render_server_metrics(test::full_input()));
    const std::regex name_re(R"(\b(?:tinyice|process)_[a-zA-Z0-9_:]+)");
    for (const char* file : {"README.md", "prometheus.yml"}) {
        const std::string text = read_file(test::monitoring_dir() / file);
        ASSERT_FALSE(text.empty()) << file;
        for (std::sregex_iterator it(text.begin(), text.end(), name_re), e; it != e; ++it) {
            const std::string name = it->str();
            EXPECT_TRUE(ex.metrics.contains(name)) << file << " names unknown metric " << name;
        }
    }
}

TEST(MonitoringKitTest, PrometheusConfigScrapesTinyIce) {
    const std::string python = test::find_python("yaml");
    if (python.empty()) {
        GTEST_SKIP() << "no python3 with yaml (python3-yaml)";
    }
    const auto r = test::run_python(python, R"PY(
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
job = [j for j in c['scrape_configs'] if j['job_name'] == 'tinyice'][0]
print(c['global']['scrape_interval'], job['scrape_interval'], job.get('metrics_path'),
      job['static_configs'][0]['targets'][0], job['basic_auth']['username'],
      'password_file' in job['basic_auth'], 'password' in job['basic_auth'])
)PY",
                                    {(test::monitoring_dir() / "prometheus.yml").string()});
    ASSERT_TRUE(r.ok()) << r.error << r.out << r.err;
    EXPECT_EQ(r.out, "15s 15s /metrics localhost:8000 admin True False\n");
}

} // namespace
} // namespace tinyice::metrics
