#pragma once
// Where the web interface's files come from: the copies embedded in the binary, or, in
// development mode, a source tree's src/web folder read at every request so that edits to
// templates, CSS and JavaScript show on the next reload without rebuilding.
//
// Development mode is enabled by the environment variable TINYICE_WEB_DIR (see docs/WEB.md).
// It is meant for working on the web interface, not for production: files are read from disk
// on every request. Reads are confined to <dir>/assets and <dir>/templates: paths with "..",
// empty or hidden (".name") segments, backslashes or control characters are refused, and a
// symlink is followed only when its target stays inside that folder.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::web {

// One file, embedded or read from disk.
struct File {
    std::string_view content_type;
    std::string etag;  // hex digits, no quotes
    std::string_view bytes;
    std::shared_ptr<const std::string> owned;  // holds `bytes` when the file was read from disk
};

class WebFiles {
public:
    static constexpr std::size_t max_dev_file_bytes = std::size_t{16} << 20;

    // Embedded files when `dev_dir` is empty, else files under `dev_dir` (a source tree's
    // src/web). Throws std::runtime_error when `dev_dir` is set but has no assets/ and
    // templates/ folders.
    explicit WebFiles(std::filesystem::path dev_dir = {});
    // The development folder from TINYICE_WEB_DIR, or none when it is unset or empty.
    static std::filesystem::path dev_dir_from_environment();

    [[nodiscard]] bool development() const { return !dev_dir_.empty(); }
    [[nodiscard]] const std::filesystem::path& dev_dir() const { return dev_dir_; }

    // An asset by its path under assets/ ("app.css", "pages/player.js"); nullopt when there is
    // none or the path is not acceptable.
    [[nodiscard]] std::optional<File> asset(std::string_view path) const;
    // A template's text by name ("layouts/public" for templates/layouts/public.html).
    [[nodiscard]] std::optional<File> template_file(std::string_view name) const;
    // Every template name, sorted.
    [[nodiscard]] std::vector<std::string> template_names() const;

private:
    std::optional<File> read_confined(const std::filesystem::path& root,
                                      std::string_view relative) const;

    std::filesystem::path dev_dir_;  // canonical; empty = embedded
    std::filesystem::path assets_dir_;
    std::filesystem::path templates_dir_;
};

// True for a relative path that may name a web file: '/'-separated non-empty segments of
// printable characters, none "." or ".." or starting with '.', no backslash, at most 255 bytes.
bool acceptable_web_path(std::string_view path);

}  // namespace tinyice::web
