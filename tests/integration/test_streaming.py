"""Real sources (ffmpeg MP3 / Ogg Opus / Ogg Vorbis, PUT and legacy SOURCE) and real players
(ffmpeg, ffprobe, curl) against the built server."""

import json
import subprocess
import time

from harness import (TinyIce, StreamReader, decode_errors, run_tests, split_icy, wait_until)


def test_mp3_put_decodes_and_bursts():
    with TinyIce() as srv:
        srv.ffmpeg_source("/live", "mp3")
        srv.wait_for_source("/live")
        time.sleep(4.5)  # let more than one burst worth of audio accumulate
        r = StreamReader(srv, "/live")
        assert r.status == 200, r.status
        assert r.headers["content-type"] == "audio/mpeg"
        assert "icy-metaint" not in r.headers
        assert r.headers.get("icy-name") == "Test Tone"
        # The burst (64 KiB) arrives at once, starting on an MP3 frame header.
        wait_until(lambda: r.size() >= 60000, timeout=2, what="the burst")
        data = r.snapshot()
        assert data[0] == 0xFF and (data[1] & 0xE0) == 0xE0, data[:4].hex()
        time.sleep(2)
        r.close()
        err = decode_errors(r.snapshot(), "mp3")
        assert err == "", err


def test_ogg_opus_and_vorbis_sources():
    for codec, name in (("opus", "opus"), ("vorbis", "vorbis")):
        with TinyIce() as srv:
            srv.ffmpeg_source("/ogg", codec, title=f"{codec} title")
            srv.wait_for_source("/ogg")
            time.sleep(3)
            # A late joiner must get the header pages first, then decodable audio.
            out = subprocess.run(
                ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name",
                 "-of", "json", srv.url("/ogg")], capture_output=True, text=True, timeout=30)
            streams = json.loads(out.stdout)["streams"]
            assert streams and streams[0]["codec_name"] == name, out
            r = StreamReader(srv, "/ogg", icy=True)
            assert "icy-metaint" not in r.headers, "Ogg never gets ICY metadata"
            time.sleep(2)
            r.close()
            data = r.snapshot()
            assert data[:4] == b"OggS" and data[5] & 0x02, "first page must be a BOS page"
            err = decode_errors(data, "ogg")
            assert err == "", err
            stats = srv.mount_stats("/ogg")
            assert stats.get("title") == "Test Artist - " + f"{codec} title", stats
            assert stats.get("subtype", "").lower() == name, stats


def test_legacy_source_method():
    with TinyIce() as srv:
        srv.ffmpeg_source("/legacy", "mp3", legacy=True)
        srv.wait_for_source("/legacy")
        out = subprocess.run(["ffmpeg", "-v", "error", "-t", "2", "-i", srv.url("/legacy"),
                              "-f", "null", "-"], capture_output=True, text=True, timeout=30)
        assert out.returncode == 0 and out.stderr.strip() == "", out.stderr


def test_icy_titles_at_the_right_interval():
    with TinyIce() as srv:
        srv.ffmpeg_source("/live", "mp3")
        srv.wait_for_source("/live")
        early = StreamReader(srv, "/live", icy=True)  # joins before any title is set
        time.sleep(1.5)
        status, _, body = srv.set_title("/live", "First Song")
        assert status == 200 and b"Metadata update successful" in body, body
        r = StreamReader(srv, "/live", icy=True)
        assert r.headers.get("icy-metaint") == "16000", r.headers
        time.sleep(3)
        srv.set_title("/live", "Second Song ä")
        wait_until(lambda: b"Second Song" in r.snapshot(), timeout=15,
                   what="the new title in the stream")
        time.sleep(1.5)
        r.close()
        audio, blocks = split_icy(r.snapshot(), 16000)
        assert blocks, "no metadata blocks"
        # Walking the stream by metaint finds a well-formed block every time: the framing
        # (interval, length byte, padding) is right all the way through.
        for offset, text in blocks:
            assert text == "" or text.startswith("StreamTitle='"), (offset, text)
        assert len(blocks) >= 3, len(blocks)
        # The first block is always a full one. Titles are tied to stream positions (as in
        # Icecast), so the burst may still carry the title from before the update.
        assert blocks[0][1].startswith("StreamTitle='"), blocks[0]
        full = [t for _, t in blocks if t]
        assert full[0] in ("StreamTitle='';", "StreamTitle='First Song';"), full
        assert "StreamTitle='First Song';" in full, full
        early.close()
        early_audio, early_blocks = split_icy(early.snapshot(), 16000)
        assert early_blocks[0][1] == "StreamTitle='';", early_blocks[0]
        for offset, text in early_blocks:
            assert text == "" or text.startswith("StreamTitle='"), (offset, text)
        assert any("First Song" in t for _, t in early_blocks), early_blocks
        assert decode_errors(early_audio, "mp3") == ""
        titles = [t for _, t in blocks if t]
        assert any("Second Song ä" in t for t in titles), titles
        assert decode_errors(audio, "mp3") == ""


def test_two_listeners_get_identical_bytes():
    with TinyIce() as srv:
        srv.ffmpeg_source("/live", "mp3")
        srv.wait_for_source("/live")
        time.sleep(2)
        a = StreamReader(srv, "/live")
        b = StreamReader(srv, "/live")
        time.sleep(4)
        a.close()
        b.close()
        da, db = a.snapshot(), b.snapshot()
        assert len(da) > 50000 and len(db) > 50000
        # Both started at the same burst point moments apart: the shorter is a prefix of the
        # longer one, or at least a long run of one appears in the other.
        probe = db[20000:40000]
        assert probe in da, "listener streams differ"


def test_source_reconnect():
    with TinyIce() as srv:
        src = srv.ffmpeg_source("/live", "mp3")
        srv.wait_for_source("/live")
        src.kill()
        src.wait()
        wait_until(lambda: srv.mount_stats("/live") is None, timeout=10,
                   what="the on-demand mount to go away")
        srv.ffmpeg_source("/live", "mp3")
        srv.wait_for_source("/live")
        r = StreamReader(srv, "/live")
        time.sleep(2)
        r.close()
        assert r.status == 200 and r.size() > 20000, r.size()


if __name__ == "__main__":
    run_tests([test_mp3_put_decodes_and_bursts, test_ogg_opus_and_vorbis_sources,
               test_legacy_source_method, test_icy_titles_at_the_right_interval,
               test_two_listeners_get_identical_bytes, test_source_reconnect])
