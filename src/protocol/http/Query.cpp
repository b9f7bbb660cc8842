#include "protocol/http/Query.hpp"

#include "protocol/http/Ascii.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>

namespace tinyice::protocol::http {

namespace {

bool starts_escape(std::string_view s, std::size_t i) {
    return i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0;
}

// Form decoding: '+' -> ' ', %XX -> byte, and a '%' that is not a valid escape kept as is.
std::string form_decode(std::string_view text) {
    boost::urls::encoding_opts opts;
    opts.space_as_plus = true;
    if (auto pct = boost::urls::make_pct_string_view(text)) {
        return pct->decode(opts);
    }
    // Rare path: escape the stray '%' signs so they survive decoding literally.
    std::string fixed;
    fixed.reserve(text.size() + 16);
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && !starts_escape(text, i)) {
            fixed += "%25";
        } else {
            fixed += text[i];
        }
    }
    return boost::urls::make_pct_string_view(fixed)->decode(opts);
}

} // namespace

QueryParams::QueryParams(std::string_view query) {
    while (!query.empty() && items_.size() < max_params) {
        const auto amp = query.find('&');
        const auto piece = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (piece.empty()) {
            continue;
        }
        const auto eq = piece.find('=');
        auto key = form_decode(piece.substr(0, eq));
        auto value =
            eq == std::string_view::npos ? std::string{} : form_decode(piece.substr(eq + 1));
        if (key.size() > max_value_bytes) {
            key.resize(max_value_bytes);
        }
        if (value.size() > max_value_bytes) {
            value.resize(max_value_bytes);
        }
        items_.emplace_back(std::move(key), std::move(value));
    }
}

std::optional<std::string> QueryParams::get(std::string_view key) const {
    for (const auto& [k, v] : items_) {
        if (k == key) {
            return v;
        }
    }
    return std::nullopt;
}

bool QueryParams::has(std::string_view key) const {
    return std::any_of(items_.begin(), items_.end(),
                       [key](const auto& item) { return item.first == key; });
}

std::string url_encode(std::string_view text) {
    return boost::urls::encode(text, boost::urls::unreserved_chars);
}

std::optional<std::string> normalize_mount_path(std::string_view raw_path) {
    // Each decoded byte costs at most three raw ones; anything longer cannot fit.
    if (raw_path.empty() || raw_path.front() != '/' || raw_path.size() > max_mount_path * 3) {
        return std::nullopt;
    }
    auto pct = boost::urls::make_pct_string_view(raw_path);
    if (!pct) {
        return std::nullopt;
    }
    const std::string decoded = pct->decode();

    std::string out;
    out.reserve(decoded.size());
    std::string_view rest = decoded;
    while (!rest.empty()) {
        // rest starts at a run of '/'; emit one and take the following segment.
        rest.remove_prefix(std::min(rest.find_first_not_of('/'), rest.size()));
        out += '/';
        const auto slash = rest.find('/');
        const auto segment = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
        if (segment == "." || segment == "..") {
            return std::nullopt;
        }
        for (char c : segment) {
            if (is_ctl(c) || c == '\\') {
                return std::nullopt;
            }
        }
        out += segment;
    }
    if (out.size() > max_mount_path) {
        return std::nullopt;
    }
    return out;
}

} // namespace tinyice::protocol::http
