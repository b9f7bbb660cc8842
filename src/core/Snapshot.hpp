#pragma once
// Plain snapshot structs read by the status pages, the Icecast admin API and (later) metrics.
// Built on demand from the live objects; nothing here is shared or mutated after construction.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tinyice::core {

struct ListenerSnapshot {
    std::uint64_t id = 0;
    std::string ip;
    std::string user_agent;          // empty when the client sent none
    std::int64_t connected_seconds = 0;
    std::string mount;               // the mount the listener is currently fed from
    std::uint64_t bytes = 0;         // sent to it so far
    std::string home;                // the mount it asked for (differs after a fallback)
};

struct MountSnapshot {
    std::string mount;               // "/live"
    bool hidden = false;             // hidden mounts are left out of public status
    bool has_source = false;         // a source is connected right now
    std::string content_type;        // as sent by the source, e.g. "audio/mpeg"
    std::string subtype;             // Ogg codec names, e.g. "Opus", "Vorbis"; empty otherwise
    std::string server_name;         // ice-name (or mount override); empty = "Unspecified name"
    std::string server_description;  // empty = "Unspecified description"
    std::string server_url;          // omitted when empty
    std::string genre;               // empty = "various"
    std::optional<bool> is_public;   // ice-public
    std::optional<int> bitrate;      // kbps, from ice-bitrate or ice-audio-info bitrate=
    std::string audio_info;          // raw ice-audio-info value
    std::vector<std::pair<std::string, std::string>> audio_info_pairs;  // parsed, URL-decoded
    std::string title;               // current title ("Artist - Title" when both known)
    std::string artist;
    std::uint64_t listeners = 0;
    std::uint64_t listener_peak = 0;
    std::optional<std::uint32_t> max_listeners;  // nullopt = unlimited
    std::uint64_t slow_listeners = 0;            // listeners dropped for falling behind
    std::string source_ip;
    std::string user_agent;                      // of the source client
    std::int64_t stream_start = 0;               // unix seconds; 0 = no source
    std::uint64_t total_bytes_read = 0;
    std::uint64_t total_bytes_sent = 0;
    std::string fallback;                        // fallback mount name or empty
    std::string listenurl;                       // "http://host:port/live"
};

struct ServerSnapshot {
    std::string admin;        // admin e-mail
    std::string host;         // configured hostname
    std::string location;
    std::string server_id;    // "TinyIce 0.1.0"
    std::int64_t server_start = 0;  // unix seconds
    std::uint64_t clients = 0;      // connections open now
    std::uint64_t connections = 0;  // connections accepted since start
    std::uint64_t listeners = 0;
    std::uint64_t sources = 0;
    std::uint64_t listener_connections = 0;
    std::uint64_t source_total_connections = 0;
    std::vector<MountSnapshot> mounts;  // sorted by mount name
};

}  // namespace tinyice::core
