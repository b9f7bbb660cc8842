#include "protocol/http/Response.hpp"

#include "protocol/http/Ascii.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <ctime>
#include <utility>

namespace tinyice::protocol::http {

namespace {

void append_number(std::string& out, std::uint64_t n) {
    std::array<char, 24> digits{};
    auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), n);
    out.append(digits.data(), end);
}

void append_2(std::string& out, int n) {
    out += static_cast<char>('0' + (n / 10) % 10);
    out += static_cast<char>('0' + n % 10);
}

} // namespace

std::string http_date(std::chrono::system_clock::time_point when) {
    static constexpr std::array<std::string_view, 7> days = {"Sun", "Mon", "Tue", "Wed",
                                                             "Thu", "Fri", "Sat"};
    static constexpr std::array<std::string_view, 12> months = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::time_t t = std::chrono::system_clock::to_time_t(when);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::string out;
    out.reserve(29);
    out += days.at(static_cast<std::size_t>(tm.tm_wday));
    out += ", ";
    append_2(out, tm.tm_mday);
    out += ' ';
    out += months.at(static_cast<std::size_t>(tm.tm_mon));
    out += ' ';
    const int year = tm.tm_year + 1900;
    append_2(out, year / 100);
    append_2(out, year % 100);
    out += ' ';
    append_2(out, tm.tm_hour);
    out += ':';
    append_2(out, tm.tm_min);
    out += ':';
    append_2(out, tm.tm_sec);
    out += " GMT";
    return out;
}

std::string_view reason_phrase(int status) {
    switch (status) {
    case 100:
        return "Continue";
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Authentication Required";
    case 403:
        return "Forbidden";
    case 404:
        return "File Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Range Not Satisfiable";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

ResponseBuilder::ResponseBuilder(int status, std::string_view version) {
    out_.reserve(256);
    for (char c : version) {
        if (!is_ctl(c) && c != ' ') {
            out_ += c;
        }
    }
    out_ += ' ';
    append_number(out_, static_cast<std::uint64_t>(status < 0 ? 0 : status % 1000));
    out_ += ' ';
    out_ += reason_phrase(status);
    out_ += "\r\n";
}

ResponseBuilder& ResponseBuilder::header(std::string_view name, std::string_view value) {
    const std::size_t start = out_.size();
    for (char c : name) {
        if (is_tchar(c)) {
            out_ += c;
        }
    }
    if (out_.size() == start) {
        return *this; // nothing left of the name: drop the header rather than emit ": value"
    }
    out_ += ": ";
    for (char c : trim_ows(value)) {
        if (!is_ctl(c) || c == '\t') {
            out_ += c;
        }
    }
    out_ += "\r\n";
    return *this;
}

ResponseBuilder& ResponseBuilder::content_length(std::size_t length) {
    content_length_ = length;
    return *this;
}

std::string ResponseBuilder::finish(std::string_view body) {
    if (!body.empty()) {
        content_length_ = body.size();
    }
    if (content_length_) {
        out_ += "Content-Length: ";
        append_number(out_, *content_length_);
        out_ += "\r\n";
    }
    out_ += "\r\n";
    out_ += body;
    return std::move(out_);
}

} // namespace tinyice::protocol::http
