#include "protocol/icecast/IcyMetadata.hpp"

#include "protocol/icecast/Utf8.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <iconv.h>

namespace tinyice::protocol::icecast {

namespace {

constexpr std::string_view title_prefix = "StreamTitle='";
constexpr std::string_view url_prefix = "StreamUrl='";
constexpr std::string_view field_end = "';";
// Text limit: one NUL always follows the text (see the header).
constexpr std::size_t max_icy_text = max_icy_block - 1;
constexpr std::size_t max_key_length = 64;

std::string sanitize_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        const auto b = static_cast<unsigned char>(c);
        if (b < 0x20 || b == 0x7f) {
            continue;
        }
        if (c == ';' && !out.empty() && out.back() == '\'') {
            out.push_back(' ');
        }
        out.push_back(c);
    }
    return out;
}

bool is_key_char(char c) {
    const auto b = static_cast<unsigned char>(c);
    return std::isalnum(b) != 0 || c == '_' || c == '-' || c == '.';
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// If a Key=' field starts at `pos`, the position of its '='.
std::optional<std::size_t> field_key_end(std::string_view text, std::size_t pos) {
    std::size_t end = pos;
    while (end < text.size() && end - pos <= max_key_length && is_key_char(text[end])) {
        ++end;
    }
    if (end == pos || end - pos > max_key_length) {
        return std::nullopt;
    }
    if (end + 1 >= text.size() || text[end] != '=' || text[end + 1] != '\'') {
        return std::nullopt;
    }
    return end;
}

std::size_t skip_spaces(std::string_view text, std::size_t pos) {
    while (pos < text.size() && is_space(text[pos])) {
        ++pos;
    }
    return pos;
}

// Where the value starting at `value_start` ends, and where parsing continues.
std::pair<std::size_t, std::size_t> find_value_end(std::string_view text, std::size_t value_start) {
    std::optional<std::size_t> first;
    for (std::size_t at = text.find(field_end, value_start); at != std::string_view::npos;
         at = text.find(field_end, at + 1)) {
        if (!first) {
            first = at;
        }
        const std::size_t next = skip_spaces(text, at + field_end.size());
        if (next == text.size() || field_key_end(text, next)) {
            return {at, at + field_end.size()};
        }
    }
    if (first) {
        return {*first, *first + field_end.size()};
    }
    std::size_t end = text.size();
    if (end > value_start && text[end - 1] == '\'') {
        --end; // "StreamTitle='x'" without the ';'
    }
    return {end, text.size()};
}

bool is_charset_name(std::string_view charset) {
    if (charset.empty() || charset.size() > 64) {
        return false;
    }
    return std::all_of(charset.begin(), charset.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' ||
               c == ':' || c == '(' || c == ')' || c == '+' || c == '-';
    });
}

bool is_utf8_name(std::string_view charset) {
    std::string folded;
    for (const char c : charset) {
        if (c != '-' && c != '_') {
            folded.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        }
    }
    return folded == "utf8";
}

// The one owner of an iconv descriptor.
class IconvHandle {
public:
    IconvHandle(const std::string& to, const std::string& from)
        : cd_(iconv_open(to.c_str(), from.c_str())) {}
    ~IconvHandle() {
        if (valid()) {
            iconv_close(cd_);
        }
    }
    IconvHandle(const IconvHandle&) = delete;
    IconvHandle& operator=(const IconvHandle&) = delete;
    IconvHandle(IconvHandle&&) = delete;
    IconvHandle& operator=(IconvHandle&&) = delete;

    // iconv_open reports failure as (iconv_t)-1.
    [[nodiscard]] bool valid() const {
        return cd_ != reinterpret_cast<iconv_t>(-1); // NOLINT(performance-no-int-to-ptr)
    }

