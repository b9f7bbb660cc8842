#!/bin/sh
# Regenerates the committed codec fixtures and their expected frame offsets (ffprobe packet
# pos=). Run from this directory. Outputs are small (< 64 KB each) and committed, so the unit
# tests do not need ffmpeg; ffmpeg 5.1 (Debian 12) made the committed ones.
set -eu
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
sine() { echo "sine=frequency=$1:duration=$2"; }

# MPEG-1 Layer III with an ID3v2 tag and a Xing/Info frame (ffprobe does not list the Info frame).
ff -f lavfi -i "$(sine 440 1)" -c:a libmp3lame -b:a 128k -metadata title=T sine.mp3
# MPEG-2 Layer III (22.05 kHz, 576-sample frames), no tag, no Info frame.
ff -f lavfi -i "$(sine 440 1)" -ar 22050 -c:a libmp3lame -b:a 32k -write_xing 0 -id3v2_version 0 sine22k.mp3
# MPEG-1 Layer II.
ff -f lavfi -i "$(sine 440 1)" -c:a mp2 -b:a 64k sine.mp2
# AAC-LC in ADTS.
ff -f lavfi -i "$(sine 440 1)" -c:a aac -b:a 96k -f adts sine.aac

for f in sine.mp3 sine22k.mp3 sine.mp2 sine.aac; do
  ffprobe -v error -select_streams a -show_entries packet=pos -of csv=p=0 "$f" | sed -n "s/^\([0-9][0-9]*\).*/\1/p" > "$f.pos"
done

# Ogg: Opus and Vorbis with comments, and a chained Opus stream (two files concatenated).
ff -f lavfi -i "$(sine 440 1)" -c:a libopus -b:a 32k -metadata title="Tone A" -metadata artist="Artist A" -f ogg sine.opus
ff -f lavfi -i "$(sine 660 1)" -c:a libopus -b:a 32k -metadata title="Tone B" -metadata artist="Artist B" -f ogg b.opus
cat sine.opus b.opus > chained.opus
rm b.opus
ff -f lavfi -i "$(sine 440 2)" -c:a libvorbis -q:a 0 -metadata title="Vorbis Tone" -metadata ARTIST="VA" -f ogg sine.ogg
ff -f lavfi -i "$(sine 440 1)" -c:a flac -metadata title="Flac Tone" -f ogg sine.oga
ff -f lavfi -i "$(sine 440 1)" -ar 16000 -c:a libspeex -metadata title="Speex Tone" -f ogg sine.spx
# Multiplexed Theora + Vorbis.
ff -f lavfi -i testsrc=size=64x48:rate=5:duration=1 -f lavfi -i "$(sine 440 1)" -c:v libtheora -q:v 1 -c:a libvorbis -q:a 0 -metadata title="AV" -f ogg theora_vorbis.ogv

# liquidsoap 2.1: one chain per track (plus a short first chain without tags), Vorbis and Opus.
tmp=$(mktemp -d)
ff -f lavfi -i "$(sine 440 1)" -metadata title="LS One" -metadata artist="LS Artist" "$tmp/a.wav"
ff -f lavfi -i "$(sine 660 1)" -metadata title="LS Two" -metadata artist="LS Artist" "$tmp/b.wav"
cat > "$tmp/ls.liq" <<LIQ
settings.init.allow_root.set(true)
settings.log.level.set(2)
settings.frame.audio.samplerate.set(44100)
s = sequence([once(single("$tmp/a.wav")), once(single("$tmp/b.wav"))])
clock.assign_new(sync="none", [s])
output.file(%vorbis(quality=0.0, samplerate=44100, channels=2), "$PWD/liquidsoap.ogg", fallible=true, on_stop=shutdown, s)
output.file(%opus(bitrate=32, samplerate=48000, channels=2), "$PWD/liquidsoap.opus", fallible=true, s)
LIQ
liquidsoap "$tmp/ls.liq" > /dev/null
rm -r "$tmp"
