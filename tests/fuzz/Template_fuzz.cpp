// Fuzzes the template engine (src/http/Template.cpp): the input is "template\0json data"; the
// template is compiled (errors are fine) and, when it compiles, rendered with the data and with
// itself as every partial (recursion bounded by the partial depth limit), under small limits so
// that each input stays fast. Checks: no crash, the output cap holds, and escaped output never
// contains a raw '<' coming from the data.

#include "http/Template.hpp"

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

using tinyice::http::Template;
using tinyice::http::TemplateError;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto nul = input.find('\0');
    const std::string_view text = input.substr(0, nul);
    const std::string_view json_text =
        nul == std::string_view::npos ? std::string_view("{}") : input.substr(nul + 1);

    Template t;
    try {
        t = Template::compile(text);
    } catch (const std::invalid_argument&) {
        return 0;
    }
    boost::json::error_code ec;
    auto value = boost::json::parse(json_text, ec);
    if (ec) {
        value = boost::json::object{};
    }
    Template::Limits limits;
    limits.max_output = 1 << 16;
    limits.max_partial_depth = 4;
    limits.max_steps = 200'000;
    try {
        auto out = t.render(value, [&t](std::string_view) { return &t; }, limits);
        if (out.size() > limits.max_output) {
            __builtin_trap();
        }
    } catch (const TemplateError&) {
    }
    // Escaping: a string value rendered with {{x}} never yields markup.
    try {
        auto escaped = Template::compile("{{x}}").render(
            boost::json::object{{"x", std::string(json_text.substr(0, 256))}});
        if (escaped.find('<') != std::string::npos || escaped.find('"') != std::string::npos) {
            __builtin_trap();
        }
    } catch (const TemplateError&) {
    }
    return 0;
}
