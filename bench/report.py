#!/usr/bin/env python3
"""Records and the side-by-side table for bench/run-bench.sh. Standard library only.

    report.py meta     --out RAW ...            the run's settings, first line of raw.jsonl
    report.py record   --out RAW ...            one measured run: the loadgen's JSON line plus the
                                                server's CPU/RSS samples and what follows from them
    report.py na       --out RAW ...            a run that could not be made (server did not start)
    report.py shutdown --out RAW ...            TinyIce's SIGTERM time with listeners connected
    report.py table RAW [--md FILE] [--txt FILE]  print the table (and write it as Markdown)

CPU is % of ONE core: (utime+stime of all the server's threads, summed over its processes)
over the steady window, which starts 1 s after the loadgen's connect phase ended
(t_start + connect_seconds) and ends 0.25 s before its steady window does.
RSS per listener = (VmRSS at the end of that window - VmRSS before the loadgen started) / connected.
"""

import argparse
import json
import math
import os
import sys
import textwrap

SERVERS = [("icecast", "Icecast 2"), ("floor", "floor"), ("tinyice", "TinyIce")]
FAIL_ABBREV = {"refused": "refused", "timeout": "timeout", "status": "http", "reset": "reset",
               "eof": "eof", "out_of_ports": "ports", "out_of_fds": "fds"}


def append(path, rec):
    with open(path, "a") as f:
        f.write(json.dumps(rec, separators=(",", ":")) + "\n")


