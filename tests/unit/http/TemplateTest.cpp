#include "http/Template.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include <boost/json.hpp>

namespace tinyice::http {
namespace {

namespace json = boost::json;

std::string render(std::string_view text, std::string_view data_json = "{}") {
    return Template::compile(text).render(json::parse(data_json));
}

std::string compile_error(std::string_view text) {
    try {
        Template::compile(text);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "(compiled)";
}

TEST(Template, PlainTextIsCopied) {
    EXPECT_EQ(render(""), "");
    EXPECT_EQ(render("<p>Hello</p>\n  } } { {"), "<p>Hello</p>\n  } } { {");
}

TEST(Template, VariablesAreEscapedUnlessRaw) {
    const char* data = R"({"x": "<a href=\"x\">Tom & Jerry's</a>"})";
    EXPECT_EQ(render("{{x}}", data),
              "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
    EXPECT_EQ(render("{{{x}}}", data), "<a href=\"x\">Tom & Jerry's</a>");
    EXPECT_EQ(render("{{& x}}", data), "<a href=\"x\">Tom & Jerry's</a>");
    EXPECT_EQ(render("{{ x }}|{{{ x }}}", R"({"x": "<"})"), "&lt;|<");
}

TEST(Template, ScalarsRenderLikeJson) {
    const char* data = R"({"i": 42, "neg": -7, "u": 18446744073709551615, "d": 1.5,
        "whole": 3.0, "small": 0.25, "t": true, "f": false, "n": null, "o": {"a": 1},
        "a": [1, 2]})";
    EXPECT_EQ(render("{{i}} {{neg}} {{u}} {{d}} {{whole}} {{small}}", data),
              "42 -7 18446744073709551615 1.5 3 0.25");
    EXPECT_EQ(render("[{{t}}][{{f}}][{{n}}][{{o}}][{{a}}][{{missing}}]", data),
              "[true][false][][][][]");
}

TEST(Template, DottedNamesAndCurrentContext) {
    const char* data = R"({"a": {"b": {"c": "deep"}}, "list": ["x", "y"], "arr": [[1, 2]]})";
    EXPECT_EQ(render("{{a.b.c}}", data), "deep");
    EXPECT_EQ(render("{{a.nope.c}}|{{nope.b}}", data), "|");
    EXPECT_EQ(render("{{#list}}<{{.}}>{{/list}}", data), "<x><y>");
    EXPECT_EQ(render("{{list.1}}{{arr.0.1}}", data), "y2");
    EXPECT_EQ(render("{{#a.b}}{{c}}{{/a.b}}", data), "deep");
}

TEST(Template, SectionsIterateArraysAndPushObjects) {
    const char* data = R"({"mounts": [{"name": "/live", "n": 3}, {"name": "/jazz", "n": 0}],
        "site": {"title": "Radio"}})";
    EXPECT_EQ(render("{{#mounts}}[{{name}}:{{n}}]{{/mounts}}", data), "[/live:3][/jazz:0]");
    EXPECT_EQ(render("{{#site}}{{title}}{{/site}}", data), "Radio");
}

TEST(Template, LookupWalksUpTheContextStack) {
    const char* data = R"({"site": "Radio", "name": "outer",
        "mounts": [{"name": "/live"}, {"other": 1}]})";
    EXPECT_EQ(render("{{#mounts}}{{name}}@{{site}};{{/mounts}}", data),
              "/live@Radio;outer@Radio;");
    // A dotted name resolves its first segment up the stack, then stays inside what it found.
    EXPECT_EQ(render(R"({{#o}}{{a.b}}{{/o}})", R"({"a": {"b": "top"}, "o": {"a": {}}})"), "");
}

TEST(Template, Truthiness) {
    const char* data = R"({"t": true, "f": false, "n": null, "zero": 0, "one": 1, "empty": "",
        "s": "text", "ea": [], "eo": {}, "d0": 0.0})";
    EXPECT_EQ(render("{{#t}}T{{/t}}{{#f}}F{{/f}}{{#n}}N{{/n}}{{#zero}}Z{{/zero}}{{#one}}1{{/one}}"
                     "{{#empty}}E{{/empty}}{{#s}}{{.}}{{/s}}{{#ea}}A{{/ea}}{{#eo}}O{{/eo}}"
                     "{{#missing}}M{{/missing}}{{#d0}}D{{/d0}}",
                     data),
              "T1textO");
    EXPECT_EQ(render("{{^t}}T{{/t}}{{^f}}F{{/f}}{{^n}}N{{/n}}{{^zero}}Z{{/zero}}{{^one}}1{{/one}}"
                     "{{^empty}}E{{/empty}}{{^s}}S{{/s}}{{^ea}}A{{/ea}}{{^eo}}O{{/eo}}"
                     "{{^missing}}M{{/missing}}",
                     data),
              "FNZEAM");
}

TEST(Template, CommentsRenderNothing) {
    EXPECT_EQ(render("a{{! a comment\n spanning lines }}b"), "ab");
}

TEST(Template, NestedSectionsOfTheSameName) {
    const char* data = R"({"a": [{"a": [1, 2]}, {"a": []}]})";
    EXPECT_EQ(render("{{#a}}({{#a}}{{.}}{{/a}}){{/a}}", data), "(12)()");
}

