"""Icecast status and admin API, auth errors, limits and playlists."""

import json
import time
import xml.etree.ElementTree as ET

from harness import (ADMIN_PASSWORD, SOURCE_PASSWORD, StreamReader, TinyIce, run_tests,
                     wait_until)


def test_status_json_shapes():
    with TinyIce(mounts=[{"name": "/hidden", "hidden": True}]) as srv:
        doc = srv.status_json()
        assert "source" not in doc["icestats"], doc          # no live mount: key absent
        srv.ffmpeg_source("/a", "mp3")
        srv.wait_for_source("/a")
        src = srv.status_json()["icestats"]["source"]
        assert isinstance(src, dict), src                     # one mount: an object
        assert src["listenurl"].endswith("/a")
        assert isinstance(src["listeners"], int) and isinstance(src["listener_peak"], int)
        assert src["server_type"] == "audio/mpeg"
        srv.ffmpeg_source("/b", "mp3")
        srv.wait_for_source("/b")
        srv.ffmpeg_source("/hidden", "mp3")
        srv.wait_for_source("/hidden")
        src = srv.status_json()["icestats"]["source"]
        assert isinstance(src, list) and len(src) == 2, src  # several: an array; hidden left out
        assert sorted(s["listenurl"].rsplit("/", 1)[1] for s in src) == ["a", "b"]
        one = json.loads(srv.get("/status-json.xsl?mount=/b")[2])["icestats"]["source"]
        assert isinstance(one, dict) and one["listenurl"].endswith("/b")
        # The admin view does list hidden mounts.
        assert srv.mount_stats("/hidden") is not None


def test_wrong_password_busy_mount_and_unknown_mount():
    with TinyIce(mounts=[{"name": "/own", "password": "own-secret"}]) as srv:
        status, headers, _ = srv.request("SOURCE", "/live", headers={"Content-Type": "audio/mpeg"},
                                         auth=("source", "wrong"))
        assert status == 401 and headers["www-authenticate"].startswith("Basic"), status
        # libshout's credential-less challenge request.
        status, headers, _ = srv.request("SOURCE", "/live", headers={"Content-Type": "audio/mpeg"})
        assert status == 401 and "www-authenticate" in headers
        # A mount with its own password refuses the default source password.
        status, _, _ = srv.request("PUT", "/own", headers={"Content-Type": "audio/mpeg"},
                                   auth=("source", SOURCE_PASSWORD))
        assert status == 401
        # PUT without Content-Type.
        status, _, body = srv.request("PUT", "/x", auth=("source", SOURCE_PASSWORD))
        assert status == 403 and b"Content-type" in body, (status, body)
        srv.ffmpeg_source("/own", "mp3", password="own-secret")
        srv.wait_for_source("/own")
        status, _, body = srv.request("SOURCE", "/own", headers={"Content-Type": "audio/mpeg"},
                                      auth=("source", "own-secret"))
        assert status == 403 and b"in use" in body, (status, body)
        status, _, _ = srv.get("/nothing-here")
        assert status == 404


def test_listener_limits():
    with TinyIce(mounts=[{"name": "/small", "max_listeners": 1}],
                 limits={"max_listeners": 2}) as srv:
        srv.ffmpeg_source("/small", "mp3")
        srv.ffmpeg_source("/big", "mp3")
        srv.wait_for_source("/small")
        srv.wait_for_source("/big")
        a = StreamReader(srv, "/small")
        assert a.status == 200
        b = StreamReader(srv, "/small", read=False)
        assert b.status == 403, b.status                      # per-mount limit
        c = StreamReader(srv, "/big")
        assert c.status == 200
        d = StreamReader(srv, "/big", read=False)
        assert d.status == 503, d.status                      # server-wide limit
        for r in (a, b, c, d):
            r.close()


def test_admin_requires_credentials():
    with TinyIce() as srv:
        assert srv.get("/admin/stats")[0] == 401
        assert srv.admin("/admin/stats", auth=("admin", "nope"))[0] == 401
        assert srv.admin("/admin/stats", auth=("source", SOURCE_PASSWORD))[0] == 401
        assert srv.admin("/admin/!POKE")[0] == 400          # libshout's probe: answered, not hung
        status, _, body = srv.admin("/admin/stats")
        assert status == 200
        root = ET.fromstring(body)
        assert root.tag == "icestats" and root.find("server_id") is not None


