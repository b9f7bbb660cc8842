#include "protocol/mpd/Filter.hpp"

#include "protocol/mpd/Ack.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace tinyice::protocol::mpd {

namespace {

[[noreturn]] void fail(const std::string& message) {
    throw CommandError(Ack::arg, message);
}

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = ascii_lower(c);
    }
    return out;
}

// Small letter for the capitals of the two-byte UTF-8 range (U+0080..U+07FF) that music tags
// commonly use; the folded letter always stays in that range.
char32_t fold_two_byte(char32_t c) {
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) {
        return c + 0x20; // Latin-1 capitals
    }
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) {
        return c | 1U; // Latin Extended-A pairs: even capital, odd small
    }
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) {
        return (c & 1U) != 0 ? c + 1 : c; // odd capital, even small
    }
    if (c == 0x178) {
        return 0xFF; // Y with diaeresis
    }
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) {
        return c + 0x20; // Greek
    }
    if (c >= 0x410 && c <= 0x42F) {
        return c + 0x20; // Cyrillic
    }
    if (c >= 0x400 && c <= 0x40F) {
        return c + 0x50;
    }
    return c;
}

void fold_into(std::string_view s, std::string& out) {
    out.clear();
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto b0 = static_cast<unsigned char>(s[i]);
        if (b0 < 0x80) {
            out += ascii_lower(s[i]);
            continue;
        }
        if (b0 >= 0xC2 && b0 <= 0xDF && i + 1 < s.size()) {
            const auto b1 = static_cast<unsigned char>(s[i + 1]);
            if ((b1 & 0xC0U) == 0x80) {
                const char32_t c = fold_two_byte(((b0 & 0x1FU) << 6U) | (b1 & 0x3FU));
                out += static_cast<char>(0xC0U | (c >> 6U));
                out += static_cast<char>(0x80U | (c & 0x3FU));
                ++i;
                continue;
            }
        }
        // Other bytes (three- and four-byte sequences, invalid UTF-8) are copied: a
        // continuation byte can never be mistaken for a two-byte lead.
        out += s[i];
    }
}

bool is_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

bool is_operator_char(char c) {
    return (c >= 'a' && c <= 'z') || c == '_' || c == '!';
}

void skip_blanks(std::string_view s, std::size_t& pos) {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) {
        ++pos;
    }
}

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool read_fixed(std::string_view s, std::size_t& pos, std::size_t digits, int& value) {
    if (pos + digits > s.size() || !all_digits(s.substr(pos, digits))) {
        return false;
    }
    value = 0;
    for (std::size_t i = 0; i < digits; ++i) {
        value = value * 10 + (s[pos + i] - '0');
    }
    pos += digits;
    return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

enum class CaseRule { command, sensitive, insensitive };

struct Operator {
    std::string_view word;
    std::uint8_t position; // 0 full, 1 anywhere, 2 prefix
    CaseRule rule;
    bool negated;
};

constexpr std::array<Operator, 22> operators = {{
    {"==", 0, CaseRule::command, false},
    {"!=", 0, CaseRule::command, true},
    {"contains", 1, CaseRule::command, false},
    {"!contains", 1, CaseRule::command, true},
    {"starts_with", 2, CaseRule::command, false},
    {"!starts_with", 2, CaseRule::command, true},
    {"eq_cs", 0, CaseRule::sensitive, false},
    {"!eq_cs", 0, CaseRule::sensitive, true},
    {"eq_ci", 0, CaseRule::insensitive, false},
    {"!eq_ci", 0, CaseRule::insensitive, true},
    {"contains_cs", 1, CaseRule::sensitive, false},
    {"!contains_cs", 1, CaseRule::sensitive, true},
    {"contains_ci", 1, CaseRule::insensitive, false},
    {"!contains_ci", 1, CaseRule::insensitive, true},
    {"starts_with_cs", 2, CaseRule::sensitive, false},
    {"!starts_with_cs", 2, CaseRule::sensitive, true},
    {"starts_with_ci", 2, CaseRule::insensitive, false},
    {"!starts_with_ci", 2, CaseRule::insensitive, true},
    {"=~", 0, CaseRule::command, false},
    {"!~", 0, CaseRule::command, true},
    {"~=", 0, CaseRule::command, false},
    {"=", 0, CaseRule::command, false},
}};

std::string strip_slashes(std::string_view dir) {
    while (!dir.empty() && dir.front() == '/') {
        dir.remove_prefix(1);
    }
    while (!dir.empty() && dir.back() == '/') {
        dir.remove_suffix(1);
    }
    return std::string(dir);
}

} // namespace

