#include "protocol/icecast/StatusDocuments.hpp"

#include "protocol/icecast/Utf8.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tinyice::protocol::icecast {
namespace {

using namespace std::string_literals;

constexpr std::int64_t server_start = 1795476757; // Mon, 23 Nov 2026 23:32:37 +0000
constexpr std::int64_t stream_start = 1795477368; // Mon, 23 Nov 2026 23:42:48 +0000

// A small XML checker: one root, balanced tags, quoted attributes, only the five predefined
// entities, no stray '<' or '&', valid UTF-8.
bool well_formed(std::string_view xml, std::string* why = nullptr) {
    const auto fail = [&](std::string reason) {
        if (why != nullptr) {
            *why = std::move(reason);
        }
        return false;
    };
    if (!is_valid_utf8(xml)) {
        return fail("invalid UTF-8");
    }
    std::size_t pos = 0;
    if (xml.starts_with("<?xml")) {
        pos = xml.find("?>");
        if (pos == std::string_view::npos) {
            return fail("unterminated declaration");
        }
        pos += 2;
    }
    const auto is_name_char = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' ||
               c == '.' || c == ':';
    };
    const auto check_text = [&](std::string_view text) {
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '<') {
                return false;
            }
            if (text[i] == '&') {
                const auto rest = text.substr(i);
                if (!(rest.starts_with("&amp;") || rest.starts_with("&lt;") ||
                      rest.starts_with("&gt;") || rest.starts_with("&quot;") ||
                      rest.starts_with("&apos;"))) {
                    return false;
                }
            }
        }
        return true;
    };
    std::vector<std::string> stack;
    int roots = 0;
    while (pos < xml.size()) {
        const std::size_t lt = xml.find('<', pos);
        const std::string_view text = xml.substr(pos, lt - pos);
        if (!check_text(text)) {
            return fail("bad text near " + std::to_string(pos));
        }
        if (stack.empty() && text.find_first_not_of(" \t\r\n") != std::string_view::npos) {
            return fail("text outside the root");
        }
        if (lt == std::string_view::npos) {
            break;
        }
        pos = lt + 1;
        const bool closing = pos < xml.size() && xml[pos] == '/';
        if (closing) {
            ++pos;
        }
        const std::size_t name_start = pos;
        while (pos < xml.size() && is_name_char(xml[pos])) {
            ++pos;
        }
        const std::string name(xml.substr(name_start, pos - name_start));
        if (name.empty()) {
            return fail("empty tag name at " + std::to_string(name_start));
        }
        if (closing) {
            if (stack.empty() || stack.back() != name || pos >= xml.size() || xml[pos] != '>') {
                return fail("mismatched </" + name + ">");
            }
            stack.pop_back();
            ++pos;
            continue;
        }
        while (true) {
            while (pos < xml.size() && xml[pos] == ' ') {
                ++pos;
            }
            if (pos >= xml.size()) {
                return fail("unterminated tag");
            }
            if (xml[pos] == '>' || xml.substr(pos, 2) == "/>") {
                break;
            }
            const std::size_t attr_start = pos;
            while (pos < xml.size() && is_name_char(xml[pos])) {
                ++pos;
            }
            if (pos == attr_start || xml.substr(pos, 2) != "=\"") {
                return fail("bad attribute in <" + name + ">");
            }
            pos += 2;
            const std::size_t end = xml.find('"', pos);
            if (end == std::string_view::npos || !check_text(xml.substr(pos, end - pos))) {
                return fail("bad attribute value in <" + name + ">");
            }
            pos = end + 1;
        }
        if (stack.empty()) {
            ++roots;
        }
        if (xml[pos] == '/') {
            pos += 2;
        } else {
            stack.push_back(name);
            ++pos;
        }
    }
    if (!stack.empty()) {
        return fail("unclosed <" + stack.back() + ">");
    }
    if (roots != 1) {
        return fail("expected one root element");
    }
    return true;
}

void expect_well_formed(std::string_view xml) {
    std::string why;
    EXPECT_TRUE(well_formed(xml, &why)) << why << "\n" << xml;
}

