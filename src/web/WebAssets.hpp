#pragma once
// The web interface's files, compiled into the binary at build time by cmake/EmbedWeb.cmake
// from src/web/assets/** (served under /assets/) and src/web/templates/**.html (page
// templates, named by their path without ".html", e.g. "layouts/public").

#include <cstddef>
#include <span>
#include <string_view>

namespace tinyice::web {

struct Asset {
    std::string_view path;          // relative to assets/ ("app.css") or the template's name
    std::string_view content_type;  // by extension, e.g. "text/css; charset=utf-8"
    std::string_view etag;          // the first 16 hex digits of the file's SHA-256 (no quotes)
    std::span<const unsigned char> data;
};

// nullptr when there is no such file. Lookups are binary searches over sorted tables.
const Asset* find_asset(std::string_view path);
const Asset* find_template(std::string_view name);
// Sorted by path.
std::span<const Asset> all_assets();
std::span<const Asset> all_templates();

// The content type the generator gives a file name (by its extension, case-insensitive);
// "application/octet-stream" when unknown. Used for files read in development mode.
std::string_view content_type_for(std::string_view path);

}  // namespace tinyice::web
