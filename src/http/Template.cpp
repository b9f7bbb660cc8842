#include "http/Template.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace tinyice::http {

namespace json = boost::json;

namespace {

struct Position {
    std::size_t line = 1;
    std::size_t column = 1;
};

Position position_of(std::string_view text, std::size_t offset) {
    Position p;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++p.line;
            p.column = 1;
        } else {
            ++p.column;
        }
    }
    return p;
}

[[noreturn]] void fail(std::string_view text, std::size_t offset, const std::string& message) {
    auto p = position_of(text, offset);
    throw std::invalid_argument(fmt::format("{}:{}: {}", p.line, p.column, message));
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' ||
                          s.front() == '\r')) {
        s.remove_prefix(1);
    }
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

// "a.b.c" -> {"a", "b", "c"}; "." -> {}; nullopt-like empty result with ok=false when invalid.
bool split_name(std::string_view name, std::vector<std::string>& out) {
    out.clear();
    if (name == ".") {
        return true;
    }
    if (name.empty()) {
        return false;
    }
    std::size_t start = 0;
    while (true) {
        auto dot = name.find('.', start);
        auto seg = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (seg.empty()) {
            return false;
        }
        for (char c : seg) {
            if (!name_char(c)) {
                return false;
            }
        }
        out.emplace_back(seg);
        if (dot == std::string_view::npos) {
            return true;
        }
        start = dot + 1;
    }
}

bool valid_partial_name(std::string_view name) {
    if (name.empty() || name.front() == '/' || name.find("..") != std::string_view::npos) {
        return false;
    }
    for (char c : name) {
        if (!name_char(c) && c != '/' && c != '.') {
            return false;
        }
    }
    return true;
}

std::string join_name(const std::vector<std::string>& name) {
    if (name.empty()) {
        return ".";
    }
    std::string out;
    for (const auto& seg : name) {
        if (!out.empty()) {
            out += '.';
        }
        out += seg;
    }
    return out;
}

bool truthy(const json::value* v) {
    if (v == nullptr) {
        return false;
    }
    switch (v->kind()) {
    case json::kind::null:
        return false;
    case json::kind::bool_:
        return v->get_bool();
    case json::kind::int64:
        return v->get_int64() != 0;
    case json::kind::uint64:
        return v->get_uint64() != 0;
    case json::kind::double_:
        return v->get_double() != 0.0 && !std::isnan(v->get_double());
    case json::kind::string:
        return !v->get_string().empty();
    case json::kind::array:
        return !v->get_array().empty();
    case json::kind::object:
        return true;
    }
    return false;
}

template <class T>
void append_integer(std::string& out, T v) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, end);
}

// Like JavaScript's String(number) for the values pages show: integral values without a
// fraction, others in the shortest form that reads back the same.
void append_double(std::string& out, double d) {
    if (!std::isfinite(d)) {
        return;
    }
    if (std::trunc(d) == d && std::fabs(d) < 1e15) {
        append_integer(out, static_cast<std::int64_t>(d));
        return;
    }
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    out.append(buf, end);
}

void append_escaped(std::string& out, std::string_view text) {
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
}

}  // namespace

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    append_escaped(out, text);
    return out;
}

