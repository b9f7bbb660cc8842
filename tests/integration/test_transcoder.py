"""Transcoders: a live mount re-encoded into other mounts by the server itself. A real-time
ffmpeg source feeds the input; real listeners read the outputs and the ffmpeg CLI decodes what
they received."""

import time
import urllib.parse

from harness import StreamReader, TinyIce, decode_errors, run_tests, split_icy, wait_until

TRANSCODERS = [
    {"name": "to-mp3", "input": "/in", "output": "/out.mp3", "format": "mp3", "bitrate": 128},
    {"name": "to-aac", "input": "/in", "output": "/out.aac", "format": "aac", "bitrate": 64},
    {"name": "from-aac", "input": "/inaac", "output": "/fromaac.mp3", "format": "mp3",
     "bitrate": 96},
]


def live_mounts(srv):
    """The mounts /status-json.xsl lists (those with a source)."""
    src = srv.status_json()["icestats"].get("source", [])
    if isinstance(src, dict):
        src = [src]
    return {urllib.parse.urlparse(s["listenurl"]).path for s in src}


def transcoder(srv, name):
    status, body = srv.api("GET", f"/api/transcoders/{name}")
    assert status == 200, (status, body)
    return body


def wait_for_audio(srv, mount, min_bytes=16000):
    """Waits until `mount` has received audio. ffmpeg's Ogg muxer sends its first pages about
    2 s after it starts, then one page a second, so a transcoded mount fills in steps."""
    wait_until(lambda: int((srv.mount_stats(mount) or {}).get("total_bytes_read") or 0) >=
               min_bytes, timeout=15, what=f"audio on {mount}")


def listen(srv, mount, seconds, icy=False):
    """Reads `mount` for `seconds`; returns the reader (closed) and its bytes."""
    r = StreamReader(srv, mount, icy=icy)
    assert r.status == 200, (mount, r.status, r.headers)
    time.sleep(seconds)  # real-time audio: the amount read is what is being checked
    r.close()
    return r, r.snapshot()


def test_opus_input_is_transcoded_to_mp3_and_aac():
    with TinyIce(extra={"transcoders": TRANSCODERS}) as srv:
        # Before any source: defined, running, nothing on air.
        body = transcoder(srv, "to-mp3")
        assert body["defined_in"] == "config"
        assert body["status"]["running"] is True
        assert body["status"]["input_live"] is False
        assert "/out.mp3" not in live_mounts(srv)

        src = srv.ffmpeg_source("/in", codec="opus", name="Opus In")
        srv.wait_for_source("/in")
        srv.wait_for_source("/out.mp3")
        srv.wait_for_source("/out.aac")
        assert {"/in", "/out.mp3", "/out.aac"} <= live_mounts(srv)
        wait_for_audio(srv, "/out.mp3")

        r, mp3 = listen(srv, "/out.mp3", 4)
        assert r.headers.get("content-type") == "audio/mpeg", r.headers
        assert r.headers.get("icy-name") == "Opus In", r.headers
        assert r.headers.get("icy-br") == "128", r.headers
        assert decode_errors(mp3, "mp3") == ""
        # 4 s at 128 kbps is 64 KB; the input comes in one Ogg page a second.
        assert len(mp3) > 40000, len(mp3)

        r, aac = listen(srv, "/out.aac", 4)
        assert r.headers.get("content-type") == "audio/aac", r.headers
        assert decode_errors(aac, "aac") == ""
        assert len(aac) > 20000, len(aac)

        status = transcoder(srv, "to-mp3")["status"]
        assert status["input_live"] is True and status["decoding"] is True, status
        assert status["input_format"] == "ogg", status
        assert status["outputs"][0]["on_air"] is True, status
        assert status["outputs"][0]["bytes_out"] > 50000, status
        assert status["frames_decoded"] > 48000 * 4, status
        assert status["decode_errors"] == 0, status
        assert status["decoder_shared_with"] == ["to-aac"], status
        assert status["since"] is not None

        # The source leaves: the outputs go with it, their listeners are let go.
        listener = StreamReader(srv, "/out.mp3")
        src.kill()
        src.wait()
        wait_until(lambda: not ({"/out.mp3", "/out.aac"} & live_mounts(srv)), timeout=10,
                   what="the outputs to leave with the source")
        wait_until(lambda: listener.closed, timeout=10, what="the output's listener to go")
        listener.close()
        assert transcoder(srv, "to-mp3")["status"]["outputs"][0]["on_air"] is False

        # And come back with the next source.
        srv.ffmpeg_source("/in", codec="mp3")
        srv.wait_for_source("/out.mp3")
        wait_for_audio(srv, "/out.mp3")
        _, mp3 = listen(srv, "/out.mp3", 2)
        assert decode_errors(mp3, "mp3") == ""
        assert srv.alive()


