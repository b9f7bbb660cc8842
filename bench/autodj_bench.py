#!/usr/bin/env python3
"""CPU cost and timing accuracy of one AutoDJ stream and of one transcoder (PERF.md: "one
128 kbps MP3 AutoDJ stream costs under 2% of a core, and its output stays within 0.5% of real
time over 10 minutes, with or without listeners").

Runs the built tinyice three times, each for --seconds of steady state:
  idle        no station, no source: the server's own baseline
  autodj      one AutoDJ station, 128 kbps MP3 out, a library of MP3 and FLAC files (decoded,
              resampled where needed, loudness-normalised, re-encoded), no listener on it, plus
              a second identical station with one listener reading it
  transcoder  an ffmpeg source sending Ogg Opus in real time (-c copy of a pre-encoded file, so
              the source costs almost nothing) to /in, and a transcoder /in -> /out.mp3 (128 kbps
              MP3); compared with the same source and no transcoder
CPU is the tinyice process's utime+stime from /proc over the window (all threads). Timing
accuracy is the bytes the station wrote over the window against bitrate x time.

  bench/autodj_bench.py                 # 600 s windows (10 minutes, as PERF.md asks)
  bench/autodj_bench.py --seconds 60    # quick
Prints a table and one JSON line; results are recorded in docs/PERFORMANCE.md by hand.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402  (hash_password, make_track, TinyIce)

CLK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def mount_bytes(srv, mount):
    st = srv.mount_stats(mount)
    return int(st["total_bytes_read"]) if st else 0


class Reader(threading.Thread):
    """A plain listener that counts bytes."""

    def __init__(self, port, path):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
        self.bytes = 0
        self.stop = False

    def run(self):
        while not self.stop:
            data = self.sock.recv(65536)
            if not data:
                break
            self.bytes += len(data)


def measure(srv, seconds, mounts):
    """CPU share of one core and bytes per mount over the window."""
    pid = srv.proc.pid
    b0 = {m: mount_bytes(srv, m) for m in mounts}
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    c1, t1 = cpu_seconds(pid), time.monotonic()
    b1 = {m: mount_bytes(srv, m) for m in mounts}
    return (c1 - c0) / (t1 - t0) * 100, {m: (b1[m] - b0[m]) / (t1 - t0) for m in mounts}


def library(root):
    music = os.path.join(root, "music")
    os.makedirs(music)
    for i in range(4):
        ext = ".mp3" if i % 2 == 0 else ".flac"
        harness.make_track(os.path.join(music, f"{i:02d}-track{ext}"), f"Track {i}", seconds=150,
                           freq=220 * (i + 1))
    return music


def server(extra, warmup):
    srv = harness.TinyIce(extra=extra, limits={"header_timeout_ms": 3000,
                                               "source_timeout_ms": 5000})
    srv.start()
    time.sleep(warmup)
    return srv


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--warmup", type=float, default=15)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tinyice-autodj-bench-")
    music = library(work)
    opus = os.path.join(work, "source.opus")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency=440:sample_rate=48000:duration={int(args.seconds + 120)}",
                    "-ac", "2", "-c:a", "libopus", "-b:a", "96k", opus], check=True)
    results = {"seconds": args.seconds}
    station = {"format": "mp3", "bitrate": 128, "music_dir": music, "loop": True,
               "shuffle": False, "crossfade": 2, "normalize": True, "analyse_loudness": True}
    try:
        # 1. idle baseline
        srv = server({}, args.warmup)
        cpu, _ = measure(srv, args.seconds, [])
        srv.stop()
        results["idle_cpu_pct"] = cpu

        # 2. two stations, one with a listener
        srv = server({"autodj": [dict(station, name="quiet", mount="/quiet"),
                                 dict(station, name="heard", mount="/heard")]}, args.warmup)
        reader = Reader(srv.port, "/heard")
        reader.start()
        time.sleep(3)
        r0 = reader.bytes
        cpu, rates = measure(srv, args.seconds, ["/quiet", "/heard"])
        heard = (reader.bytes - r0) / args.seconds
        reader.stop = True
        srv.stop()
        results["autodj_two_stations_cpu_pct"] = cpu
        results["autodj_cpu_pct_per_station"] = (cpu - results["idle_cpu_pct"]) / 2
        results["autodj_rate_quiet_vs_realtime"] = rates["/quiet"] / 16000
        results["autodj_rate_heard_vs_realtime"] = rates["/heard"] / 16000
        results["listener_rate_vs_realtime"] = heard / 16000

        # 3. transcoder: same source with and without the transcoder
        def source(srv):
            return srv.spawn(["ffmpeg", "-v", "error", "-nostdin", "-re", "-i", opus, "-c", "copy",
                              "-content_type", "audio/ogg", "-f", "ogg",
                              f"icecast://source:{harness.SOURCE_PASSWORD}@127.0.0.1:{srv.port}/in"])
        srv = server({}, 1)
        source(srv)
        srv.wait_for_source("/in")
        time.sleep(args.warmup)
        cpu_plain, _ = measure(srv, args.seconds, [])
        srv.stop()
        srv = server({"transcoders": [{"name": "t", "input": "/in", "output": "/out.mp3",
                                       "format": "mp3", "bitrate": 128}]}, 1)
        source(srv)
        srv.wait_for_source("/in")
        time.sleep(args.warmup)
        cpu_tc, rates = measure(srv, args.seconds, ["/out.mp3"])
        srv.stop()
        results["source_only_cpu_pct"] = cpu_plain
        results["transcoder_cpu_pct"] = cpu_tc - cpu_plain
        results["transcoder_rate_vs_realtime"] = rates["/out.mp3"] / 16000
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"window {args.seconds:.0f} s")
    print(f"  idle server                         {results['idle_cpu_pct']:.2f}% of a core")
    print(f"  AutoDJ, per 128k MP3 station        {results['autodj_cpu_pct_per_station']:.2f}% "
          "(target < 2%)")
    print(f"  AutoDJ output vs real time, no lsnr {results['autodj_rate_quiet_vs_realtime']:.5f} "
          "(target within 0.5%)")
    print(f"  AutoDJ output vs real time, 1 lsnr  {results['autodj_rate_heard_vs_realtime']:.5f}")
    print(f"  bytes received by the listener      {results['listener_rate_vs_realtime']:.5f}")
    print(f"  transcoder Opus 96k -> MP3 128k     {results['transcoder_cpu_pct']:.2f}% of a core")
    print(f"  transcoder output vs real time      {results['transcoder_rate_vs_realtime']:.5f}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