core::MountSnapshot live_mount() {
    core::MountSnapshot m;
    m.mount = "/live";
    m.has_source = true;
    m.content_type = "audio/mpeg";
    m.server_name = "Test Tone";
    m.genre = "Test";
    m.is_public = false;
    m.listeners = 1;
    m.listener_peak = 1;
    m.source_ip = "127.0.0.1";
    m.user_agent = "Lavf/59.27.100";
    m.stream_start = stream_start;
    m.total_bytes_read = 634925;
    m.total_bytes_sent = 79024;
    m.listenurl = "http://127.0.0.1:8000/live";
    return m;
}

core::ServerSnapshot server(std::vector<core::MountSnapshot> mounts) {
    core::ServerSnapshot s;
    s.admin = "icemaster@localhost";
    s.host = "127.0.0.1";
    s.location = "Earth";
    s.server_id = "Icecast 2.4.4";
    s.server_start = server_start;
    s.clients = 2;
    s.connections = 81;
    s.listeners = 1;
    s.sources = 1;
    s.listener_connections = 30;
    s.source_total_connections = 37;
    s.mounts = std::move(mounts);
    return s;
}

boost::json::object parse(const std::string& text) {
    boost::json::error_code ec;
    const boost::json::value v = boost::json::parse(text, ec);
    EXPECT_FALSE(ec) << ec.message() << "\n" << text;
    return v.as_object();
}

TEST(Time, IcecastFormats) {
    EXPECT_EQ(icecast_time(server_start), "Mon, 23 Nov 2026 23:32:37 +0000");
    EXPECT_EQ(iso8601_time(server_start), "2026-11-23T23:32:37+0000");
    EXPECT_EQ(icecast_time(0), "Thu, 01 Jan 1970 00:00:00 +0000");
    EXPECT_EQ(iso8601_time(951782400), "2000-02-29T00:00:00+0000");
    EXPECT_EQ(icecast_time(-5), "Thu, 01 Jan 1970 00:00:00 +0000");
}

TEST(XmlEscape, EscapesAndCleans) {
    EXPECT_EQ(xml_escape("<a href=\"x\">Tom & Jerry's</a>"),
              "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;");
    EXPECT_EQ(xml_escape("tab\tnl\ncr\r bell\x07 nul"s + '\0'), "tab\tnl\ncr\r bell nul");
    EXPECT_EQ(xml_escape("caf\xe9"), "caf\xef\xbf\xbd");
    EXPECT_EQ(xml_escape("a\xef\xbf\xbe"
                         "b"),
              "ab");
    EXPECT_EQ(xml_escape("\xc3\xa4\xe2\x82\xac"), "\xc3\xa4\xe2\x82\xac");
}

TEST(StatusJson, NoSources) {
    auto s = server({});
    core::MountSnapshot idle = live_mount();
    idle.has_source = false;
    s.mounts.push_back(idle);
    const std::string text = status_json(s);
    const auto root = parse(text);
    const auto& icestats = root.at("icestats").as_object();
    EXPECT_FALSE(icestats.contains("source"));
    EXPECT_TRUE(icestats.at("dummy").is_null());
    EXPECT_EQ(icestats.at("admin"), "icemaster@localhost");
    EXPECT_EQ(icestats.at("server_start"), "Mon, 23 Nov 2026 23:32:37 +0000");
    EXPECT_EQ(icestats.at("server_start_iso8601"), "2026-11-23T23:32:37+0000");
    EXPECT_EQ(text,
              R"({"icestats":{"admin":"icemaster@localhost","host":"127.0.0.1","location":"Earth",)"
              R"("server_id":"Icecast 2.4.4","server_start":"Mon, 23 Nov 2026 23:32:37 +0000",)"
              R"("server_start_iso8601":"2026-11-23T23:32:37+0000","dummy":null}})");
}