std::string fold_case(std::string_view s) {
    std::string out;
    fold_into(s, out);
    return out;
}

std::optional<std::int64_t> parse_timestamp(std::string_view s) {
    if (all_digits(s)) {
        std::int64_t value = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
        if (ec != std::errc{} || end != s.data() + s.size()) {
            return std::nullopt;
        }
        return value;
    }
    std::size_t pos = 0;
    int year = 0;
    int month = 0;
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (!read_fixed(s, pos, 4, year) || pos >= s.size() || s[pos++] != '-' ||
        !read_fixed(s, pos, 2, month) || pos >= s.size() || s[pos++] != '-' ||
        !read_fixed(s, pos, 2, day)) {
        return std::nullopt;
    }
    if (pos < s.size() && (s[pos] == 'T' || s[pos] == ' ')) {
        ++pos;
        if (!read_fixed(s, pos, 2, hour) || pos >= s.size() || s[pos++] != ':' ||
            !read_fixed(s, pos, 2, minute)) {
            return std::nullopt;
        }
        if (pos < s.size() && s[pos] == ':') {
            ++pos;
            if (!read_fixed(s, pos, 2, second)) {
                return std::nullopt;
            }
        }
    }
    if (pos < s.size() && s[pos] == 'Z') {
        ++pos;
    }
    if (pos != s.size() || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
        minute > 59 || second > 60) {
        return std::nullopt;
    }
    return days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
           std::int64_t{hour} * 3600 + std::int64_t{minute} * 60 + second;
}

class SongFilter::Parser {
public:
    Parser(SongFilter& filter, bool fold) : filter_(filter), fold_(fold) {}

    std::size_t add(Node node) {
        if (filter_.nodes_.size() >= max_terms) {
            fail("Filter has too many terms");
        }
        filter_.nodes_.push_back(std::move(node));
        return filter_.nodes_.size() - 1;
    }

    // One legacy TAG VALUE pair.
    std::size_t pair(std::string_view name, std::string_view value) {
        Node node;
        set_subject(node, name);
        if (node.kind == Kind::base) {
            node.value = strip_slashes(value);
        } else if (node.kind == Kind::modified_since) {
            node.since = timestamp(value);
        } else {
            node.fold = fold_;
            node.position = fold_ ? Position::anywhere : Position::full;
            node.value = fold_ ? fold_case(value) : std::string(value);
        }
        return add(std::move(node));
    }

    // An expression starting at s[pos] == '('; leaves pos after it and following blanks.
    std::size_t expression(std::string_view s, std::size_t& pos, std::size_t depth) {
        if (depth >= max_depth) {
            fail("Filter expression is nested too deeply");
        }
        if (pos >= s.size() || s[pos] != '(') {
            fail("'(' expected");
        }
        ++pos;
        skip_blanks(s, pos);
        if (pos < s.size() && s[pos] == '(') {
            const std::size_t first = expression(s, pos, depth + 1);
            if (close(s, pos)) {
                return first;
            }
            Node all;
            all.kind = Kind::all_of;
            all.children.push_back(first);
            while (true) {
                if (word(s, pos) != "AND") {
                    fail("'AND' expected");
                }
                all.children.push_back(expression(s, pos, depth + 1));
                if (close(s, pos)) {
                    return add(std::move(all));
                }
            }
        }
        if (pos < s.size() && s[pos] == '!') {
            ++pos;
            skip_blanks(s, pos);
            Node negate;
            negate.kind = Kind::negate;
            negate.children.push_back(expression(s, pos, depth + 1));
            if (!close(s, pos)) {
                fail("')' expected");
            }
            return add(std::move(negate));
        }

        Node node;
        const auto subject = word(s, pos);
        set_subject(node, subject);
        if (node.kind == Kind::base) {
            node.value = strip_slashes(quoted(s, pos));
        } else if (node.kind == Kind::modified_since) {
            node.since = timestamp(quoted(s, pos));
        } else {
            const auto& op = read_operator(s, pos);
            if (op.word.find('~') != std::string_view::npos) {
                fail("Regular expressions are not supported");
            }
            if (op.word == "=") {
                fail("Unknown filter operator: '='");
            }
            node.position = static_cast<Position>(op.position);
            node.negated = op.negated;
            node.fold = op.rule == CaseRule::insensitive || (op.rule == CaseRule::command && fold_);
            const auto value = quoted(s, pos);
            node.value = node.fold ? fold_case(value) : value;
        }
        if (!close(s, pos)) {
            fail("')' expected");
        }
        return add(std::move(node));
    }

private:
    static bool close(std::string_view s, std::size_t& pos) {
        if (pos < s.size() && s[pos] == ')') {
            ++pos;
            skip_blanks(s, pos);
            return true;
        }
        return false;
    }

