"""Shared helpers for the integration tests: start the real tinyice binary on loopback with a
private config and drive it with real clients. Standard library only.

Every test file is a plain script run by ctest (`python3 test_x.py`); it uses `run_tests()`
so that one failing check reports clearly and the process exit code tells ctest.
"""

import base64
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

BINARY = os.environ.get("TINYICE_BINARY") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "release", "tinyice")
ADMIN_PASSWORD = "admin-secret"
SOURCE_PASSWORD = "hackme"

_hash_cache = {}


def hash_password(password):
    """A crypt hash made by tinyice itself (tinyice hash-password)."""
    if password not in _hash_cache:
        out = subprocess.run([BINARY, "hash-password"], input=password + "\n",
                             capture_output=True, text=True, timeout=30, check=True)
        _hash_cache[password] = out.stdout.strip()
    return _hash_cache[password]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class TinyIce:
    """A tinyice process with its own temp dir and config. Use as a context manager."""

    def __init__(self, mounts=None, limits=None, extra=None, listen=None, env=None, port=None):
        self.dir = tempfile.mkdtemp(prefix="tinyice-it-")
        self.port = port or free_port()
        self.config_path = os.path.join(self.dir, "tinyice.json")
        cfg = {
            "listen": listen or [{"address": "127.0.0.1", "port": self.port}],
            "hostname": "127.0.0.1",
            "auth": {
                "admin_user": "admin",
                "admin_password": hash_password(ADMIN_PASSWORD),
                "source_password": hash_password(SOURCE_PASSWORD),
            },
            "limits": {"header_timeout_ms": 3000, "source_timeout_ms": 5000},
            "logging": {"level": "debug", "access_log": "access.log", "error_log": ""},
            "mounts": [],
        }
        if limits:
            cfg["limits"].update(limits)
        for m in mounts or []:
            m = dict(m)
            if "password" in m and not m["password"].startswith("$"):
                m["password"] = hash_password(m["password"])
            cfg["mounts"].append(m)
        if extra:
            cfg.update(extra)
        with open(self.config_path, "w") as f:
            json.dump(cfg, f, indent=2)
        self.env = dict(os.environ)
        for k in list(self.env):
            if k.startswith("TINYICE_") and k != "TINYICE_BINARY":
                del self.env[k]
        self.env.update(env or {})
        self.proc = None
        self.log_path = os.path.join(self.dir, "stderr.log")
        self.children = []

    # -- lifecycle --------------------------------------------------------------------------
    def start(self):
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([BINARY, "--config", self.config_path], stdout=self._log,
                                     stderr=subprocess.STDOUT, env=self.env, cwd=self.dir)
        wait_until(self._accepting, timeout=10, what="tinyice to accept connections")
        return self

    def _accepting(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"tinyice exited with {self.proc.returncode}:\n{self.log()}")
        with contextlib.suppress(OSError):
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        return False

    def stop(self, timeout=5):
        for c in self.children:
            with contextlib.suppress(Exception):
                c.kill()
                c.wait(timeout=5)
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("tinyice did not exit on SIGTERM")
        if getattr(self, "_log", None):
            self._log.close()

    def restart(self):
        """Stops the server (SIGTERM) and starts it again with the same directory and config:
        what survives is what the server persisted."""
        if getattr(self, "_log", None):
            self._log.close()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=10)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([BINARY, "--config", self.config_path], stdout=self._log,
                                     stderr=subprocess.STDOUT, env=self.env, cwd=self.dir)
        wait_until(self._accepting, timeout=10, what="tinyice to accept connections again")
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        try:
            self.stop()
        finally:
            if exc_type is None:
                shutil.rmtree(self.dir, ignore_errors=True)
            else:
                print(f"--- tinyice log ({self.dir}) ---\n{self.log()[-6000:]}", file=sys.stderr)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        with contextlib.suppress(OSError):
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        return ""

    def spawn(self, argv, **kw):
        """A child process (source client, player) killed when the server stops."""
        kw.setdefault("stdout", subprocess.DEVNULL)
        kw.setdefault("stderr", subprocess.PIPE)
        p = subprocess.Popen(argv, **kw)
        self.children.append(p)
        return p

    # -- HTTP -------------------------------------------------------------------------------
    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def request(self, method, path, headers=None, body=b"", auth=None, timeout=10):
        """One raw HTTP/1.0 request; returns (status, headers dict lower-case, body bytes)."""
        hdrs = {"Host": f"127.0.0.1:{self.port}"}
        if auth:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            hdrs["Authorization"] = f"Basic {token}"
        hdrs.update(headers or {})
        raw = f"{method} {path} HTTP/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
        raw = raw.encode() + b"\r\n" + body
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(raw)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        return parse_response(data)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def admin(self, path, **kw):
        kw.setdefault("auth", ("admin", ADMIN_PASSWORD))
        return self.request("GET", path, **kw)

    def api(self, method, path, body=None, auth=("admin", ADMIN_PASSWORD), raw=None,
            headers=None, timeout=30):
        """A JSON API call; returns (status, parsed JSON or raw bytes when not JSON)."""
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        hdrs = {"Content-Length": str(len(payload))}
        if body is not None:
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        status, h, data = self.request(method, path, headers=hdrs, body=payload, auth=auth,
                                       timeout=timeout)
        if h.get("content-type", "").startswith("application/json"):
            return status, json.loads(data)
        return status, data

    def status_json(self):
        status, _, body = self.get("/status-json.xsl")
        assert status == 200, status
        return json.loads(body)

    def mount_stats(self, mount):
        """The <source mount=...> of /admin/stats as a dict of element -> text."""
        import xml.etree.ElementTree as ET
        status, _, body = self.admin("/admin/stats")
        assert status == 200, (status, body)
        root = ET.fromstring(body)
        for src in root.findall("source"):
            if src.get("mount") == mount:
                return {child.tag: (child.text or "") for child in src}
        return None

    def wait_for_source(self, mount, timeout=15):
        def live():
            st = self.mount_stats(mount)
            return st is not None and st.get("stream_start", "") != "" and st
        return wait_until(live, timeout=timeout, what=f"a source on {mount}")

    def set_title(self, mount, song, auth=None, extra=""):
        q = urllib.parse.urlencode({"mount": mount, "mode": "updinfo", "song": song})
        return self.admin(f"/admin/metadata?{q}{extra}", auth=auth or ("admin", ADMIN_PASSWORD))

    # -- sources ----------------------------------------------------------------------------
    def ffmpeg_source(self, mount, codec="mp3", legacy=False, duration=None, extra_args=(),
                      password=SOURCE_PASSWORD, name="Test Tone", title=None, bitrate=None):
        """A real-time ffmpeg source: codec mp3 | opus | vorbis | aac."""
        args = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
                "-f", "lavfi", "-i",
                f"sine=frequency=440:sample_rate={48000 if codec == 'opus' else 44100}"]
        if duration:
            args += ["-t", str(duration)]
        if codec == "mp3":
            args += ["-ac", "2", "-c:a", "libmp3lame", "-b:a", bitrate or "128k",
                     "-content_type", "audio/mpeg", "-f", "mp3"]
        elif codec == "opus":
            args += ["-ac", "2", "-c:a", "libopus", "-b:a", bitrate or "64k",
                     "-content_type", "audio/ogg", "-f", "ogg"]
        elif codec == "vorbis":
            args += ["-ac", "2", "-c:a", "libvorbis", "-q:a", "3",
                     "-content_type", "application/ogg", "-f", "ogg"]
        elif codec == "aac":
            args += ["-ac", "2", "-c:a", "aac", "-b:a", bitrate or "128k",
                     "-content_type", "audio/aac", "-f", "adts"]
        else:
            raise ValueError(codec)
        if title:
            args += ["-metadata", f"title={title}", "-metadata", "artist=Test Artist"]
        args += ["-ice_name", name, *extra_args]
        if legacy:
            args += ["-legacy_icecast", "1"]
        args.append(f"icecast://source:{password}@127.0.0.1:{self.port}{mount}")
        return self.spawn(args)


