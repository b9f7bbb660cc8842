#include "protocol/icecast/Playlists.hpp"

#include "protocol/icecast/StatusDocuments.hpp"

namespace tinyice::protocol::icecast {

namespace {

std::string single_line(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto b = static_cast<unsigned char>(c);
        if (b >= 0x20 && b != 0x7f) {
            out.push_back(c);
        }
    }
    return out;
}

std::string or_default(const std::string& value, std::string_view fallback) {
    return value.empty() ? std::string(fallback) : value;
}

} // namespace

std::string m3u_playlist(std::string_view stream_url) {
    return m3u_playlist(stream_url, {});
}

std::string m3u_playlist(std::string_view stream_url, std::string_view title) {
    std::string out = "#EXTM3U\r\n";
    const std::string safe_title = single_line(title);
    if (!safe_title.empty()) {
        out.append("#EXTINF:-1,").append(safe_title).append("\r\n");
    }
    out.append(single_line(stream_url)).append("\r\n");
    return out;
}

std::string pls_playlist(std::string_view stream_url, std::string_view title) {
    std::string out = "[playlist]\r\nNumberOfEntries=1\r\n";
    out.append("File1=").append(single_line(stream_url)).append("\r\n");
    out.append("Title1=").append(single_line(title)).append("\r\n");
    out.append("Length1=-1\r\nVersion=2\r\n");
    return out;
}

std::string xspf_playlist(std::string_view stream_url, const core::MountSnapshot& mount) {
    const std::string name = or_default(mount.server_name, "Unspecified name");
    std::string annotation;
    annotation.append("Stream Title: ").append(name).append("\n");
    annotation.append("Stream Description: ")
        .append(or_default(mount.server_description, "Unspecified description"))
        .append("\n");
    annotation.append("Content Type:").append(mount.content_type).append("\n");
    if (mount.bitrate) {
        annotation.append("Bitrate: ").append(std::to_string(*mount.bitrate)).append("\n");
    }
    annotation.append("Current Listeners: ").append(std::to_string(mount.listeners)).append("\n");
    annotation.append("Peak Listeners: ").append(std::to_string(mount.listener_peak)).append("\n");
    annotation.append("Stream Genre: ").append(or_default(mount.genre, "various"));

    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out.append("<playlist version=\"1\" xmlns=\"http://xspf.org/ns/0/\">\n");
    out.append("  <title>").append(xml_escape(name)).append("</title>\n");
    out.append("  <trackList>\n");
    out.append("    <track>\n");
    out.append("      <location>").append(xml_escape(stream_url)).append("</location>\n");
    if (!mount.artist.empty()) {
        out.append("      <creator>").append(xml_escape(mount.artist)).append("</creator>\n");
    }
    out.append("      <title>").append(xml_escape(mount.title)).append("</title>\n");
    out.append("      <annotation>").append(xml_escape(annotation)).append("</annotation>\n");
    if (!mount.server_url.empty()) {
        out.append("      <info>").append(xml_escape(mount.server_url)).append("</info>\n");
    }
    out.append("    </track>\n");
    out.append("  </trackList>\n");
    out.append("</playlist>\n");
    return out;
}

} // namespace tinyice::protocol::icecast
