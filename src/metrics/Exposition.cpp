#include "metrics/Exposition.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <system_error>

namespace tinyice::metrics {
namespace {

bool is_name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_name_char(char c) {
    return is_name_start(c) || (c >= '0' && c <= '9');
}

// Length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 when it is not one.
std::size_t utf8_sequence_length(std::string_view s) {
    const auto byte = [&](std::size_t i) {
        return static_cast<unsigned char>(s[i]);
    };
    const unsigned char b0 = byte(0);
    if (b0 < 0x80) {
        return 1;
    }
    std::size_t length = 0;
    unsigned char min1 = 0x80; // bounds of the second byte, which rule out the bad forms
    unsigned char max1 = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        length = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        length = 3;
        if (b0 == 0xE0) {
            min1 = 0xA0; // overlong
        } else if (b0 == 0xED) {
            max1 = 0x9F; // surrogates
        }
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        length = 4;
        if (b0 == 0xF0) {
            min1 = 0x90; // overlong
        } else if (b0 == 0xF4) {
            max1 = 0x8F; // above U+10FFFF
        }
    } else {
        return 0;
    }
    if (s.size() < length || byte(1) < min1 || byte(1) > max1) {
        return 0;
    }
    for (std::size_t i = 2; i < length; ++i) {
        if (byte(i) < 0x80 || byte(i) > 0xBF) {
            return 0;
        }
    }
    return length;
}

// Appends `text` with backslash and newline escaped, and double quotes too when `quote`; each
// byte that does not start a well-formed UTF-8 sequence becomes U+FFFD.
void append_escaped(std::string& out, std::string_view text, bool quote) {
    constexpr std::string_view replacement = "\xEF\xBF\xBD";
    while (!text.empty()) {
        const char c = text.front();
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '"' && quote) {
            out += "\\\"";
        } else {
            const std::size_t n = utf8_sequence_length(text);
            if (n == 0) {
                out += replacement;
                text.remove_prefix(1);
            } else {
                out.append(text.substr(0, n));
                text.remove_prefix(n);
            }
            continue;
        }
        text.remove_prefix(1);
    }
}

void append_unsigned(std::string& out, std::uint64_t value) {
    std::array<char, 24> buf{};
    const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    out.append(buf.data(), res.ptr);
}

void append_value(std::string& out, double value) {
    if (std::isnan(value)) {
        out += "NaN";
        return;
    }
    if (std::isinf(value)) {
        out += value > 0 ? "+Inf" : "-Inf";
        return;
    }
    // Integral values in plain digits: byte and connection counts stay readable and exact.
    constexpr double two_to_63 = 9223372036854775808.0;
    if (std::trunc(value) == value && std::fabs(value) < two_to_63) {
        const auto integer = static_cast<std::int64_t>(value);
        if (integer < 0) {
            out += '-';
        }
        append_unsigned(out, integer < 0 ? 0 - static_cast<std::uint64_t>(integer)
                                         : static_cast<std::uint64_t>(integer));
        return;
    }
    // Shortest text that reads back as the same double; Go's ParseFloat and Python's float()
    // both accept its "1.5e-07" exponent form.
    std::array<char, 32> buf{};
    const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    out.append(buf.data(), res.ptr);
}

[[noreturn]] void invalid(const std::string& what) {
    throw std::invalid_argument("metrics: " + what);
}

bool has_label(const Labels& labels, std::string_view name) {
    return std::any_of(labels.begin(), labels.end(),
                       [&](const auto& label) { return label.first == name; });
}

void check_suffix(const std::string& family, MetricType type, const Labels& labels,
                  std::string_view suffix) {
    switch (type) {
    case MetricType::counter:
    case MetricType::gauge:
    case MetricType::untyped:
        if (!suffix.empty()) {
            invalid("a " + std::string(to_string(type)) + " sample has no suffix (" + family +
                    std::string(suffix) + ")");
        }
        return;
    case MetricType::histogram:
        if (suffix != "_bucket" && suffix != "_sum" && suffix != "_count") {
            invalid("histogram " + family + " sample needs suffix _bucket, _sum or _count");
        }
        if (suffix == "_bucket" && !has_label(labels, "le")) {
            invalid("histogram bucket " + family + "_bucket needs an le label");
        }
        return;
    case MetricType::summary:
        if (!suffix.empty() && suffix != "_sum" && suffix != "_count") {
            invalid("summary " + family + " sample suffix must be empty, _sum or _count");
        }
        if (suffix.empty() && !has_label(labels, "quantile")) {
            invalid("summary " + family + " sample needs a quantile label");
        }
        return;
    }
}

} // namespace