def test_listclients_killclient_listmounts():
    with TinyIce() as srv:
        srv.ffmpeg_source("/live", "mp3")
        srv.wait_for_source("/live")
        r = StreamReader(srv, "/live")
        status, _, body = srv.admin("/admin/listclients?mount=/live")
        assert status == 200, body
        root = ET.fromstring(body)
        listeners = root.find("source").findall("listener")
        assert len(listeners) == 1
        assert listeners[0].find("UserAgent").text == "tinyice-test/1.0"
        assert listeners[0].find("IP").text == "127.0.0.1"
        client_id = listeners[0].find("ID").text
        # Source credentials may manage their own mount (how encoders work).
        assert srv.admin("/admin/listclients?mount=/live", auth=("source", SOURCE_PASSWORD))[0] == 200
        status, _, body = srv.admin("/admin/listmounts")
        mounts = ET.fromstring(body).findall("source")
        assert [m.get("mount") for m in mounts] == ["/live"]
        assert mounts[0].find("listeners").text == "1"
        status, _, body = srv.admin(f"/admin/killclient?mount=/live&id={client_id}")
        assert status == 200 and b"removed" in body, body
        wait_until(lambda: r.closed, timeout=5, what="the killed listener to be disconnected")
        status, _, body = srv.admin("/admin/killclient?mount=/live&id=999999")
        assert b"not found" in body
        r.close()


def test_killsource_and_metadata_auth():
    with TinyIce() as srv:
        src = srv.ffmpeg_source("/live", "mp3")
        srv.wait_for_source("/live")
        # Encoders update titles with their source credentials.
        status, _, body = srv.set_title("/live", "Encoder Title", auth=("source", SOURCE_PASSWORD))
        assert status == 200 and b"<return>1</return>" in body, body
        assert srv.mount_stats("/live")["title"] == "Encoder Title"
        status, _, _ = srv.set_title("/live", "x", auth=("source", "wrong"))
        assert status == 401
        status, _, body = srv.admin("/admin/metadata?mount=/live&mode=updinfo&artist=A&title=T")
        assert srv.mount_stats("/live")["title"] == "A - T"
        # charset conversion: ISO-8859-1 bytes become UTF-8.
        status, _, body = srv.admin("/admin/metadata?mount=/live&mode=updinfo&charset=ISO-8859-1"
                                    "&song=Caf%E9")
        assert srv.mount_stats("/live")["title"] == "Café"
        status, _, body = srv.admin("/admin/killsource?mount=/live")
        assert status == 200 and b"Source Removed" in body, body
        wait_until(lambda: src.poll() is not None, timeout=10, what="ffmpeg to see the kill")
        wait_until(lambda: srv.mount_stats("/live") is None, timeout=10)


def test_playlists_and_cors():
    with TinyIce() as srv:
        srv.ffmpeg_source("/live", "mp3")
        srv.wait_for_source("/live")
        status, headers, body = srv.get("/live.m3u")
        assert status == 200 and headers["content-type"].startswith("audio/x-mpegurl")
        assert f"http://127.0.0.1:{srv.port}/live".encode() in body, body
        status, headers, body = srv.get("/live.pls")
        assert status == 200 and b"File1=" in body and b"NumberOfEntries=1" in body
        status, headers, body = srv.get("/live.xspf")
        assert status == 200 and ET.fromstring(body) is not None
        status, headers, _ = srv.request("OPTIONS", "/live", headers={
            "Origin": "http://example.org", "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "icy-metadata"})
        assert status in (200, 204), status
        assert headers.get("access-control-allow-origin") == "*"
        assert "icy-metadata" in headers.get("access-control-allow-headers", "").lower()
        status, headers, body = srv.request("HEAD", "/live")
        assert status == 200 and headers["content-type"] == "audio/mpeg" and body == b""


def test_moveclients():
    with TinyIce() as srv:
        srv.ffmpeg_source("/a", "mp3")
        srv.ffmpeg_source("/b", "mp3")
        srv.wait_for_source("/a")
        srv.wait_for_source("/b")
        r = StreamReader(srv, "/a")
        time.sleep(0.5)
        status, _, body = srv.admin("/admin/moveclients?mount=/a&destination=/b")
        assert status == 200 and b"Clients moved" in body, body
        wait_until(lambda: srv.mount_stats("/b")["listeners"] == "1", timeout=5)
        before = r.size()
        time.sleep(1.5)
        assert not r.closed and r.size() > before, "moved listener keeps its connection"
        status, _, body = srv.admin("/admin/moveclients?mount=/a&destination=/nope")
        assert status == 400
        r.close()


if __name__ == "__main__":
    run_tests([test_status_json_shapes, test_wrong_password_busy_mount_and_unknown_mount,
               test_listener_limits, test_admin_requires_credentials,
               test_listclients_killclient_listmounts, test_killsource_and_metadata_auth,
               test_playlists_and_cors, test_moveclients])
