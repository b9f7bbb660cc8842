"""The AutoDJ with real files (MP3, FLAC, Ogg Vorbis, M4A/AAC, WAV made by the ffmpeg CLI, plus
a corrupt one) and real listeners: the output decodes cleanly, titles change at track
boundaries (ICY and Ogg), the byte rate matches the bitrate with and without listeners, pause
and resume work, a corrupt file is skipped, and history survives a restart."""

import os
import re
import time

from harness import (TinyIce, StreamReader, decode_errors, make_track, ogg_chains, run_tests,
                     split_icy, wait_until)

TRACK_SECONDS = 5
TRACKS = [("01-one.mp3", "One"), ("02-two.flac", "Two"), ("04-four.ogg", "Four"),
          ("05-five.m4a", "Five"), ("06-six.wav", "Six")]


def make_library(root):
    music = os.path.join(root, "music")
    os.makedirs(os.path.join(music, "sub"), exist_ok=True)
    for i, (name, title) in enumerate(TRACKS):
        make_track(os.path.join(music, name), title, seconds=TRACK_SECONDS, freq=330 + 110 * i)
    with open(os.path.join(music, "03-bad.mp3"), "wb") as f:
        f.write(os.urandom(40000))  # not audio: must be skipped, never stop the station
    return music


def station(name, mount, music, **kw):
    cfg = {"name": name, "mount": mount, "music_dir": music, "format": "mp3", "bitrate": 128,
           "loop": True, "shuffle": False, "crossfade": 0, "analyse_loudness": False}
    cfg.update(kw)
    return cfg


def library_ready(srv, name, count):
    status, st = srv.api("GET", f"/api/autodj/{name}/library/status")
    return status == 200 and st["last_scan_finished"] > 0 and not st["scanning"] and \
        st["tracks"] == count and st


def now_playing(srv, name):
    status, st = srv.api("GET", f"/api/autodj/{name}")
    assert status == 200, (status, st)
    return st["now_playing"]


def slope(samples):
    """Least-squares slope of [(t, bytes)] in bytes per second."""
    n = len(samples)
    mt = sum(t for t, _ in samples) / n
    mb = sum(b for _, b in samples) / n
    num = sum((t - mt) * (b - mb) for t, b in samples)
    den = sum((t - mt) ** 2 for t, _ in samples)
    return num / den


def icy_titles(data, metaint):
    audio, blocks = split_icy(data, metaint)
    titles = []
    for _, text in blocks:
        m = re.search(r"StreamTitle='(.*?)';", text)
        if m and (not titles or titles[-1] != m.group(1)):
            titles.append(m.group(1))
    return audio, titles


class Server(TinyIce):
    def __init__(self):
        super().__init__()
        self.music = make_library(self.dir)
        import json
        with open(self.config_path) as f:
            cfg = json.load(f)
        cfg["autodj"] = [
            station("main", "/autodj", self.music),
            station("quiet", "/quiet", self.music),
            station("ogg", "/autodj.ogg", self.music, format="opus", bitrate=96),
        ]
        cfg["mounts"] = [{"name": "/quiet", "hidden": True}]
        with open(self.config_path, "w") as f:
            json.dump(cfg, f, indent=2)


SRV = None


def test_library_scan_and_playlist():
    wait_until(lambda: library_ready(SRV, "main", len(TRACKS)), timeout=30,
               what="the library scan")
    # The station fills its playlist with the whole library once the first scan is done.
    def playlist():
        status, pl = SRV.api("GET", "/api/autodj/main/playlist")
        assert status == 200, pl
        return len(pl["entries"]) == len(TRACKS) and pl
    pl = wait_until(playlist, timeout=10, what="the playlist")
    assert [e["file"] for e in pl["entries"]] == [name for name, _ in TRACKS], pl
    assert [e["title"] for e in pl["entries"]] == [t for _, t in TRACKS], pl
    for e in pl["entries"]:
        assert abs(e["duration"] - TRACK_SECONDS) < 0.2, e
    status, st = SRV.api("GET", "/api/autodj/main/library/status")
    assert st["unreadable"] >= 1, st  # 03-bad.mp3
    # The library browser and search.
    status, lib = SRV.api("GET", "/api/autodj/main/library?path=")
    assert status == 200 and len(lib["tracks"]) == len(TRACKS), lib
    status, found = SRV.api("GET", "/api/autodj/main/library/search?q=four")
    assert [t["file"] for t in found["tracks"]] == ["04-four.ogg"], found
    # Paths are confined to the library.
    status, err = SRV.api("POST", "/api/autodj/main/queue", {"path": "../tinyice.json"})
    assert status == 400, (status, err)


