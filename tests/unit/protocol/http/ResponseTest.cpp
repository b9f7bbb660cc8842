#include "protocol/http/Response.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

using namespace std::chrono_literals;
using tinyice::protocol::http::http_date;
using tinyice::protocol::http::reason_phrase;
using tinyice::protocol::http::ResponseBuilder;

namespace {

TEST(HttpDate, ImfFixdate) {
    // RFC 9110's example date.
    const auto t = std::chrono::system_clock::time_point(784111777s);
    EXPECT_EQ(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(http_date(std::chrono::system_clock::time_point{}), "Thu, 01 Jan 1970 00:00:00 GMT");
    // Sub-second parts are dropped, not rounded.
    EXPECT_EQ(http_date(t + 999ms), "Sun, 06 Nov 1994 08:49:37 GMT");
    // 2026-11-23 23:42:51 UTC.
    EXPECT_EQ(http_date(std::chrono::system_clock::time_point(1795477371s)),
              "Mon, 23 Nov 2026 23:42:51 GMT");
}

TEST(ReasonPhrase, IcecastWording) {
    EXPECT_EQ(reason_phrase(100), "Continue");
    EXPECT_EQ(reason_phrase(200), "OK");
    EXPECT_EQ(reason_phrase(204), "No Content");
    EXPECT_EQ(reason_phrase(400), "Bad Request");
    EXPECT_EQ(reason_phrase(401), "Authentication Required");
    EXPECT_EQ(reason_phrase(403), "Forbidden");
    EXPECT_EQ(reason_phrase(404), "File Not Found");
    EXPECT_EQ(reason_phrase(405), "Method Not Allowed");
    EXPECT_EQ(reason_phrase(408), "Request Timeout");
    EXPECT_EQ(reason_phrase(413), "Content Too Large");
    EXPECT_EQ(reason_phrase(429), "Too Many Requests");
    EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
    EXPECT_EQ(reason_phrase(500), "Internal Server Error");
    EXPECT_EQ(reason_phrase(503), "Service Unavailable");
    EXPECT_EQ(reason_phrase(299), "Unknown");
}

TEST(ResponseBuilder, SourceOkIsExactlyTheIcecastBytes) {
    // liquidsoap and darkice wait for exactly this (docs/icecast-protocol.md §1.1).
    EXPECT_EQ(ResponseBuilder(200).finish(), "HTTP/1.0 200 OK\r\n\r\n");
}

TEST(ResponseBuilder, ContinueWithContentLengthZero) {
    EXPECT_EQ(ResponseBuilder(100, "HTTP/1.1").content_length(0).finish(),
              "HTTP/1.1 100 Continue\r\nContent-Length: 0\r\n\r\n");
}

TEST(ResponseBuilder, HeadersAndBody) {
    const auto out = ResponseBuilder(401)
                         .header("WWW-Authenticate", "Basic realm=\"Icecast2 Server\"")
                         .header("Content-Type", "text/html; charset=utf-8")
                         .finish("<html>401</html>");
    EXPECT_EQ(out, "HTTP/1.0 401 Authentication Required\r\n"
                   "WWW-Authenticate: Basic realm=\"Icecast2 Server\"\r\n"
                   "Content-Type: text/html; charset=utf-8\r\n"
                   "Content-Length: 16\r\n"
                   "\r\n"
                   "<html>401</html>");
}

TEST(ResponseBuilder, BodySizeWinsOverDeclaredLength) {
    EXPECT_EQ(ResponseBuilder(200).content_length(99).finish("abc"),
              "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc");
}

TEST(ResponseBuilder, HeaderInjectionStripped) {
    const auto out = ResponseBuilder(200)
                         .header("icy-name", "Evil\r\nSet-Cookie: x=1\r\n\r\n<script>")
                         .header("X-Bad\r\nInjected", "v")
                         .header("X-Nul", std::string("a\0b\x1b\tc", 6))
                         .header("\r\n", "dropped")
                         .finish();
    EXPECT_EQ(out, "HTTP/1.0 200 OK\r\n"
                   "icy-name: EvilSet-Cookie: x=1<script>\r\n"
                   "X-BadInjected: v\r\n"
                   "X-Nul: ab\tc\r\n"
                   "\r\n");
}

TEST(ResponseBuilder, VersionSanitised) {
    EXPECT_EQ(ResponseBuilder(404, "HTTP/1.1\r\n").finish(), "HTTP/1.1 404 File Not Found\r\n\r\n");
}

TEST(ResponseBuilder, UnknownStatus) {
    EXPECT_EQ(ResponseBuilder(299).finish(), "HTTP/1.0 299 Unknown\r\n\r\n");
}

} // namespace