TEST(StatusJson, OneSourceIsAnObject) {
    core::MountSnapshot m = live_mount();
    m.bitrate = 128;
    m.audio_info = "channels=2;samplerate=44100;bitrate=128";
    m.audio_info_pairs = {{"channels", "2"}, {"samplerate", "44100"}, {"bitrate", "128"}};
    m.server_url = "http://example.org";
    m.title = "LS Artist - LS Title";
    const std::string text = status_json(server({m}));
    const auto root = parse(text);
    const auto& source = root.at("icestats").at("source").as_object();
    EXPECT_EQ(source.at("bitrate").as_int64(), 128);
    EXPECT_EQ(source.at("channels").as_int64(), 2);
    EXPECT_EQ(source.at("samplerate").as_int64(), 44100);
    EXPECT_EQ(source.at("listeners").as_int64(), 1);
    EXPECT_EQ(source.at("listener_peak").as_int64(), 1);
    EXPECT_EQ(source.at("server_type"), "audio/mpeg");
    EXPECT_EQ(source.at("server_description"), "Unspecified description");
    EXPECT_EQ(source.at("stream_start"), "Mon, 23 Nov 2026 23:42:48 +0000");
    EXPECT_FALSE(root.at("icestats").as_object().contains("dummy"));
    // Hidden keys are not public.
    for (const char* hidden : {"public", "max_listeners", "source_ip", "slow_listeners",
                               "total_bytes_read", "total_bytes_sent", "user_agent"}) {
        EXPECT_FALSE(source.contains(hidden)) << hidden;
    }
    // Keys sorted, "dummy" last.
    std::vector<std::string> keys;
    for (const auto& kv : source) {
        keys.emplace_back(kv.key());
    }
    EXPECT_EQ(keys, (std::vector<std::string>{"audio_info", "bitrate", "channels", "genre",
                                              "listener_peak", "listeners", "listenurl",
                                              "samplerate", "server_description", "server_name",
                                              "server_type", "server_url", "stream_start",
                                              "stream_start_iso8601", "title", "dummy"}));
    EXPECT_NE(text.find(R"("title":"LS Artist - LS Title","dummy":null})"), std::string::npos);
}

TEST(StatusJson, TwoSourcesAreAnArrayAndHiddenOnesAreLeftOut) {
    core::MountSnapshot a = live_mount();
    core::MountSnapshot b = live_mount();
    b.mount = "/b";
    b.subtype = "Vorbis";
    b.artist = "LS Artist";
    b.content_type = "application/ogg";
    b.audio_info_pairs = {{"quality", "0.3"},
                          {"channels", "2"},
                          {"listeners", "999"},
                          {"bad key", "x"},
                          {"ice-samplerate", "007"}};
    core::MountSnapshot hidden = live_mount();
    hidden.mount = "/hidden";
    hidden.hidden = true;
    core::MountSnapshot idle = live_mount();
    idle.mount = "/idle";
    idle.has_source = false;
    const auto s = server({a, b, hidden, idle});
    const auto root = parse(status_json(s));
    const auto& sources = root.at("icestats").at("source").as_array();
    ASSERT_EQ(sources.size(), 2U);
    EXPECT_EQ(sources[1].at("listenurl"), "http://127.0.0.1:8000/live") << "sorted by mount";
    const auto& vorbis = sources[0].as_object();
    EXPECT_EQ(vorbis.at("subtype"), "Vorbis");
    EXPECT_EQ(vorbis.at("artist"), "LS Artist");
    EXPECT_EQ(vorbis.begin()->key(), "artist");
    EXPECT_EQ(vorbis.at("quality"), "0.3");
    EXPECT_EQ(vorbis.at("ice-samplerate"), "007");
    EXPECT_EQ(vorbis.at("channels").as_int64(), 2);
    EXPECT_EQ(vorbis.at("listeners").as_int64(), 1) << "audio info cannot override stats";
    EXPECT_FALSE(vorbis.contains("bad key"));
    EXPECT_FALSE(vorbis.contains("title"));
    EXPECT_FALSE(vorbis.contains("server_url"));
    EXPECT_FALSE(vorbis.contains("bitrate"));

    // Filter: one mount is an object; a hidden or unknown mount gives no source.
    const auto only_b = parse(status_json(s, "/b"));
    EXPECT_TRUE(only_b.at("icestats").at("source").is_object());
    EXPECT_FALSE(parse(status_json(s, "/hidden")).at("icestats").as_object().contains("source"));
    EXPECT_FALSE(parse(status_json(s, "/nope")).at("icestats").as_object().contains("source"));
}

