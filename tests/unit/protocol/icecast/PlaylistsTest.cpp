#include "protocol/icecast/Playlists.hpp"

#include <gtest/gtest.h>

namespace tinyice::protocol::icecast {
namespace {

TEST(Playlists, M3u) {
    EXPECT_EQ(m3u_playlist("http://host:8000/live"), "#EXTM3U\r\nhttp://host:8000/live\r\n");
    EXPECT_EQ(m3u_playlist("http://host:8000/live", "My Radio"),
              "#EXTM3U\r\n#EXTINF:-1,My Radio\r\nhttp://host:8000/live\r\n");
    EXPECT_EQ(m3u_playlist("http://host:8000/live", ""), "#EXTM3U\r\nhttp://host:8000/live\r\n");
    // A title cannot add lines.
    EXPECT_EQ(m3u_playlist("http://h/l\r\n", "a\r\nhttp://evil/\n"),
              "#EXTM3U\r\n#EXTINF:-1,ahttp://evil/\r\nhttp://h/l\r\n");
}

TEST(Playlists, Pls) {
    EXPECT_EQ(pls_playlist("http://host:8000/live", "My Radio"),
              "[playlist]\r\nNumberOfEntries=1\r\nFile1=http://host:8000/live\r\n"
              "Title1=My Radio\r\nLength1=-1\r\nVersion=2\r\n");
    EXPECT_EQ(pls_playlist("http://h/l", "x\nFile2=y"),
              "[playlist]\r\nNumberOfEntries=1\r\nFile1=http://h/l\r\n"
              "Title1=xFile2=y\r\nLength1=-1\r\nVersion=2\r\n");
}

TEST(Playlists, Xspf) {
    core::MountSnapshot m;
    m.mount = "/live";
    m.has_source = true;
    m.content_type = "audio/mpeg";
    m.server_name = "Test & Tone";
    m.genre = "Test";
    m.bitrate = 128;
    m.listeners = 2;
    m.listener_peak = 5;
    m.title = "A - <B>";
    m.artist = "A";
    m.server_url = "http://example.org/?a=1&b=2";
    EXPECT_EQ(xspf_playlist("http://host:8000/live", m),
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<playlist version=\"1\" xmlns=\"http://xspf.org/ns/0/\">\n"
              "  <title>Test &amp; Tone</title>\n"
              "  <trackList>\n"
              "    <track>\n"
              "      <location>http://host:8000/live</location>\n"
              "      <creator>A</creator>\n"
              "      <title>A - &lt;B&gt;</title>\n"
              "      <annotation>Stream Title: Test &amp; Tone\n"
              "Stream Description: Unspecified description\n"
              "Content Type:audio/mpeg\n"
              "Bitrate: 128\n"
              "Current Listeners: 2\n"
              "Peak Listeners: 5\n"
              "Stream Genre: Test</annotation>\n"
              "      <info>http://example.org/?a=1&amp;b=2</info>\n"
              "    </track>\n"
              "  </trackList>\n"
              "</playlist>\n");
}

TEST(Playlists, XspfMinimal) {
    core::MountSnapshot m;
    m.content_type = "application/ogg";
    EXPECT_EQ(xspf_playlist("http://h/o", m),
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<playlist version=\"1\" xmlns=\"http://xspf.org/ns/0/\">\n"
              "  <title>Unspecified name</title>\n"
              "  <trackList>\n"
              "    <track>\n"
              "      <location>http://h/o</location>\n"
              "      <title></title>\n"
              "      <annotation>Stream Title: Unspecified name\n"
              "Stream Description: Unspecified description\n"
              "Content Type:application/ogg\n"
              "Current Listeners: 0\n"
              "Peak Listeners: 0\n"
              "Stream Genre: various</annotation>\n"
              "    </track>\n"
              "  </trackList>\n"
              "</playlist>\n");
}

} // namespace
} // namespace tinyice::protocol::icecast