Template Template::compile(std::string_view text) {
    Template t;
    struct Open {
        std::uint32_t node;
        std::size_t offset;
    };
    std::vector<Open> open;
    std::size_t i = 0;
    // Text may merge into the previous text node only if that node is not the last one of a
    // section that has just been closed (the text after {{/x}} is outside the section).
    std::size_t merge_floor = 0;
    auto add_text = [&](std::string_view s) {
        if (s.empty()) {
            return;
        }
        if (t.nodes_.size() > merge_floor && t.nodes_.back().kind == Kind::text) {
            t.nodes_.back().text += s;
            return;
        }
        Node n;
        n.kind = Kind::text;
        n.text = std::string(s);
        t.nodes_.push_back(std::move(n));
    };
    while (i < text.size()) {
        auto tag = text.find("{{", i);
        if (tag == std::string_view::npos) {
            add_text(text.substr(i));
            break;
        }
        add_text(text.substr(i, tag - i));
        const std::size_t tag_start = tag;
        std::string_view inner;
        bool triple = false;
        if (tag + 2 < text.size() && text[tag + 2] == '{') {
            triple = true;
            auto close = text.find("}}}", tag + 3);
            if (close == std::string_view::npos) {
                fail(text, tag_start, "unclosed tag '{{{' (expected '}}}')");
            }
            inner = text.substr(tag + 3, close - tag - 3);
            i = close + 3;
        } else {
            auto close = text.find("}}", tag + 2);
            if (close == std::string_view::npos) {
                fail(text, tag_start, "unclosed tag '{{' (expected '}}')");
            }
            inner = text.substr(tag + 2, close - tag - 2);
            i = close + 2;
        }
        inner = trim(inner);
        char sigil = triple || inner.empty() ? '\0' : inner.front();
        Node n;
        switch (sigil) {
        case '!':
            continue;  // comment
        case '=':
            fail(text, tag_start, "set-delimiter tags are not supported");
        case '#':
        case '^':
        case '/':
        case '&':
        case '>':
            inner = trim(inner.substr(1));
            break;
        default:
            break;
        }
        if (inner.empty()) {
            fail(text, tag_start, "empty tag");
        }
        if (sigil == '>') {
            if (!valid_partial_name(inner)) {
                fail(text, tag_start, fmt::format("invalid partial name '{}'", inner));
            }
            n.kind = Kind::partial;
            n.text = std::string(inner);
            t.nodes_.push_back(std::move(n));
            continue;
        }
        if (!split_name(inner, n.name)) {
            fail(text, tag_start, fmt::format("invalid name '{}'", inner));
        }
        if (sigil == '/') {
            if (open.empty()) {
                fail(text, tag_start,
                     fmt::format("'{{{{/{}}}}}' closes no open section", inner));
            }
            Node& section = t.nodes_[open.back().node];
            if (section.name != n.name) {
                fail(text, tag_start,
                     fmt::format("'{{{{/{}}}}}' does not match the open section '{}'", inner,
                                 join_name(section.name)));
            }
            section.end = static_cast<std::uint32_t>(t.nodes_.size());
            merge_floor = t.nodes_.size();
            open.pop_back();
            continue;
        }
        if (sigil == '#' || sigil == '^') {
            if (open.size() >= static_cast<std::size_t>(max_section_depth)) {
                fail(text, tag_start,
                     fmt::format("sections nested deeper than {}", max_section_depth));
            }
            n.kind = sigil == '#' ? Kind::section : Kind::inverted;
            open.push_back(Open{static_cast<std::uint32_t>(t.nodes_.size()), tag_start});
            t.nodes_.push_back(std::move(n));
            continue;
        }
        n.kind = triple || sigil == '&' ? Kind::raw : Kind::escaped;
        t.nodes_.push_back(std::move(n));
    }
    if (!open.empty()) {
        fail(text, open.back().offset,
             fmt::format("section '{}' is never closed", join_name(t.nodes_[open.back().node].name)));
    }
    if (t.nodes_.size() >= std::numeric_limits<std::uint32_t>::max()) {
        throw std::invalid_argument("template too large");
    }
    return t;
}

struct Template::RenderState {
    std::vector<const json::value*> stack;
    const Partials* partials = nullptr;
    const Limits* limits = nullptr;
    std::string out;
    int partial_depth = 0;
    std::uint64_t steps = 0;