    static std::string_view word(std::string_view s, std::size_t& pos) {
        const std::size_t start = pos;
        while (pos < s.size() && is_word_char(s[pos])) {
            ++pos;
        }
        if (pos == start) {
            fail("Word expected");
        }
        const auto out = s.substr(start, pos - start);
        skip_blanks(s, pos);
        return out;
    }

    static const Operator& read_operator(std::string_view s, std::size_t& pos) {
        std::size_t end = pos;
        if (pos < s.size() && (s[pos] == '=' || s[pos] == '!' || s[pos] == '~')) {
            end = pos + 1;
            if (end < s.size() && (s[end] == '=' || s[end] == '~')) {
                ++end;
            }
        }
        if (end == pos || (end == pos + 1 && s[pos] == '!')) {
            end = pos;
            while (end < s.size() && is_operator_char(s[end])) {
                ++end;
            }
        }
        const auto text = s.substr(pos, end - pos);
        for (const auto& op : operators) {
            if (op.word == text) {
                pos = end;
                skip_blanks(s, pos);
                return op;
            }
        }
        if (text.empty()) {
            fail("Filter operator expected");
        }
        fail("Unknown filter operator: " + std::string(text));
    }

    static std::string quoted(std::string_view s, std::size_t& pos) {
        if (pos >= s.size() || (s[pos] != '\'' && s[pos] != '"')) {
            fail("Quoted string expected");
        }
        const char quote = s[pos++];
        std::string out;
        while (true) {
            if (pos >= s.size()) {
                fail("Closing quote not found");
            }
            char c = s[pos++];
            if (c == quote) {
                break;
            }
            if (c == '\\') {
                if (pos >= s.size()) {
                    fail("Closing quote not found");
                }
                c = s[pos++];
            }
            out += c;
        }
        skip_blanks(s, pos);
        return out;
    }

    static std::int64_t timestamp(std::string_view value) {
        const auto t = parse_timestamp(value);
        if (!t) {
            fail("Invalid timestamp: " + std::string(value));
        }
        return *t;
    }

    static void set_subject(Node& node, std::string_view name) {
        const auto lower = ascii_lower(name);
        if (lower == "any") {
            node.kind = Kind::any;
        } else if (lower == "file" || lower == "filename") {
            node.kind = Kind::file;
        } else if (lower == "base") {
            node.kind = Kind::base;
        } else if (lower == "modified-since" || lower == "added-since") {
            // Songs carry no "added" time; the file's modification time is the closest.
            node.kind = Kind::modified_since;
        } else if (lower == "audioformat") {
            fail("AudioFormat filters are not supported");
        } else if (auto tag = parse_tag(name)) {
            node.kind = Kind::tag;
            node.tag = *tag;
        } else {
            fail("Unknown filter type: " + std::string(name));
        }
    }

    SongFilter& filter_;
    bool fold_;
};

