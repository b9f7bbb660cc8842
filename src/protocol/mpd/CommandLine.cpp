#include "protocol/mpd/CommandLine.hpp"

namespace tinyice::protocol::mpd {

namespace {

bool is_separator(char c) {
    return c == ' ' || c == '\t';
}
bool is_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_unquoted_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u != 0x7f && c != '"' && c != '\'';
}

void skip_separators(std::string_view line, std::size_t& pos) {
    while (pos < line.size() && is_separator(line[pos])) {
        ++pos;
    }
}

} // namespace

ParsedLine parse_command_line(std::string_view line, std::size_t max_arguments) {
    if (line.find('\0') != std::string_view::npos) {
        return ParseError{Ack::arg, "NUL byte in request"};
    }
    std::size_t pos = 0;
    skip_separators(line, pos);
    if (pos == line.size()) {
        return ParseError{Ack::unknown, "No command given"};
    }
    Command cmd;
    if (!is_letter(line[pos])) {
        return ParseError{Ack::unknown, "Letter expected"};
    }
    const std::size_t name_start = pos;
    while (pos < line.size() && !is_separator(line[pos])) {
        const char c = line[pos];
        if (!is_letter(c) && !is_digit(c) && c != '_') {
            return ParseError{Ack::unknown, "Invalid word character"};
        }
        ++pos;
    }
    cmd.name.assign(line.substr(name_start, pos - name_start));

    while (true) {
        skip_separators(line, pos);
        if (pos == line.size()) {
            break;
        }
        if (cmd.args.size() == max_arguments) {
            return ParseError{Ack::arg, "Too many arguments"};
        }
        std::string arg;
        if (line[pos] == '"') {
            ++pos;
            bool closed = false;
            while (pos < line.size()) {
                char c = line[pos++];
                if (c == '"') {
                    closed = true;
                    break;
                }
                if (c == '\\') {
                    if (pos == line.size()) {
                        break;
                    }
                    c = line[pos++];
                }
                arg += c;
            }
            if (!closed) {
                return ParseError{Ack::arg, "Missing closing '\"'"};
            }
            if (pos < line.size() && !is_separator(line[pos])) {
                return ParseError{Ack::arg, "Space expected after closing '\"'"};
            }
        } else {
            const std::size_t start = pos;
            while (pos < line.size() && !is_separator(line[pos])) {
                if (!is_unquoted_char(line[pos])) {
                    return ParseError{Ack::arg, "Invalid unquoted character"};
                }
                ++pos;
            }
            arg.assign(line.substr(start, pos - start));
        }
        cmd.args.push_back(std::move(arg));
    }
    return cmd;
}

std::string quote_argument(std::string_view value) {
    std::string out;
    out.reserve(value.size() + 2);
    out += '"';
    for (char c : value) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    out += '"';
    return out;
}

} // namespace tinyice::protocol::mpd
