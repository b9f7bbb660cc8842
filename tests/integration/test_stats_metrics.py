"""Statistics, site settings and Prometheus metrics (docs/API.md, "Settings", "Statistics" and
"Prometheus metrics"): /metrics parses as the Prometheus text format and its counters move, auth
failures are counted, live bandwidth while streaming, per-minute listener points, sessions and
user agents, and who may read or change what."""

import sys
import json
import time

from harness import ADMIN_PASSWORD, StreamReader, TinyIce, run_tests, wait_until

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    # Debian's python3-prometheus-client (scripts/install-deps) lives in the system's
    # dist-packages, which an interpreter from elsewhere (pyenv, a venv) does not search.
    sys.path.append("/usr/lib/python3/dist-packages")
    from prometheus_client.parser import text_string_to_metric_families

ADMIN = ("admin", ADMIN_PASSWORD)
# Listener counts are sampled every 300 ms instead of once a minute (tests only), so
# /api/stats/listeners has points without waiting.
FAST_MINUTES = {"TINYICE_TEST_STATS_MINUTE_MS": "300"}


def scrape(srv, auth=ADMIN):
    """GET /metrics parsed with the reference parser: {(sample name, sorted labels): value}."""
    status, headers, body = srv.get("/metrics", auth=auth)
    assert status == 200, (status, body[:300])
    assert headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8", headers
    samples = {}
    for family in text_string_to_metric_families(body.decode("utf-8")):
        for s in family.samples:
            key = (s.name, tuple(sorted(s.labels.items())))
            assert key not in samples, f"duplicate series {key}"
            samples[key] = s.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


def make_user(srv, name, role, mounts=()):
    password = f"{name}-long-password"
    status, doc = srv.api("POST", "/api/users", {"username": name, "password": password,
                                                 "role": role, "mounts": list(mounts)})
    assert status == 201, (status, doc)
    return (name, password)


def test_metrics_parse_and_counters_move():
    with TinyIce(mounts=[{"name": "/live"}]) as srv:
        srv.ffmpeg_source("/live", "mp3")
        srv.wait_for_source("/live")
        readers = [StreamReader(srv, "/live") for _ in range(2)]
        wait_until(lambda: all(r.size() > 10000 for r in readers), timeout=10,
                   what="audio at both listeners")

        first = scrape(srv)
        assert value(first, "tinyice_build_info", version="0.1.0") == 1, \
            [k for k in first if k[0] == "tinyice_build_info"]
        assert value(first, "tinyice_mount_listeners", mount="/live") == 2
        assert value(first, "tinyice_mount_source_connected", mount="/live") == 1
        assert value(first, "tinyice_mount_source_origin", mount="/live", origin="live") == 1
        assert value(first, "tinyice_listeners") == 2
        assert value(first, "tinyice_sources") == 1
        assert value(first, "process_resident_memory_bytes") > 0
        assert value(first, "process_open_fds") > 0
        # Known failure and lockout kinds are there from the start, at 0.
        assert value(first, "tinyice_auth_failures_total", kind="basic") == 0
        assert value(first, "tinyice_lockouts_total", kind="login") == 0

        time.sleep(1.0)
        second = scrape(srv)
        out_1 = value(first, "tinyice_mount_bytes_out_total", mount="/live")
        out_2 = value(second, "tinyice_mount_bytes_out_total", mount="/live")
        in_1 = value(first, "tinyice_mount_bytes_in_total", mount="/live")
        in_2 = value(second, "tinyice_mount_bytes_in_total", mount="/live")
        assert out_2 > out_1 > 0, (out_1, out_2)
        assert in_2 > in_1 > 0, (in_1, in_2)
        # The first scrape itself was a 200 (counted once its answer was sent).
        ok_1 = value(first, "tinyice_http_requests_total", code="200") or 0
        ok_2 = value(second, "tinyice_http_requests_total", code="200")
        assert ok_2 is not None and ok_2 > ok_1, (ok_1, ok_2)
        assert value(second, "tinyice_uptime_seconds") >= 1

        # Wrong credentials: 401 with a challenge, and the failure is counted.
        status, headers, _ = srv.get("/metrics", auth=("admin", "wrong-password"))
        assert status == 401 and headers["www-authenticate"].startswith("Basic"), status
        status, _, _ = srv.get("/metrics")
        assert status == 401
        third = scrape(srv)
        assert value(third, "tinyice_auth_failures_total", kind="basic") == 1
        assert value(third, "tinyice_http_requests_total", code="401") >= 2
        for r in readers:
            r.close()