def read_text(path):
    try:
        with open(path, "r", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def last_json_object(*texts):
    """The last line of the texts that parses as a JSON object (the loadgen's result line)."""
    for text in texts:
        for line in reversed(text.splitlines()):
            line = line.strip()
            if line.startswith("{"):
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue
                if isinstance(obj, dict):
                    return obj
    return None


# ----------------------------------------------------------------------------- subcommands
def cmd_meta(a):
    rec = {"type": "meta"}
    for k, v in vars(a).items():
        if k not in ("func", "out", "cmd"):
            rec[k] = v
    append(a.out, rec)


def cmd_na(a):
    append(a.out, {"type": "run", "server": a.server, "workload": a.workload, "n": a.n,
                   "mounts": a.mounts, "na": a.reason})
    print(f"  -> n/a: {a.reason}")


def cmd_shutdown(a):
    rec = {"type": "shutdown", "server": "tinyice", "n": a.n, "listeners": a.listeners,
           "ms": a.ms, "killed": bool(a.killed)}
    append(a.out, rec)
    extra = " (did not exit within 10 s: killed)" if a.killed else ""
    print(f"  SIGTERM to exit with {a.listeners} listeners connected: {a.ms} ms{extra}")


def load_samples(path):
    out = []
    for line in read_text(path).splitlines():
        parts = line.split("\t")
        if len(parts) != 4:
            continue
        try:
            out.append(tuple(int(p) for p in parts))
        except ValueError:
            continue
    return out  # (t_us, server_ticks, loadgen_ticks, rss_kb)


def cmd_record(a):
    lg_text = read_text(a.loadgen_out)
    lg = last_json_object(lg_text, read_text(a.loadgen_json))
    samples = load_samples(a.samples)
    t0 = a.t_start
    rec = {"type": "run", "server": a.server, "workload": a.workload, "n": a.n,
           "mounts": a.mounts, "steady": a.steady, "rate": a.rate, "loadgen": lg,
           "server_alive": bool(a.server_alive)}
    if lg is None:
        rec["loadgen_stdout"] = lg_text[-2000:]
        rec["loadgen_stderr_tail"] = read_text(a.loadgen_err)[-2000:]

    # Where the steady window lies: from the loadgen's own connect_seconds when it reported,
    # else from its progress line, else estimated as N / rate.
    timing = "estimated"
    conn_end = t0 + a.n / a.rate * 1e6
    steady_end = None
    if lg is not None and num(lg.get("steady_start_unix")) and num(lg.get("steady_end_unix")):
        conn_end = lg["steady_start_unix"] * 1e6
        steady_end = lg["steady_end_unix"] * 1e6
        timing = "loadgen steady_start_unix"
    elif lg is not None and isinstance(lg.get("connect_seconds"), (int, float)):
        conn_end = t0 + lg["connect_seconds"] * 1e6
        timing = "loadgen connect_seconds"
    elif a.conn_seen:
        conn_end = a.conn_seen
        timing = "loadgen progress line"
    lead = 1.0 if a.steady >= 4 else 0.25
    ws = conn_end + lead * 1e6
    we = (steady_end if steady_end is not None else conn_end + a.steady * 1e6) - 0.25e6
    inside = [s for s in samples if ws <= s[0] <= we]
    window = {"timing": timing, "connect_end_s": round((conn_end - t0) / 1e6, 3)}
    cpu = lg_cpu = None
    rss = {"baseline_kb": a.rss_base}
    if len(inside) >= 2 and inside[-1][0] - inside[0][0] >= 0.5e6:
        s1, s2 = inside[0], inside[-1]
        wall = (s2[0] - s1[0]) / 1e6
        cpu = (s2[1] - s1[1]) / a.clk_tck / wall * 100
        lg_cpu = (s2[2] - s1[2]) / a.clk_tck / wall * 100
        window.update(start_s=round((s1[0] - t0) / 1e6, 3), end_s=round((s2[0] - t0) / 1e6, 3),
                      wall_s=round(wall, 3), server_ticks=s2[1] - s1[1])
        rss.update(connected_kb=s1[3], end_kb=s2[3])
    else:
        window["error"] = "no samples bound the steady window (loadgen ended early?)"
    if samples:
        rss["peak_kb"] = max(s[3] for s in samples)
    rec["window"] = window
    rec["cpu_pct"] = None if cpu is None else round(cpu, 2)
    rec["loadgen_cpu_pct"] = None if lg_cpu is None else round(lg_cpu, 2)
    rec["rss"] = rss
    connected = (lg or {}).get("connected") or 0
    if connected and "end_kb" in rss:
        rec["rss_per_listener_bytes"] = round((rss["end_kb"] - a.rss_base) * 1024 / connected, 1)
    else:
        rec["rss_per_listener_bytes"] = None
    rec["samples"] = [[round((s[0] - t0) / 1e6, 3), s[1], s[2], s[3]] for s in samples]
    append(a.out, rec)
    print("  -> " + summary_line(rec))


def summary_line(rec):
    lg = rec.get("loadgen")
    if rec.get("na"):
        return "n/a: " + rec["na"]
    if lg is None:
        return "loadgen printed no result"
    parts = [f"connected {lg.get('connected')}/{lg.get('listeners')}",
             f"stalled {lg.get('stalled')}", f"dropped {lg.get('dropped_during_steady')}",
             f"failed {fmt_failed(lg)}", f"CPU {fmt_pct(rec.get('cpu_pct'))}",
             f"dropped before window {lg.get('dropped_before_steady', 0)}",
             f"TTFB p50/p99 {fmt_ttfb(lg)}", f"RSS/listener {fmt_bytes(rec.get('rss_per_listener_bytes'))}",
             f"loadgen CPU {fmt_pct(rec.get('loadgen_cpu_pct'))}"]
    if lg.get("capped_by_fd_limit"):
        parts.append(f"(N capped from {lg.get('requested')} by the open-files limit)")
    if not rec.get("server_alive", True):
        parts.append("SERVER DIED")
    return ", ".join(parts)


# ----------------------------------------------------------------------------- formatting
def num(v):
    return isinstance(v, (int, float)) and not (isinstance(v, float) and math.isnan(v))


def fmt_pct(v):
    return "n/a" if not num(v) else (f"{v:.1f}%" if v < 100 else f"{v:.0f}%")


def fmt_ms(v):
    if not num(v):
        return "?"
    if v >= 1000:
        return f"{v / 1000:.1f}s"
    if v >= 10:
        return f"{v:.0f}ms"
    return f"{v:.1f}ms"


def fmt_ttfb(lg):
    t = (lg or {}).get("ttfb_ms") or {}
    if not t:
        return "n/a"
    return f"{fmt_ms(t.get('p50'))}/{fmt_ms(t.get('p99'))}"


def fmt_bytes(v):
    if not num(v):
        return "n/a"
    if abs(v) >= 1024:
        return f"{v / 1024:.1f} KiB"
    return f"{v:.0f} B"


def failed_total(lg):
    f = (lg or {}).get("failed") or {}
    return sum(v for v in f.values() if isinstance(v, int))


def fmt_failed(lg):
    f = (lg or {}).get("failed") or {}
    total = failed_total(lg)
    if total == 0:
        return "0"
    reasons = sorted(((v, k) for k, v in f.items() if isinstance(v, int) and v), reverse=True)
    if len(reasons) == 1:
        return f"{total} {FAIL_ABBREV.get(reasons[0][1], reasons[0][1])}"
    return f"{total} (" + " ".join(f"{v} {FAIL_ABBREV.get(k, k)}" for v, k in reasons[:2]) + ")"


def cpu_per_listener(rec):
    lg = rec.get("loadgen") or {}
    c, cpu = lg.get("connected"), rec.get("cpu_pct")
    if not num(cpu) or not c:
        return None
    return cpu / c


def fmt_ratio(a, b):
    if a is None or b is None or b <= 0:
        return "n/a"
    return f"{a / b:.2f}x"


def cells_for(rec):
    """conn/N, stall/drop, failed, CPU, TTFB, RSS/listener for one server's run."""
    if rec is None:
        return ["-"] * 6
    if rec.get("na"):
        return ["n/a"] * 6
    lg = rec.get("loadgen")
    if lg is None:
        return ["no result", "n/a", "n/a", fmt_pct(rec.get("cpu_pct")), "n/a", "n/a"]
    conn = f"{lg.get('connected')}/{lg.get('listeners')}"
    if lg.get("capped_by_fd_limit"):
        conn += "*"
    if not rec.get("server_alive", True):
        conn += " DIED"
    cpu = fmt_pct(rec.get("cpu_pct"))
    return [conn, f"{lg.get('stalled')}/{lg.get('dropped_during_steady')}", fmt_failed(lg), cpu,
            fmt_ttfb(lg), fmt_bytes(rec.get("rss_per_listener_bytes"))]


COLS = ["conn/N", "stall/drop", "failed", "CPU", "TTFB p50/p99", "RSS/lsnr"]


def load(path):
    recs = []
    for line in read_text(path).splitlines():
        line = line.strip()
        if line:
            try:
                recs.append(json.loads(line))
            except ValueError:
                pass
    return recs


def build(recs):
    meta = next((r for r in recs if r.get("type") == "meta"), {})
    runs = [r for r in recs if r.get("type") == "run"]
    servers = [(k, name) for k, name in SERVERS if any(r["server"] == k for r in runs)]
    keys = []
    for r in runs:
        key = (r["workload"], r["n"], r["mounts"])
        if key not in keys:
            keys.append(key)
    keys.sort(key=lambda k: (k[0], k[1]))
    rows = []
    for wl, n, mounts in keys:
        by = {r["server"]: r for r in runs if (r["workload"], r["n"], r["mounts"]) == (wl, n, mounts)}
        label = f"W1 N={n}" if wl == "W1" else f"W2 {mounts}x{n // max(mounts, 1)}"
        cells = [label]
        for k, _ in servers:
            cells += cells_for(by.get(k))
        ti = by.get("tinyice")
        if ti is not None:
            tcpu = cpu_per_listener(ti)
            if "icecast" in dict(servers):
                ice = by.get("icecast")
                cells.append(fmt_ratio(tcpu, cpu_per_listener(ice) if ice else None))
            if "floor" in dict(servers):
                fl = by.get("floor")
                cells.append(fmt_ratio(tcpu, cpu_per_listener(fl) if fl else None))
        rows.append(cells)
    groups = [("", 1)] + [(name, len(COLS)) for _, name in servers]
    header = ["workload"] + COLS * len(servers)
    ratio_cols = []
    if any(k == "tinyice" for k, _ in servers):
        if any(k == "icecast" for k, _ in servers):
            ratio_cols.append("TI/Ice CPU/l")
        if any(k == "floor" for k, _ in servers):
            ratio_cols.append("TI/floor CPU/l")
    if ratio_cols:
        groups.append(("", len(ratio_cols)))
        header += ratio_cols
        for row in rows:
            while len(row) < len(header):
                row.append("n/a")
    notes = []
    for r in recs:
        if r.get("type") == "startup":
            fmt = lambda v: "n/a" if v is None else f"{v:.1f} ms"
            notes.append(f"TinyIce start to serving (exec to first HTTP response, median of "
                         f"{r.get('attempts')}): {fmt(r.get('serving_ms'))}; first accepted "
                         f"connection {fmt(r.get('accept_ms'))}")
        elif r.get("type") == "shutdown":
            extra = " (did not exit within 10 s; killed)" if r.get("killed") else ""
            notes.append(f"TinyIce SIGTERM to exit with {r.get('listeners')} listeners connected: "
                         f"{r.get('ms')} ms{extra}")
    busy = [r for r in runs if num(r.get("loadgen_cpu_pct")) and r["loadgen_cpu_pct"] > 85]
    for r in busy:
        notes.append(f"warning: the load generator used {r['loadgen_cpu_pct']:.0f}% of a core in "
                     f"{r['server']} {r['workload']} N={r['n']}: it may have been the bottleneck")
    for r in runs:
        if r.get("na"):
            notes.append(f"{r['server']} {r['workload']} N={r['n']}: n/a ({r['na']})")
        elif r.get("window", {}).get("error"):
            notes.append(f"{r['server']} {r['workload']} N={r['n']}: {r['window']['error']}")
        elif not str(r.get("window", {}).get("timing", "")).startswith("loadgen"):
            notes.append(f"{r['server']} {r['workload']} N={r['n']}: steady window "
                         f"{r['window'].get('timing')}")
    if any((r.get("loadgen") or {}).get("capped_by_fd_limit") for r in runs):
        notes.append("* N capped by the open-files limit (listeners = what the loadgen could open)")
    legend = (f"CPU: % of one core over the steady window ({meta.get('steady', '?')} s requested, "
              f"sampled from 1 s after the last connect); conn/N: connected / listeners attempted at "
              f"{meta.get('rate', '?')}/s; stall/drop: under 90% of 16000 B/s / dropped during the "
              f"window; RSS/lsnr: VmRSS growth / connected; TI/Ice CPU/l, TI/floor CPU/l: TinyIce's CPU per "
              f"connected listener over theirs. Burst {meta.get('burst', '?')} B, queue "
              f"{meta.get('queue', '?')} B; flush {meta.get('flush_ms', '?')} ms (TinyIce, floor); "
              f"the floor runs one process per mount in W2; sources: "
              + ("pre-encoded MP3 sent with ffmpeg -c copy." if meta.get("copy_sources")
                 else "ffmpeg encoding 128 kbps MP3 live, one per mount."))
    return meta, groups, header, rows, notes, legend


def render_text(meta, groups, header, rows, notes, legend):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    # widen groups so their titles fit
    i = 0
    for title, span in groups:
        inner = sum(widths[i:i + span]) + 3 * (span - 1)
        if title and len(title) + 2 > inner:
            widths[i + span - 1] += len(title) + 2 - inner
        i += span
    out = []
    i, parts = 0, []
    for title, span in groups:
        inner = sum(widths[i:i + span]) + 3 * (span - 1)
        parts.append(f" {title} ".center(inner, "-") if title else " " * inner)
        i += span
    out.append(" | ".join(parts).rstrip())
    out.append(" | ".join(h.rjust(w) if j else h.ljust(w) for j, (h, w) in enumerate(zip(header, widths))))
    out.append("-+-".join("-" * w for w in widths))
    for r in rows:
        out.append(" | ".join(c.rjust(w) if j else c.ljust(w) for j, (c, w) in enumerate(zip(r, widths))))
    out.append("")
    out += textwrap.wrap(legend, 100)
    out += notes
    return "\n".join(out)


def render_md(meta, groups, header, rows, notes, legend):
    names = []
    for title, span in groups:
        names += [title] * span
    hdr = [h if not g else f"{g} {h}" for g, h in zip(names, header)]
    out = []
    if meta.get("command"):
        out.append(f"`{meta['command']}` — {meta.get('date', '')}, Linux {meta.get('kernel', '')}, "
                   f"{meta.get('cores', '?')} cores, open files {meta.get('nofile', '?')}, "
                   f"Icecast {meta.get('icecast_version') or '?'}")
        out.append("")
    out.append("| " + " | ".join(hdr) + " |")
    out.append("|" + "|".join("---" if j == 0 else "---:" for j in range(len(hdr))) + "|")
    for r in rows:
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
    out.append("")
    out.append(legend)
    if notes:
        out.append("")
        out += [f"- {n}" for n in notes]
    return "\n".join(out) + "\n"


def cmd_table(a):
    recs = load(a.raw)
    meta, groups, header, rows, notes, legend = build(recs)
    if not rows:
        print("no runs recorded")
        return
    text = render_text(meta, groups, header, rows, notes, legend)
    print("Command: " + meta.get("command", "?"))
    print(text)
    if a.txt:
        with open(a.txt, "w") as f:
            f.write("Command: " + meta.get("command", "?") + "\n" + text + "\n")
    if a.md:
        with open(a.md, "w") as f:
            f.write(render_md(meta, groups, header, rows, notes, legend))
        print(f"\nMarkdown: {a.md}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    m = sub.add_parser("meta")
    m.add_argument("--out", required=True)
    for k in ("command", "date", "kernel", "icecast_version"):
        m.add_argument("--" + k.replace("_", "-"), default="")
    for k in ("cores", "nofile", "clk_tck", "rate", "steady", "burst", "queue", "flush_ms", "quick",
              "copy_sources"):
        m.add_argument("--" + k.replace("_", "-"), type=int, default=0)
    m.set_defaults(func=cmd_meta)

    r = sub.add_parser("record")
    r.add_argument("--out", required=True)
    r.add_argument("--server", required=True)
    r.add_argument("--workload", required=True)
    r.add_argument("--n", type=int, required=True)
    r.add_argument("--mounts", type=int, default=1)
    r.add_argument("--steady", type=float, required=True)
    r.add_argument("--rate", type=float, required=True)
    r.add_argument("--clk-tck", type=int, default=os.sysconf("SC_CLK_TCK"))
    r.add_argument("--t-start", type=int, required=True, help="loadgen start, µs since the epoch")
    r.add_argument("--rss-base", type=int, required=True, help="server VmRSS kB before the loadgen")
    r.add_argument("--ticks-base", type=int, default=0)
    r.add_argument("--samples", required=True)
    r.add_argument("--loadgen-out", required=True)
    r.add_argument("--loadgen-json", default="")
    r.add_argument("--loadgen-err", default="")
    r.add_argument("--conn-seen", type=int, default=0)
    r.add_argument("--server-alive", type=int, default=1)
    r.set_defaults(func=cmd_record)

    n = sub.add_parser("na")
    n.add_argument("--out", required=True)
    n.add_argument("--server", required=True)
    n.add_argument("--workload", required=True)
    n.add_argument("--n", type=int, required=True)
    n.add_argument("--mounts", type=int, default=1)
    n.add_argument("--reason", default="n/a")
    n.set_defaults(func=cmd_na)

    s = sub.add_parser("shutdown")
    s.add_argument("--out", required=True)
    s.add_argument("--n", type=int, required=True)
    s.add_argument("--listeners", type=int, default=-1)
    s.add_argument("--ms", type=int, required=True)
    s.add_argument("--killed", type=int, default=0)
    s.set_defaults(func=cmd_shutdown)

    t = sub.add_parser("table")
    t.add_argument("raw")
    t.add_argument("--md", default="")
    t.add_argument("--txt", default="")
    t.set_defaults(func=cmd_table)

    a = p.parse_args()
    a.func(a)


if __name__ == "__main__":
    main()
