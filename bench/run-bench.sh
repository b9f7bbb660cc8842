#!/usr/bin/env bash
# One-command side-by-side benchmark: Icecast 2, the floor server (tinyice_floor) and TinyIce,
# one after the other in the same run, with equivalent settings (burst 64 KiB, queue 512 KiB,
# limits high enough for N), driven by tinyice_loadgen. See /docs/PERFORMANCE.md and PERF.md.
#
#   bench/run-bench.sh                 W1 at N = 1000, 5000, 10000, 19500 and W2 (20 x 250)
#   bench/run-bench.sh --quick         W1 at N = 200, 1000 and W2 (5 x 40), 10 s windows
#   bench/run-bench.sh --only tinyice --sizes 1000,5000 --no-w2
#
# Results: bench/results/<UTC timestamp>/ with raw.jsonl (every loadgen JSON line plus the
# CPU/RSS samples and derived numbers), table.txt and table.md (the side-by-side table).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPORT="$ROOT/bench/report.py"
CMDLINE=$0
for _a in "$@"; do
  if [[ "$_a" =~ ^[A-Za-z0-9_./,=:+@%-]+$ ]]; then CMDLINE+=" $_a"; else CMDLINE+=" $(printf '%q' "$_a")"; fi
done

usage() {
  cat <<'EOF'
usage: bench/run-bench.sh [options]
  --quick              W1 at N = 200,1000 and W2 5x40 with a 10 s steady window (< 3 min)
  --only LIST          servers to run, comma-separated: icecast,floor,tinyice (default: all)
  --sizes LIST         W1 listener counts, e.g. 1000,5000 ("none" skips W1)
  --w2 MOUNTSxLISTENERS  W2 shape (default 20x250, quick 5x40); --no-w2 skips W2
  --steady S           steady window seconds (default 30, quick 10)
  --rate R             listener connects per second (default 500)
  --connect-timeout S  loadgen connect timeout (default 10)
  --flush-ms MS        flush interval for TinyIce and the floor (default 250)
  --shutdown-n N       TinyIce: listeners connected during the SIGTERM shutdown measurement
                       (default 10000, quick: the largest W1 size; 0 skips it)
  --out DIR            results directory (default bench/results/<UTC timestamp>)
  --copy-sources       sources send a pre-encoded 128 kbps MP3 (ffmpeg -c copy, ~1/3 of the CPU
                       of encoding live; matters with W2's 20 sources on 2 cores) instead of
                       encoding the sine live
  --keep               keep the temp dir with server configs and logs
Environment: TINYICE_BINARY, TINYICE_LOADGEN, TINYICE_FLOOR, ICECAST2_BINARY override the binaries.
EOF
}

# ---------------------------------------------------------------- options
QUICK=0
ONLY="icecast,floor,tinyice"
SIZES=""
W2=""
NO_W2=0
STEADY=""
RATE=500
CONNECT_TIMEOUT=10
FLUSH_MS=250
SHUTDOWN_N=""
OUT=""
KEEP=0
COPY_SOURCES=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --only) ONLY="$2"; shift ;;
    --only=*) ONLY="${1#*=}" ;;
    --sizes) SIZES="$2"; shift ;;
    --sizes=*) SIZES="${1#*=}" ;;
    --w2) W2="$2"; shift ;;
    --w2=*) W2="${1#*=}" ;;
    --no-w2) NO_W2=1 ;;
    --steady) STEADY="$2"; shift ;;
    --steady=*) STEADY="${1#*=}" ;;
    --rate) RATE="$2"; shift ;;
    --rate=*) RATE="${1#*=}" ;;
    --connect-timeout) CONNECT_TIMEOUT="$2"; shift ;;
    --flush-ms) FLUSH_MS="$2"; shift ;;
    --shutdown-n) SHUTDOWN_N="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    --keep) KEEP=1 ;;
    --copy-sources) COPY_SOURCES=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run-bench: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

if [ "$QUICK" = 1 ]; then
  : "${SIZES:=200,1000}"; : "${W2:=5x40}"; : "${STEADY:=10}"
else
  : "${SIZES:=1000,5000,10000,19500}"; : "${W2:=20x250}"; : "${STEADY:=30}"
fi
[ "$SIZES" = none ] && SIZES=""
IFS=',' read -ra SIZE_LIST <<<"$SIZES"
IFS=',' read -ra SERVER_LIST <<<"$ONLY"
for s in "${SERVER_LIST[@]}"; do
  case "$s" in icecast|floor|tinyice) ;; *) echo "run-bench: --only: unknown server '$s'" >&2; exit 2 ;; esac