def make_track(path, title, artist="Test Artist", album="Test Album", seconds=4, freq=440,
               extra=()):
    """An audio file made by the ffmpeg CLI from a sine tone, with tags; the container and codec
    follow the file extension (.mp3, .flac, .ogg (Vorbis), .opus, .m4a (AAC), .wav)."""
    ext = os.path.splitext(path)[1]
    codec = {".mp3": ["-c:a", "libmp3lame", "-b:a", "128k"], ".flac": ["-c:a", "flac"],
             ".ogg": ["-c:a", "libvorbis", "-q:a", "3"], ".opus": ["-c:a", "libopus"],
             ".m4a": ["-c:a", "aac", "-b:a", "128k"], ".wav": ["-c:a", "pcm_s16le"]}[ext]
    rate = 48000 if ext == ".opus" else 44100
    args = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi",
            "-i", f"sine=frequency={freq}:sample_rate={rate}:duration={seconds}", "-ac", "2",
            *codec, "-metadata", f"title={title}", "-metadata", f"artist={artist}",
            "-metadata", f"album={album}", *extra, path]
    subprocess.run(args, check=True, timeout=60)
    return path


def ogg_chains(data):
    """The Ogg chains of a byte stream: [(serial, codec, {comment key: value})] in order, from
    the BOS pages and the comment packets (assumed to fit on one page, as ours do)."""
    chains = []
    pos = 0
    pending = {}
    while True:
        pos = data.find(b"OggS", pos)
        if pos < 0 or pos + 27 > len(data):
            break
        flags = data[pos + 5]
        serial = int.from_bytes(data[pos + 14:pos + 18], "little")
        nseg = data[pos + 26]
        if pos + 27 + nseg > len(data):
            break
        lacing = data[pos + 27:pos + 27 + nseg]
        body_start = pos + 27 + nseg
        body = data[body_start:body_start + sum(lacing)]
        if flags & 0x02:
            codec = "opus" if body.startswith(b"OpusHead") else (
                "vorbis" if body[1:7] == b"vorbis" else "other")
            pending[serial] = codec
            chains.append([serial, codec, {}])
        elif serial in pending and (body.startswith(b"OpusTags") or body[:7] == b"\x03vorbis"):
            off = 8 if body.startswith(b"OpusTags") else 7
            try:
                vlen = int.from_bytes(body[off:off + 4], "little")
                p = off + 4 + vlen
                count = int.from_bytes(body[p:p + 4], "little")
                p += 4
                tags = {}
                for _ in range(count):
                    ln = int.from_bytes(body[p:p + 4], "little")
                    p += 4
                    k, _, v = body[p:p + ln].decode("utf-8", "replace").partition("=")
                    tags[k.upper()] = v
                    p += ln
                for c in chains:
                    if c[0] == serial:
                        c[2] = tags
            except (ValueError, IndexError):
                pass
            del pending[serial]
        pos = body_start
    return [tuple(c) for c in chains]