def test_icy_titles_follow_tracks_and_corrupt_file_is_skipped():
    r = StreamReader(SRV, "/autodj", icy=True)
    assert r.status == 200 and r.headers["content-type"] == "audio/mpeg", r.headers
    metaint = int(r.headers["icy-metaint"])
    wait_until(lambda: len(icy_titles(r.snapshot(), metaint)[1]) >= 5,
               timeout=TRACK_SECONDS * 8, interval=0.5, what="five title changes")
    r.close()
    audio, titles = icy_titles(r.snapshot(), metaint)
    names = [t for _, t in TRACKS]
    sequence = [t.split(" - ", 1)[-1] for t in titles if t]
    # Consecutive titles follow the playlist order (wrapping), with 03-bad.mp3 skipped.
    for a, b in zip(sequence, sequence[1:]):
        assert names[(names.index(a) + 1) % len(names)] == b, sequence
    assert all(t.startswith("Test Artist - ") for t in titles if t), titles
    err = decode_errors(audio, "mp3")
    assert err == "", err
    assert "03-bad.mp3" in SRV.log(), "the skipped file is named in the log"


def test_byte_rate_with_and_without_listeners():
    r = StreamReader(SRV, "/autodj")
    time.sleep(3)  # the burst is behind us
    with_listener, without = [], []
    start = time.monotonic()
    while time.monotonic() - start < 20:
        t = time.monotonic() - start
        with_listener.append((t, r.size()))
        st = SRV.mount_stats("/quiet")
        without.append((t, int(st["total_bytes_read"])))
        time.sleep(0.25)
    r.close()
    for name, samples in (("with a listener", with_listener), ("without", without)):
        rate = slope(samples)
        assert abs(rate - 16000) / 16000 < 0.02, f"{name}: {rate:.0f} B/s, expected 16000"
    assert SRV.mount_stats("/quiet")["listeners"] == "0"


def test_ogg_titles_change_in_band():
    r = StreamReader(SRV, "/autodj.ogg")
    assert r.headers["content-type"] == "audio/ogg", r.headers
    wait_until(lambda: len(ogg_chains(r.snapshot())) >= 3, timeout=TRACK_SECONDS * 5,
               interval=0.5, what="three Ogg chains")
    time.sleep(1)
    r.close()
    data = r.snapshot()
    chains = ogg_chains(data)
    titles = [tags.get("TITLE") for _, codec, tags in chains]
    assert all(codec == "opus" for _, codec, _ in chains), chains
    names = [t for _, t in TRACKS]
    for a, b in zip(titles[1:], titles[2:]):  # the first chain may be mid-track
        assert names[(names.index(a) + 1) % len(names)] == b, titles
    assert all(tags.get("ARTIST") == "Test Artist" for _, _, tags in chains[1:]), chains
    err = decode_errors(data, "ogg")
    assert err == "", err


def test_pause_and_resume():
    def mid_track():
        np = now_playing(SRV, "main")
        return np["state"] == "playing" and 0.5 < np["elapsed"] < 2.0 and np
    np = wait_until(mid_track, timeout=TRACK_SECONDS * 3, interval=0.1, what="the start of a track")
    title = np["track"]["title"]
    r = StreamReader(SRV, "/autodj")
    status, np = SRV.api("POST", "/api/autodj/main/player/pause")
    assert status == 200 and np["state"] == "paused", np
    asked_at = np["elapsed"]
    time.sleep(1)
    size1 = r.size()
    paused_at = now_playing(SRV, "main")["elapsed"]
    # The pause lands within a block and a short fade of the request.
    assert abs(paused_at - asked_at) < 0.3, (asked_at, paused_at)
    time.sleep(2)
    np = now_playing(SRV, "main")
    assert np["state"] == "paused" and np["elapsed"] == paused_at, (paused_at, np)
    # The stream goes on (silence) so players stay connected.
    assert r.size() - size1 > 16000 * 1.5, r.size() - size1
    status, np = SRV.api("POST", "/api/autodj/main/player/play")
    assert status == 200 and np["state"] == "playing", np
    time.sleep(1.5)
    np = now_playing(SRV, "main")
    assert np["track"]["title"] == title, (title, np)
    assert abs(np["elapsed"] - (paused_at + 1.5)) < 0.6, (paused_at, np)
    r.close()
    assert decode_errors(r.snapshot(), "mp3") == ""