done
for n in "${SIZE_LIST[@]}"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "run-bench: --sizes: '$n' is not a positive integer" >&2; exit 2; }
done
for v in "steady:$STEADY" "rate:$RATE" "connect-timeout:$CONNECT_TIMEOUT" "flush-ms:$FLUSH_MS"; do
  [[ "${v#*:}" =~ ^[0-9]+$ ]] || { echo "run-bench: --${v%%:*} wants a whole number, got '${v#*:}'" >&2; exit 2; }
done
if [ "$RATE" -eq 0 ] || [ "$STEADY" -eq 0 ]; then echo "run-bench: --rate and --steady must be > 0" >&2; exit 2; fi
W2_MOUNTS=0; W2_PER=0
if [ "$NO_W2" = 0 ]; then
  [[ "$W2" =~ ^([0-9]+)x([0-9]+)$ ]] || { echo "run-bench: --w2 wants MOUNTSxLISTENERS, got '$W2'" >&2; exit 2; }
  W2_MOUNTS=${BASH_REMATCH[1]}; W2_PER=${BASH_REMATCH[2]}
fi
[[ -z "$SHUTDOWN_N" || "$SHUTDOWN_N" =~ ^[0-9]+$ ]] || { echo "run-bench: --shutdown-n wants a number" >&2; exit 2; }
if [ -z "$SHUTDOWN_N" ]; then
  if [ "$QUICK" = 1 ]; then
    SHUTDOWN_N=0
    for n in "${SIZE_LIST[@]}"; do [ "$n" -gt "$SHUTDOWN_N" ] && SHUTDOWN_N=$n; done
    [ "$SHUTDOWN_N" = 0 ] && SHUTDOWN_N=200
  else
    SHUTDOWN_N=10000
  fi
fi

PASS=hackme
BENCH_USER=tinyice-bench
BURST=65536
QUEUE=524288
CLK_TCK=$(getconf CLK_TCK)
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
: "${OUT:=$ROOT/bench/results/$STAMP}"

say() { printf '%s\n' "$*"; }
note() { printf '  %s\n' "$*"; }
warn() { printf 'run-bench: %s\n' "$*" >&2; }
now_us() { NOW_US=${EPOCHREALTIME/./}; }   # sets NOW_US (no subshell)

# ---------------------------------------------------------------- process bookkeeping
PIDS=()          # everything we started and must not leave behind
TMP=""
RAW=""
TABLE_DONE=0
register() { PIDS+=("$1"); }
unregister() {
  local p keep=()
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}
alive() {  # running and not a zombie
  local st
  [ -r "/proc/$1/stat" ] || return 1
  read -r st <"/proc/$1/stat" 2>/dev/null || return 1
  st=${st##*) }
  [ "${st:0:1}" != Z ]
}
# stop_pid PID [timeout_s]: SIGTERM, wait, SIGKILL; reaps it.
stop_pid() {
  local pid=$1 timeout=${2:-5} i
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < timeout * 20; i++)); do alive "$pid" || break; sleep 0.05; done
    if alive "$pid"; then
      kill -KILL "$pid" 2>/dev/null
      for ((i = 0; i < 40; i++)); do alive "$pid" || break; sleep 0.05; done
    fi
  fi
  wait "$pid" 2>/dev/null
  unregister "$pid"
}
cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for ((i = 0; i < 60; i++)); do alive "$p" || break; sleep 0.05; done
    alive "$p" && kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  PIDS=()
  if [ "$rc" != 0 ] && [ "$TABLE_DONE" = 0 ] && [ -n "${RAW:-}" ] && grep -q '"type":"run"' "$RAW" 2>/dev/null; then
    say ""; say "Partial results:"
    python3 "$REPORT" table "$RAW" --md "$OUT/table.md" --txt "$OUT/table.txt"
  fi
  if [ -n "$TMP" ] && [ -d "$TMP" ]; then
    if [ "$KEEP" = 1 ]; then say "temp dir kept: $TMP"; else rm -rf "$TMP"; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'warn "interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------- helpers
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# wait_accepting PORT PID TIMEOUT_S: 0 when something accepts on the port
wait_accepting() {
  local port=$1 pid=$2 timeout=$3 i
  for ((i = 0; i < timeout * 50; i++)); do
    alive "$pid" || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.02
  done
  return 1
}
# live_mounts PORT MOUNT...: prints how many of the mounts status-json.xsl lists as live
live_mounts() {
  python3 - "$@" <<'PY' 2>/dev/null || echo 0
import json, sys, urllib.request
port, mounts = sys.argv[1], sys.argv[2:]
with urllib.request.urlopen(f"http://127.0.0.1:{port}/status-json.xsl", timeout=2) as r:
    doc = json.loads(r.read().decode("utf-8", "replace"))
src = doc.get("icestats", {}).get("source", [])
if isinstance(src, dict):
    src = [src]
live = set()
for s in src:
    url = s.get("listenurl") or ""
    for m in mounts:
        if url.endswith(m):
            live.add(m)
print(len(live))
PY
}
# listeners_on PORT: total listeners status-json.xsl reports
listeners_on() {
  python3 - "$1" <<'PY' 2>/dev/null || echo -1
import json, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/status-json.xsl", timeout=2) as r:
    doc = json.loads(r.read().decode("utf-8", "replace"))
src = doc.get("icestats", {}).get("source", [])
if isinstance(src, dict):
    src = [src]
print(sum(int(s.get("listeners") or 0) for s in src))
PY
}
# proc_ticks PID...: sets TICKS to utime+stime (all threads) summed over the PIDs
proc_ticks() {
  local pid line f
  TICKS=0
  for pid in "$@"; do
    read -r line <"/proc/$pid/stat" 2>/dev/null || continue
    read -ra f <<<"${line##*) }"
    TICKS=$((TICKS + f[11] + f[12]))
  done
}
# proc_rss PID...: sets RSS_KB to VmRSS summed over the PIDs
proc_rss() {
  local pid k v u
  RSS_KB=0
  for pid in "$@"; do
    [ -r "/proc/$pid/status" ] || continue
    while read -r k v u; do
      if [ "$k" = "VmRSS:" ]; then RSS_KB=$((RSS_KB + v)); break; fi
    done <"/proc/$pid/status"
  done
}
exit_status() {  # exit_status PID: reaps a dead child and says how it ended
  local rc
  alive "$1" && return 0
  wait "$1" 2>/dev/null; rc=$?
  unregister "$1"
  if [ "$rc" -gt 128 ]; then say "  (killed by signal $((rc - 128)))"; else say "  (exit status $rc)"; fi
}
tail_log() {  # tail_log FILE LABEL
  [ -s "$1" ] || return 0
  say "  --- $2 (last lines of $1) ---"
  tail -n 25 "$1" | sed 's/^/  | /'
}