def test_metrics_with_tokens_and_roles():
    with TinyIce() as srv:
        status, doc = srv.api("POST", "/api/tokens", {"name": "prometheus"})
        assert status == 201, (status, doc)
        token = doc["token"]
        status, headers, body = srv.get("/metrics",
                                        headers={"Authorization": f"Bearer {token}"})
        assert status == 200 and b"tinyice_uptime_seconds" in body, status
        status, _, _ = srv.get("/metrics", headers={"Authorization": "Bearer tki_not-a-token"})
        assert status == 401
        assert value(scrape(srv), "tinyice_auth_failures_total", kind="token") == 1

        boss = make_user(srv, "boss", "admin")
        dj = make_user(srv, "dj1", "dj", ["/live"])
        assert srv.get("/metrics", auth=boss)[0] == 200
        assert srv.get("/metrics", auth=dj)[0] == 403
        # Nothing else under /metrics, and it is not a stream.
        assert srv.get("/metrics/other", auth=ADMIN)[0] == 404


def test_live_bandwidth_and_listener_history():
    with TinyIce(mounts=[{"name": "/live"}, {"name": "/other"}], env=FAST_MINUTES) as srv:
        srv.ffmpeg_source("/live", "mp3")
        srv.wait_for_source("/live")
        readers = [StreamReader(srv, "/live") for _ in range(2)]

        def streaming():
            status, doc = srv.api("GET", "/api/stats/server")
            assert status == 200, (status, doc)
            live = next(m for m in doc["mounts"] if m["mount"] == "/live")
            return (doc["bandwidth_in_bps"] > 0 and doc["bandwidth_out_bps"] > 0 and
                    live["bandwidth_in_bps"] > 0 and live["listeners"] == 2 and doc)
        doc = wait_until(streaming, timeout=10, what="non-zero bandwidth")
        live = next(m for m in doc["mounts"] if m["mount"] == "/live")
        # 128 kbit/s MP3 with a second's jitter either way.
        assert 40_000 < live["bandwidth_in_bps"] < 400_000, live
        assert set(live) == {"mount", "listeners", "bandwidth_in_bps", "bandwidth_out_bps"}, live
        assert doc["listeners"] == 2 and doc["sources"] == 1 and doc["uptime"] >= 0, doc
        assert doc["connections"] >= 3, doc  # the source, two listeners (and this request)
        other = next(m for m in doc["mounts"] if m["mount"] == "/other")
        assert other["bandwidth_in_bps"] == 0 and other["listeners"] == 0, other

        def points():
            status, d = srv.api("GET", "/api/stats/listeners?mount=/live&range=1h")
            assert status == 200, (status, d)
            return any(p[1] >= 2 for p in d["points"]) and d
        d = wait_until(points, timeout=10, what="a listener point with both listeners")
        assert d["mount"] == "/live" and d["range"] == "1h" and d["bucket_ms"] == 60000
        assert all(p[0] % 60000 == 0 for p in d["points"]), d
        status, d = srv.api("GET", "/api/stats/listeners?range=24h")
        assert status == 200 and d["mount"] is None and d["bucket_ms"] == 300000, d
        assert srv.api("GET", "/api/stats/listeners?range=2h")[0] == 400

        # A finished listener is one session, with its user agent.
        readers[0].close()

        def session_recorded():
            status, s = srv.api("GET", "/api/stats/sessions?mount=/live&range=1h")
            assert status == 200, (status, s)
            return s["sessions"] >= 1 and s
        s = wait_until(session_recorded, timeout=10, what="the session to be recorded")
        assert s["total_seconds"] >= 0 and s["average_seconds"] >= 0, s
        status, agents = srv.api("GET", "/api/stats/user-agents?range=1h")
        assert status == 200, (status, agents)
        assert {"user_agent": "tinyice-test/1.0", "sessions": 1} in agents["agents"], agents
        readers[1].close()


