#pragma once
// Builds the Prometheus text exposition format, version 0.0.4: one "# HELP" and one "# TYPE"
// line per metric family, followed by all of that family's samples. Sans-I/O: the server renders
// the text at scrape time from its snapshot structs and sends it with `exposition_content_type`.
//
// Names are checked because a wrong name is a bug in our code, not bad input: an invalid metric
// or label name, a counter not named *_total, a suffix that does not fit the type, or a series
// given twice throws std::invalid_argument. Text that comes from users (label values, help) is
// escaped, and invalid UTF-8 in it is replaced with U+FFFD, because Prometheus rejects the whole
// scrape for one bad label value.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace tinyice::metrics {

inline constexpr std::string_view exposition_content_type =
    "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType { counter, gauge, histogram, summary, untyped };

// "counter", "gauge", ... as written on the TYPE line.
[[nodiscard]] std::string_view to_string(MetricType type);

// Label name/value pairs, in the order they are written.
using Labels = std::vector<std::pair<std::string, std::string>>;

// [a-zA-Z_:][a-zA-Z0-9_:]*
[[nodiscard]] bool is_valid_metric_name(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, and not starting with "__" (reserved for Prometheus itself).
[[nodiscard]] bool is_valid_label_name(std::string_view name);

// A sample value as Prometheus parses it: "NaN", "+Inf", "-Inf"; integral values below 2^63 in
// plain digits ("1500000", never "1.5e+06"); anything else in the shortest form that reads back
// as the same double ("0.1", "1.5e-07"). Also what a histogram's `le` label value should be.
[[nodiscard]] std::string format_value(double value);

// Backslash and newline as \\ and \n (a HELP text).
[[nodiscard]] std::string escape_help(std::string_view text);
// Backslash, double quote and newline as \\, \" and \n (a label value).
[[nodiscard]] std::string escape_label_value(std::string_view text);

class TextExposition {
public:
    // Starts (or returns to) the family `name`; following sample() calls belong to it. Families
    // are written in the order they were first declared, each with its samples together, so a
    // renderer may go back and forth between families (e.g. one loop over mounts). A family
    // declared again must have the same type and help. A family without samples is written as
    // its HELP and TYPE lines only, which Prometheus accepts.
    void family(std::string_view name, MetricType type, std::string_view help);

    // One sample of the current family. `suffix` is "_bucket", "_sum" or "_count" for a
    // histogram (which has no plain samples; "_bucket" needs an `le` label) and "_sum" or
    // "_count" for a summary (whose plain samples need a `quantile` label); empty otherwise.
    // Throws std::logic_error before the first family() and std::invalid_argument for an
    // invalid label name, a label given twice in one sample, or a series already written.
    void sample(const Labels& labels, double value, std::string_view suffix = {});

    // Integer values are written exactly (no exponent); bool gives 0 or 1.
    template <std::integral T>
    void sample(const Labels& labels, T value, std::string_view suffix = {}) {
        if constexpr (std::is_signed_v<T>) {
            sample_integer(labels, value < 0,
                           value < 0 ? 0 - static_cast<std::uint64_t>(value)
                                     : static_cast<std::uint64_t>(value),
                           suffix);
        } else {
            sample_integer(labels, false, static_cast<std::uint64_t>(value), suffix);
        }
    }

    // The text, families in declaration order; the builder is empty again afterwards.
    [[nodiscard]] std::string finish();

private:
    struct Family {
        std::string name;
        MetricType type = MetricType::untyped;
        std::string help;
        std::string samples; // rendered sample lines
        // Suffix and sorted labels of every series written, to refuse duplicates.
        std::unordered_set<std::string> series;
    };

    void sample_integer(const Labels& labels, bool negative, std::uint64_t magnitude,
                        std::string_view suffix);
    // Checks the sample and writes "name_suffix{labels} " to the current family.
    Family& begin_sample(const Labels& labels, std::string_view suffix);

    std::vector<Family> families_;
    std::unordered_map<std::string, std::size_t> index_; // name -> position in families_
    static constexpr std::size_t no_family = static_cast<std::size_t>(-1);
    std::size_t current_ = no_family;
};

} // namespace tinyice::metrics