# ---------------------------------------------------------------- binaries and limits
say "Command: $CMDLINE"
say "Date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')   host: $(uname -sr), $(nproc) cores"

find_bin() {  # find_bin NAME -> path or empty
  local p
  for p in "$ROOT/build/release/bench/$1" "$ROOT/build/release/$1"; do
    [ -x "$p" ] && { echo "$p"; return; }
  done
  find "$ROOT/build/release" -name "$1" -type f -perm -u+x 2>/dev/null | head -n 1
}
TINYICE=${TINYICE_BINARY:-$ROOT/build/release/tinyice}
LOADGEN=${TINYICE_LOADGEN:-$(find_bin tinyice_loadgen)}
FLOOR=${TINYICE_FLOOR:-$(find_bin tinyice_floor)}
if { [ -z "$LOADGEN" ] || [ -z "$FLOOR" ]; } && [ -d "$ROOT/build/release" ]; then
  say "Building tinyice_loadgen and tinyice_floor ..."
  # A build dir configured before bench/CMakeLists.txt existed needs a re-configure first.
  cmake --build "$ROOT/build/release" --target tinyice_loadgen tinyice_floor >"$ROOT/build/release/bench-tools.log" 2>&1 ||
    { cmake "$ROOT/build/release" >>"$ROOT/build/release/bench-tools.log" 2>&1 &&
      cmake --build "$ROOT/build/release" --target tinyice_loadgen tinyice_floor >>"$ROOT/build/release/bench-tools.log" 2>&1; } ||
    warn "building the bench tools failed (see build/release/bench-tools.log)"
  [ -z "$LOADGEN" ] && LOADGEN=$(find_bin tinyice_loadgen)
  [ -z "$FLOOR" ] && FLOOR=$(find_bin tinyice_floor)
fi
if [ -z "$LOADGEN" ] || [ ! -x "$LOADGEN" ]; then
  warn "tinyice_loadgen not found under build/release (cmake --build build/release --target tinyice_loadgen)"
  exit 1
fi
command -v ffmpeg >/dev/null || { warn "ffmpeg not found (scripts/install-deps --bench)"; exit 1; }
ICECAST=${ICECAST2_BINARY:-$(command -v icecast2 || true)}

