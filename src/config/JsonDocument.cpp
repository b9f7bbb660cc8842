#include "config/JsonDocument.hpp"

#include "config/Config.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

#include <set>
#include <string>
#include <vector>

namespace tinyice::config::detail {

namespace json = boost::json;

namespace {

// A basic_parser handler that builds the DOM exactly like boost::json::parser does (through a
// value_stack) while tracking where it is, so it can reject duplicate keys with their path.
class DocumentHandler {
public:
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);

    bool on_document_begin(json::error_code& /*ec*/) {
        stack_.reset();
        return true;
    }
    static bool on_document_end(json::error_code& /*ec*/) { return true; }

    bool on_object_begin(json::error_code& /*ec*/) {
        frames_.push_back(Frame{.is_object = true});
        return true;
    }
    bool on_object_end(std::size_t n, json::error_code& /*ec*/) {
        stack_.push_object(n);
        frames_.pop_back();
        value_done();
        return true;
    }
    bool on_array_begin(json::error_code& /*ec*/) {
        frames_.push_back(Frame{.is_object = false});
        return true;
    }
    bool on_array_end(std::size_t n, json::error_code& /*ec*/) {
        stack_.push_array(n);
        frames_.pop_back();
        value_done();
        return true;
    }

    bool on_key_part(json::string_view s, std::size_t /*total*/, json::error_code& /*ec*/) {
        key_.append(s.data(), s.size());
        stack_.push_chars(s);
        return true;
    }
    bool on_key(json::string_view s, std::size_t /*total*/, json::error_code& ec) {
        key_.append(s.data(), s.size());
        Frame& frame = frames_.back();
        if (!frame.keys.insert(key_).second) {
            duplicate_path_ = current_path() + (frames_.size() > 1 ? "." : "") + key_;
            ec = json::error::syntax;
            return false;
        }
        frame.key = std::move(key_);
        key_.clear();
        stack_.push_key(s);
        return true;
    }

    bool on_string_part(json::string_view s, std::size_t /*total*/, json::error_code& /*ec*/) {
        stack_.push_chars(s);
        return true;
    }
    bool on_string(json::string_view s, std::size_t /*total*/, json::error_code& /*ec*/) {
        stack_.push_string(s);
        value_done();
        return true;
    }
    static bool on_number_part(json::string_view /*raw*/, json::error_code& /*ec*/) { return true; }
    bool on_int64(std::int64_t i, json::string_view /*raw*/, json::error_code& /*ec*/) {
        stack_.push_int64(i);
        value_done();
        return true;
    }
    bool on_uint64(std::uint64_t u, json::string_view /*raw*/, json::error_code& /*ec*/) {
        stack_.push_uint64(u);
        value_done();
        return true;
    }
    bool on_double(double d, json::string_view /*raw*/, json::error_code& /*ec*/) {
        stack_.push_double(d);
        value_done();
        return true;
    }
    bool on_bool(bool b, json::error_code& /*ec*/) {
        stack_.push_bool(b);
        value_done();
        return true;
    }
    bool on_null(json::error_code& /*ec*/) {
        stack_.push_null();
        value_done();
        return true;
    }
    static bool on_comment_part(json::string_view /*raw*/, json::error_code& /*ec*/) {
        return true;
    }
    static bool on_comment(json::string_view /*raw*/, json::error_code& /*ec*/) { return true; }

    json::value release() { return stack_.release(); }
    [[nodiscard]] const std::string& duplicate_path() const { return duplicate_path_; }

private:
    struct Frame {
        bool is_object = false;
        std::size_t index = 0;      // arrays: elements completed so far
        std::set<std::string> keys; // objects: keys seen so far
        std::string key;            // objects: the key whose value is being parsed
    };

    void value_done() {
        if (!frames_.empty() && !frames_.back().is_object) {
            ++frames_.back().index;
        }
    }

    // Path of the value currently being parsed, in the same notation as validation errors.
    [[nodiscard]] std::string current_path() const {
        std::string path;
        for (std::size_t i = 0; i + 1 < frames_.size(); ++i) {
            const Frame& f = frames_[i];
            if (f.is_object) {
                if (!path.empty()) {
                    path += '.';
                }
                path += f.key;
            } else {
                path += '[' + std::to_string(f.index) + ']';
            }
        }
        return path;
    }

    json::value_stack stack_;
    std::vector<Frame> frames_;
    std::string key_;
    std::string duplicate_path_;
};

std::string line_and_column(std::string_view text, std::size_t offset) {
    std::size_t line = 1;
    std::size_t column = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

} // namespace

json::value parse_json_document(std::string_view text) {
    constexpr std::string_view bom = "\xEF\xBB\xBF";
    if (text.starts_with(bom)) {
        text.remove_prefix(bom.size());
    }
    json::parse_options options;
    options.allow_comments = true;
    options.allow_trailing_commas = true;
    // The config is three levels deep; a tight limit keeps hostile input from recursing far.
    options.max_depth = 16;

    json::basic_parser<DocumentHandler> parser(options);
    json::error_code ec;
    const std::size_t consumed = parser.write_some(false, text.data(), text.size(), ec);
    // write_some stops after one complete document; anything left over is a second value.
    if (!ec && consumed < text.size()) {
        ec = json::error::extra_data;
    }
    if (!parser.handler().duplicate_path().empty()) {
        throw ConfigError(parser.handler().duplicate_path() + ": duplicate key (" +
                          line_and_column(text, consumed) + ")");
    }
    if (ec) {
        throw ConfigError("invalid JSON at " + line_and_column(text, consumed) + ": " +
                          ec.message());
    }
    return parser.handler().release();
}

} // namespace tinyice::config::detail
