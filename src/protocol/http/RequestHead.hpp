#pragma once
// Sans-I/O reader for an HTTP/1.x (or Icecast "ICE/1.0") request head.
//
// Lenient exactly where real streaming clients need it (docs/icecast-protocol.md §1.2, §2.1):
//   * lines may end in "\n" (darkice), "\r\n" or "\r\r\n" (NSV/ICY quirk); the head ends at the
//     first empty line, i.e. at "\r\n\r\n", "\n\n", "\r\n\n", "\n\r\n" or "\r\r\n\r\r\n";
//   * bytes may arrive one at a time (darkice writes every token separately): the terminator
//     scan resumes where it stopped, so feeding n bytes one by one is O(n);
//   * empty lines before the request line are skipped (RFC 9112 §2.2);
//   * runs of spaces between method, target and protocol are tolerated (Icecast's own parser
//     splits on runs of spaces); a space *inside* the target is still rejected;
//   * the target may carry raw bytes >= 0x80 and characters RFC 3986 does not allow (old
//     encoders send unencoded titles in /admin/metadata); decoding is the caller's business;
//   * the SOURCE method and the "ICE/1.0" protocol token.
// Strict everywhere else: NUL / control characters (except HT) anywhere, a lone CR inside a
// line, obsolete line folding, whitespace before a header colon, non-token methods and header
// names, HTTP/0.9 and HTTP/2+, "*" outside OPTIONS, malformed or conflicting Content-Length,
// Content-Length together with Transfer-Encoding, a second Host header.

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace tinyice::protocol::http {

enum class HeadError {
    none,
    too_large,        // head (or header count) over the limit: answer 431 / close
    bad_request_line, // malformed request line
    bad_method,       // method is not a token
    bad_version,      // not HTTP/1.x or ICE/1.0 (incl. HTTP/0.9 and HTTP/2)
    bad_header,       // malformed header line, obs-fold, smuggling-shaped framing headers
    bad_target,       // target is not origin-form, "*" (OPTIONS only) or http(s) absolute-form
};

std::string_view to_string(HeadError error);

struct Header {
    std::string_view name;  // as sent; compare case-insensitively
    std::string_view value; // trimmed of leading/trailing spaces and tabs; may be empty
};

struct RequestHead {
    std::string_view method;   // as sent, e.g. "GET", "SOURCE" (case-sensitive token)
    std::string_view target;   // raw request target, e.g. "/live?x=1", "*", "http://h/live"
    std::string_view path;     // target without query (absolute-form: just the path), not decoded
    std::string_view query;    // after '?', without it; empty if none
    std::string_view protocol; // "HTTP" or "ICE"
    int version_major = 1;
    int version_minor = 0;
    std::vector<Header> headers; // in order received

    // First header with this name (case-insensitive).
    [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;

    // True when any header `name` holds `token` as one of its comma-separated elements
    // (case-insensitive; parameters after ';' ignored), e.g. ("Connection", "close").
    [[nodiscard]] bool has_token(std::string_view name, std::string_view token) const;
};

class RequestHeadParser {
public:
    // More header lines than this is treated like an oversized head.
    static constexpr std::size_t max_headers = 100;

    explicit RequestHeadParser(std::size_t max_head_bytes = 8192);

    // The head's views point into this parser's buffer: copying would leave them dangling.
    // Moving is fine (the buffer's heap block moves with it).
    RequestHeadParser(const RequestHeadParser&) = delete;
    RequestHeadParser& operator=(const RequestHeadParser&) = delete;
    RequestHeadParser(RequestHeadParser&&) noexcept = default;
    ~RequestHeadParser() = default;
    RequestHeadParser& operator=(RequestHeadParser&&) noexcept = default;

    enum class Status { need_more, done, error };

    // Takes the part of `data` that belongs to the head and reports it in `consumed`. On
    // `done`, data[consumed..] is the first body / stream data (the start of a source's audio)
    // and must be handed on. On `error`, `consumed` is what was examined. Once done or error,
    // further calls consume nothing and return the same status until reset().
    Status feed(std::span<const char> data, std::size_t& consumed);

    [[nodiscard]] Status status() const { return status_; }
    [[nodiscard]] const RequestHead& head() const { return head_; } // valid after `done`
    [[nodiscard]] HeadError error() const { return error_; }
    [[nodiscard]] std::size_t buffered() const { return buffer_.size(); }
    [[nodiscard]] std::size_t max_head_bytes() const { return max_head_bytes_; }

    // Ready for the next request on a keep-alive connection (keeps allocated capacity).
    void reset();

private:
    // Advances the terminator scan over newly appended bytes; true when the head is complete
    // (head_end_ set). May set an early error for control characters.
    bool scan_for_end();
    void parse_head();
    HeadError parse_request_line(std::string_view line);
    HeadError parse_target(std::string_view target);
    HeadError parse_header_line(std::string_view line);
    [[nodiscard]] HeadError check_framing_headers() const;
    void fail(HeadError error);

    std::size_t max_head_bytes_;
    std::vector<char> buffer_;
    std::size_t scan_pos_ = 0;   // next byte the terminator scan looks at
    std::size_t line_start_ = 0; // first byte of the line being scanned
    std::size_t head_start_ = 0; // first byte of the request line (after skipped empty lines)
    std::size_t head_end_ = 0;   // one past the terminator
    bool in_request_line_ = true;
    Status status_ = Status::need_more;
    HeadError error_ = HeadError::none;
    RequestHead head_;
};

} // namespace tinyice::protocol::http