# Open files: soft limit up to the hard limit; every listener is one fd in the server and one
# in the load generator (which runs as a separate process with the same limits).
HARD=$(ulimit -Hn)
if [ "$HARD" = unlimited ]; then ulimit -n 1048576 2>/dev/null || true; else ulimit -n "$HARD" 2>/dev/null || true; fi
NOFILE=$(ulimit -n)
MAX_N=$((NOFILE - 100))
say "Open files: soft limit $NOFILE (hard $HARD): at most ~$MAX_N listeners per process (N + ~100 spare fds)"
for n in "${SIZE_LIST[@]}"; do
  [ "$n" -gt "$MAX_N" ] && say "  N = $n will be capped to ~$MAX_N by the open-files limit"
done
say "Load generator: $LOADGEN"
say "Floor server:   ${FLOOR:-<not built>}"
say "TinyIce:        $TINYICE"
say "Icecast:        ${ICECAST:-<not installed>} $(dpkg-query -W -f='${Version}' icecast2 2>/dev/null)"
say "Settings: burst $BURST B, queue $QUEUE B, flush ${FLUSH_MS} ms (TinyIce, floor), rate $RATE/s, steady ${STEADY} s"
if [ "$COPY_SOURCES" = 1 ]; then
  say "Sources: ffmpeg -re -stream_loop -1 -c copy of a pre-encoded 128 kbps MP3 (--copy-sources)"
else
  say "Sources: ffmpeg -re lavfi sine -> libmp3lame 128 kbps, encoded live (one ffmpeg per mount)"
fi

mkdir -p "$OUT" || exit 1
RAW="$OUT/raw.jsonl"
: >"$RAW"
TMP=$(mktemp -d /tmp/tinyice-bench.XXXXXX) || exit 1
chmod 755 "$TMP"
say "Results: $OUT"
say ""
TONE=""
if [ "$COPY_SOURCES" = 1 ]; then
  TONE="$TMP/tone.mp3"
  ffmpeg -hide_banner -loglevel error -nostdin -t 60 -f lavfi -i sine=frequency=440:sample_rate=44100 \
    -ac 2 -c:a libmp3lame -b:a 128k -f mp3 "$TONE" </dev/null || { warn "could not pre-encode $TONE"; exit 1; }
  chmod 644 "$TONE"
fi

python3 "$REPORT" meta --out "$RAW" --command "$CMDLINE" --date "$(date -u +%FT%TZ)" \
  --kernel "$(uname -r)" --cores "$(nproc)" --nofile "$NOFILE" --clk-tck "$CLK_TCK" \
  --rate "$RATE" --steady "$STEADY" --burst "$BURST" --queue "$QUEUE" --flush-ms "$FLUSH_MS" \
  --icecast-version "$(dpkg-query -W -f='${Version}' icecast2 2>/dev/null)" --quick "$QUICK" \
  --copy-sources "$COPY_SOURCES"

# ---------------------------------------------------------------- servers
# start_server KIND RUNDIR MOUNT...: sets SRV_PIDS (array), SRV_URLS (one per mount), SRV_PORT
# (status port, empty for the floor), SRV_LOG; returns 1 (after printing why) on failure.
SRV_PIDS=(); SRV_URLS=(); SRV_PORT=""; SRV_LOG=""; SRC_PIDS=()
TINYICE_HASH=""

icecast_user() {
  if [ "$(id -u)" != 0 ]; then return 0; fi
  if ! id -u "$BENCH_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$BENCH_USER" 2>/dev/null ||
      useradd --system --no-create-home "$BENCH_USER" || return 1
  fi
}

