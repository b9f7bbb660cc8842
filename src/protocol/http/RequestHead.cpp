#include "protocol/http/RequestHead.hpp"

#include "protocol/http/Ascii.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>

namespace tinyice::protocol::http {

namespace {

constexpr std::size_t max_method_length = 32;
constexpr std::size_t headers_reserve = 24;

// Line endings are "\n", "\r\n" or "\r\r\n": strip at most two CRs before the LF.
constexpr std::string_view strip_line_end(std::string_view line) {
    for (int i = 0; i < 2 && !line.empty() && line.back() == '\r'; ++i) {
        line.remove_suffix(1);
    }
    return line;
}

constexpr bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

} // namespace

std::string_view to_string(HeadError error) {
    switch (error) {
    case HeadError::none:
        return "none";
    case HeadError::too_large:
        return "too_large";
    case HeadError::bad_request_line:
        return "bad_request_line";
    case HeadError::bad_method:
        return "bad_method";
    case HeadError::bad_version:
        return "bad_version";
    case HeadError::bad_header:
        return "bad_header";
    case HeadError::bad_target:
        return "bad_target";
    }
    return "unknown";
}

std::optional<std::string_view> RequestHead::header(std::string_view name) const {
    for (const auto& h : headers) {
        if (iequals(h.name, name)) {
            return h.value;
        }
    }
    return std::nullopt;
}

bool RequestHead::has_token(std::string_view name, std::string_view token) const {
    for (const auto& h : headers) {
        if (!iequals(h.name, name)) {
            continue;
        }
        std::string_view rest = h.value;
        while (!rest.empty()) {
            auto comma = rest.find(',');
            auto element = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            element = element.substr(0, element.find(';'));
            if (iequals(trim_ows(element), token)) {
                return true;
            }
        }
    }
    return false;
}

RequestHeadParser::RequestHeadParser(std::size_t max_head_bytes)
    : max_head_bytes_(max_head_bytes) {}

void RequestHeadParser::reset() {
    buffer_.clear();
    scan_pos_ = 0;
    line_start_ = 0;
    head_start_ = 0;
    head_end_ = 0;
    in_request_line_ = true;
    status_ = Status::need_more;
    error_ = HeadError::none;
    auto headers = std::move(head_.headers);
    headers.clear();
    head_ = RequestHead{};
    head_.headers = std::move(headers);
}

void RequestHeadParser::fail(HeadError error) {
    status_ = Status::error;
    error_ = error;
}

RequestHeadParser::Status RequestHeadParser::feed(std::span<const char> data,
                                                  std::size_t& consumed) {
    consumed = 0;
    if (status_ != Status::need_more || data.empty()) {
        return status_;
    }
    if (buffer_.capacity() == 0) {
        buffer_.reserve(std::min<std::size_t>(max_head_bytes_, 1024));
    }
    const std::size_t before = buffer_.size();
    const std::size_t room = max_head_bytes_ - before;
    const std::size_t take = std::min(room, data.size());
    buffer_.insert(buffer_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));

    if (scan_for_end()) {
        // Everything after the terminator is body: give it back to the caller.
        buffer_.resize(head_end_);
        consumed = head_end_ - before;
        parse_head();
        return status_;
    }
    consumed = take;
    if (status_ == Status::need_more && buffer_.size() >= max_head_bytes_) {
        // Full and still no terminator: no later byte can complete the head within the cap.
        fail(HeadError::too_large);
    }
    return status_;
}

bool RequestHeadParser::scan_for_end() {
    const char* bytes = buffer_.data();
    const std::size_t size = buffer_.size();
    for (; scan_pos_ < size; ++scan_pos_) {
        const char c = bytes[scan_pos_];
        if (c == '\n') {
            std::string_view line(bytes + line_start_, scan_pos_ - line_start_);
            const bool empty = strip_line_end(line).empty();
            line_start_ = scan_pos_ + 1;
            if (!empty) {
                in_request_line_ = false;
            } else if (in_request_line_) {
                head_start_ = line_start_; // empty line(s) before the request line: skip
            } else {
                head_end_ = ++scan_pos_;
                return true;
            }
        } else if (c != '\r' && c != '\t' && is_ctl(c)) {
            // Reject binary garbage (TLS hellos, NULs) now instead of at the cap.
            fail(in_request_line_ ? HeadError::bad_request_line : HeadError::bad_header);
            return false;
        }
    }
    return false;
}

void RequestHeadParser::parse_head() {
    if (head_.headers.capacity() == 0) {
        head_.headers.reserve(headers_reserve);
    }
    const std::string_view all(buffer_.data() + head_start_, head_end_ - head_start_);
    std::size_t pos = 0;
    bool first = true;
    for (;;) {
        const auto lf = all.find('\n', pos); // the scan guarantees a final empty line
        const auto line = strip_line_end(all.substr(pos, lf - pos));
        pos = lf + 1;
        HeadError err = HeadError::none;
        if (first) {
            err = parse_request_line(line);
            first = false;
        } else if (line.empty()) {
            break;
        } else if (head_.headers.size() >= max_headers) {
            err = HeadError::too_large;
        } else {
            err = parse_header_line(line);
        }
        if (err != HeadError::none) {
            fail(err);
            return;
        }
    }
    if (auto err = check_framing_headers(); err != HeadError::none) {
        fail(err);
        return;
    }
    status_ = Status::done;
}

