"""Mounts through the JSON API (docs/API.md, "Mounts"): definitions created and changed at run
time (live settings at once, buffer settings when idle), source passwords, kicks, titles,
listener lists, kicks and moves, reverting file mounts, DJ permissions, and persistence."""

import base64
import socket
import time

from harness import (ADMIN_PASSWORD, SOURCE_PASSWORD, StreamReader, TinyIce, run_tests,
                     wait_until)

FILE_MOUNTS = [{"name": "/filemount", "password": "file-secret", "max_listeners": 10},
               {"name": "/backup"}]


def source_status(srv, mount, password, user="source"):
    """The status a SOURCE request with these credentials gets (the connection is then closed,
    so an accepted source leaves again at once)."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        s.sendall(f"SOURCE {mount} HTTP/1.0\r\nAuthorization: Basic {token}\r\n"
                  f"Content-Type: audio/mpeg\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                break
            head += chunk
    return int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0


def status_mounts(srv):
    src = srv.status_json()["icestats"].get("source", [])
    src = [src] if isinstance(src, dict) else src
    return sorted(s["listenurl"].split(str(srv.port), 1)[1] for s in src)


def mount_doc(srv, mount, auth=("admin", ADMIN_PASSWORD)):
    status, doc = srv.api("GET", f"/api/mounts{mount}", auth=auth)
    assert status == 200, (status, doc)
    return doc


def test_create_mount_source_password_and_live_changes():
    with TinyIce(mounts=FILE_MOUNTS) as srv:
        status, doc = srv.api("POST", "/api/mounts",
                              {"name": "/show", "password": "show-secret", "max_listeners": 5})
        assert status == 201, (status, doc)
        assert doc["name"] == "/show" and doc["defined_in"] == "api", doc
        assert doc["settings"]["has_password"] is True and "password" not in doc["settings"]
        assert doc["settings"]["max_listeners"] == 5 and doc["live"] is False
        assert doc["pending"] is False and doc["source"] is None

        # Its own password from now on; the default source password is refused.
        assert source_status(srv, "/show", SOURCE_PASSWORD) == 401
        src = srv.ffmpeg_source("/show", "mp3", password="show-secret", bitrate="320k")
        srv.wait_for_source("/show")
        doc = mount_doc(srv, "/show")
        assert doc["live"] is True and doc["source"]["content_type"] == "audio/mpeg", doc
        assert doc["source"]["origin"] == "live" and doc["source"]["ip"] == "127.0.0.1"
        assert "/show" in status_mounts(srv)

        # Live fields apply at once: hidden, then the listener limit.
        status, doc = srv.api("PATCH", "/api/mounts/show", {"hidden": True, "max_listeners": 1})
        assert status == 200 and doc["settings"]["hidden"] is True, (status, doc)
        assert doc["pending"] is False
        assert "/show" not in status_mounts(srv)
        first = StreamReader(srv, "/show")
        assert first.status == 200
        second = StreamReader(srv, "/show", read=False)
        assert second.status == 403, second.status
        second.close()

        # Buffer fields wait until the mount is idle; the running stream is not disturbed.
        status, doc = srv.api("PATCH", "/api/mounts/show", {"burst_size": 16384})
        assert status == 200 and doc["pending"] is True, (status, doc)
        assert doc["settings"]["burst_size"] == 16384
        size = first.size()
        time.sleep(1)
        assert not first.closed and first.size() > size + 20000, "the listener was disturbed"
        assert mount_doc(srv, "/show")["pending"] is True

        # Kicking the source (no fallback) closes the listener: the mount is idle, the change
        # applies.
        status, _ = srv.api("POST", "/api/mounts/show/kick")
        assert status == 204, status
        wait_until(lambda: src.poll() is not None, timeout=10, what="ffmpeg to be kicked")
        wait_until(lambda: first.closed, timeout=10, what="the listener to be closed")
        first.close()
        wait_until(lambda: mount_doc(srv, "/show")["pending"] is False, timeout=10,
                   what="the buffer change to apply")
        status, doc = srv.api("POST", "/api/mounts/show/kick")
        assert status == 409, (status, doc)

        # A new listener now gets the smaller burst (about 16 KiB, not the default 64 KiB).
        srv.api("PATCH", "/api/mounts/show", {"max_listeners": None})
        srv.ffmpeg_source("/show", "mp3", password="show-secret", bitrate="320k")
        srv.wait_for_source("/show")
        time.sleep(3)  # > 64 KiB in the ring at 320 kbit/s
        probe = StreamReader(srv, "/show")
        time.sleep(0.3)
        got = probe.size()
        probe.close()
        assert 8000 < got < 40000, f"burst of {got} bytes"


def test_validation_and_conflicts():
    with TinyIce(mounts=FILE_MOUNTS) as srv:
        assert srv.api("GET", "/api/mounts", auth=None)[0] == 401
        status, doc = srv.api("POST", "/api/mounts", {"name": "/bad", "burst_size": 999999999})
        assert status == 400 and "burst_size" in doc["error"], (status, doc)
        status, doc = srv.api("POST", "/api/mounts", {"max_listeners": 3})
        assert status == 400 and "name" in doc["error"], (status, doc)
        status, doc = srv.api("POST", "/api/mounts", {"name": "/x", "colour": "red"})
        assert status == 400 and "colour" in doc["error"], (status, doc)
        status, doc = srv.api("POST", "/api/mounts", {"name": "/admin/x"})
        assert status == 400, (status, doc)
        status, doc = srv.api("POST", "/api/mounts", {"name": "/x", "fallback": "/x"})
        assert status == 400 and "fallback" in doc["error"], (status, doc)
        status, doc = srv.api("POST", "/api/mounts", {"name": "/x", "password": 5})
        assert status == 400 and "password" in doc["error"], (status, doc)
        assert srv.api("POST", "/api/mounts", {"name": "/filemount"})[0] == 409
        assert srv.api("PATCH", "/api/mounts/nowhere", {"hidden": True})[0] == 404
        assert srv.api("PATCH", "/api/mounts/filemount", {"name": "/renamed"})[0] == 400
        assert srv.api("GET", "/api/mounts/nowhere")[0] == 404
        assert srv.api("DELETE", "/api/mounts/backup")[0] == 409   # only in the file
        assert srv.api("DELETE", "/api/mounts/nowhere")[0] == 404
        status, doc = srv.api("GET", "/api/mounts")
        assert [m["name"] for m in doc["mounts"]] == ["/backup", "/filemount"], doc
        assert all(m["defined_in"] == "config" for m in doc["mounts"])


def test_titles_listeners_kicks_and_moves():
    with TinyIce(mounts=FILE_MOUNTS) as srv:
        assert srv.api("POST", "/api/mounts", {"name": "/a"})[0] == 201
        srv.ffmpeg_source("/a", "mp3")
        srv.ffmpeg_source("/b", "mp3")           # created by its source (default password)
        srv.wait_for_source("/a")
        srv.wait_for_source("/b")
        doc = mount_doc(srv, "/b")
        assert doc["defined_in"] is None and doc["live"] is True, doc

        status, doc = srv.api("POST", "/api/mounts/a/metadata", {"artist": "A", "title": "T"})
        assert status == 200 and doc["title"] == "A - T", (status, doc)
        assert srv.mount_stats("/a")["title"] == "A - T"
        assert srv.api("POST", "/api/mounts/a/metadata", {})[0] == 400
        assert srv.api("POST", "/api/mounts/a/metadata", {"title": "x\ny"})[0] == 400

        r1 = StreamReader(srv, "/a")
        r2 = StreamReader(srv, "/a")
        time.sleep(0.5)
        status, doc = srv.api("GET", "/api/mounts/a/listeners")
        assert status == 200 and doc["total"] == 2, (status, doc)
        listeners = doc["listeners"]
        assert all(l["ip"] == "127.0.0.1" and l["mount"] == "/a" and l["home"] == "/a"
                   for l in listeners), listeners
        assert all(l["user_agent"] == "tinyice-test/1.0" and l["bytes"] > 0 for l in listeners)
        first_id = listeners[0]["id"]

        assert srv.api("DELETE", f"/api/mounts/a/listeners/{first_id}")[0] == 204
        wait_until(lambda: r1.closed or r2.closed, timeout=5, what="the kicked listener to go")
        assert srv.api("DELETE", f"/api/mounts/a/listeners/{first_id}")[0] == 404
        assert srv.api("DELETE", "/api/mounts/a/listeners/abc")[0] == 400
        kept = r2 if r1.closed else r1

        assert srv.api("POST", "/api/mounts/a/listeners/move", {"destination": "/a"})[0] == 400
        assert srv.api("POST", "/api/mounts/a/listeners/move",
                       {"destination": "/nowhere"})[0] == 400
        status, doc = srv.api("POST", "/api/mounts/a/listeners/move", {"destination": "/b"})
        assert status == 200 and doc == {"moved": 1}, (status, doc)
        wait_until(lambda: srv.mount_stats("/b")["listeners"] == "1", timeout=5)
        size = kept.size()
        time.sleep(1)
        assert not kept.closed and kept.size() > size, "the moved listener lost its stream"
        status, doc = srv.api("GET", "/api/mounts/b/listeners")
        assert [l["mount"] for l in doc["listeners"]] == ["/b"], doc
        assert srv.api("GET", "/api/mounts/a/listeners")[1]["listeners"] == []
        r1.close()
        r2.close()

        # The audit log has the changes, kicks and moves.
        def actions():
            entries = srv.api("GET", "/api/audit?limit=50")[1]["entries"]
            return {(e["category"], e["action"]) for e in entries}
        wait_until(lambda: {("streams", "mount_created"), ("streams", "metadata"),
                            ("listeners", "listener_kicked"),
                            ("listeners", "listeners_moved")} <= actions(),
                   timeout=10, what="audit entries")


def test_file_mount_override_and_revert():
    with TinyIce(mounts=FILE_MOUNTS) as srv:
        assert source_status(srv, "/filemount", SOURCE_PASSWORD) == 401
        status, doc = srv.api("PATCH", "/api/mounts/filemount",
                              {"password": "", "max_listeners": 2})
        assert status == 200, (status, doc)
        assert doc["defined_in"] == "config+api" and doc["settings"]["has_password"] is False
        assert doc["settings"]["max_listeners"] == 2
        # "" = the default source password: accepted now.
        wait_until(lambda: source_status(srv, "/filemount", SOURCE_PASSWORD) == 200,
                   timeout=5, what="the default password to be accepted")

        assert srv.api("DELETE", "/api/mounts/filemount")[0] == 204
        doc = mount_doc(srv, "/filemount")
        assert doc["defined_in"] == "config" and doc["settings"]["has_password"] is True, doc
        assert doc["settings"]["max_listeners"] == 10
        assert source_status(srv, "/filemount", SOURCE_PASSWORD) == 401
        wait_until(lambda: source_status(srv, "/filemount", "file-secret") == 200, timeout=5,
                   what="the file's password to work again")


def test_delete_live_mount_kicks_its_source():
    with TinyIce(mounts=FILE_MOUNTS) as srv:
        assert srv.api("POST", "/api/mounts",
                       {"name": "/gone", "password": "gone-secret", "fallback": "/backup"})[0] == 201
        srv.ffmpeg_source("/backup", "mp3")
        src = srv.ffmpeg_source("/gone", "mp3", password="gone-secret")
        srv.wait_for_source("/backup")
        srv.wait_for_source("/gone")
        r = StreamReader(srv, "/gone")
        time.sleep(0.5)
        assert srv.api("DELETE", "/api/mounts/gone")[0] == 204
        wait_until(lambda: src.poll() is not None, timeout=10, what="the source to be kicked")
        # Its listener moved to the fallback, like after any source end.
        wait_until(lambda: srv.mount_stats("/backup")["listeners"] == "1", timeout=10,
                   what="the listener to move to the fallback")
        assert not r.closed
        wait_until(lambda: srv.api("GET", "/api/mounts/gone")[0] == 404, timeout=10,
                   what="the mount to go")
        r.close()


def test_dj_sees_and_manages_only_own_mounts():
    with TinyIce(mounts=FILE_MOUNTS) as srv:
        status, doc = srv.api("POST", "/api/users", {"username": "dj1",
                                                     "password": "dj1-long-password",
                                                     "role": "dj", "mounts": ["/djmount"]})
        assert status == 201, (status, doc)
        assert srv.api("POST", "/api/mounts", {"name": "/djmount"})[0] == 201
        assert srv.api("POST", "/api/mounts", {"name": "/other"})[0] == 201
        dj = ("dj1", "dj1-long-password")

        status, doc = srv.api("GET", "/api/mounts", auth=dj)
        assert status == 200 and [m["name"] for m in doc["mounts"]] == ["/djmount"], doc
        assert doc["mounts"][0]["owners"] == ["dj1"]
        assert srv.api("GET", "/api/mounts/djmount", auth=dj)[0] == 200
        assert srv.api("GET", "/api/mounts/other", auth=dj)[0] == 403
        assert srv.api("GET", "/api/mounts/other/listeners", auth=dj)[0] == 403
        assert srv.api("POST", "/api/mounts/other/kick", auth=dj)[0] == 403
        assert srv.api("POST", "/api/mounts/other/metadata", {"title": "x"}, auth=dj)[0] == 403
        status, doc = srv.api("POST", "/api/mounts/djmount/metadata", {"title": "Mine"}, auth=dj)
        assert status == 200, (status, doc)
        assert srv.api("GET", "/api/mounts/djmount/listeners", auth=dj)[0] == 200
        # Definitions and moves are for administrators.
        assert srv.api("PATCH", "/api/mounts/djmount", {"hidden": True}, auth=dj)[0] == 403
        assert srv.api("DELETE", "/api/mounts/djmount", auth=dj)[0] == 403
        assert srv.api("POST", "/api/mounts", {"name": "/mine"}, auth=dj)[0] == 403
        assert srv.api("POST", "/api/mounts/djmount/listeners/move", {"destination": "/other"},
                       auth=dj)[0] == 403
        assert srv.api("GET", "/api/mounts", auth=("dj1", "wrong-password"))[0] == 401


def test_restart_keeps_api_mounts_and_overrides():
    with TinyIce(mounts=FILE_MOUNTS) as srv:
        assert srv.api("POST", "/api/mounts", {"name": "/persist", "password": "persist-secret",
                                               "hidden": True, "queue_size": 131072})[0] == 201
        assert srv.api("PATCH", "/api/mounts/filemount", {"max_listeners": 7})[0] == 200
        srv.restart()
        doc = mount_doc(srv, "/persist")
        assert doc["defined_in"] == "api" and doc["settings"]["has_password"] is True, doc
        assert doc["settings"]["hidden"] is True and doc["settings"]["queue_size"] == 131072
        doc = mount_doc(srv, "/filemount")
        assert doc["defined_in"] == "config+api" and doc["settings"]["max_listeners"] == 7, doc
        assert source_status(srv, "/persist", SOURCE_PASSWORD) == 401
        wait_until(lambda: source_status(srv, "/persist", "persist-secret") == 200, timeout=5,
                   what="the stored password to work")


if __name__ == "__main__":
    run_tests([test_create_mount_source_password_and_live_changes,
               test_validation_and_conflicts,
               test_titles_listeners_kicks_and_moves,
               test_file_mount_override_and_revert,
               test_delete_live_mount_kicks_its_source,
               test_dj_sees_and_manages_only_own_mounts,
               test_restart_keeps_api_mounts_and_overrides])