start_icecast() {
  local dir=$1; shift
  local port; port=$(free_port)
  [ -n "$ICECAST" ] || { say "  icecast2 is not installed (scripts/install-deps --bench)"; return 1; }
  mkdir -p "$dir/log"
  cat >"$dir/icecast.xml" <<EOF
<icecast>
  <location>bench</location>
  <admin>bench@localhost</admin>
  <hostname>127.0.0.1</hostname>
  <limits>
    <clients>25000</clients>
    <sources>64</sources>
    <queue-size>$QUEUE</queue-size>
    <client-timeout>30</client-timeout>
    <header-timeout>15</header-timeout>
    <source-timeout>10</source-timeout>
    <burst-on-connect>1</burst-on-connect>
    <burst-size>$BURST</burst-size>
  </limits>
  <authentication>
    <source-password>$PASS</source-password>
    <relay-password>$PASS</relay-password>
    <admin-user>admin</admin-user>
    <admin-password>$PASS</admin-password>
  </authentication>
  <listen-socket>
    <port>$port</port>
    <bind-address>127.0.0.1</bind-address>
  </listen-socket>
  <fileserve>1</fileserve>
  <paths>
    <basedir>$dir</basedir>
    <logdir>$dir/log</logdir>
    <webroot>/usr/share/icecast2/web</webroot>
    <adminroot>/usr/share/icecast2/admin</adminroot>
    <pidfile>$dir/icecast.pid</pidfile>
  </paths>
  <logging>
    <accesslog>access.log</accesslog>
    <errorlog>error.log</errorlog>
    <loglevel>2</loglevel>
    <logsize>100000</logsize>
  </logging>
  <security>
    <chroot>0</chroot>
  </security>
</icecast>
EOF
  SRV_LOG="$dir/log/error.log"
  local runas=()
  if [ "$(id -u)" = 0 ]; then
    icecast_user || { say "  could not create the system user $BENCH_USER"; return 1; }
    chown -R "$BENCH_USER:" "$dir"
    runas=(setpriv "--reuid=$BENCH_USER" "--regid=$(id -g "$BENCH_USER")" --clear-groups)
  fi
  (cd "$dir" && exec "${runas[@]}" "$ICECAST" -c "$dir/icecast.xml") >"$dir/stdout.log" 2>&1 </dev/null &
  SRV_PIDS=($!); register "$!"
  SRV_PORT=$port
  SRV_URLS=()
  local m; for m in "$@"; do SRV_URLS+=("http://127.0.0.1:$port$m"); done
  if ! wait_accepting "$port" "${SRV_PIDS[0]}" 10; then
    say "  icecast2 did not start:"
    exit_status "${SRV_PIDS[0]}"
    tail_log "$dir/stdout.log" "icecast2 output"
    tail_log "$dir/log/error.log" "icecast2 error log"
    return 1
  fi
}

start_tinyice() {
  local dir=$1; shift
  local port; port=$(free_port)
  [ -x "$TINYICE" ] || { say "  $TINYICE not built (make build)"; return 1; }
  tinyice_hash || return 1
  mkdir -p "$dir"
  tinyice_config "$dir" "$port" >"$dir/tinyice.json"
  SRV_LOG="$dir/error.log"
  (cd "$dir" && exec "$TINYICE" --config "$dir/tinyice.json") >"$dir/stdout.log" 2>&1 </dev/null &
  SRV_PIDS=($!); register "$!"
  SRV_PORT=$port
  SRV_URLS=()
  local m; for m in "$@"; do SRV_URLS+=("http://127.0.0.1:$port$m"); done
  if ! wait_accepting "$port" "${SRV_PIDS[0]}" 10; then
    say "  tinyice did not start:"
    exit_status "${SRV_PIDS[0]}"
    tail_log "$dir/stdout.log" "tinyice output"
    tail_log "$dir/error.log" "tinyice error log"
    return 1
  fi
}
tinyice_hash() {  # sets TINYICE_HASH (crypt hash of $PASS made by tinyice itself)
  [ -n "$TINYICE_HASH" ] && return 0
  TINYICE_HASH=$(printf '%s\n' "$PASS" | "$TINYICE" hash-password 2>"$TMP/hash.err" | tail -n 1)
  if [ -z "$TINYICE_HASH" ]; then
    say "  '$TINYICE hash-password' failed (a stale build? make build):"
    sed 's/^/  | /' "$TMP/hash.err" | head -n 5
    return 1
  fi
}
tinyice_config() {  # tinyice_config DIR PORT
  cat <<EOF
{
  "listen": [{"address": "127.0.0.1", "port": $2}],
  "hostname": "127.0.0.1",
  "auth": {"admin_user": "admin", "admin_password": "$TINYICE_HASH",
           "source_password": "$TINYICE_HASH"},
  "limits": {"max_clients": 25000, "max_sources": 64, "max_listeners": 0,
             "max_connections_per_ip": 0, "queue_size": $QUEUE, "burst_size": $BURST,
             "flush_interval_ms": $FLUSH_MS, "source_timeout_ms": 10000},
  "logging": {"level": "warn", "access_log": "$1/access.log", "error_log": "$1/error.log"},
  "mounts": []
}
EOF
}

# The floor serves one mount per process: W2 runs one floor process per mount (CPU and RSS
# summed over them), which is the floor's cost per listener all the same.
start_floor() {
  local dir=$1; shift
  if [ -z "$FLOOR" ] || [ ! -x "$FLOOR" ]; then say "  tinyice_floor not built"; return 1; fi
  mkdir -p "$dir"
  SRV_PIDS=(); SRV_URLS=(); SRV_PORT=""; SRV_LOG="$dir/floor-1.log"
  local m i=0 port
  for m in "$@"; do
    i=$((i + 1))
    port=$(free_port)
    "$FLOOR" --port "$port" --bind 127.0.0.1 --flush-ms "$FLUSH_MS" --burst "$BURST" \
      --queue "$QUEUE" --password "$PASS" >"$dir/floor-$i.log" 2>&1 </dev/null &
    SRV_PIDS+=($!); register "$!"
    SRV_URLS+=("http://127.0.0.1:$port$m")
    if ! wait_accepting "$port" "$!" 10; then
      say "  tinyice_floor did not start:"
      exit_status "${SRV_PIDS[-1]}"
      tail_log "$dir/floor-$i.log" "floor output"
      return 1
    fi
  done
}

