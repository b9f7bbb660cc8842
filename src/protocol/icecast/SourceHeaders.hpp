#pragma once
// Turns a source client's request headers into the stream's description (SourceInfo): the
// stats fields Icecast fills from ice-*/icy-*/x-audiocast-* headers, and the icy-* header lines
// listeners receive (icecast-protocol.md §1.5).

#include <span>
#include <string_view>
#include <utility>

#include "core/SourceInfo.hpp"

namespace tinyice::protocol::icecast {

using HeaderList = std::span<const std::pair<std::string_view, std::string_view>>;

// `content_type` empty means the source sent none (SOURCE method: audio/mpeg is assumed).
core::SourceInfo parse_source_headers(HeaderList headers, std::string_view content_type);

// "channels=2;samplerate=44100;bitrate=128" -> pairs; values URL-decoded; keys of butt's
// "ice-bitrate=128" form lose their "ice-" prefix.
std::vector<std::pair<std::string, std::string>> parse_audio_info(std::string_view audio_info);

}  // namespace tinyice::protocol::icecast