def parse_response(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"(HTTP|ICY)/?[\d.]* (\d+)", lines[0]) if lines and lines[0] else None
    status = int(m.group(2)) if m else 0
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return status, headers, body


class StreamReader:
    """A listener on a raw socket that reads the response head and then keeps reading in a
    background thread; `data` grows as audio arrives."""

    def __init__(self, server, path, icy=False, rcvbuf=None, read=True, headers=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", server.port))
        hdrs = {"Host": f"127.0.0.1:{server.port}", "User-Agent": "tinyice-test/1.0"}
        if icy:
            hdrs["Icy-MetaData"] = "1"
        hdrs.update(headers or {})
        req = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
        self.sock.sendall(req.encode() + b"\r\n")
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            buf += chunk
        self.status, self.headers, rest = parse_response(buf)
        self.data = bytearray(rest)
        self.closed = False
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self._stop = False
        self.thread = None
        if read:
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()

    def _run(self):
        self.sock.settimeout(1)
        while not self._stop:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not chunk:
                break
            with self.lock:
                self.data += chunk
        self.closed = True

    def size(self):
        with self.lock:
            return len(self.data)

    def snapshot(self):
        with self.lock:
            return bytes(self.data)

    def close(self):
        self._stop = True
        with contextlib.suppress(OSError):
            self.sock.close()
        if self.thread:
            self.thread.join(timeout=3)


def split_icy(data, metaint):
    """De-interleave an ICY stream: returns (audio bytes, [(offset, metadata text)])."""
    audio = bytearray()
    blocks = []
    pos = 0
    while pos < len(data):
        take = min(metaint, len(data) - pos)
        audio += data[pos:pos + take]
        pos += take
        if take < metaint or pos >= len(data):
            break
        length = data[pos] * 16
        if pos + 1 + length > len(data):
            break
        blocks.append((pos, data[pos + 1:pos + 1 + length].rstrip(b"\0").decode("utf-8",
                                                                              "replace")))
        pos += 1 + length
    return bytes(audio), blocks


def decode_errors(data, fmt=None, extra=()):
    """Decodes `data` with ffmpeg; returns its error output ('' when clean)."""
    args = ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error"]
    if fmt:
        args += ["-f", fmt]
    args += ["-i", "pipe:0", *extra, "-f", "null", "-"]
    out = subprocess.run(args, input=data, capture_output=True, timeout=60)
    return out.stderr.decode("utf-8", "replace").strip() + (
        f" (exit {out.returncode})" if out.returncode else "")


def run_tests(tests):
    """Runs the given test functions, prints a summary line ctest-friendly, exits 0/1."""
    failed = 0
    for fn in tests:
        started = time.monotonic()
        try:
            fn()
            print(f"PASS {fn.__name__} ({time.monotonic() - started:.1f}s)", flush=True)
        except Exception:  # noqa: BLE001 - report every failure, keep going
            failed += 1
            print(f"FAIL {fn.__name__} ({time.monotonic() - started:.1f}s)", flush=True)
            traceback.print_exc()
    print(f"{len(tests) - failed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)
