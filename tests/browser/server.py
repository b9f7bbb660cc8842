"""Starts a private tinyice for one browser test file, reusing the integration harness.

    python3 server.py '{"mounts": [...], "stations": [{"name": "main", "mount": "/autodj",
                        "tracks": 3}]}'

Prints one JSON line once the server accepts connections ({"port", "url", "admin_user",
"admin_password", "source_password", "dir"}), then answers commands, one JSON object a line
on stdin, with one JSON line each ({"ok": true, ...} or {"ok": false, "error": "..."}):

    {"cmd": "source", "mount": "/live", "codec": "mp3", "title": "..."}  -> {"pid"}
    {"cmd": "stop_source", "pid": N}
    {"cmd": "wait_source", "mount": "/live"}
    {"cmd": "log"}                                                       -> {"log"}

When stdin closes (the test finished, failed or died) it stops every ffmpeg and tinyice and
removes the temp directory. tinyice gets SIGKILL if this process dies first (PDEATHSIG), so a
killed test run leaves nothing behind.
"""

import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
sys.dont_write_bytecode = True

import harness  # noqa: E402  (path set above)

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class Server(harness.TinyIce):
    """harness.TinyIce whose children die with this process."""

    def start(self):
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([harness.BINARY, "--config", self.config_path],
                                     stdout=self._log, stderr=subprocess.STDOUT, env=self.env,
                                     cwd=self.dir, preexec_fn=_die_with_parent)
        harness.wait_until(self._accepting, timeout=10, what="tinyice to accept connections")
        return self

    def spawn(self, argv, **kw):
        kw.setdefault("preexec_fn", _die_with_parent)
        kw.setdefault("stderr", subprocess.DEVNULL)
        return super().spawn(argv, **kw)


def station_config(srv, spec):
    """An `autodj` entry as in tests/integration/test_autodj.py, with `tracks` fixture files
    (4 s sine tones, titles "Track 1".. ) made by the ffmpeg CLI in its own music folder."""
    music = os.path.join(srv.dir, "music-" + spec["name"])
    os.makedirs(music, exist_ok=True)
    for i in range(spec.get("tracks", 3)):
        harness.make_track(os.path.join(music, f"{i + 1:02d}-track.mp3"), f"Track {i + 1}",
                           seconds=4, freq=330 + 110 * i)
    cfg = {"name": spec["name"], "mount": spec["mount"], "music_dir": music, "format": "mp3",
           "bitrate": 128, "loop": True, "shuffle": False, "crossfade": 0,
           "analyse_loudness": False}
    cfg.update(spec.get("config", {}))
    return cfg


def handle(srv, msg):
    cmd = msg.get("cmd")
    if cmd == "source":
        p = srv.ffmpeg_source(msg["mount"], codec=msg.get("codec", "mp3"), title=msg.get("title"),
                              name=msg.get("name", "Test Tone"))
        return {"pid": p.pid}
    if cmd == "stop_source":
        for c in srv.children:
            if c.pid == msg["pid"]:
                c.kill()
                c.wait(timeout=5)
                return {}
        raise ValueError(f"no source with pid {msg['pid']}")
    if cmd == "wait_source":
        srv.wait_for_source(msg["mount"], timeout=msg.get("timeout", 15))
        return {}
    if cmd == "log":
        return {"log": srv.log()[-20000:]}
    raise ValueError(f"unknown command {cmd!r}")


def main():
    spec = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    srv = Server(mounts=spec.get("mounts"), extra=spec.get("extra"))
    ok = False
    try:
        stations = [station_config(srv, s) for s in spec.get("stations", [])]
        if stations:
            with open(srv.config_path) as f:
                cfg = json.load(f)
            cfg["autodj"] = stations
            with open(srv.config_path, "w") as f:
                json.dump(cfg, f, indent=2)
        srv.start()
        print(json.dumps({"port": srv.port, "url": srv.url(""), "admin_user": "admin",
                          "admin_password": harness.ADMIN_PASSWORD,
                          "source_password": harness.SOURCE_PASSWORD, "dir": srv.dir}),
              flush=True)
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                reply = {"ok": True, **handle(srv, json.loads(line))}
            except Exception as e:  # noqa: BLE001 - every failure goes back to the test
                reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
            print(json.dumps(reply), flush=True)
        ok = srv.alive()
        if not ok:
            print(f"tinyice exited early:\n{srv.log()[-6000:]}", file=sys.stderr)
    finally:
        try:
            srv.stop()
        finally:
            if ok:
                shutil.rmtree(srv.dir, ignore_errors=True)
            else:
                print(f"server directory kept: {srv.dir}", file=sys.stderr)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
