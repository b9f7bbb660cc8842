#!/usr/bin/env bash
# Profile TinyIce at N listeners with perf (cpu-clock, kernel + user).
# Usage: bench/profile.sh [N]   (writes perf-sym.txt and perf-dso.txt to $OUT, default /tmp)
set -u
N=${1:-5000}
cd "$(dirname "$0")/.."
D=$(mktemp -d)
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
ADM=$(echo adminpw | build/release/tinyice hash-password); SRC=$(echo hackme | build/release/tinyice hash-password)
cat > $D/t.json <<J
{"listen":[{"address":"127.0.0.1","port":$PORT}],"hostname":"127.0.0.1","auth":{"admin_user":"admin","admin_password":"$ADM","source_password":"$SRC"},
 "limits":{"max_clients":25000,"max_connections_per_ip":0},"logging":{"access_log":"off","level":"warn"}}
J
ulimit -n 20000
build/release/tinyice --config $D/t.json > $D/log 2>&1 & SP=$!
sleep 0.5
ffmpeg -nostdin -hide_banner -loglevel error -re -f lavfi -i sine=frequency=440:sample_rate=44100 -ac 2 -c:a libmp3lame -b:a 128k -content_type audio/mpeg -f mp3 icecast://source:hackme@127.0.0.1:$PORT/live & FP=$!
sleep 2
build/release/bench/tinyice_loadgen --url http://127.0.0.1:$PORT/live --listeners $N --rate 1000 --steady 25 > $D/lg.json 2>/dev/null & LP=$!
sleep $((N/1000 + 5))
perf record -e cpu-clock -F 999 -g -p $SP -o $D/perf.data -- sleep 10 > /dev/null 2>&1
wait $LP
cat $D/lg.json
perf report -i $D/perf.data --stdio --no-children --sort sym 2>/dev/null > "${OUT:-/tmp}/perf-sym.txt"; perf report -i $D/perf.data --stdio --no-children --sort dso 2>/dev/null > "${OUT:-/tmp}/perf-dso.txt"
kill $FP $SP; wait 2>/dev/null
rm -rf $D
