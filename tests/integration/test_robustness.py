"""Bad input never takes the server down or disturbs other listeners: oversized headers,
slowloris, garbage instead of HTTP, garbage audio, abrupt disconnects, and the odd request
shapes real encoders send (darkice's bare-LF one byte at a time, libshout's probes)."""

import base64
import os
import socket
import time

from harness import SOURCE_PASSWORD, StreamReader, TinyIce, run_tests, wait_until


def raw(srv, payload, read=True, timeout=5):
    with socket.create_connection(("127.0.0.1", srv.port), timeout=timeout) as s:
        s.sendall(payload)
        if not read:
            return b""
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
        return data


def test_bad_requests_get_clear_errors():
    with TinyIce(limits={"max_header_bytes": 4096}) as srv:
        srv.ffmpeg_source("/live", "mp3")
        srv.wait_for_source("/live")
        listener = StreamReader(srv, "/live")
        big = b"GET /live HTTP/1.1\r\nX-Big: " + b"a" * 10000 + b"\r\n\r\n"
        assert raw(srv, big).split(b"\r\n")[0].split(b" ")[1] in (b"431", b"400")
        assert raw(srv, b"\x16\x03\x01\x02\x00garbage\r\n\r\n").startswith(b"HTTP/1.0 400")
        assert raw(srv, os.urandom(3000) + b"\r\n\r\n").split(b" ")[1] in (b"400", b"431")
        assert raw(srv, b"GET /live HTTP/1.1\r\nBad Header: x\r\n\r\n").startswith(b"HTTP/1.0 400")
        assert raw(srv, b"BREW /pot HTTP/1.1\r\n\r\n").split(b" ")[1] in (b"400", b"405")
        assert raw(srv, b"GET /live HTTP/2.0\r\n\r\n").startswith(b"HTTP/1.0 400")
        assert raw(srv, b"GET /../../etc/passwd HTTP/1.0\r\n\r\n").split(b" ")[1] in (b"400", b"404")
        # libshout's TLS probe and capability poke are answered, not hung.
        reply = raw(srv, b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                         b"Upgrade: TLS/1.0, HTTP/1.1\r\n\r\n")
        assert reply.split(b" ")[1] in (b"200", b"204"), reply
        # Abrupt disconnects mid-head and mid-stream.
        for _ in range(50):
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(b"GET /live HTTP/1.1\r\nHost")
            s.close()
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(b"GET /live HTTP/1.0\r\n\r\n")
            s.recv(100)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()  # RST
        before = listener.size()
        time.sleep(1.5)
        assert srv.alive() and not listener.closed and listener.size() > before
        listener.close()


def test_slowloris_is_cut_off():
    import select
    with TinyIce(limits={"header_timeout_ms": 1000}) as srv:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        s.sendall(b"GET /live HTTP/1.1\r\n")
        t0 = time.monotonic()
        data = None
        while time.monotonic() - t0 < 8:
            try:
                s.sendall(b"X-a: b\r\n")  # a header line every 200 ms, never the end
            except (BrokenPipeError, ConnectionResetError):
                data = b""
                break
            ready, _, _ = select.select([s], [], [], 0.2)
            if ready:
                try:
                    data = s.recv(4096)
                except ConnectionResetError:
                    data = b""
                break
        elapsed = time.monotonic() - t0
        assert data is not None, "the server kept a slowloris connection for 8 s"
        assert elapsed < 4, elapsed
        assert data == b"" or data.startswith(b"HTTP/1.0 408"), data
        s.close()
        assert srv.alive()


def test_darkice_bare_lf_one_byte_at_a_time_with_data_after_head():
    with TinyIce() as srv:
        auth = base64.b64encode(f"source:{SOURCE_PASSWORD}".encode()).decode()
        head = (f"SOURCE /dk HTTP/1.0\nContent-type: audio/mpeg\nAuthorization: Basic {auth}\n"
                "User-Agent: DarkIce/1.3\nice-name: DarkIce MP3\nice-bitrate: 128\n"
                "ice-genre: Test\r\n\r\n").encode()
        frames = open_tone_mp3()
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        for b in head:
            s.send(bytes([b]))
        reply = s.recv(100)
        assert reply.startswith(b"HTTP/1.0 200"), reply
        # Request head followed by stream data in the same segment is kept (second source).
        s2 = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        s2.sendall(head.replace(b"/dk", b"/dk2") + frames[:20000])
        assert s2.recv(100).startswith(b"HTTP/1.0 200")
        s.sendall(frames[:200000])
        stats = wait_until(lambda: (srv.mount_stats("/dk2") or {}).get("total_bytes_read") == "20000"
                           and srv.mount_stats("/dk2"), timeout=5, what="bytes after the head")
        assert stats["server_name"] == "DarkIce MP3"
        assert srv.mount_stats("/dk")["genre"] == "Test"
        s.close()
        s2.close()


def open_tone_mp3():
    import subprocess
    out = subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                          "sine=frequency=440:duration=15", "-ac", "2", "-c:a", "libmp3lame",
                          "-b:a", "128k", "-f", "mp3", "-"], capture_output=True, check=True)
    return out.stdout


def test_garbage_audio_from_a_source():
    with TinyIce() as srv:
        auth = base64.b64encode(f"source:{SOURCE_PASSWORD}".encode()).decode()
        for ctype in (b"audio/mpeg", b"audio/ogg", b"audio/aac"):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            s.sendall(b"PUT /junk HTTP/1.1\r\nContent-Type: " + ctype +
                      f"\r\nAuthorization: Basic {auth}\r\n\r\n".encode())
            assert s.recv(100).startswith(b"HTTP/1.0 200")
            listener = StreamReader(srv, "/junk")
            for _ in range(20):
                s.sendall(os.urandom(8192))
            time.sleep(0.3)
            s.close()
            wait_until(lambda: srv.mount_stats("/junk") is None, timeout=10)
            listener.close()
        assert srv.alive()


def test_chunked_put_is_dechunked():
    with TinyIce() as srv:
        auth = base64.b64encode(f"source:{SOURCE_PASSWORD}".encode()).decode()
        frames = open_tone_mp3()[:40000]
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        s.sendall(("PUT /chunked HTTP/1.1\r\nContent-Type: audio/mpeg\r\nTransfer-Encoding: "
                   f"chunked\r\nExpect: 100-continue\r\nAuthorization: Basic {auth}\r\n\r\n")
                  .encode())
        reply = s.recv(200)
        assert reply.startswith(b"HTTP/1.1 100"), reply
        for i in range(0, len(frames), 4000):
            piece = frames[i:i + 4000]
            s.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        wait_until(lambda: (srv.mount_stats("/chunked") or {}).get("total_bytes_read") == str(len(frames)),
                   timeout=5, what="de-chunked byte count")
        s.close()


if __name__ == "__main__":
    run_tests([test_bad_requests_get_clear_errors, test_slowloris_is_cut_off,
               test_darkice_bare_lf_one_byte_at_a_time_with_data_after_head,
               test_garbage_audio_from_a_source, test_chunked_put_is_dechunked])