# start_sources DIR: one real-time 128 kbps MP3 ffmpeg source per SRV_URLS entry
start_sources() {
  local dir=$1 url i=0 target
  SRC_PIDS=()
  for url in "${SRV_URLS[@]}"; do
    i=$((i + 1))
    target="icecast://source:$PASS@${url#http://}"
    if [ -n "$TONE" ]; then
      ffmpeg -hide_banner -loglevel error -nostdin -re -stream_loop -1 -i "$TONE" -c copy \
        -content_type audio/mpeg -f mp3 "$target" >"$dir/ffmpeg-$i.log" 2>&1 </dev/null &
    else
      ffmpeg -hide_banner -loglevel error -nostdin -re -f lavfi \
        -i sine=frequency=440:sample_rate=44100 -ac 2 -c:a libmp3lame -b:a 128k \
        -content_type audio/mpeg -f mp3 "$target" >"$dir/ffmpeg-$i.log" 2>&1 </dev/null &
    fi
    SRC_PIDS+=($!); register "$!"
  done
}
# wait_live KIND DIR MOUNT...: 0 when every mount has its source
wait_live() {
  local kind=$1 dir=$2; shift 2
  local want=$# i p got
  if [ "$kind" = floor ]; then
    sleep 2
  else
    for ((i = 0; i < 150; i++)); do
      got=$(live_mounts "$SRV_PORT" "$@")
      [ "$got" -ge "$want" ] && break
      sleep 0.1
    done
    if [ "$got" -lt "$want" ]; then
      say "  only $got of $want mounts went live within 15 s"
      tail_log "$dir/ffmpeg-1.log" "ffmpeg source"
      tail_log "$SRV_LOG" "$kind log"
      return 1
    fi
  fi
  for p in "${SRC_PIDS[@]}"; do
    if ! alive "$p"; then
      say "  an ffmpeg source exited"
      for ((i = 1; i <= ${#SRC_PIDS[@]}; i++)); do tail_log "$dir/ffmpeg-$i.log" "ffmpeg source $i"; done
      return 1
    fi
  done
  # Settle: the same pause on every server so bursts have (partly) filled alike.
  sleep 1
}
stop_all() {
  local p
  for p in "${SRC_PIDS[@]}"; do stop_pid "$p" 3; done
  for p in "${SRV_PIDS[@]}"; do stop_pid "$p" 10; done
  SRC_PIDS=(); SRV_PIDS=()
}

# ---------------------------------------------------------------- one measured run
# run_load SERVER WORKLOAD N MOUNTS RUNDIR: loadgen against SRV_URLS, sampling the server's
# CPU/RSS (and the loadgen's CPU) every 0.25 s; report.py picks the samples that bound the
# steady window from the loadgen's own steady_start_unix/steady_end_unix (which its JSON
# reports) and appends the record to raw.jsonl.
run_load() {
  local server=$1 workload=$2 n=$3 mounts=$4 dir=$5
  local urlargs=() u lgpid t_start st samples="$dir/samples.tsv"
  for u in "${SRV_URLS[@]}"; do urlargs+=(--url "$u"); done
  proc_rss "${SRV_PIDS[@]}"; local rss_base=$RSS_KB
  proc_ticks "${SRV_PIDS[@]}"; local ticks_base=$TICKS
  local cmd=("$LOADGEN" "${urlargs[@]}" --listeners "$n" --rate "$RATE" --steady "$STEADY"
             --connect-timeout "$CONNECT_TIMEOUT" --progress --json-out "$dir/loadgen.json")
  if [ "${#urlargs[@]}" -gt 4 ]; then
    note "loadgen: ${LOADGEN##*/} --url ${SRV_URLS[0]} ... (${#SRV_URLS[@]} urls) ${cmd[*]:${#urlargs[@]}+1}"
  else
    note "loadgen: ${LOADGEN##*/} ${cmd[*]:1}"
  fi
  : >"$samples"
  now_us; t_start=$NOW_US
  "${cmd[@]}" >"$dir/loadgen.out" 2>"$dir/loadgen.err" </dev/null &
  lgpid=$!; register "$lgpid"
  local deadline=$((t_start + (n * 1000000 / RATE) + (CONNECT_TIMEOUT + STEADY + 60) * 1000000))
  local conn_seen=""
  while alive "$lgpid"; do
    now_us
    proc_ticks "${SRV_PIDS[@]}"; local st_ticks=$TICKS
    proc_rss "${SRV_PIDS[@]}"; local st_rss=$RSS_KB
    proc_ticks "$lgpid"
    printf '%s\t%s\t%s\t%s\n' "$NOW_US" "$st_ticks" "$TICKS" "$st_rss" >>"$samples"
    if [ -z "$conn_seen" ] && grep -qiE 'all[^a-z]+(listeners[^a-z]+)?connected|steady' "$dir/loadgen.err" 2>/dev/null; then
      conn_seen=$NOW_US
    fi
    if [ "$NOW_US" -gt "$deadline" ]; then
      warn "loadgen still running long after its steady window; killing it"
      break
    fi
    sleep 0.25
  done
  stop_pid "$lgpid" 5
  local alive_srv=1 p
  for p in "${SRV_PIDS[@]}"; do alive "$p" || alive_srv=0; done
  python3 "$REPORT" record --out "$RAW" --server "$server" --workload "$workload" --n "$n" \
    --mounts "$mounts" --steady "$STEADY" --rate "$RATE" --clk-tck "$CLK_TCK" \
    --t-start "$t_start" --rss-base "$rss_base" --ticks-base "$ticks_base" \
    --samples "$samples" --loadgen-out "$dir/loadgen.out" --loadgen-json "$dir/loadgen.json" \
    --loadgen-err "$dir/loadgen.err" --conn-seen "${conn_seen:-0}" --server-alive "$alive_srv"
  if [ "$alive_srv" = 0 ]; then
    say "  the server died during the run"
    tail_log "$SRV_LOG" "$server log"
  fi
  if [ ! -s "$dir/loadgen.out" ]; then tail_log "$dir/loadgen.err" "loadgen stderr"; fi
}

record_na() {  # record_na SERVER WORKLOAD N MOUNTS REASON
  python3 "$REPORT" na --out "$RAW" --server "$1" --workload "$2" --n "$3" --mounts "$4" --reason "$5"
}

# ---------------------------------------------------------------- TinyIce extras
# Start to serving: exec to first accepted TCP connection and to the first HTTP response.
measure_startup() {
  local dir="$TMP/tinyice-startup"
  tinyice_hash || return 1
  mkdir -p "$dir"
  local port; port=$(free_port)
  tinyice_config "$dir" "$port" >"$dir/tinyice.json"
  python3 - "$TINYICE" "$dir" "$port" "$RAW" <<'PY'
import json, os, signal, socket, statistics, subprocess, sys, time
binary, d, port, raw = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
tcp, http, stop = [], [], []
for attempt in range(5):
    t0 = time.monotonic()
    p = subprocess.Popen([binary, "--config", os.path.join(d, "tinyice.json")], cwd=d,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t_tcp = t_http = None
        while time.monotonic() - t0 < 10 and p.poll() is None:
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=1)
            except OSError:
                time.sleep(0.0005)
                continue
            if t_tcp is None:
                t_tcp = time.monotonic()
            try:
                s.sendall(b"GET /status-json.xsl HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                if s.recv(16).startswith(b"HTTP/"):
                    t_http = time.monotonic()
            except OSError:
                pass
            finally:
                s.close()
            if t_http is not None:
                break
        if t_tcp is not None:
            tcp.append((t_tcp - t0) * 1000)
        if t_http is not None:
            http.append((t_http - t0) * 1000)
        t1 = time.monotonic()
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)
        stop.append((time.monotonic() - t1) * 1000)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
rec = {"type": "startup", "server": "tinyice", "attempts": 5,
       "accept_ms": statistics.median(tcp) if tcp else None,
       "serving_ms": statistics.median(http) if http else None,
       "idle_shutdown_ms": statistics.median(stop) if stop else None,
       "accept_ms_all": [round(x, 2) for x in tcp], "serving_ms_all": [round(x, 2) for x in http]}
with open(raw, "a") as f:
    f.write(json.dumps(rec) + "\n")
fmt = lambda v: "n/a" if v is None else f"{v:.1f} ms"
print(f"  start to serving: first accept {fmt(rec['accept_ms'])}, first HTTP response "
      f"{fmt(rec['serving_ms'])} (median of 5); idle SIGTERM exit {fmt(rec['idle_shutdown_ms'])}")
PY
}

# SIGTERM shutdown time with N listeners connected (a fresh server, loadgen holding them open).
measure_shutdown() {
  local n=$1 dir="$TMP/tinyice-shutdown"
  mkdir -p "$dir"
  say "TinyIce SIGTERM shutdown with $n listeners connected"
  if ! start_tinyice "$dir" /live || ! { start_sources "$dir"; wait_live tinyice "$dir" /live; }; then
    stop_all; return
  fi
  "$LOADGEN" --url "${SRV_URLS[0]}" --listeners "$n" --rate "$RATE" --steady 600 \
    --connect-timeout "$CONNECT_TIMEOUT" >"$dir/loadgen.out" 2>"$dir/loadgen.err" </dev/null &
  local lgpid=$!; register "$lgpid"
  local i got=0 last=-1 still=0 limit=$(((n / RATE + CONNECT_TIMEOUT + 15) * 4))
  for ((i = 0; i < limit; i++)); do
    sleep 0.25
    got=$(listeners_on "$SRV_PORT")
    [ "$got" -ge "$n" ] && break
    if [ "$got" = "$last" ] && [ "$got" -gt 0 ]; then still=$((still + 1)); else still=0; fi
    [ "$still" -ge 12 ] && break   # stopped growing for 3 s
    last=$got
  done
  sleep 1
  got=$(listeners_on "$SRV_PORT")
  local pid=${SRV_PIDS[0]} t0 t1 killed=0 never
  # Poll for its exit every ~1 ms without forking: `read -t` on a FIFO nobody writes to.
  mkfifo "$dir/never" && exec {never}<>"$dir/never"
  now_us; t0=$NOW_US
  kill -TERM "$pid"
  while alive "$pid"; do
    read -r -t 0.001 -u "$never" _
    now_us; [ $((NOW_US - t0)) -gt 10000000 ] && break
  done
  now_us; t1=$NOW_US
  exec {never}>&-
  if alive "$pid"; then killed=1; kill -KILL "$pid"; fi
  wait "$pid" 2>/dev/null; unregister "$pid"
  SRV_PIDS=()
  stop_pid "$lgpid" 5
  stop_all
  python3 "$REPORT" shutdown --out "$RAW" --n "$n" --listeners "$got" --ms "$(((t1 - t0) / 1000))" --killed "$killed"
}

# ---------------------------------------------------------------- main loop
W1_MOUNT=/live
W2_MOUNT_LIST=()
for ((i = 1; i <= W2_MOUNTS; i++)); do W2_MOUNT_LIST+=("/m$i"); done

run_server() {
  local server=$1 label
  case "$server" in icecast) label="Icecast 2" ;; floor) label="floor (tinyice_floor)" ;; tinyice) label="TinyIce" ;; esac
  say "=== $label ==="
  [ "$server" = tinyice ] && [ -x "$TINYICE" ] && measure_startup
  local jobs=() n job workload mounts count mlist
  for n in "${SIZE_LIST[@]}"; do jobs+=("W1:$n"); done
  [ "$W2_MOUNTS" -gt 0 ] && jobs+=("W2:$((W2_MOUNTS * W2_PER))")
  local dead=""
  for job in "${jobs[@]}"; do
    workload=${job%%:*}; count=${job#*:}
    if [ "$workload" = W1 ]; then mlist=("$W1_MOUNT"); else mlist=("${W2_MOUNT_LIST[@]}"); fi
    mounts=${#mlist[@]}
    if [ -n "$dead" ]; then record_na "$server" "$workload" "$count" "$mounts" "$dead"; continue; fi
    local dir="$TMP/$server-$workload-$count"
    mkdir -p "$dir"; chmod 755 "$dir"
    say "$label: $workload, $mounts mount(s), N = $count"
    if ! "start_$server" "$dir" "${mlist[@]}"; then
      dead="failed to start"; stop_all
      record_na "$server" "$workload" "$count" "$mounts" "$dead"; continue
    fi
    start_sources "$dir"
    if ! wait_live "$server" "$dir" "${mlist[@]}"; then
      stop_all; record_na "$server" "$workload" "$count" "$mounts" "source did not go live"; continue
    fi
    run_load "$server" "$workload" "$count" "$mounts" "$dir"
    stop_all
  done
  if [ "$server" = tinyice ] && [ -z "$dead" ] && [ "$SHUTDOWN_N" -gt 0 ]; then
    measure_shutdown "$SHUTDOWN_N"
  fi
  say ""
}

T_BEGIN=$SECONDS
for s in icecast floor tinyice; do
  case ",$ONLY," in *",$s,"*) run_server "$s" ;; esac
done

say "Finished in $((SECONDS - T_BEGIN)) s."
TABLE_DONE=1
python3 "$REPORT" table "$RAW" --md "$OUT/table.md" --txt "$OUT/table.txt"
