#include "web/WebFiles.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#include "web/WebAssets.hpp"

namespace tinyice::web {

namespace fs = std::filesystem;

namespace {

File embedded_file(const Asset& a) {
    File f;
    f.content_type = a.content_type;
    f.etag = std::string(a.etag);
    f.bytes = std::string_view(reinterpret_cast<const char*>(a.data.data()), a.data.size());
    return f;
}

// A cheap content hash for development mode's ETags (embedded files use SHA-256 prefixes).
std::string fnv1a_hex(std::string_view bytes) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return fmt::format("{:016x}", h);
}

bool inside(const fs::path& root, const fs::path& p) {
    auto r = root.begin();
    auto q = p.begin();
    for (; r != root.end(); ++r, ++q) {
        if (q == p.end() || *r != *q) {
            return false;
        }
    }
    return true;
}

}  // namespace

bool acceptable_web_path(std::string_view path) {
    if (path.empty() || path.size() > 255) {
        return false;
    }
    std::size_t start = 0;
    while (start <= path.size()) {
        auto slash = path.find('/', start);
        auto seg = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
        if (seg.empty() || seg.front() == '.') {
            return false;  // also "." and ".."
        }
        for (char c : seg) {
            auto u = static_cast<unsigned char>(c);
            if (u < 0x20 || u == 0x7f || c == '\\') {
                return false;
            }
        }
        if (slash == std::string_view::npos) {
            break;
        }
        start = slash + 1;
    }
    return true;
}

WebFiles::WebFiles(fs::path dev_dir) {
    if (dev_dir.empty()) {
        return;
    }
    std::error_code ec;
    auto canonical = fs::canonical(dev_dir, ec);
    if (ec || !fs::is_directory(canonical / "assets") ||
        !fs::is_directory(canonical / "templates")) {
        throw std::runtime_error(fmt::format(
            "TINYICE_WEB_DIR={}: not a web folder (expected assets/ and templates/ in it, as "
            "in the source tree's src/web)",
            dev_dir.string()));
    }
    dev_dir_ = canonical;
    assets_dir_ = fs::canonical(canonical / "assets");
    templates_dir_ = fs::canonical(canonical / "templates");
}

fs::path WebFiles::dev_dir_from_environment() {
    const char* dir = std::getenv("TINYICE_WEB_DIR");
    if (dir == nullptr || *dir == '\0') {
        return {};
    }
    return fs::path(dir);
}

std::optional<File> WebFiles::read_confined(const fs::path& root,
                                            std::string_view relative) const {
    std::error_code ec;
    auto target = fs::canonical(root / fs::path(relative), ec);
    if (ec || !inside(root, target) || !fs::is_regular_file(target, ec)) {
        return std::nullopt;
    }
    auto size = fs::file_size(target, ec);
    if (ec || size > max_dev_file_bytes) {
        return std::nullopt;
    }
    std::ifstream in(target, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    auto content = std::make_shared<std::string>();
    content->resize(size);
    in.read(content->data(), static_cast<std::streamsize>(size));
    content->resize(static_cast<std::size_t>(in.gcount()));
    File f;
    f.content_type = content_type_for(relative);
    f.etag = fnv1a_hex(*content);
    f.bytes = *content;
    f.owned = std::move(content);
    return f;
}

std::optional<File> WebFiles::asset(std::string_view path) const {
    if (!acceptable_web_path(path)) {
        return std::nullopt;
    }
    if (development()) {
        return read_confined(assets_dir_, path);
    }
    if (const Asset* a = find_asset(path)) {
        return embedded_file(*a);
    }
    return std::nullopt;
}

std::optional<File> WebFiles::template_file(std::string_view name) const {
    if (!acceptable_web_path(name)) {
        return std::nullopt;
    }
    if (development()) {
        return read_confined(templates_dir_, std::string(name) + ".html");
    }
    if (const Asset* a = find_template(name)) {
        return embedded_file(*a);
    }
    return std::nullopt;
}

std::vector<std::string> WebFiles::template_names() const {
    std::vector<std::string> names;
    if (!development()) {
        for (const auto& t : all_templates()) {
            names.emplace_back(t.path);
        }
        return names;
    }
    const auto& root = templates_dir_;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
        const auto& p = it->path();
        if (p.extension() != ".html" || !it->is_regular_file(ec)) {
            continue;
        }
        auto rel = fs::relative(p, root, ec).generic_string();
        rel.resize(rel.size() - 5);
        if (acceptable_web_path(rel)) {
            names.push_back(std::move(rel));
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace tinyice::web
