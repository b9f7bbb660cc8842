#pragma once
// Playlist files for /<mount>.m3u, .pls and .xspf (docs/icecast-protocol.md §2.4). Pure
// functions; stream_url is the listen URL, e.g. "http://host:8000/live".
//
// Lines end in CRLF, as Icecast's m3u does: naive readers that split on LF still work (they see
// a trailing CR, which they already have to handle for Icecast), readers that split on CRLF
// would not work with bare LF. CR, LF and other control characters inside a URL or title are
// dropped so a title cannot add playlist lines.

#include "core/Snapshot.hpp"

#include <string>
#include <string_view>

namespace tinyice::protocol::icecast {

// "#EXTM3U\r\n<url>\r\n". Icecast sends only "<url>\r\n"; the #EXTM3U header is accepted by
// every player that reads plain m3u (it is a comment there) and lets extended-m3u readers
// (VLC, foobar2000, iOS) recognise the file.
std::string m3u_playlist(std::string_view stream_url);
// "#EXTM3U\r\n#EXTINF:-1,<title>\r\n<url>\r\n"; an empty title gives the form above.
std::string m3u_playlist(std::string_view stream_url, std::string_view title);

// "[playlist]\r\nNumberOfEntries=1\r\nFile1=<url>\r\nTitle1=<title>\r\nLength1=-1\r\n
// Version=2\r\n".
std::string pls_playlist(std::string_view stream_url, std::string_view title);

// XSPF 1 with one track, following Icecast's xspf.xsl: <location>, <creator> (artist, when
// known), <title> (current title), <annotation> with the lines "Stream Title: ",
// "Stream Description: ", "Content Type:" (sic, no space), "Bitrate: " (when known),
// "Current Listeners: ", "Peak Listeners: ", "Stream Genre: ", and <info> (server_url, when
// set). Unlike Icecast (which reads a non-existent `server` stat and leaves it empty), the
// playlist <title> is the stream name.
std::string xspf_playlist(std::string_view stream_url, const core::MountSnapshot& mount);

} // namespace tinyice::protocol::icecast