TEST(Template, PartialsUseTheCurrentContext) {
    auto row = Template::compile("<li>{{name}} ({{site}})</li>");
    auto page = Template::compile("<ul>{{#items}}{{> row}}{{/items}}</ul>");
    std::map<std::string, Template, std::less<>> partials{{"row", row}};
    auto resolve = [&](std::string_view name) -> const Template* {
        auto it = partials.find(name);
        return it == partials.end() ? nullptr : &it->second;
    };
    auto out = page.render(json::parse(R"({"site": "S", "items": [{"name": "a"}, {"name": "b"}]})"),
                           resolve);
    EXPECT_EQ(out, "<ul><li>a (S)</li><li>b (S)</li></ul>");
}

TEST(Template, MissingPartialThrows) {
    auto page = Template::compile("x{{> nope}}");
    EXPECT_THROW(page.render(json::object{}), TemplateError);
    EXPECT_THROW(page.render(json::object{}, [](std::string_view) { return nullptr; }),
                 TemplateError);
}

TEST(Template, PartialRecursionIsBounded) {
    // A partial that includes itself while its data nests: stops at the depth limit.
    auto self = Template::compile("[{{#child}}{{> self}}{{/child}}]");
    Template::Partials resolve = [&](std::string_view) { return &self; };
    // (Each level names its child explicitly: a missing "child" would be found further out.)
    json::value data = json::object{{"child", false}};
    for (int i = 0; i < 40; ++i) {
        data = json::object{{"child", data}};
    }
    EXPECT_THROW(self.render(data, resolve), TemplateError);

    json::value shallow = json::parse(R"({"child": {"child": {"child": null}}})");
    EXPECT_EQ(self.render(shallow, resolve), "[[[]]]");

    Template::Limits limits;
    limits.max_partial_depth = 1;
    EXPECT_THROW(self.render(shallow, resolve, limits), TemplateError);
}

TEST(Template, OutputAndWorkAreCapped) {
    auto t = Template::compile("{{#a}}{{#a}}{{#a}}0123456789{{/a}}{{/a}}{{/a}}");
    json::array a;
    for (int i = 0; i < 50; ++i) {
        a.push_back(i);
    }
    json::value data = json::object{{"a", a}};
    Template::Limits limits;
    limits.max_output = 1000;
    EXPECT_THROW(t.render(data, {}, limits), TemplateError);
    EXPECT_EQ(t.render(data).size(), 1'250'000U);

    // Nested loops that produce nothing still stop.
    auto silent = Template::compile("{{#a}}{{#a}}{{#a}}{{#a}}{{/a}}{{/a}}{{/a}}{{/a}}");
    limits = Template::Limits{};
    limits.max_steps = 100'000;
    EXPECT_THROW(silent.render(data, {}, limits), TemplateError);
}

TEST(Template, CompileErrorsNameLineAndColumn) {
    EXPECT_EQ(compile_error("ab\ncd {{x"), "2:4: unclosed tag '{{' (expected '}}')");
    EXPECT_EQ(compile_error("{{{x}}"), "1:1: unclosed tag '{{{' (expected '}}}')");
    EXPECT_EQ(compile_error("{{#a}}\n  {{#b}}{{/b}}"), "1:1: section 'a' is never closed");
    EXPECT_EQ(compile_error("{{#a}}{{/b}}"), "1:7: '{{/b}}' does not match the open section 'a'");
    EXPECT_EQ(compile_error("x\n\n {{/a}}"), "3:2: '{{/a}}' closes no open section");
    EXPECT_EQ(compile_error("{{}}"), "1:1: empty tag");
    EXPECT_EQ(compile_error("{{# }}"), "1:1: empty tag");
    EXPECT_EQ(compile_error("{{a b}}"), "1:1: invalid name 'a b'");
    EXPECT_EQ(compile_error("{{a..b}}"), "1:1: invalid name 'a..b'");
    EXPECT_EQ(compile_error("{{=<% %>=}}"), "1:1: set-delimiter tags are not supported");
    EXPECT_EQ(compile_error("{{> ../etc}}"), "1:1: invalid partial name '../etc'");
}

TEST(Template, SectionDepthIsLimited) {
    std::string ok;
    std::string too_deep;
    for (int i = 0; i < Template::max_section_depth; ++i) {
        ok = "{{#a}}" + ok + "{{/a}}";
    }
    EXPECT_NO_THROW(Template::compile(ok));
    too_deep = "{{#a}}" + ok + "{{/a}}";
    EXPECT_NE(compile_error(too_deep).find("nested deeper than 32"), std::string::npos);
}

TEST(Template, CompiledTemplateRendersManyTimes) {
    auto t = Template::compile("{{#items}}{{.}},{{/items}}");
    EXPECT_EQ(t.render(json::parse(R"({"items": [1, 2]})")), "1,2,");
    EXPECT_EQ(t.render(json::parse(R"({"items": ["a"]})")), "a,");
    EXPECT_EQ(t.render(json::parse(R"({})")), "");
}

TEST(Template, HtmlEscape) {
    EXPECT_EQ(html_escape("a<b>&\"'c"), "a&lt;b&gt;&amp;&quot;&#39;c");
    EXPECT_EQ(html_escape("plain ünïcode"), "plain ünïcode");
}

TEST(Template, TextAfterASectionIsOutsideIt) {
    const char* data = R"({"on": false, "items": [1, 2]})";
    EXPECT_EQ(render("<a{{#on}} x{{/on}}\" b>c", data), "<a\" b>c");
    EXPECT_EQ(render("<a{{^on}} x{{/on}}\" b>c", data), "<a x\" b>c");
    EXPECT_EQ(render("{{#items}}[{{.}}]{{/items}}!", data), "[1][2]!");
}

}  // namespace
}  // namespace tinyice::http
