"""The AutoDJ's MPD server driven by the real `mpc` client (Debian's mpc/libmpdclient): status,
playlist edits, transport, random, volume, search, idle events, password, and the confinement
of paths to the music folder."""

import json
import os
import re
import subprocess
import threading
import time

from harness import (TinyIce, hash_password, make_track, run_tests, wait_until, free_port)

MPD_PASSWORD = "mpd-secret"
TRACKS = [("a/01-alpha.mp3", "Alpha", "Ann"), ("a/02-bravo.flac", "Bravo", "Ann"),
          ("b/03-charlie.ogg", "Charlie", "Bob"), ("b/04-delta.m4a", "Delta", "Bob")]


class Server(TinyIce):
    def __init__(self):
        super().__init__()
        music = os.path.join(self.dir, "music")
        for path, title, artist in TRACKS:
            os.makedirs(os.path.dirname(os.path.join(music, path)), exist_ok=True)
            make_track(os.path.join(music, path), title, artist=artist, seconds=6)
        self.mpd_port = free_port()
        self.open_port = free_port()
        with open(self.config_path) as f:
            cfg = json.load(f)
        common = {"music_dir": music, "format": "mp3", "bitrate": 64, "loop": True,
                  "analyse_loudness": False}
        cfg["autodj"] = [
            dict(common, name="main", mount="/autodj",
                 mpd={"enabled": True, "port": self.mpd_port,
                      "password": hash_password(MPD_PASSWORD)}),
            dict(common, name="open", mount="/open",
                 mpd={"enabled": True, "port": self.open_port}),
        ]
        with open(self.config_path, "w") as f:
            json.dump(cfg, f, indent=2)

    def mpc(self, *args, password=MPD_PASSWORD, port=None, timeout=15, check=True):
        env = dict(os.environ)
        host = f"{password}@127.0.0.1" if password else "127.0.0.1"
        env.update({"MPD_HOST": host, "MPD_PORT": str(port or self.mpd_port)})
        out = subprocess.run(["mpc", *args], capture_output=True, text=True, env=env,
                             timeout=timeout)
        if check:
            assert out.returncode == 0, (args, out.returncode, out.stdout, out.stderr)
        return out


SRV = None


def test_status_and_library():
    def songs():
        m = re.search(r"Songs:\s+(\d+)", SRV.mpc("stats").stdout)
        return m and int(m.group(1)) == len(TRACKS)
    wait_until(songs, timeout=30, what="a library of 4 songs")
    out = SRV.mpc("listall").stdout.split()
    assert out == [p for p, _, _ in TRACKS], out
    assert SRV.mpc("ls").stdout.split() == ["a", "b"]
    # The playlist starts as the whole library, and the station plays.
    assert SRV.mpc("playlist", "-f", "%title%").stdout.split() == [t for _, t, _ in TRACKS]
    status = SRV.mpc("status").stdout
    assert "[playing]" in status, status


def test_playlist_edit_play_next():
    SRV.mpc("clear")
    assert SRV.mpc("playlist").stdout.strip() == ""
    SRV.mpc("add", "b")
    SRV.mpc("add", "a/01-alpha.mp3")
    titles = SRV.mpc("playlist", "-f", "%title%").stdout.split()
    assert titles == ["Charlie", "Delta", "Alpha"], titles
    SRV.mpc("play", "1")
    assert SRV.mpc("current", "-f", "%title%").stdout.strip() == "Charlie"
    SRV.mpc("next")
    wait_until(lambda: SRV.mpc("current", "-f", "%title%").stdout.strip() == "Delta", timeout=5,
               what="next song")
    # The stream follows: the ICY title of the mount changes too.
    wait_until(lambda: SRV.status_json()["icestats"]["source"]["title"] == "Bob - Delta"
               if isinstance(SRV.status_json()["icestats"]["source"], dict)
               else any(s.get("title") == "Bob - Delta" for s in SRV.status_json()["icestats"]["source"]),
               timeout=5, what="the mount title")
    out = SRV.mpc("add", "../tinyice.json", check=False)
    assert out.returncode != 0 and "No such" in out.stderr, out


def test_random_and_volume():
    out = SRV.mpc("random", "on").stdout
    assert "random: on" in out, out
    out = SRV.mpc("volume", "50").stdout
    assert "volume: 50%" in out, out
    status = SRV.mpc("status").stdout
    assert "random: on" in status and "volume: 50%" in status, status
    SRV.mpc("random", "off")
    # The station's JSON API sees the same state.
    status, st = SRV.api("GET", "/api/autodj/main")
    assert st["now_playing"]["volume"] == 50, st["now_playing"]


def test_search_and_find():
    out = SRV.mpc("search", "title", "char").stdout.split()
    assert out == ["b/03-charlie.ogg"], out
    out = SRV.mpc("find", "artist", "Ann").stdout.split()
    assert out == ["a/01-alpha.mp3", "a/02-bravo.flac"], out
    out = SRV.mpc("list", "artist").stdout.split()
    assert out == ["Ann", "Bob"], out


def test_idle_reports_player_and_playlist_events():
    result = {}

    def idle():
        result["out"] = SRV.mpc("idle", timeout=20).stdout.strip()

    t = threading.Thread(target=idle)
    t.start()
    time.sleep(1)  # mpc is now waiting in "idle"
    assert t.is_alive(), result
    SRV.mpc("next")
    t.join(timeout=10)
    assert not t.is_alive() and result["out"] in ("player", "playlist"), result
    # A change through the HTTP API wakes MPD clients too.
    t = threading.Thread(target=lambda: result.update(
        out2=SRV.mpc("idle", "playlist", timeout=20).stdout.strip()))
    t.start()
    time.sleep(1)
    status, _ = SRV.api("POST", "/api/autodj/main/playlist", {"path": "a/02-bravo.flac"})
    assert status == 200
    t.join(timeout=10)
    assert result.get("out2") == "playlist", result


def test_password_required_and_save_load():
    out = SRV.mpc("status", password=None, check=False)
    assert out.returncode != 0 and "permission" in out.stderr.lower(), out
    out = SRV.mpc("status", password="wrong", check=False)
    assert out.returncode != 0 and "password" in out.stderr.lower(), out
    # A station without a password.
    assert SRV.mpc("status", password=None, port=SRV.open_port).returncode == 0
    SRV.mpc("save", "mix")
    assert "mix" in SRV.mpc("lsplaylists").stdout.split()
    SRV.mpc("clear")
    SRV.mpc("load", "mix")
    assert len(SRV.mpc("playlist").stdout.split("\n")) >= 3
    status, pls = SRV.api("GET", "/api/autodj/main/playlists")
    assert [p["name"] for p in pls["playlists"]] == ["mix"], pls
    SRV.mpc("rm", "mix")
    assert "mix" not in SRV.mpc("lsplaylists").stdout.split()


if __name__ == "__main__":
    SRV = Server().start()
    try:
        run_tests([test_status_and_library, test_playlist_edit_play_next, test_random_and_volume,
                   test_search_and_find, test_idle_reports_player_and_playlist_events,
                   test_password_required_and_save_load])
    except SystemExit as e:
        if e.code:
            print(f"--- tinyice log ({SRV.dir}) ---\n{SRV.log()[-8000:]}")
        raise
    finally:
        SRV.stop()