def test_next_previous_and_now_playing_endpoint():
    np = now_playing(SRV, "main")
    before = np["track"]["file"]
    status, np = SRV.api("POST", "/api/autodj/main/player/next")
    assert status == 200
    wait_until(lambda: now_playing(SRV, "main")["track"]["file"] != before, timeout=5,
               what="next track")
    # The public now-playing document of the mount carries the AutoDJ's details.
    status, doc = SRV.api("GET", "/api/nowplaying/autodj", auth=None)
    assert status == 200 and doc["live"] and doc["source"] == "autodj", doc
    assert doc["autodj"]["station"] == "main" and doc["autodj"]["track"]["file"], doc
    assert doc["title"].startswith("Test Artist - "), doc
    # Hidden mounts are not public.
    status, _ = SRV.api("GET", "/api/nowplaying/quiet", auth=None)
    assert status == 404


def test_history_records_plays_and_survives_restart():
    status, h = SRV.api("GET", "/api/history/autodj", auth=None)
    assert status == 200, h
    plays = h["plays"]
    assert len(plays) >= 4, plays
    for p in plays:
        assert p["mount"] == "/autodj" and p["source"] == "autodj", p
        assert p["artist"] == "Test Artist" and p["file"] in [n for n, _ in TRACKS], p
        assert abs(p["duration"] - TRACK_SECONDS) < 0.2, p
    starts = [p["started_at"] for p in plays]
    assert starts == sorted(starts, reverse=True), starts
    assert "03-bad.mp3" not in [p["file"] for p in plays]
    SRV.restart()
    status, h2 = SRV.api("GET", "/api/history/autodj", auth=None)
    assert status == 200
    ids = {p["id"] for p in h2["plays"]}
    assert {p["id"] for p in plays} <= ids, "plays recorded before the restart are kept"


def test_station_api_lifecycle():
    music = SRV.music
    body = {"name": "extra", "mount": "/extra", "music_dir": music, "format": "mp3",
            "bitrate": 64}
    status, st = SRV.api("POST", "/api/autodj", body)
    assert status == 201, (status, st)
    assert st["defined_in"] == "api"
    status, _ = SRV.api("POST", "/api/autodj", body)
    assert status == 409
    status, err = SRV.api("PUT", "/api/autodj/main", {"name": "main", "mount": "/x",
                                                      "music_dir": music})
    assert status == 409, "stations from the config file are not edited through the API"
    status, st = SRV.api("PATCH", "/api/autodj/extra", {"bitrate": 96})
    assert status == 200 and st["config"]["bitrate"] == 96, st
    wait_until(lambda: SRV.mount_stats("/extra") is not None and
               SRV.mount_stats("/extra").get("stream_start"), timeout=15, what="/extra on air")
    status, _ = SRV.api("POST", "/api/autodj/extra/stop")
    assert status == 200
    wait_until(lambda: SRV.mount_stats("/extra") is None, timeout=5, what="/extra released")
    status, _ = SRV.api("DELETE", "/api/autodj/extra")
    assert status == 204
    status, _ = SRV.api("GET", "/api/autodj/extra")
    assert status == 404
    status, err = SRV.api("POST", "/api/autodj", {"name": "bad", "mount": "/b",
                                                  "music_dir": music, "bitrate": 100})
    assert status == 400 and "bitrate" in err["error"], err
    status, _ = SRV.api("GET", "/api/autodj", auth=None)
    assert status == 401


if __name__ == "__main__":
    SRV = Server().start()
    try:
        run_tests([test_library_scan_and_playlist,
                   test_icy_titles_follow_tracks_and_corrupt_file_is_skipped,
                   test_byte_rate_with_and_without_listeners,
                   test_ogg_titles_change_in_band,
                   test_pause_and_resume,
                   test_next_previous_and_now_playing_endpoint,
                   test_history_records_plays_and_survives_restart,
                   test_station_api_lifecycle])
    except SystemExit as e:
        if e.code:
            print(f"--- tinyice log ({SRV.dir}) ---\n{SRV.log()[-8000:]}")
        raise
    finally:
        SRV.stop()