HeadError RequestHeadParser::parse_request_line(std::string_view line) {
    if (line.find_first_of("\r\t") != std::string_view::npos) {
        return HeadError::bad_request_line;
    }
    const auto sp = line.find(' ');
    if (sp == 0 || sp == std::string_view::npos) {
        return HeadError::bad_request_line;
    }
    const auto method = line.substr(0, sp);
    auto rest = line.substr(sp);
    rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
    if (rest.empty()) {
        return HeadError::bad_request_line;
    }
    const auto last_sp = rest.rfind(' ');
    if (last_sp == std::string_view::npos) {
        return HeadError::bad_version; // "GET /": an HTTP/0.9 simple request
    }
    const auto version = rest.substr(last_sp + 1);
    if (version.empty()) {
        return HeadError::bad_request_line; // trailing space
    }
    auto target = rest.substr(0, last_sp);
    target = target.substr(0, target.find_last_not_of(' ') + 1);
    if (target.find(' ') != std::string_view::npos) {
        return HeadError::bad_target;
    }

    if (!is_token(method) || method.size() > max_method_length) {
        return HeadError::bad_method;
    }

    const auto slash = version.find('/');
    if (slash == std::string_view::npos) {
        return HeadError::bad_version;
    }
    const auto protocol = version.substr(0, slash);
    const auto number = version.substr(slash + 1);
    if (number.size() != 3 || number[1] != '.' || !is_digit(number[0]) || !is_digit(number[2])) {
        return HeadError::bad_version;
    }
    const int major = number[0] - '0';
    const int minor = number[2] - '0';
    if (protocol == "HTTP") {
        // Any HTTP/1.x is HTTP/1 (RFC 9110 §2.5); 0.9 and 2+ have no such head.
        if (major != 1) {
            return HeadError::bad_version;
        }
    } else if (protocol == "ICE") {
        if (major != 1 || minor != 0) {
            return HeadError::bad_version;
        }
    } else {
        return HeadError::bad_version; // includes "ICY", which Icecast also refuses
    }

    head_.method = method;
    head_.protocol = protocol;
    head_.version_major = major;
    head_.version_minor = minor;
    return parse_target(target);
}

HeadError RequestHeadParser::parse_target(std::string_view target) {
    head_.target = target;
    if (target == "*") {
        if (head_.method != "OPTIONS") {
            return HeadError::bad_target;
        }
        head_.path = target;
        head_.query = {};
        return HeadError::none;
    }
    if (target.front() == '/') {
        // Origin-form. Deliberately not validated against RFC 3986: the raw bytes are
        // decoded (and judged) by QueryParams / normalize_mount_path.
        const auto q = target.find('?');
        head_.path = target.substr(0, q);
        head_.query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
        return HeadError::none;
    }
    // Absolute-form (proxies, some players): strict RFC 3986, http(s) with a host only.
    auto url = boost::urls::parse_absolute_uri(target);
    if (!url) {
        return HeadError::bad_target;
    }
    const auto scheme = url->scheme_id();
    if ((scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https) ||
        !url->has_authority() || url->encoded_host().empty()) {
        return HeadError::bad_target;
    }
    const auto path = url->encoded_path();
    if (!path.empty() && path.front() != '/') {
        // Boost.URL 1.81 accepts "http://h:0..80/x" as port "0" + path "..80/x"; RFC 3986
        // requires path-abempty after an authority, so refuse it here.
        return HeadError::bad_target;
    }
    head_.path = path.empty() ? std::string_view("/") : std::string_view(path.data(), path.size());
    if (url->has_query()) {
        const auto query = url->encoded_query();
        head_.query = std::string_view(query.data(), query.size());
    } else {
        head_.query = {};
    }
    return HeadError::none;
}

HeadError RequestHeadParser::parse_header_line(std::string_view line) {
    if (line.front() == ' ' || line.front() == '\t') {
        return HeadError::bad_header; // obs-fold (RFC 9112 §5.2): reject, never unfold
    }
    if (line.find('\r') != std::string_view::npos) {
        return HeadError::bad_header;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
        return HeadError::bad_header;
    }
    const auto name = line.substr(0, colon);
    if (!is_token(name)) {
        return HeadError::bad_header; // includes "Name :" (request smuggling guard)
    }
    head_.headers.push_back(Header{name, trim_ows(line.substr(colon + 1))});
    return HeadError::none;
}

HeadError RequestHeadParser::check_framing_headers() const {
    // Framing headers a confused intermediary could disagree about (RFC 9112 §6.1, §6.3).
    std::optional<std::string_view> content_length;
    bool transfer_encoding = false;
    int hosts = 0;
    for (const auto& h : head_.headers) {
        if (iequals(h.name, "Content-Length")) {
            if (!all_digits(h.value) || h.value.size() > 18 ||
                (content_length && *content_length != h.value)) {
                return HeadError::bad_header;
            }
            content_length = h.value;
        } else if (iequals(h.name, "Transfer-Encoding")) {
            transfer_encoding = true;
        } else if (iequals(h.name, "Host")) {
            ++hosts;
        }
    }
    if ((content_length && transfer_encoding) || hosts > 1) {
        return HeadError::bad_header;
    }
    return HeadError::none;
}

} // namespace tinyice::protocol::http