SongFilter SongFilter::parse(std::span<const std::string> args, bool fold_case) {
    if (args.empty()) {
        fail("Incorrect number of filter arguments");
    }
    SongFilter filter;
    Parser parser(filter, fold_case);
    parser.add(Node{}); // the root: all of the terms
    std::size_t i = 0;
    while (i < args.size()) {
        std::size_t term = 0;
        if (!args[i].empty() && args[i].front() == '(') {
            std::size_t pos = 0;
            term = parser.expression(args[i], pos, 0);
            if (pos != args[i].size()) {
                fail("Unparsed garbage after expression");
            }
            ++i;
        } else {
            if (i + 1 >= args.size()) {
                fail("Incorrect number of filter arguments");
            }
            term = parser.pair(args[i], args[i + 1]);
            i += 2;
        }
        filter.nodes_[0].children.push_back(term);
    }
    return filter;
}

SongFilter SongFilter::tag_equals(Tag tag, std::string value) {
    SongFilter filter;
    Node root;
    root.children.push_back(1);
    filter.nodes_.push_back(std::move(root));
    Node node;
    node.kind = Kind::tag;
    node.tag = tag;
    node.value = std::move(value);
    filter.nodes_.push_back(std::move(node));
    return filter;
}

bool SongFilter::matches(const Song& song) const {
    return nodes_.empty() || eval(0, song);
}

bool SongFilter::string_matches(const Node& node, std::string_view value) {
    std::string folded;
    if (node.fold) {
        fold_into(value, folded);
        value = folded;
    }
    switch (node.position) {
    case Position::full:
        return value == node.value;
    case Position::anywhere:
        return value.find(node.value) != std::string_view::npos;
    case Position::prefix:
        return value.starts_with(node.value);
    }
    return false;
}

bool SongFilter::eval(std::size_t index, const Song& song) const {
    const Node& node = nodes_[index];
    switch (node.kind) {
    case Kind::all_of:
        for (auto child : node.children) {
            if (!eval(child, song)) {
                return false;
            }
        }
        return true;
    case Kind::negate:
        return !eval(node.children.front(), song);
    case Kind::tag:
        return string_matches(node, tag_value(song, node.tag)) != node.negated;
    case Kind::file:
        return string_matches(node, song.file) != node.negated;
    case Kind::any: {
        bool hit = string_matches(node, song.file);
        for (auto tag : indexed_tags) {
            if (hit) {
                break;
            }
            hit = string_matches(node, raw_tag_value(song, tag));
        }
        return hit != node.negated;
    }
    case Kind::base:
        return node.value.empty() ||
               (song.file.size() > node.value.size() && song.file.starts_with(node.value) &&
                song.file[node.value.size()] == '/');
    case Kind::modified_since:
        return song.mtime >= node.since;
    }
    return false;
}

QueryArgs split_query_args(std::span<const std::string> args, unsigned options) {
    QueryArgs out;
    std::size_t n = args.size();
    while (n >= 2) {
        const std::string& keyword = args[n - 2];
        const std::string& value = args[n - 1];
        if ((options & query_sort_window) != 0 && keyword == "window" && !out.window) {
            out.window = parse_range(value);
        } else if ((options & query_sort_window) != 0 && keyword == "sort" && !out.sort &&
                   !out.sort_by_modified) {
            std::string_view name = value;
            if (name.starts_with('-')) {
                out.sort_descending = true;
                name.remove_prefix(1);
            }
            if (ascii_lower(name) == "last-modified") {
                out.sort_by_modified = true;
            } else if (auto tag = parse_tag(name)) {
                out.sort = *tag;
            } else {
                fail("Unknown sort tag: " + std::string(value));
            }
        } else if ((options & query_position) != 0 && keyword == "position" && !out.position) {
            out.position = static_cast<std::size_t>(parse_unsigned(value));
        } else if ((options & query_group) != 0 && keyword == "group") {
            const auto tag = parse_tag(value);
            if (!tag) {
                fail("Unknown tag type: " + std::string(value));
            }
            for (auto g : out.groups) {
                if (g == *tag) {
                    fail("Conflicting group");
                }
            }
            out.groups.push_back(*tag);
        } else {
            break;
        }
        n -= 2;
    }
    out.filter.assign(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(n));
    return out;
}

} // namespace tinyice::protocol::mpd
