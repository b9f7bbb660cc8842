#pragma once
// A Mustache-subset template engine for the web pages, over Boost.JSON values. The same subset
// is implemented in JavaScript (src/web/assets/template.js) so that rows rendered in the browser
// from live data use exactly the markup the server renders; keep the two in step.
//
//   {{name}}  {{a.b.c}}  {{.}}    a value, HTML-escaped (& < > " ')
//   {{{name}}}  {{& name}}        a value, raw
//   {{#name}}...{{/name}}         section: an array renders once per element (the element is
//                                 pushed as the context), an object once with it pushed, any
//                                 other truthy value once (pushed, so {{.}} shows it); a falsy
//                                 value renders nothing
//   {{^name}}...{{/name}}         inverted section: renders once when the value is falsy
//   {{! comment }}                nothing
//   {{> name}}                    a partial, looked up by name at render time, rendered with
//                                 the current context stack
//
// Falsy: missing, null, false, 0, "" and []. Everything else (objects too, even {}) is truthy.
// Lookup: "." is the current context; otherwise the first segment of a dotted name is searched
// from the innermost context outwards, and the remaining segments inside what was found
// (a numeric segment indexes an array). Rendering a value: strings as they are, numbers like
// JSON/JavaScript (integral values without ".0"), booleans as true/false, null, objects and
// arrays as nothing.
//
// Not supported (compile errors): set-delimiter tags ({{=<% %>=}}), lambdas. Whitespace is kept
// as written: "standalone" tag lines are not stripped (irrelevant to HTML).
//
// Compile once, render many times: a compiled Template is immutable and safe to render from
// several threads at once.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

namespace tinyice::http {

// Rendering failed: an unknown partial or a limit was hit. The template or its data is at
// fault, not the visitor, so callers answer 500 and log the message.
struct TemplateError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct TemplateLimits {
    std::size_t max_output = std::size_t{8} << 20;  // bytes of output
    int max_partial_depth = 16;                     // partials within partials
    // Tags and text pieces visited: bounds the work of nested loops over large arrays that
    // produce little output.
    std::uint64_t max_steps = 20'000'000;
};

class Template {
public:
    // Sections nested deeper than this are a compile error.
    static constexpr int max_section_depth = 32;

    using Limits = TemplateLimits;

    // Looks a partial up by name; nullptr when there is none (rendering then throws).
    using Partials = std::function<const Template*(std::string_view name)>;

    // Throws std::invalid_argument "LINE:COLUMN: message" (1-based, column in bytes) for an
    // unclosed tag, an unbalanced or mismatched section, an invalid name, or nesting deeper than
    // max_section_depth.
    static Template compile(std::string_view text);

    Template() = default;

    // Throws TemplateError when a partial is missing or a limit is exceeded.
    [[nodiscard]] std::string render(const boost::json::value& data,
                                     const Partials& partials = {},
                                     const Limits& limits = Limits{}) const;

private:
    enum class Kind : std::uint8_t { text, escaped, raw, section, inverted, partial };
    struct Node {
        Kind kind = Kind::text;
        std::string text;                // literal text, or the partial's name
        std::vector<std::string> name;   // dotted name split at '.'; empty means "."
        std::uint32_t end = 0;           // sections: index one past their last child
    };
    struct RenderState;

    void render_range(std::uint32_t begin, std::uint32_t end, RenderState& state) const;

    std::vector<Node> nodes_;
};

// HTML-escapes & < > " ' (the escaping {{name}} applies).
std::string html_escape(std::string_view text);

}  // namespace tinyice::http
