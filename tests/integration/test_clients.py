"""Other real source clients: ezstream (libshout) and liquidsoap's output.icecast, with the
titles they send (admin metadata for MP3, Ogg chains for Vorbis/Opus)."""

import os
import subprocess
import time

from harness import SOURCE_PASSWORD, StreamReader, TinyIce, decode_errors, run_tests, wait_until


def make_tones(d):
    files = {}
    for name, freq in (("a", 440), ("b", 660)):
        for ext, codec in (("mp3", ["-c:a", "libmp3lame", "-b:a", "128k", "-id3v2_version", "3"]),
                           ("ogg", ["-c:a", "libvorbis", "-q:a", "3"])):
            path = os.path.join(d, f"tone_{name}.{ext}")
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                            f"sine=frequency={freq}:sample_rate=44100:duration=6", "-ac", "2",
                            *codec, "-metadata", "artist=EZ Artist", "-metadata",
                            f"title=Tone {name}", path], check=True)
            files[(name, ext)] = path
    return files


def ezstream_config(srv, mount, fmt, playlist, tls="None"):
    return f"""<ezstream>
  <servers><server><protocol>HTTP</protocol><hostname>127.0.0.1</hostname>
    <port>{srv.port}</port><password>{SOURCE_PASSWORD}</password><tls>{tls}</tls></server></servers>
  <streams><stream><mountpoint>{mount}</mountpoint><format>{fmt}</format>
    <stream_name>EZ {fmt}</stream_name><stream_url>http://example.org</stream_url>
    <stream_genre>Test</stream_genre><stream_description>ezstream test</stream_description>
    <stream_bitrate>128</stream_bitrate><stream_samplerate>44100</stream_samplerate>
    <stream_channels>2</stream_channels></stream></streams>
  <intakes><intake><type>playlist</type><filename>{playlist}</filename>
    <stream_once>1</stream_once></intake></intakes>
</ezstream>
"""


def test_ezstream_mp3_and_ogg():
    with TinyIce() as srv:
        tones = make_tones(srv.dir)
        for fmt, ext, mount in (("MP3", "mp3", "/ez-mp3"), ("Ogg", "ogg", "/ez-ogg")):
            playlist = os.path.join(srv.dir, f"{ext}.m3u")
            with open(playlist, "w") as f:
                f.write(f"{tones[('a', ext)]}\n{tones[('b', ext)]}\n")
            cfg = os.path.join(srv.dir, f"ez-{ext}.xml")
            with open(cfg, "w") as f:
                # tls May: libshout first sends OPTIONS * and GET /admin/!POKE probes.
                f.write(ezstream_config(srv, mount, fmt, playlist, tls="May"))
            os.chmod(cfg, 0o600)
            srv.spawn(["ezstream", "-c", cfg])
            stats = srv.wait_for_source(mount)
            assert stats["server_name"] == f"EZ {fmt}", stats
            r = StreamReader(srv, mount)
            wait_until(lambda: srv.mount_stats(mount).get("title") == "EZ Artist - Tone b",
                       timeout=20, what=f"the second track's title on {mount}")
            r.close()
            assert r.status == 200
            err = decode_errors(r.snapshot(), "mp3" if ext == "mp3" else "ogg")
            assert err == "", err


LIQ = """
settings.init.allow_root.set(true)
settings.log.stdout.set(true)
settings.log.file.set(false)
s = insert_metadata(sine(440.))
thread.run(delay=1., every=2., fun () -> s.insert_metadata([("artist","LS Artist"),("title","LS Title")]))
output.icecast(%mp3(bitrate=128), host="127.0.0.1", port=PORT, password="PASS",
  mount="/ls-mp3", name="LS Tone", description="liquidsoap sine", genre="Test",
  url="http://example.org", public=false, fallible=false, s)
output.icecast(%vorbis(quality=0.3), host="127.0.0.1", port=PORT, password="PASS",
  mount="/ls-vorbis", name="LS Vorbis", fallible=false, s)
output.icecast(%opus(bitrate=64), host="127.0.0.1", port=PORT, password="PASS",
  mount="/ls-opus", name="LS Opus", fallible=false, s)
"""


def test_liquidsoap_mp3_vorbis_opus():
    with TinyIce() as srv:
        script = os.path.join(srv.dir, "radio.liq")
        with open(script, "w") as f:
            f.write(LIQ.replace("PORT", str(srv.port)).replace("PASS", SOURCE_PASSWORD))
        srv.spawn(["liquidsoap", script], stderr=subprocess.DEVNULL)
        for mount, fmt in (("/ls-mp3", "mp3"), ("/ls-vorbis", "ogg"), ("/ls-opus", "ogg")):
            srv.wait_for_source(mount, timeout=30)
            wait_until(lambda: srv.mount_stats(mount).get("title") == "LS Artist - LS Title",
                       timeout=20, what=f"liquidsoap's title on {mount}")
            r = StreamReader(srv, mount)
            time.sleep(2)
            r.close()
            assert r.status == 200
            data = r.snapshot()
            if mount == "/ls-opus":
                # ffmpeg 5.1 cannot decode liquidsoap's Opus (empty packets) even from a file;
                # check the shape instead: a BOS page carrying OpusHead, then OpusTags.
                assert data[:4] == b"OggS" and data[5] & 0x02 and b"OpusHead" in data[:100]
                assert b"OpusTags" in data[:4096]
                continue
            err = decode_errors(data, fmt)
            assert err == "", (mount, err)


if __name__ == "__main__":
    run_tests([test_ezstream_mp3_and_ogg, test_liquidsoap_mp3_vorbis_opus])
