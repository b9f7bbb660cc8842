#pragma once
// Parsing of loudness tags as taggers write them (internal to src/codec, used by FileDecoder;
// public here only so the unit tests can reach it). No FFmpeg types.

#include <optional>
#include <string_view>

namespace tinyice::codec {

// REPLAYGAIN_*_GAIN values: "-6.53 dB", "+1.2 dB", "−6.5 dB" (U+2212 minus), "-6,53 dB" (a
// comma written by a tagger in a European locale), "3.1" (no unit). nullopt for anything else
// or a value outside +-60 dB, which no real track has.
[[nodiscard]] std::optional<double> parse_replaygain_gain(std::string_view text);

// REPLAYGAIN_*_PEAK values: "0.988235", linear, 1.0 = full scale. nullopt when not a number,
// negative, or implausibly large (> 100, i.e. +40 dBFS).
[[nodiscard]] std::optional<double> parse_replaygain_peak(std::string_view text);

// Opus R128_TRACK_GAIN / R128_ALBUM_GAIN: a Q7.8 fixed-point integer in dB relative to -23 LUFS
// (RFC 7845 5.2.1), converted to the ReplayGain 2 reference of -18 LUFS: gain / 256 + 5 dB.
[[nodiscard]] std::optional<double> parse_r128_gain(std::string_view text);

} // namespace tinyice::codec
