#include "protocol/http/RequestHead.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

using namespace std::string_literals;
using tinyice::protocol::http::HeadError;
using tinyice::protocol::http::RequestHead;
using tinyice::protocol::http::RequestHeadParser;
using Status = RequestHeadParser::Status;

namespace {

struct Outcome {
    Status status = Status::need_more;
    HeadError error = HeadError::none;
    std::string rest; // bytes of the input the parser did not take
};

// Feeds `wire` in pieces of `piece` bytes, as a socket would deliver it.
Outcome run(RequestHeadParser& parser, std::string_view wire, std::size_t piece) {
    Outcome out;
    std::size_t offset = 0;
    while (offset < wire.size()) {
        const std::size_t n = std::min(piece, wire.size() - offset);
        std::size_t consumed = 12345;
        out.status = parser.feed({wire.data() + offset, n}, consumed);
        EXPECT_LE(consumed, n);
        if (out.status != Status::need_more) {
            out.error = parser.error();
            out.rest = std::string(wire.substr(offset + consumed));
            return out;
        }
        EXPECT_EQ(consumed, n);
        offset += n;
    }
    return out;
}

// One feed of a whole string (a string literal passed as a span would include its NUL).
Status feed_all(RequestHeadParser& parser, std::string_view wire, std::size_t& consumed) {
    return parser.feed(std::span<const char>(wire.data(), wire.size()), consumed);
}

Outcome run(std::string_view wire, std::size_t piece = SIZE_MAX, std::size_t cap = 8192) {
    RequestHeadParser parser(cap);
    return run(parser, wire, piece);
}

std::string header_or(const RequestHead& head, std::string_view name) {
    return std::string(head.header(name).value_or("<none>"));
}

// ---------------------------------------------------------------------------------------------
// Real clients, verbatim from docs/icecast-protocol.md §1.2 and §2.1.

struct ClientCase {
    const char* name;
    std::string wire;
    std::string method, path, query, protocol;
    int major, minor;
    std::size_t header_count;
    std::vector<std::pair<std::string, std::string>> expect_headers;
};

std::vector<ClientCase> client_cases() {
    return {
        {"ffmpeg_put",
         "PUT /live HTTP/1.1\r\n"
         "User-Agent: Lavf/59.27.100\r\n"
         "Accept: */*\r\n"
         "Expect: 100-continue\r\n"
         "Connection: close\r\n"
         "Host: 127.0.0.1:8000\r\n"
         "Content-Type: audio/mpeg\r\n"
         "Icy-MetaData: 1\r\n"
         "Ice-Name: Test Tone\r\n"
         "Ice-Description: 440 Hz sine\r\n"
         "Ice-URL: http://example.org\r\n"
         "Ice-Genre: Test\r\n"
         "Ice-Public: 0\r\n"
         "Authorization: Basic c291cmNlOmhhY2ttZQ==\r\n"
         "\r\n",
         "PUT",
         "/live",
         "",
         "HTTP",
         1,
         1,
         13,
         {{"content-type", "audio/mpeg"},
          {"ICE-NAME", "Test Tone"},
          {"authorization", "Basic c291cmNlOmhhY2ttZQ=="}}},
        {"ffmpeg_legacy_source",
         "SOURCE /m HTTP/1.1\r\n"
         "User-Agent: Lavf/59.27.100\r\n"
         "Accept: */*\r\n"
         "Connection: close\r\n"
         "Host: 127.0.0.1:8000\r\n"
         "Content-Type: audio/ogg\r\n"
         "Icy-MetaData: 1\r\n"
         "Authorization: Basic c291cmNlOmhhY2ttZQ==\r\n"
         "\r\n",
         "SOURCE",
         "/m",
         "",
         "HTTP",
         1,
         1,
         7,
         {{"Content-Type", "audio/ogg"}}},
        {"liquidsoap_source_no_host",
         "SOURCE /ls-mp3 HTTP/1.0\r\n"
         "ice-url: http://example.org\r\n"
         "ice-name: LS Tone\r\n"
         "Authorization: Basic c291cmNlOmhhY2ttZQ==\r\n"
         "ice-description: liquidsoap sine\r\n"
         "ice-public: 0\r\n"
         "User-Agent: Liquidsoap/2.1.3 (Unix; OCaml 4.13.1)\r\n"
         "ice-genre: Test\r\n"
         "ice-audio-info: channels=2;samplerate=44100;bitrate=128\r\n"
         "Content-Type: audio/mpeg\r\n"
         "\r\n",
         "SOURCE",
         "/ls-mp3",
         "",
         "HTTP",
         1,
         0,
         9,
         {{"Host", "<none>"},
          {"ice-audio-info", "channels=2;samplerate=44100;bitrate=128"},
          {"user-agent", "Liquidsoap/2.1.3 (Unix; OCaml 4.13.1)"}}},
        {"liquidsoap_opus_empty_value",
         "SOURCE /ls-opus HTTP/1.0\r\n"
         "ice-name: LS Tone\r\n"
         "Authorization: Basic c291cmNlOmhhY2ttZQ==\r\n"
         "ice-audio-info: \r\n"
         "Content-Type: application/ogg\r\n"
         "\r\n",
         "SOURCE",
         "/ls-opus",
         "",
         "HTTP",
         1,
         0,
         4,
         {{"ice-audio-info", ""}}},
        {"libshout_challenge",
         "SOURCE /ez-mp3 HTTP/1.0\r\n"
         "Host: 127.0.0.1:8000\r\n"
         "User-Agent: libshout/2.4.6\r\n"
         "Content-Type: audio/mpeg\r\n"
         "Content-Length: 0\r\n"
         "Connection: Keep-Alive\r\n"
         "ice-public: 0\r\n"
         "ice-name: EZ mp3\r\n"
         "ice-url: http://example.org\r\n"
         "ice-genre: Test\r\n"
         "ice-description: ezstream mp3 test\r\n"
         "ice-audio-info: bitrate=128;samplerate=44100;channels=2\r\n"
         "Prefer: return=minimal\r\n"
         "\r\n",
         "SOURCE",
         "/ez-mp3",
         "",
         "HTTP",
         1,
         0,
         12,
         {{"Authorization", "<none>"}, {"content-length", "0"}, {"prefer", "return=minimal"}}},
        {"libshout_authenticated",
         "SOURCE /ez-mp3 HTTP/1.0\r\n"
         "Authorization: Basic c291cmNlOmhhY2ttZQ==\r\n"
         "Host: 127.0.0.1:8000\r\n"
         "User-Agent: libshout/2.4.6\r\n"
         "Content-Type: audio/mpeg\r\n"
         "ice-public: 0\r\n"
         "ice-name: EZ mp3\r\n"
         "ice-url: http://example.org\r\n"
         "ice-genre: Test\r\n"
         "ice-description: ezstream mp3 test\r\n"
         "ice-audio-info: bitrate=128;samplerate=44100;channels=2\r\n"
         "Prefer: return=minimal\r\n"
         "\r\n",
         "SOURCE",
         "/ez-mp3",
         "",
         "HTTP",
         1,
         0,
         11,
         {{"Authorization", "Basic c291cmNlOmhhY2ttZQ=="}}},
        {"libshout_options_star",
         "OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: libshout/2.4.6\r\n"
         "Connection: Upgrade\r\nUpgrade: TLS/1.0, HTTP/1.1\r\n\r\n",
         "OPTIONS",
         "*",
         "",
         "HTTP",
         1,
         1,
         4,
         {{"upgrade", "TLS/1.0, HTTP/1.1"}}},
        {"libshout_poke",
         "GET /admin/!POKE HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: libshout/2.4.6\r\n\r\n",
         "GET",
         "/admin/!POKE",
         "",
         "HTTP",
         1,
         1,
         2,
         {}},
        {"darkice_bare_lf",
         "SOURCE /dk-mp3 HTTP/1.0\n"
         "Content-type: audio/mpeg\n"
         "Authorization: Basic c291cmNlOmhhY2ttZQ==\n"
         "User-Agent: DarkIce/1.3 (http://code.google.com/p/darkice/)\n"
         "ice-bitrate: 128\n"
         "ice-public: 0\n"
         "ice-name: DarkIce MP3\n"
         "ice-description: darkice test\n"
         "ice-url: http://example.org\n"
         "ice-genre: Test\r\n"
         "\r\n",
         "SOURCE",
         "/dk-mp3",
         "",
         "HTTP",
         1,
         0,
         9,
         {{"content-type", "audio/mpeg"}, {"ice-genre", "Test"}, {"ice-bitrate", "128"}}},
        {"butt_metadata",
         "GET /admin/metadata?mode=updinfo&mount=/m&charset=UTF-8&song=A%20-%20B HTTP/1.0\r\n"
         "User-Agent: butt 0.1.37\r\nAuthorization: Basic c291cmNlOmhhY2ttZQ==\r\n"
         "Host: 127.0.0.1:8000\r\n\r\n",
         "GET",
         "/admin/metadata",
         "mode=updinfo&mount=/m&charset=UTF-8&song=A%20-%20B",
         "HTTP",
         1,
         0,
         3,
         {}},
        {"libshout_admin_cgi",
         "GET /admin.cgi?mode=updinfo&pass=hackme&song=libshout%20Artist%20%2d%20libshout%20Song "
         "HTTP/1.1\r\n"
         "Host: 127.0.0.1:8010\r\n"
         "User-Agent: libshout/2.4.6 (Mozilla compatible)\r\n"
         "\r\n",
         "GET",
         "/admin.cgi",
         "mode=updinfo&pass=hackme&song=libshout%20Artist%20%2d%20libshout%20Song",
         "HTTP",
         1,
         1,
         2,
         {}},
        {"curl",
         "GET /live HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: curl/7.88.1\r\nAccept: "
         "*/*\r\nIcy-MetaData: 1\r\n\r\n",
         "GET",
         "/live",
         "",
         "HTTP",
         1,
         1,
         4,
         {{"icy-metadata", "1"}}},
        {"ffprobe",
         "GET /live HTTP/1.1\r\nUser-Agent: Lavf/59.27.100\r\nAccept: */*\r\nRange: "
         "bytes=0-\r\nConnection: close\r\nHost: 127.0.0.1:8000\r\nIcy-MetaData: 1\r\n\r\n",
         "GET",
         "/live",
         "",
         "HTTP",
         1,
         1,
         6,
         {{"range", "bytes=0-"}}},
        {"mpv",
         "GET /live HTTP/1.1\r\nUser-Agent: libmpv\r\nAccept: */*\r\nRange: "
         "bytes=0-\r\nConnection: close\r\nHost: 127.0.0.1:8000\r\nIcy-MetaData: 1\r\n\r\n",
         "GET",
         "/live",
         "",
         "HTTP",
         1,
         1,
         6,
         {{"user-agent", "libmpv"}}},
        {"mplayer_http10",
         "GET /live HTTP/1.0\r\nHost: 127.0.0.1:8000\r\nUser-Agent: MPlayer "
         "UNKNOWN-12\r\nIcy-MetaData: 1\r\nConnection: close\r\n\r\n",
         "GET",
         "/live",
         "",
         "HTTP",
         1,
         0,
         4,
         {{"User-Agent", "MPlayer UNKNOWN-12"}}},
        {"icecast_relay",
         "GET /live HTTP/1.0\r\nUser-Agent: Icecast 2.4.4\r\nHost: 127.0.0.1\r\nIcy-MetaData: "
         "1\r\n\r\n",
         "GET",
         "/live",
         "",
         "HTTP",
         1,
         0,
         3,
         {{"host", "127.0.0.1"}}},
        {"bare_http10_no_host",
         "GET /live HTTP/1.0\r\n\r\n",
         "GET",
         "/live",
         "",
         "HTTP",
         1,
         0,
         0,
         {}},
        {"query_passed_to_auth",
         "GET /authed?foo=bar HTTP/1.0\r\n\r\n",
         "GET",
         "/authed",
         "foo=bar",
         "HTTP",
         1,
         0,
         0,
         {}},
        {"ice_protocol",
         "SOURCE /ice ICE/1.0\r\nContent-Type: audio/mpeg\r\n\r\n",
         "SOURCE",
         "/ice",
         "",
         "ICE",
         1,
         0,
         1,
         {}},
        {"nsv_crcrlf",
         "SOURCE /nsv HTTP/1.0\r\r\nContent-Type: video/nsv\r\r\n\r\r\n",
         "SOURCE",
         "/nsv",
         "",
         "HTTP",
         1,
         0,
         1,
         {{"content-type", "video/nsv"}}},
    };
}

class ClientRequests : public ::testing::TestWithParam<std::size_t> {};

TEST_P(ClientRequests, ParsesEveryClientInEveryFragmentation) {
    const std::size_t piece = GetParam();
    const std::string audio = "\xFF\xFB\x90\x64 start of the stream\r\n\r\n"s;
    for (const auto& c : client_cases()) {
        SCOPED_TRACE(c.name);
        RequestHeadParser parser;
        const auto out = run(parser, c.wire + audio, piece);
        ASSERT_EQ(out.status, Status::done) << tinyice::protocol::http::to_string(out.error);
        EXPECT_EQ(out.rest, audio); // stream data after the head is not lost
        EXPECT_EQ(parser.buffered(), c.wire.size());
        const auto& h = parser.head();
        EXPECT_EQ(h.method, c.method);
        EXPECT_EQ(h.path, c.path);
        EXPECT_EQ(h.query, c.query);
        EXPECT_EQ(h.protocol, c.protocol);
        EXPECT_EQ(h.version_major, c.major);
        EXPECT_EQ(h.version_minor, c.minor);
        EXPECT_EQ(h.headers.size(), c.header_count);
        for (const auto& [name, value] : c.expect_headers) {
            EXPECT_EQ(header_or(h, name), value) << name;
        }
    }
}

// 1 = darkice's byte-at-a-time writes; SIZE_MAX = everything in one segment.
INSTANTIATE_TEST_SUITE_P(Pieces, ClientRequests,
                         ::testing::Values(std::size_t{1}, std::size_t{2}, std::size_t{3},
                                           std::size_t{7}, std::size_t{64}, SIZE_MAX));

TEST(RequestHeadParser, TargetKeepsRawFormAndSplitsQuery) {
    RequestHeadParser parser;
    std::size_t consumed = 0;
    ASSERT_EQ(feed_all(parser, "GET /a%20b?x=1&y=%2F?z HTTP/1.1\r\n\r\n", consumed), Status::done);
    EXPECT_EQ(parser.head().target, "/a%20b?x=1&y=%2F?z");
    EXPECT_EQ(parser.head().path, "/a%20b");
    EXPECT_EQ(parser.head().query, "x=1&y=%2F?z");

    parser.reset();
    ASSERT_EQ(feed_all(parser, "GET /live? HTTP/1.0\r\n\r\n", consumed), Status::done);
    EXPECT_EQ(parser.head().path, "/live");
    EXPECT_EQ(parser.head().query, "");
}

TEST(RequestHeadParser, AbsoluteFormTakesThePath) {
    struct Case {
        std::string_view line, target, path, query;
    };
    for (const auto& c : {
             Case{"GET http://example.org:8000/live?a=b HTTP/1.1",
                  "http://example.org:8000/live?a=b", "/live", "a=b"},
             Case{"GET HTTPS://example.org/x/y HTTP/1.1", "HTTPS://example.org/x/y", "/x/y", ""},
             Case{"GET http://example.org HTTP/1.1", "http://example.org", "/", ""},
             Case{"GET http://example.org?q HTTP/1.1", "http://example.org?q", "/", "q"},
         }) {
        SCOPED_TRACE(c.line);
        RequestHeadParser parser;
        std::size_t consumed = 0;
        ASSERT_EQ(feed_all(parser, std::string(c.line) + "\r\n\r\n", consumed), Status::done);
        EXPECT_EQ(parser.head().target, c.target);
        EXPECT_EQ(parser.head().path, c.path);
        EXPECT_EQ(parser.head().query, c.query);
    }
}

TEST(RequestHeadParser, LeadingEmptyLinesAreSkipped) {
    RequestHeadParser parser;
    std::size_t consumed = 0;
    const std::string_view wire = "\r\n\nGET /live HTTP/1.0\r\n\r\nDATA";
    ASSERT_EQ(feed_all(parser, wire, consumed), Status::done);
    EXPECT_EQ(consumed, wire.size() - 4);
    EXPECT_EQ(parser.head().method, "GET");
}

TEST(RequestHeadParser, RunsOfSpacesInRequestLineTolerated) {
    RequestHeadParser parser;
    std::size_t consumed = 0;
    ASSERT_EQ(feed_all(parser, "GET   /live  HTTP/1.0\r\n\r\n", consumed), Status::done);
    EXPECT_EQ(parser.head().method, "GET");
    EXPECT_EQ(parser.head().target, "/live");
    EXPECT_EQ(parser.head().protocol, "HTTP");
}

TEST(RequestHeadParser, HeaderValuesTrimmedNamesKeptAsSent) {
    RequestHeadParser parser;
    std::size_t consumed = 0;
    ASSERT_EQ(feed_all(parser, "GET / HTTP/1.1\r\nX-A:\t v a l \t\r\nx-b:1\r\nX-Empty:\r\n\r\n",
                       consumed),
              Status::done);
    const auto& h = parser.head();
    ASSERT_EQ(h.headers.size(), 3U);
    EXPECT_EQ(h.headers[0].name, "X-A");
    EXPECT_EQ(h.headers[0].value, "v a l");
    EXPECT_EQ(h.headers[1].value, "1");
    EXPECT_EQ(h.headers[2].value, "");
    EXPECT_EQ(h.header("x-a"), "v a l");
    EXPECT_EQ(h.header("X-Missing"), std::nullopt);
}

TEST(RequestHeadParser, HeaderReturnsFirstOfDuplicates) {
    RequestHeadParser parser;
    std::size_t consumed = 0;
    ASSERT_EQ(
        feed_all(parser, "GET / HTTP/1.1\r\nIce-Name: one\r\nice-name: two\r\n\r\n", consumed),
        Status::done);
    EXPECT_EQ(parser.head().header("ICE-NAME"), "one");
}

TEST(RequestHeadParser, HasToken) {
    RequestHeadParser parser;
    std::size_t consumed = 0;
    ASSERT_EQ(feed_all(parser,
                       "PUT /live HTTP/1.1\r\n"
                       "Connection: keep-alive, Upgrade\r\n"
                       "connection: CLOSE\r\n"
                       "Expect: 100-Continue\r\n"
                       "Upgrade: TLS/1.0, HTTP/1.1\r\n"
                       "Accept-Encoding: gzip;q=1.0 , identity\r\n"
                       "X-List: closed,xclose\r\n"
                       "\r\n",
                       consumed),
              Status::done);
    const auto& h = parser.head();
    EXPECT_TRUE(h.has_token("Connection", "close")); // from the second Connection header
    EXPECT_TRUE(h.has_token("connection", "upgrade"));
    EXPECT_TRUE(h.has_token("Connection", "Keep-Alive"));
    EXPECT_TRUE(h.has_token("Expect", "100-continue"));
    EXPECT_TRUE(h.has_token("Upgrade", "TLS/1.0"));
    EXPECT_TRUE(h.has_token("Accept-Encoding", "gzip"));
    EXPECT_TRUE(h.has_token("Accept-Encoding", "identity"));
    EXPECT_FALSE(h.has_token("X-List", "close")); // whole elements only
    EXPECT_FALSE(h.has_token("Missing", "close"));
    EXPECT_FALSE(h.has_token("Expect", "100"));
}

// ---------------------------------------------------------------------------------------------
// Terminators and line endings.

TEST(RequestHeadParser, EveryTerminatorEndsTheHead) {
    for (std::string_view term : {"\r\n\r\n", "\n\n", "\r\n\n", "\n\r\n", "\r\r\n\r\r\n"}) {
        SCOPED_TRACE(::testing::PrintToString(std::string(term)));
        const std::string head = "SOURCE /m HTTP/1.0\r\nice-name: x" + std::string(term);
        for (std::size_t piece : {std::size_t{1}, SIZE_MAX}) {
            const auto out = run(head + "\r\n\nBODY", piece);
            ASSERT_EQ(out.status, Status::done);
            EXPECT_EQ(out.rest, "\r\n\nBODY");
        }
    }
}

TEST(RequestHeadParser, BodyBytesThatLookLikeHeadersStayBody) {
    RequestHeadParser parser;
    std::size_t consumed = 0;
    const std::string_view wire = "SOURCE /m HTTP/1.0\n\nGET / HTTP/1.1\r\n\r\n";
    ASSERT_EQ(feed_all(parser, wire, consumed), Status::done);
    EXPECT_EQ(consumed, 20U);
    EXPECT_EQ(parser.buffered(), 20U);
    EXPECT_TRUE(parser.head().headers.empty());
}

TEST(RequestHeadParser, FeedAfterDoneConsumesNothing) {
    RequestHeadParser parser;
    std::size_t consumed = 0;
    ASSERT_EQ(feed_all(parser, "GET / HTTP/1.0\r\n\r\n", consumed), Status::done);
    EXPECT_EQ(feed_all(parser, "more", consumed), Status::done);
    EXPECT_EQ(consumed, 0U);
    EXPECT_EQ(feed_all(parser, "", consumed), Status::done);
}

TEST(RequestHeadParser, EmptyFeedNeedsMore) {
    RequestHeadParser parser;
    std::size_t consumed = 7;
    EXPECT_EQ(feed_all(parser, "", consumed), Status::need_more);
    EXPECT_EQ(consumed, 0U);
}

TEST(RequestHeadParser, ResetAllowsKeepAliveReuse) {
    RequestHeadParser parser;
    const std::string two = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b?q HTTP/1.1\r\n\r\n";
    std::size_t consumed = 0;
    ASSERT_EQ(feed_all(parser, two, consumed), Status::done);
    EXPECT_EQ(parser.head().path, "/a");
    parser.reset();
    EXPECT_EQ(parser.buffered(), 0U);
    EXPECT_EQ(parser.error(), HeadError::none);
    ASSERT_EQ(feed_all(parser, std::string_view(two).substr(consumed), consumed), Status::done);
    EXPECT_EQ(parser.head().path, "/b");
    EXPECT_EQ(parser.head().query, "q");
    EXPECT_TRUE(parser.head().headers.empty());
}

TEST(RequestHeadParser, MovedParserKeepsValidViews) {
    RequestHeadParser parser;
    std::size_t consumed = 0;
    ASSERT_EQ(feed_all(parser, "GET /moved HTTP/1.0\r\nIce-Name: n\r\n\r\n", consumed),
              Status::done);
    RequestHeadParser other = std::move(parser);
    EXPECT_EQ(other.head().path, "/moved");
    EXPECT_EQ(other.head().header("ice-name"), "n");
}

// ---------------------------------------------------------------------------------------------
// Size cap.

TEST(RequestHeadParser, HeadExactlyAtCapIsAccepted) {
    const std::string head = "GET /live HTTP/1.0\r\nX: " + std::string(40, 'a') + "\r\n\r\n";
    for (std::size_t piece : {std::size_t{1}, std::size_t{5}, SIZE_MAX}) {
        const auto out = run(head + "BODY", piece, head.size());
        EXPECT_EQ(out.status, Status::done);
        EXPECT_EQ(out.rest, "BODY");
    }
}

TEST(RequestHeadParser, OneByteOverCapIsTooLarge) {
    const std::string head = "GET /live HTTP/1.0\r\nX: " + std::string(40, 'a') + "\r\n\r\n";
    for (std::size_t piece : {std::size_t{1}, std::size_t{5}, SIZE_MAX}) {
        RequestHeadParser parser(head.size() - 1);
        const auto out = run(parser, head + "BODY", piece);
        EXPECT_EQ(out.status, Status::error);
        EXPECT_EQ(out.error, HeadError::too_large);
        EXPECT_EQ(parser.buffered(), head.size() - 1);
    }
}

TEST(RequestHeadParser, TooLargeReportedAsSoonAsCapIsFull) {
    RequestHeadParser parser(16);
    std::size_t consumed = 0;
    EXPECT_EQ(feed_all(parser, "GET /0123456789", consumed), Status::need_more);
    EXPECT_EQ(feed_all(parser, "a", consumed), Status::error);
    EXPECT_EQ(consumed, 1U);
    EXPECT_EQ(parser.error(), HeadError::too_large);
}

TEST(RequestHeadParser, TooManyHeaders) {
    std::string wire = "GET / HTTP/1.1\r\n";
    for (std::size_t i = 0; i <= RequestHeadParser::max_headers; ++i) {
        wire += "X: 1\r\n";
    }
    wire += "\r\n";
    const auto out = run(wire, SIZE_MAX, 65536);
    EXPECT_EQ(out.status, Status::error);
    EXPECT_EQ(out.error, HeadError::too_large);
}

TEST(RequestHeadParser, ByteAtATimeIsLinear) {
    // Not a timing test: a quadratic rescan over a 64 KiB head fed byte by byte would take
    // ~2e9 steps and time out; the incremental scan takes 64 Ki steps.
    std::string wire = "GET / HTTP/1.1\r\n";
    while (wire.size() < 60000) {
        wire += "X-Padding: " + std::string(100, 'p') + "\r\n";
    }
    wire += "\r\n";
    RequestHeadParser parser(65536);
    std::size_t consumed = 0;
    Status st = Status::need_more;
    for (char c : wire) {
        st = parser.feed(std::span<const char>(&c, 1), consumed);
        if (st != Status::need_more) {
            break;
        }
    }
    EXPECT_EQ(st, Status::error); // > max_headers lines
    EXPECT_EQ(parser.error(), HeadError::too_large);
}

// ---------------------------------------------------------------------------------------------
// Rejections.

struct BadCase {
    const char* name;
    std::string wire;
    HeadError error;
};

class BadRequests : public ::testing::TestWithParam<std::size_t> {};

std::vector<BadCase> bad_cases() {
    return {
        {"obs_fold_space", "GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n", HeadError::bad_header},
        {"obs_fold_tab", "GET / HTTP/1.1\r\nX-A: a\r\n\tb\r\n\r\n", HeadError::bad_header},
        {"fold_first_line", "GET / HTTP/1.1\r\n X-A: a\r\n\r\n", HeadError::bad_header},
        {"space_before_colon", "GET / HTTP/1.1\r\nContent-Length : 5\r\n\r\n",
         HeadError::bad_header},
        {"tab_before_colon", "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", HeadError::bad_header},
        {"no_colon", "GET / HTTP/1.1\r\nJustText\r\n\r\n", HeadError::bad_header},
        {"empty_name", "GET / HTTP/1.1\r\n: value\r\n\r\n", HeadError::bad_header},
        {"bad_name_char", "GET / HTTP/1.1\r\nX(y): 1\r\n\r\n", HeadError::bad_header},
        {"nul_in_value", "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n"s, HeadError::bad_header},
        {"nul_in_request_line", "GET /a\0b HTTP/1.1\r\n\r\n"s, HeadError::bad_request_line},
        {"nul_first_byte", "\0GET / HTTP/1.1\r\n\r\n"s, HeadError::bad_request_line},
        {"escape_in_value", "GET / HTTP/1.1\r\nX: \x1b[31m\r\n\r\n", HeadError::bad_header},
        {"del_in_value", "GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n", HeadError::bad_header},
        {"tls_client_hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"s,
         HeadError::bad_request_line},
        {"lone_cr_in_value", "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", HeadError::bad_header},
        {"three_crs", "GET / HTTP/1.1\r\nX: a\r\r\r\n\r\n", HeadError::bad_header},
        {"lone_cr_request_line", "GET /\r HTTP/1.1\r\n\r\n", HeadError::bad_request_line},
        {"tab_in_request_line", "GET\t/ HTTP/1.1\r\n\r\n", HeadError::bad_request_line},
        {"http09", "GET /\r\n\r\n", HeadError::bad_version},
        {"http09_explicit", "GET / HTTP/0.9\r\n\r\n", HeadError::bad_version},
        {"http2", "GET / HTTP/2.0\r\n\r\n", HeadError::bad_version},
        {"http_lower", "GET / http/1.1\r\n\r\n", HeadError::bad_version},
        {"icy_protocol", "SOURCE /m ICY/1.0\r\n\r\n", HeadError::bad_version},
        {"ice_11", "SOURCE /m ICE/1.1\r\n\r\n", HeadError::bad_version},
        {"version_two_digits", "GET / HTTP/1.10\r\n\r\n", HeadError::bad_version},
        {"version_missing_minor", "GET / HTTP/1\r\n\r\n", HeadError::bad_version},
        {"no_slash", "GET / HTTP\r\n\r\n", HeadError::bad_version},
        {"method_only", "GET\r\n\r\n", HeadError::bad_request_line},
        {"leading_space", " GET / HTTP/1.1\r\n\r\n", HeadError::bad_request_line},
        {"trailing_space", "GET / HTTP/1.1 \r\n\r\n", HeadError::bad_request_line},
        {"method_bad_char", "GE(T / HTTP/1.1\r\n\r\n", HeadError::bad_method},
        {"method_too_long", std::string(33, 'G') + " / HTTP/1.1\r\n\r\n", HeadError::bad_method},
        {"space_in_target", "GET /a b HTTP/1.1\r\n\r\n", HeadError::bad_target},
        {"star_not_options", "GET * HTTP/1.1\r\n\r\n", HeadError::bad_target},
        {"relative_target", "GET live HTTP/1.1\r\n\r\n", HeadError::bad_target},
        {"authority_form", "CONNECT example.org:443 HTTP/1.1\r\n\r\n", HeadError::bad_target},
        {"ftp_absolute", "GET ftp://example.org/x HTTP/1.1\r\n\r\n", HeadError::bad_target},
        {"absolute_no_host", "GET http:/x HTTP/1.1\r\n\r\n", HeadError::bad_target},
        {"absolute_bad_port", "GET http://127.01:0..8000/live HTTP/1.1\r\n\r\n",
         HeadError::bad_target}, // found by fuzz_HttpHead
        {"content_length_not_digits", "PUT /m HTTP/1.1\r\nContent-Length: 5x\r\n\r\n",
         HeadError::bad_header},
        {"content_length_negative", "PUT /m HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
         HeadError::bad_header},
        {"content_length_list", "PUT /m HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n",
         HeadError::bad_header},
        {"content_length_conflict",
         "PUT /m HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
         HeadError::bad_header},
        {"content_length_and_chunked",
         "PUT /m HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
         HeadError::bad_header},
        {"two_hosts", "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", HeadError::bad_header},
    };
}

TEST_P(BadRequests, Rejected) {
    for (const auto& c : bad_cases()) {
        SCOPED_TRACE(c.name);
        const auto out = run(c.wire, GetParam());
        EXPECT_EQ(out.status, Status::error);
        EXPECT_EQ(tinyice::protocol::http::to_string(out.error),
                  tinyice::protocol::http::to_string(c.error));
    }
}

INSTANTIATE_TEST_SUITE_P(Pieces, BadRequests,
                         ::testing::Values(std::size_t{1}, std::size_t{4}, SIZE_MAX));

TEST(RequestHeadParser, ErrorIsSticky) {
    RequestHeadParser parser;
    std::size_t consumed = 0;
    ASSERT_EQ(feed_all(parser, "GET / HTTP/2.0\r\n\r\n", consumed), Status::error);
    EXPECT_EQ(feed_all(parser, "GET / HTTP/1.0\r\n\r\n", consumed), Status::error);
    EXPECT_EQ(consumed, 0U);
    EXPECT_EQ(parser.error(), HeadError::bad_version);
}

TEST(RequestHeadParser, ControlCharRejectedWithoutWaitingForTerminator) {
    RequestHeadParser parser;
    std::size_t consumed = 0;
    EXPECT_EQ(feed_all(parser, "GET / HTTP/1.1\r\nX: \x01", consumed), Status::error);
    EXPECT_EQ(parser.error(), HeadError::bad_header);
}

TEST(RequestHeadParser, MinorVersionsAndHighBytes) {
    RequestHeadParser parser;
    std::size_t consumed = 0;
    ASSERT_EQ(feed_all(parser, "GET /live HTTP/1.9\r\n\r\n", consumed), Status::done);
    EXPECT_EQ(parser.head().version_minor, 9);

    // Raw UTF-8 in the target and in header values (old encoders, ice-name).
    parser.reset();
    ASSERT_EQ(feed_all(parser,
                       "GET /admin/metadata?song=K\xc3\xa4se|x HTTP/1.0\r\n"
                       "ice-name: Caf\xc3\xa9 Radio\r\n\r\n",
                       consumed),
              Status::done);
    EXPECT_EQ(parser.head().query, "song=K\xc3\xa4se|x");
    EXPECT_EQ(parser.head().header("ice-name"), "Caf\xc3\xa9 Radio");

    // Identical duplicate Content-Length is harmless.
    parser.reset();
    ASSERT_EQ(feed_all(parser, "PUT /m HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
                       consumed),
              Status::done);
}

TEST(HeadError, ToString) {
    using tinyice::protocol::http::to_string;
    EXPECT_EQ(to_string(HeadError::none), "none");
    EXPECT_EQ(to_string(HeadError::too_large), "too_large");
    EXPECT_EQ(to_string(HeadError::bad_target), "bad_target");
}

} // namespace