    const json::value* lookup(const std::vector<std::string>& name) const {
        if (name.empty()) {
            return stack.back();
        }
        const json::value* found = nullptr;
        for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
            if (const auto* o = (*it)->if_object()) {
                if (const auto* v = o->if_contains(name.front())) {
                    found = v;
                    break;
                }
            }
        }
        for (std::size_t i = 1; found != nullptr && i < name.size(); ++i) {
            found = member(*found, name[i]);
        }
        return found;
    }

    static const json::value* member(const json::value& v, const std::string& key) {
        if (const auto* o = v.if_object()) {
            return o->if_contains(key);
        }
        if (const auto* a = v.if_array()) {
            std::size_t index = 0;
            auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), index);
            if (ec == std::errc() && end == key.data() + key.size() && index < a->size()) {
                return &(*a)[index];
            }
        }
        return nullptr;
    }

    void step() {
        if (++steps > limits->max_steps) {
            throw TemplateError(
                fmt::format("template rendering took more than {} steps", limits->max_steps));
        }
    }

    void check_output() const {
        if (out.size() > limits->max_output) {
            throw TemplateError(
                fmt::format("template output larger than {} bytes", limits->max_output));
        }
    }

    void append_value(const json::value* v, bool escape) {
        if (v == nullptr) {
            return;
        }
        switch (v->kind()) {
        case json::kind::string:
            if (escape) {
                append_escaped(out, v->get_string());
            } else {
                out.append(v->get_string().data(), v->get_string().size());
            }
            break;
        case json::kind::int64:
            append_integer(out, v->get_int64());
            break;
        case json::kind::uint64:
            append_integer(out, v->get_uint64());
            break;
        case json::kind::double_:
            append_double(out, v->get_double());
            break;
        case json::kind::bool_:
            out += v->get_bool() ? "true" : "false";
            break;
        case json::kind::null:
        case json::kind::array:
        case json::kind::object:
            break;
        }
        check_output();
    }
};

void Template::render_range(std::uint32_t begin, std::uint32_t end, RenderState& state) const {
    for (std::uint32_t i = begin; i < end; ++i) {
        state.step();
        const Node& n = nodes_[i];
        switch (n.kind) {
        case Kind::text:
            state.out += n.text;
            state.check_output();
            break;
        case Kind::escaped:
        case Kind::raw:
            state.append_value(state.lookup(n.name), n.kind == Kind::escaped);
            break;
        case Kind::section: {
            const json::value* v = state.lookup(n.name);
            if (truthy(v)) {
                if (const auto* a = v->if_array()) {
                    for (const auto& element : *a) {
                        state.step();
                        state.stack.push_back(&element);
                        render_range(i + 1, n.end, state);
                        state.stack.pop_back();
                    }
                } else {
                    state.stack.push_back(v);
                    render_range(i + 1, n.end, state);
                    state.stack.pop_back();
                }
            }
            i = n.end - 1;
            break;
        }
        case Kind::inverted:
            if (!truthy(state.lookup(n.name))) {
                render_range(i + 1, n.end, state);
            }
            i = n.end - 1;
            break;
        case Kind::partial: {
            const Template* partial =
                *state.partials ? (*state.partials)(n.text) : nullptr;
            if (partial == nullptr) {
                throw TemplateError(fmt::format("unknown partial '{}'", n.text));
            }
            if (state.partial_depth >= state.limits->max_partial_depth) {
                throw TemplateError(fmt::format("partials nested deeper than {} (at '{}')",
                                                state.limits->max_partial_depth, n.text));
            }
            ++state.partial_depth;
            partial->render_range(0, static_cast<std::uint32_t>(partial->nodes_.size()), state);
            --state.partial_depth;
            break;
        }
        }
    }
}

std::string Template::render(const json::value& data, const Partials& partials,
                             const Limits& limits) const {
    RenderState state;
    state.stack.push_back(&data);
    state.partials = &partials;
    state.limits = &limits;
    render_range(0, static_cast<std::uint32_t>(nodes_.size()), state);
    return std::move(state.out);
}

}  // namespace tinyice::http
