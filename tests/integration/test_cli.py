"""The binary itself: first run, command line, config errors, environment overrides,
dual-stack listening, logs, and graceful shutdown."""

import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

from harness import (BINARY, SOURCE_PASSWORD, StreamReader, TinyIce, free_port, run_tests,
                     wait_until)


def test_version_and_help():
    out = subprocess.run([BINARY, "--version"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0 and re.search(r"\d+\.\d+\.\d+", out.stdout), out
    out = subprocess.run([BINARY, "--help"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0 and "--config" in out.stdout and "--data-dir" in out.stdout


def test_first_run_writes_hashed_config_and_prints_passwords_once():
    d = tempfile.mkdtemp()
    cfg_path = os.path.join(d, "tinyice.json")
    port = free_port()
    env = dict(os.environ, TINYICE_PORT=str(port), TINYICE_BIND="127.0.0.1")
    p = subprocess.Popen([BINARY, "--config", cfg_path], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=env, cwd=d)
    lines = []
    while True:
        line = p.stdout.readline().decode()
        lines.append(line)
        if "serving" in line or not line:
            break
    text = "".join(lines)
    admin = re.search(r"admin password:\s+(\S+)", text).group(1)
    source = re.search(r"source password:\s+(\S+)", text).group(1)
    live = re.search(r"/live password:\s+(\S+)", text).group(1)
    cfg_text = open(cfg_path).read()
    for secret in (admin, source, live):
        assert secret not in cfg_text, "a plain password was written to the config"
    assert oct(os.stat(cfg_path).st_mode & 0o777) == "0o600"
    cfg = json.loads(cfg_text)
    assert cfg["auth"]["admin_password"].startswith("$")
    assert any(m["name"] == "/live" for m in cfg["mounts"])
    # The printed passwords work: /live takes its own, other mounts the default.
    import base64
    def source_status(mount, pw):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            tok = base64.b64encode(f"source:{pw}".encode()).decode()
            s.sendall(f"SOURCE {mount} HTTP/1.0\r\nContent-Type: audio/mpeg\r\n"
                      f"Authorization: Basic {tok}\r\n\r\n".encode())
            return s.recv(64)
    assert source_status("/live", live).startswith(b"HTTP/1.0 200")
    assert source_status("/other", source).startswith(b"HTTP/1.0 200")
    assert source_status("/x", live).startswith(b"HTTP/1.0 401")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        tok = base64.b64encode(f"admin:{admin}".encode()).decode()
        s.sendall(f"GET /admin/stats HTTP/1.0\r\nAuthorization: Basic {tok}\r\n\r\n".encode())
        assert s.recv(64).startswith(b"HTTP/1.0 200")
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=5)
    # Second start: nothing printed about passwords, the same config is used.
    p = subprocess.Popen([BINARY, "--config", cfg_path], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=env, cwd=d)
    time.sleep(1)
    p.send_signal(signal.SIGTERM)
    out = p.communicate(timeout=5)[0].decode()
    assert "password" not in out.lower(), out


def test_broken_config_names_the_key():
    d = tempfile.mkdtemp()
    path = os.path.join(d, "bad.json")
    cases = [
        ('{"limits": {"queue_size": "big"}}', "queue_size"),
        ('{"limts": {}}', "limts"),
        ('{"mounts": [{"name": "nolead"}]}', "mounts[0].name"),
        ('{"listen": [{"address": "::", "port": 70000}]}', "port"),
        ('{ "hostname": ', ""),
    ]
    for text, key in cases:
        with open(path, "w") as f:
            f.write(text)
        out = subprocess.run([BINARY, "--config", path], capture_output=True, text=True,
                             timeout=10, env=dict(os.environ, TINYICE_PORT="0"))
        assert out.returncode != 0, text
        assert key in out.stderr and "tinyice:" in out.stderr, (text, out.stderr)
        assert "terminate called" not in out.stderr


def test_dual_stack_and_env_overrides():
    port = free_port()
    with TinyIce(listen=[{"address": "::", "port": port}], port=port) as srv:
        for family, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            with socket.socket(family, socket.SOCK_STREAM) as s:
                s.settimeout(5)
                s.connect((addr, port))
                s.sendall(b"GET /status-json.xsl HTTP/1.0\r\n\r\n")
                assert s.recv(64).startswith(b"HTTP/1.0 200"), family
    port2 = free_port()
    with TinyIce(env={"TINYICE_PORT": str(port2), "TINYICE_BIND": "127.0.0.1",
                      "TINYICE_SOURCE_PASSWORD": "from-env"}, port=port2) as srv:
        status, _, _ = srv.request("SOURCE", "/e", headers={"Content-Type": "audio/mpeg"},
                                   auth=("source", "from-env"))
        assert status == 200
        status, _, _ = srv.request("SOURCE", "/f", headers={"Content-Type": "audio/mpeg"},
                                   auth=("source", SOURCE_PASSWORD))
        assert status == 401


def test_graceful_shutdown_with_listeners():
    with TinyIce() as srv:
        srv.ffmpeg_source("/live", "mp3")
        srv.wait_for_source("/live")
        readers = [StreamReader(srv, "/live") for _ in range(50)]
        time.sleep(1)
        t0 = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        code = srv.proc.wait(timeout=5)
        elapsed = time.monotonic() - t0
        assert code == 0, code
        assert elapsed < 2.0, f"shutdown took {elapsed:.2f}s"
        wait_until(lambda: all(r.closed for r in readers), timeout=3)
        for r in readers:
            r.close()
        # The access log has one combined-format line per listener, with bytes sent.
        log = open(os.path.join(srv.dir, "access.log")).read()
        lines = [l for l in log.splitlines() if '"GET /live HTTP/1.1" 200' in l]
        assert len(lines) == 50, log[-2000:]
        assert re.match(r'127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] '
                        r'"GET /live HTTP/1.1" 200 \d+ "-" "tinyice-test/1.0" \d+$', lines[0]), lines[0]


def test_json_logs():
    with TinyIce(extra={"logging": {"level": "info", "format": "json", "access_log": "off"}}) as srv:
        srv.get("/status-json.xsl")
        srv.request("SOURCE", "/q\"uote", headers={"Content-Type": "audio/mpeg",
                                                     "User-Agent": 'evil"agent'},
                    auth=("source", SOURCE_PASSWORD))
        lines = [l for l in srv.log().splitlines() if l.startswith("{")]
        assert lines, srv.log()
        for line in lines:
            json.loads(line)  # every line parses, whatever the client sent


if __name__ == "__main__":
    run_tests([test_version_and_help, test_first_run_writes_hashed_config_and_prints_passwords_once,
               test_broken_config_names_the_key, test_dual_stack_and_env_overrides,
               test_graceful_shutdown_with_listeners, test_json_logs])