def test_djs_see_only_their_mounts():
    with TinyIce(mounts=[{"name": "/live"}, {"name": "/other"}], env=FAST_MINUTES) as srv:
        dj = make_user(srv, "dj1", "dj", ["/live"])
        srv.ffmpeg_source("/other", "mp3")
        srv.wait_for_source("/other")
        wait_until(lambda: srv.api("GET", "/api/stats/server")[1]["sources"] == 1, timeout=5,
                   what="the sampler to see the source")
        status, doc = srv.api("GET", "/api/stats/server", auth=dj)
        assert status == 200, (status, doc)
        assert [m["mount"] for m in doc["mounts"]] == ["/live"], doc
        assert doc["sources"] == 0 and doc["bandwidth_in_bps"] == 0, doc

        assert srv.api("GET", "/api/stats/listeners?mount=/live", auth=dj)[0] == 200
        assert srv.api("GET", "/api/stats/listeners?mount=/other", auth=dj)[0] == 403
        assert srv.api("GET", "/api/stats/listeners", auth=dj)[0] == 403
        assert srv.api("GET", "/api/stats/sessions?mount=/live", auth=dj)[0] == 200
        assert srv.api("GET", "/api/stats/user-agents", auth=dj)[0] == 403
        assert srv.api("GET", "/api/stats/server", auth=None)[0] == 401


def test_settings_roles_validation_and_persistence():
    with TinyIce() as srv:
        status, doc = srv.api("GET", "/api/settings", auth=None)
        assert status == 200 and doc == {"site": {"title": "TinyIce", "tagline": "",
                                                  "description": "", "accent": "#ff9f43"}}, doc
        boss = make_user(srv, "boss", "admin")
        dj = make_user(srv, "dj1", "dj", ["/live"])
        change = {"site": {"title": "Radio Test", "tagline": "Only tests",
                           "description": "Line one\nLine two", "accent": "#1E90FF"}}
        assert srv.api("PUT", "/api/settings", change, auth=None)[0] == 401
        assert srv.api("PUT", "/api/settings", change, auth=boss)[0] == 403
        assert srv.api("PUT", "/api/settings", change, auth=dj)[0] == 403

        status, err = srv.api("PUT", "/api/settings", {"site": {"title": ""}})
        assert status == 400 and "site.title" in err["error"], (status, err)
        status, err = srv.api("PUT", "/api/settings", {"site": {"accent": "blue"}})
        assert status == 400 and "site.accent" in err["error"], (status, err)
        status, err = srv.api("PUT", "/api/settings", {"site": {"tagline": "x" * 161}})
        assert status == 400 and "site.tagline" in err["error"], (status, err)
        assert srv.api("GET", "/api/settings", auth=None)[1]["site"]["title"] == "TinyIce"

        status, doc = srv.api("PUT", "/api/settings", change)
        assert status == 200, (status, doc)
        assert doc["site"]["accent"] == "#1e90ff", doc
        # Only the fields given change.
        status, doc = srv.api("PUT", "/api/settings", {"site": {"tagline": "Still tests"}})
        assert status == 200 and doc["site"]["title"] == "Radio Test", doc
        # The audit log is written in the background.
        audit = wait_until(lambda: len(srv.api("GET", "/api/audit?category=settings")[1]
                                       ["entries"]) == 2 and
                           srv.api("GET", "/api/audit?category=settings")[1],
                           timeout=5, what="two audit entries")
        assert audit["entries"][0]["username"] == "admin", audit
        assert audit["entries"][0]["action"] == "site_changed", audit

        # Server facts: administrators only, no secrets.
        status, facts = srv.api("GET", "/api/server", auth=boss)
        assert status == 200 and facts["version"] == "0.1.0", (status, facts)
        assert facts["listen"] == [{"address": "127.0.0.1", "port": srv.port}], facts
        assert facts["storage"]["database"].endswith("tinyice.db"), facts
        assert facts["security"]["login_failures"] >= 0 and "limits" in facts
        assert "$" not in str(facts) and "password" not in str(facts).lower(), facts
        assert srv.api("GET", "/api/server", auth=dj)[0] == 403
        assert srv.api("GET", "/api/server", auth=None)[0] == 401

        srv.restart()
        status, doc = srv.api("GET", "/api/settings", auth=None)
        assert status == 200 and doc["site"] == {"title": "Radio Test", "tagline": "Still tests",
                                                 "description": "Line one\nLine two",
                                                 "accent": "#1e90ff"}, doc