def test_aac_input_is_transcoded():
    with TinyIce(extra={"transcoders": TRANSCODERS}) as srv:
        srv.ffmpeg_source("/inaac", codec="aac")
        srv.wait_for_source("/fromaac.mp3")
        wait_for_audio(srv, "/fromaac.mp3")
        r, mp3 = listen(srv, "/fromaac.mp3", 4)
        assert r.headers.get("icy-br") == "96", r.headers
        assert decode_errors(mp3, "mp3") == ""
        assert len(mp3) > 30000, len(mp3)
        assert transcoder(srv, "from-aac")["status"]["input_format"] == "aac"


def test_title_of_the_input_reaches_the_output():
    with TinyIce(extra={"transcoders": TRANSCODERS}) as srv:
        srv.ffmpeg_source("/in", codec="opus")
        srv.wait_for_source("/out.mp3")
        status, _, _ = srv.set_title("/in", "Some Artist - Some Song")
        assert status == 200
        wait_until(lambda: (srv.mount_stats("/out.mp3") or {}).get("title") ==
                   "Some Artist - Some Song", timeout=10, what="the output's title")
        wait_for_audio(srv, "/out.mp3")
        r, data = listen(srv, "/out.mp3", 4, icy=True)
        metaint = int(r.headers["icy-metaint"])
        audio, blocks = split_icy(data, metaint)
        assert blocks, f"no ICY metadata block in {len(data)} bytes"
        assert any("StreamTitle='Some Artist - Some Song';" in text for _, text in blocks), blocks
        assert decode_errors(audio, "mp3") == ""


def test_transcoders_created_through_the_api():
    with TinyIce() as srv:
        srv.ffmpeg_source("/live", codec="mp3")
        srv.wait_for_source("/live")
        ladder = {"name": "ladder", "input": "/live", "format": "opus", "ladder": [48, 96]}
        status, body = srv.api("POST", "/api/transcoders", ladder)
        assert status == 201, (status, body)
        assert [o["mount"] for o in body["status"]["outputs"]] == ["/live-48", "/live-96"]
        status, body = srv.api("POST", "/api/transcoders", ladder)
        assert status == 409, (status, body)
        status, body = srv.api("POST", "/api/transcoders", {"name": "x", "input": "/live"})
        assert status == 400, (status, body)
        status, _ = srv.api("GET", "/api/transcoders", auth=None)
        assert status == 401, status

        srv.wait_for_source("/live-48")
        srv.wait_for_source("/live-96")
        wait_for_audio(srv, "/live-96", 8000)
        r, ogg = listen(srv, "/live-96", 3)
        assert r.headers.get("content-type") == "audio/ogg", r.headers
        assert decode_errors(ogg, "ogg") == ""

        status, body = srv.api("POST", "/api/transcoders/ladder/stop")
        assert status == 200 and body["status"]["running"] is False, body
        wait_until(lambda: not ({"/live-48", "/live-96"} & live_mounts(srv)), timeout=10,
                   what="the ladder to stop")
        status, _ = srv.api("DELETE", "/api/transcoders/ladder")
        assert status == 204

        # Definitions made through the API survive a restart.
        srv.api("POST", "/api/transcoders", {"name": "kept", "input": "/live",
                                             "output": "/kept.mp3", "bitrate": 64})
        srv.restart()
        status, body = srv.api("GET", "/api/transcoders")
        assert status == 200
        assert [t["name"] for t in body["transcoders"]] == ["kept"], body


if __name__ == "__main__":
    run_tests([test_opus_input_is_transcoded_to_mp3_and_aac, test_aac_input_is_transcoded,
               test_title_of_the_input_reaches_the_output, test_transcoders_created_through_the_api])
