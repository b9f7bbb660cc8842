"""Fallback mounts: listeners move to the fallback when the source leaves, without being
disconnected, and move back when it returns. Also a slow listener being dropped."""

import socket
import time

from harness import StreamReader, TinyIce, decode_errors, run_tests, wait_until


def test_fallback_move_and_move_back():
    mounts = [{"name": "/main", "fallback": "/backup", "fallback_override": True},
              {"name": "/backup"}]
    with TinyIce(mounts=mounts) as srv:
        srv.ffmpeg_source("/backup", "mp3", name="Backup")
        main_src = srv.ffmpeg_source("/main", "mp3", name="Main")
        srv.wait_for_source("/backup")
        srv.wait_for_source("/main")
        r = StreamReader(srv, "/main")
        assert r.status == 200
        time.sleep(1)
        assert srv.mount_stats("/main")["listeners"] == "1"

        main_src.kill()
        main_src.wait()
        wait_until(lambda: srv.mount_stats("/backup")["listeners"] == "1", timeout=10,
                   what="the listener to move to /backup")
        size = r.size()
        time.sleep(2)
        assert not r.closed, "the listener was disconnected instead of moved"
        assert r.size() > size + 16000, "no audio from the fallback"

        srv.ffmpeg_source("/main", "mp3", name="Main")
        wait_until(lambda: (srv.mount_stats("/main") or {}).get("listeners") == "1", timeout=15,
                   what="the listener to move back to /main")
        size = r.size()
        time.sleep(2)
        assert not r.closed and r.size() > size + 16000
        r.close()
        # At each switch the decoder may see one cut frame (as with Icecast, which does not
        # align moves either) and resyncs; the stream as a whole must still decode.
        err = decode_errors(r.snapshot(), "mp3")
        assert "(exit" not in err, err
        assert err.count("Header missing") <= 4, err


def test_listener_on_idle_mount_is_served_by_fallback():
    mounts = [{"name": "/main", "fallback": "/backup"}, {"name": "/backup"}]
    with TinyIce(mounts=mounts) as srv:
        srv.ffmpeg_source("/backup", "mp3")
        srv.wait_for_source("/backup")
        r = StreamReader(srv, "/main")
        assert r.status == 200
        time.sleep(2)
        assert r.size() > 20000, r.size()
        r.close()


def test_no_fallback_disconnects_listeners():
    with TinyIce() as srv:
        src = srv.ffmpeg_source("/live", "mp3")
        srv.wait_for_source("/live")
        r = StreamReader(srv, "/live")
        src.kill()
        wait_until(lambda: r.closed, timeout=10, what="the listener to be disconnected")
        r.close()


def test_slow_listener_is_dropped_others_keep_full_rate():
    # A small queue and a 320 kbps source make the slow listener fall behind quickly.
    with TinyIce(limits={"queue_size": 65536, "burst_size": 16384}) as srv:
        srv.ffmpeg_source("/live", "mp3", bitrate="320k")
        srv.wait_for_source("/live")
        slow = StreamReader(srv, "/live", rcvbuf=4096, read=False)
        assert slow.status == 200
        normal = StreamReader(srv, "/live")
        start = normal.size()
        t0 = time.monotonic()
        wait_until(lambda: srv.mount_stats("/live")["slow_listeners"] == "1", timeout=150,
                   interval=0.5, what="the slow listener to be dropped")
        elapsed = time.monotonic() - t0
        rate = (normal.size() - start) / elapsed
        assert rate > 0.9 * 40000, f"normal listener got {rate:.0f} B/s"
        assert not normal.closed
        # The slow one's connection is gone (reading now hits EOF or a reset).
        slow.sock.settimeout(5)
        got_eof = False
        try:
            while True:
                chunk = slow.sock.recv(65536)
                if not chunk:
                    got_eof = True
                    break
        except (ConnectionResetError, socket.timeout):
            got_eof = True
        assert got_eof
        assert srv.mount_stats("/live")["listeners"] == "1"
        slow.close()
        normal.close()


if __name__ == "__main__":
    run_tests([test_fallback_move_and_move_back, test_listener_on_idle_mount_is_served_by_fallback,
               test_no_fallback_disconnects_listeners,
               test_slow_listener_is_dropped_others_keep_full_rate])
