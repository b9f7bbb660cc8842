#pragma once
// Building response heads as plain bytes: the server writes these straight to the socket
// (Icecast clients expect exactly "HTTP/1.0 200 OK\r\n\r\n" for sources, so there is no
// message object adding headers behind our back).

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tinyice::protocol::http {

// IMF-fixdate (RFC 9110 §5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::chrono::system_clock::time_point when);

// Reason phrase for a status code; Icecast's wording where it has its own (401
// "Authentication Required", 404 "File Not Found"). "Unknown" for codes not in the table.
std::string_view reason_phrase(int status);

// "<version> <status> <reason>\r\n" + headers + "\r\n" [+ body]. Header names are reduced to
// token characters and values lose CR, LF and other control characters except HT, so caller
// data (stream titles, mount names) cannot inject headers or split the response.
class ResponseBuilder {
public:
    explicit ResponseBuilder(int status, std::string_view version = "HTTP/1.0");

    ResponseBuilder& header(std::string_view name, std::string_view value);

    // Emit "Content-Length: n" (e.g. 0 for "100 Continue" or an empty 204/401). A non-empty
    // body passed to finish() takes precedence with its own size.
    ResponseBuilder& content_length(std::size_t length);

    // The complete head, followed by `body`. Adds Content-Length when a non-empty body is given
    // or content_length() was called. The builder is spent afterwards.
    std::string finish(std::string_view body = {});

private:
    std::string out_;
    std::optional<std::size_t> content_length_;
};

} // namespace tinyice::protocol::http