TEST(StatusJson, TitlesAreAlwaysValidJsonStrings) {
    for (const std::string& title : {"-"s, "1e5"s, "true"s, "12"s, "say \"hi\"\nnext\\line"s,
                                     "tab\tcontrol\x01"s, "caf\xe9 raw latin1"s, "</script>"s}) {
        core::MountSnapshot m = live_mount();
        m.title = title;
        const auto root = parse(status_json(server({m})));
        const auto& value = root.at("icestats").at("source").at("title");
        ASSERT_TRUE(value.is_string()) << title;
        EXPECT_EQ(std::string(value.as_string()), repair_utf8(title));
    }
}

TEST(AdminStatsXml, MatchesIcecastExample) {
    // docs/icecast-protocol.md §4.2, observed from Icecast 2.4.4.
    const std::string expected =
        "<?xml version=\"1.0\"?>\n"
        "<icestats><admin>icemaster@localhost</admin><client_connections>81</client_connections>"
        "<clients>2</clients><connections>81</connections><file_connections>0</file_connections>"
        "<host>127.0.0.1</host><listener_connections>30</listener_connections>"
        "<listeners>1</listeners><location>Earth</location><server_id>Icecast 2.4.4</server_id>"
        "<server_start>Mon, 23 Nov 2026 23:32:37 +0000</server_start>"
        "<server_start_iso8601>2026-11-23T23:32:37+0000</server_start_iso8601>"
        "<source_client_connections>37</source_client_connections>"
        "<source_relay_connections>0</source_relay_connections>"
        "<source_total_connections>37</source_total_connections><sources>1</sources>"
        "<stats>0</stats><stats_connections>0</stats_connections>"
        "<source mount=\"/live\"><genre>Test</genre><listener_peak>1</listener_peak>"
        "<listeners>1</listeners><listenurl>http://127.0.0.1:8000/live</listenurl>"
        "<max_listeners>unlimited</max_listeners><public>0</public>"
        "<server_description>Unspecified description</server_description>"
        "<server_name>Test Tone</server_name><server_type>audio/mpeg</server_type>"
        "<slow_listeners>0</slow_listeners><source_ip>127.0.0.1</source_ip>"
        "<stream_start>Mon, 23 Nov 2026 23:42:48 +0000</stream_start>"
        "<stream_start_iso8601>2026-11-23T23:42:48+0000</stream_start_iso8601>"
        "<total_bytes_read>634925</total_bytes_read><total_bytes_sent>79024</total_bytes_sent>"
        "<user_agent>Lavf/59.27.100</user_agent></source></icestats>\n";
    const std::string xml = admin_stats_xml(server({live_mount()}));
    EXPECT_EQ(xml, expected);
    expect_well_formed(xml);
}

TEST(AdminStatsXml, IncludesHiddenMountsAndEscapes) {
    core::MountSnapshot a = live_mount();
    a.mount = "/a&b";
    a.title = "<Tom> & \"Jerry's\"";
    a.max_listeners = 50;
    a.is_public = true;
    a.bitrate = 96;
    core::MountSnapshot hidden = live_mount();
    hidden.mount = "/hidden";
    hidden.hidden = true;
    const auto s = server({a, hidden});
    const std::string xml = admin_stats_xml(s);
    expect_well_formed(xml);
    EXPECT_NE(xml.find("<source mount=\"/a&amp;b\">"), std::string::npos);
    EXPECT_NE(xml.find("<title>&lt;Tom&gt; &amp; &quot;Jerry&apos;s&quot;</title>"),
              std::string::npos);
    EXPECT_NE(xml.find("<max_listeners>50</max_listeners><public>1</public>"), std::string::npos);
    EXPECT_NE(xml.find("<bitrate>96</bitrate>"), std::string::npos);
    EXPECT_NE(xml.find("<source mount=\"/hidden\">"), std::string::npos);

    const std::string filtered = admin_stats_xml(s, "/hidden");
    expect_well_formed(filtered);
    EXPECT_EQ(filtered.find("/a&amp;b"), std::string::npos);
    EXPECT_NE(filtered.find("<source mount=\"/hidden\">"), std::string::npos);
}