std::string_view to_string(MetricType type) {
    switch (type) {
    case MetricType::counter:
        return "counter";
    case MetricType::gauge:
        return "gauge";
    case MetricType::histogram:
        return "histogram";
    case MetricType::summary:
        return "summary";
    case MetricType::untyped:
        return "untyped";
    }
    return "untyped";
}

bool is_valid_metric_name(std::string_view name) {
    if (name.empty() || !(is_name_start(name.front()) || name.front() == ':')) {
        return false;
    }
    return std::all_of(name.begin(), name.end(),
                       [](char c) { return is_name_char(c) || c == ':'; });
}

bool is_valid_label_name(std::string_view name) {
    if (name.empty() || !is_name_start(name.front()) || name.starts_with("__")) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), is_name_char);
}

std::string format_value(double value) {
    std::string out;
    append_value(out, value);
    return out;
}

std::string escape_help(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    append_escaped(out, text, false);
    return out;
}

std::string escape_label_value(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    append_escaped(out, text, true);
    return out;
}

void TextExposition::family(std::string_view name, MetricType type, std::string_view help) {
    const std::string key(name);
    if (const auto it = index_.find(key); it != index_.end()) {
        const Family& existing = families_[it->second];
        if (existing.type != type || existing.help != help) {
            invalid("family " + key + " declared again with a different type or help");
        }
        current_ = it->second;
        return;
    }
    if (!is_valid_metric_name(name)) {
        invalid("invalid metric name \"" + escape_label_value(name) + "\"");
    }
    if (type == MetricType::counter && !name.ends_with("_total")) {
        invalid("counter " + key + " must be named *_total");
    }
    families_.push_back(Family{key, type, std::string(help), {}, {}});
    current_ = families_.size() - 1;
    index_.emplace(key, current_);
}

TextExposition::Family& TextExposition::begin_sample(const Labels& labels,
                                                     std::string_view suffix) {
    if (current_ == no_family) {
        throw std::logic_error("metrics: sample() before family()");
    }
    Family& fam = families_[current_];
    check_suffix(fam.name, fam.type, labels, suffix);
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (!is_valid_label_name(labels[i].first)) {
            invalid("invalid label name \"" + escape_label_value(labels[i].first) + "\" in " +
                    fam.name);
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (labels[j].first == labels[i].first) {
                invalid("label " + labels[i].first + " given twice in " + fam.name);
            }
        }
    }

    std::string rendered;
    for (const auto& [label, value] : labels) {
        rendered += rendered.empty() ? "{" : ",";
        rendered += label;
        rendered += "=\"";
        append_escaped(rendered, value, true);
        rendered += '"';
    }
    if (!rendered.empty()) {
        rendered += '}';
    }

    // The same labels in another order are the same series, so the key sorts them.
    std::string key(suffix);
    if (labels.size() <= 1) {
        key += rendered;
    } else {
        std::vector<std::size_t> order(labels.size());
        for (std::size_t i = 0; i < order.size(); ++i) {
            order[i] = i;
        }
        std::sort(order.begin(), order.end(),
                  [&](std::size_t a, std::size_t b) { return labels[a].first < labels[b].first; });
        for (const std::size_t i : order) {
            key += labels[i].first;
            key += "=\"";
            append_escaped(key, labels[i].second, true);
            key += "\",";
        }
    }
    if (!fam.series.insert(std::move(key)).second) {
        invalid("series " + fam.name + std::string(suffix) + rendered + " written twice");
    }

    fam.samples += fam.name;
    fam.samples += suffix;
    fam.samples += rendered;
    fam.samples += ' ';
    return fam;
}

void TextExposition::sample(const Labels& labels, double value, std::string_view suffix) {
    Family& fam = begin_sample(labels, suffix);
    append_value(fam.samples, value);
    fam.samples += '\n';
}

void TextExposition::sample_integer(const Labels& labels, bool negative, std::uint64_t magnitude,
                                    std::string_view suffix) {
    Family& fam = begin_sample(labels, suffix);
    if (negative) {
        fam.samples += '-';
    }
    append_unsigned(fam.samples, magnitude);
    fam.samples += '\n';
}

std::string TextExposition::finish() {
    std::size_t size = 0;
    for (const Family& fam : families_) {
        size += 2 * fam.name.size() + fam.help.size() + fam.samples.size() + 32;
    }
    std::string out;
    out.reserve(size);
    for (const Family& fam : families_) {
        out += "# HELP ";
        out += fam.name;
        if (!fam.help.empty()) {
            out += ' ';
            append_escaped(out, fam.help, false);
        }
        out += "\n# TYPE ";
        out += fam.name;
        out += ' ';
        out += to_string(fam.type);
        out += '\n';
        out += fam.samples;
    }
    families_.clear();
    index_.clear();
    current_ = no_family;
    return out;
}

} // namespace tinyice::metrics