    // Converts all of `input`. On an unconvertible or invalid input sequence appends
    // `replacement` and skips `skip(input, offset)` bytes.
    template <typename Skip>
    std::string convert(std::string_view input, std::string_view replacement, Skip skip) {
        std::string in(input);
        char* in_ptr = in.data();
        std::size_t in_left = in.size();
        std::string out;
        out.reserve(input.size() + 16);
        std::array<char, 4096> buffer{};
        const auto drain = [&](char* out_ptr) {
            out.append(buffer.data(), out_ptr);
        };
        while (in_left > 0) {
            char* out_ptr = buffer.data();
            std::size_t out_left = buffer.size();
            const std::size_t rc = iconv(cd_, &in_ptr, &in_left, &out_ptr, &out_left);
            drain(out_ptr);
            if (rc != static_cast<std::size_t>(-1)) {
                continue;
            }
            if (errno == E2BIG) {
                continue;
            }
            out.append(replacement);
            if (errno == EILSEQ) {
                const auto offset = static_cast<std::size_t>(in_ptr - in.data());
                const std::size_t n = std::min(in_left, std::max<std::size_t>(1, skip(in, offset)));
                in_ptr += n;
                in_left -= n;
                iconv(cd_, nullptr, nullptr, nullptr, nullptr); // reset shift state
                continue;
            }
            break; // EINVAL: truncated sequence at the end, or an unexpected error
        }
        char* out_ptr = buffer.data();
        std::size_t out_left = buffer.size();
        iconv(cd_, nullptr, nullptr, &out_ptr, &out_left);
        drain(out_ptr);
        return out;
    }

private:
    iconv_t cd_;
};

} // namespace

std::string render_icy_block(std::string_view title, std::string_view url) {
    std::string safe_title = sanitize_value(title);
    std::string safe_url = sanitize_value(url);
    const std::size_t title_field = title_prefix.size() + field_end.size();
    const std::size_t url_field = url_prefix.size() + field_end.size();
    if (!safe_url.empty() &&
        title_field + safe_title.size() + url_field + safe_url.size() > max_icy_text) {
        safe_url.clear();
    }
    if (title_field + safe_title.size() > max_icy_text) {
        safe_title.resize(utf8_prefix_length(safe_title, max_icy_text - title_field));
    }

    std::string text;
    text.reserve(title_field + safe_title.size() + url_field + safe_url.size());
    text.append(title_prefix).append(safe_title).append(field_end);
    if (!safe_url.empty()) {
        text.append(url_prefix).append(safe_url).append(field_end);
    }

    const std::size_t units = text.size() / 16 + 1;
    std::string block(1 + units * 16, '\0');
    block[0] = static_cast<char>(units);
    std::copy(text.begin(), text.end(), block.begin() + 1);
    return block;
}

std::optional<std::vector<std::pair<std::string, std::string>>>
parse_icy_text(std::string_view text) {
    text = text.substr(0, text.find('\0'));
    std::vector<std::pair<std::string, std::string>> fields;
    std::size_t pos = skip_spaces(text, 0);
    while (pos < text.size()) {
        const auto key_end = field_key_end(text, pos);
        if (!key_end) {
            break;
        }
        const std::size_t value_start = *key_end + 2;
        const auto [value_end, next] = find_value_end(text, value_start);
        fields.emplace_back(std::string(text.substr(pos, *key_end - pos)),
                            std::string(text.substr(value_start, value_end - value_start)));
        pos = skip_spaces(text, next);
    }
    if (fields.empty()) {
        return std::nullopt;
    }
    return fields;
}

std::optional<std::string> to_utf8(std::string_view text, std::string_view charset) {
    if (!is_charset_name(charset)) {
        return std::nullopt;
    }
    if (is_utf8_name(charset)) {
        return repair_utf8(text);
    }
    IconvHandle cd("UTF-8", std::string(charset));
    if (!cd.valid()) {
        return std::nullopt;
    }
    return cd.convert(text, "\xEF\xBF\xBD", [](std::string_view, std::size_t) { return 1; });
}

std::string from_utf8(std::string_view utf8, std::string_view charset) {
    if (is_charset_name(charset) && is_utf8_name(charset)) {
        return repair_utf8(utf8);
    }
    if (!is_charset_name(charset)) {
        return std::string(utf8);
    }
    IconvHandle cd(std::string(charset) + "//TRANSLIT", "UTF-8");
    if (!cd.valid()) {
        return std::string(utf8);
    }
    // Repairing first means iconv only ever stops on characters the charset lacks, and then
    // skipping one whole UTF-8 sequence keeps the output aligned with the input characters.
    return cd.convert(repair_utf8(utf8), "?", [](std::string_view in, std::size_t offset) {
        return utf8_sequence_length(in, offset);
    });
}

bool charset_supported(std::string_view charset) {
    if (!is_charset_name(charset)) {
        return false;
    }
    if (is_utf8_name(charset)) {
        return true;
    }
    const IconvHandle to("UTF-8", std::string(charset));
    const IconvHandle from(std::string(charset) + "//TRANSLIT", "UTF-8");
    return to.valid() && from.valid();
}

} // namespace tinyice::protocol::icecast