TEST(AdminXml, ListMounts) {
    core::MountSnapshot b = live_mount();
    b.mount = "/b";
    b.fallback = "/live";
    b.listeners = 3;
    b.content_type = "application/ogg";
    core::MountSnapshot idle = live_mount();
    idle.mount = "/idle";
    idle.has_source = false;
    const std::string xml = listmounts_xml(server({live_mount(), b, idle}), stream_start + 41);
    EXPECT_EQ(xml, "<?xml version=\"1.0\"?>\n<icestats>"
                   "<source mount=\"/b\"><fallback>/live</fallback><listeners>3</listeners>"
                   "<Connected>41</Connected><content-type>application/ogg</content-type></source>"
                   "<source mount=\"/live\"><fallback></fallback><listeners>1</listeners>"
                   "<Connected>41</Connected><content-type>audio/mpeg</content-type></source>"
                   "</icestats>\n");
    expect_well_formed(xml);
    EXPECT_NE(listmounts_xml(server({live_mount()}), 0).find("<Connected>0</Connected>"),
              std::string::npos);
}

TEST(AdminXml, ListClients) {
    std::vector<core::ListenerSnapshot> listeners(2);
    listeners[0] = {146, "127.0.0.1", "TestPlayer/1.0", 1, "/live"};
    listeners[1] = {147, "::1", "", 30, "/live"};
    const std::string xml = listclients_xml("/live", listeners);
    EXPECT_EQ(xml,
              "<?xml version=\"1.0\"?>\n<icestats><source mount=\"/live\"><Listeners>2</Listeners>"
              "<listener><IP>127.0.0.1</IP><UserAgent>TestPlayer/1.0</UserAgent>"
              "<Connected>1</Connected><ID>146</ID></listener>"
              "<listener><IP>::1</IP><UserAgent>Unknown</UserAgent>"
              "<Connected>30</Connected><ID>147</ID></listener></source></icestats>\n");
    expect_well_formed(xml);
    expect_well_formed(listclients_xml("/<x>", {{1, "ip", "Agent <\"&'>", 0, "/<x>"}}));
    EXPECT_EQ(listclients_xml("/e", {}),
              "<?xml version=\"1.0\"?>\n<icestats><source mount=\"/e\"><Listeners>0</Listeners>"
              "</source></icestats>\n");
}

TEST(AdminXml, IceResponse) {
    EXPECT_EQ(iceresponse_xml("Metadata update successful", true),
              "<?xml version=\"1.0\"?>\n<iceresponse><message>Metadata update successful"
              "</message><return>1</return></iceresponse>\n");
    EXPECT_EQ(iceresponse_xml("No such action", false),
              "<?xml version=\"1.0\"?>\n<iceresponse><message>No such action</message>"
              "<return>0</return></iceresponse>\n");
    expect_well_formed(iceresponse_xml("a < b & \"c\"", false));
}

TEST(AdminXml, MoveClientsList) {
    core::MountSnapshot b = live_mount();
    b.mount = "/b";
    b.listeners = 4;
    const auto s = server({live_mount(), b});
    EXPECT_EQ(moveclients_list_xml("/live", s),
              "<?xml version=\"1.0\"?>\n<icestats><current_source>/live</current_source>"
              "<source mount=\"/b\"><fallback></fallback><listeners>4</listeners>"
              "<content-type>audio/mpeg</content-type></source></icestats>\n");
    const std::string with_time = moveclients_list_xml("/b", s, stream_start + 5);
    EXPECT_NE(with_time.find("<source mount=\"/live\"><fallback></fallback><listeners>1"
                             "</listeners><Connected>5</Connected>"),
              std::string::npos);
    expect_well_formed(with_time);
}

TEST(XmlChecker, RejectsBrokenDocuments) {
    EXPECT_FALSE(well_formed("<a><b></a></b>"));
    EXPECT_FALSE(well_formed("<a>x & y</a>"));
    EXPECT_FALSE(well_formed("<a x=\"<\"></a>"));
    EXPECT_FALSE(well_formed("<a></a><b></b>"));
    EXPECT_TRUE(well_formed("<?xml version=\"1.0\"?>\n<a x=\"1\"><b/>t &amp; u</a>\n"));
}

} // namespace
} // namespace tinyice::protocol::icecast
