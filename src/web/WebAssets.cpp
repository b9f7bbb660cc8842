#include "web/WebAssets.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace tinyice::web {

// Defined in the generated WebAssets.cpp (see cmake/EmbedWeb.cmake).
namespace embedded {
extern const Asset assets[];
extern const std::size_t assets_count;
extern const Asset templates[];
extern const std::size_t templates_count;
}  // namespace embedded

namespace {

const Asset* find_in(std::span<const Asset> table, std::string_view path) {
    auto it = std::lower_bound(table.begin(), table.end(), path,
                               [](const Asset& a, std::string_view p) { return a.path < p; });
    if (it == table.end() || it->path != path) {
        return nullptr;
    }
    return &*it;
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

std::span<const Asset> all_assets() {
    return {embedded::assets, embedded::assets_count};
}

std::span<const Asset> all_templates() {
    return {embedded::templates, embedded::templates_count};
}

const Asset* find_asset(std::string_view path) {
    return find_in(all_assets(), path);
}

const Asset* find_template(std::string_view name) {
    return find_in(all_templates(), name);
}

std::string_view content_type_for(std::string_view path) {
    // Keep in step with web_content_type() in cmake/EmbedWeb.cmake (a unit test compares them).
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 16> types{{
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".html", "text/html; charset=utf-8"},
        {".json", "application/json; charset=utf-8"},
        {".map", "application/json; charset=utf-8"},
        {".webmanifest", "application/manifest+json; charset=utf-8"},
        {".txt", "text/plain; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".webp", "image/webp"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
    }};
    auto slash = path.rfind('/');
    auto base = slash == std::string_view::npos ? path : path.substr(slash + 1);
    auto dot = base.rfind('.');
    if (dot == std::string_view::npos) {
        return "application/octet-stream";
    }
    auto ext = base.substr(dot);
    for (const auto& [key, type] : types) {
        if (key.size() == ext.size() &&
            std::equal(key.begin(), key.end(), ext.begin(),
                       [](char a, char b) { return a == lower(b); })) {
            return type;
        }
    }
    return "application/octet-stream";
}

}  // namespace tinyice::web
