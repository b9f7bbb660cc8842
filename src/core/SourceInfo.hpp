#pragma once
// What a source told us about its stream (from its request headers), fixed for the life of
// that source connection.

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tinyice::core {

struct SourceInfo {
    std::string content_type = "audio/mpeg";
    std::string name;          // ice-name / icy-name
    std::string description;
    std::string url;
    std::string genre;
    std::optional<bool> is_public;
    std::optional<int> bitrate;  // kbps
    std::string audio_info;      // raw ice-audio-info
    std::vector<std::pair<std::string, std::string>> audio_info_pairs;
    // Headers to send to listeners, already mapped the way Icecast does (ice-name -> icy-name,
    // ice-public -> icy-pub, ice-bitrate -> icy-br, ...), in the order to send them.
    std::vector<std::pair<std::string, std::string>> listener_headers;
    std::string source_ip;
    std::string user_agent;
    // Who feeds the mount: "" for an encoder connected over HTTP, else the in-process source
    // ("autodj", "transcoder"). The status pages and the play history use it.
    std::string origin;
};

}  // namespace tinyice::core