def read_events(srv, path, count, cookie=None, auth=None, timeout=20):
    """The first `count` (event, data) pairs of a server-sent event feed."""
    import base64, socket as _socket
    hdrs = f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{srv.port}\r\n"
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        hdrs += f"Authorization: Basic {token}\r\n"
    events, buf = [], b""
    deadline = time.monotonic() + timeout
    with _socket.create_connection(("127.0.0.1", srv.port), timeout=timeout) as s:
        s.sendall((hdrs + "\r\n").encode())
        while len(events) < count and time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            while b"\n\n" in buf:
                block, buf = buf.split(b"\n\n", 1)
                lines = block.decode().split("\n")
                name = next((l[7:] for l in lines if l.startswith("event: ")), None)
                data = next((l[6:] for l in lines if l.startswith("data: ")), None)
                if name and data:
                    events.append((name, json.loads(data)))
    return events


def test_admin_live_feed_has_totals_stations_and_levels():
    with TinyIce() as srv:
        srv.ffmpeg_source("/live", "mp3")
        srv.wait_for_source("/live")
        # The first documents may predate the meter's first measurement: watch a few seconds.
        def live_level():
            for name, doc in read_events(srv, "/admin/events", 4, auth=("admin", ADMIN_PASSWORD)):
                assert name == "stats"
                assert "server" in doc and "stations" in doc, doc
                mounts = {m["mount"]: m for m in doc.get("mounts", [])}
                level = mounts.get("/live", {}).get("level")
                if level:
                    return level
            return None
        level = wait_until(live_level, timeout=30, what="a VU level for /live")
        # lavfi's sine is at 1/8 of full scale (about -18 dBFS before MP3), its RMS 3 dB under its peak.
        assert -30 < level["peak_db"] <= 0.5, level
        assert 2 < level["peak_db"] - level["rms_db"] < 4, level
        assert level["rms_db"] < level["peak_db"], level
        # A DJ's feed holds only their own mounts.
        status, doc = srv.api("POST", "/api/users", {"username": "feed-dj",
                                                     "password": "feed-dj-password",
                                                     "role": "dj", "mounts": ["/other"]})
        assert status == 201, (status, doc)
        name, doc = read_events(srv, "/admin/events", 1, auth=("feed-dj", "feed-dj-password"))[0]
        assert name == "stats" and all(m["mount"] == "/other" for m in doc["mounts"]), doc
        # The feed needs a login; the public feed has no levels.
        assert srv.request("GET", "/admin/events")[0] == 401
        name, doc = read_events(srv, "/events", 1)[0]
        assert name == "mounts" and all("level" not in m for m in doc["mounts"]), doc


if __name__ == "__main__":
    run_tests([
        test_metrics_parse_and_counters_move,
        test_metrics_with_tokens_and_roles,
        test_live_bandwidth_and_listener_history,
        test_djs_see_only_their_mounts,
        test_settings_roles_validation_and_persistence,
        test_admin_live_feed_has_totals_stations_and_levels,
    ])
