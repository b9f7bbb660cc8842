#pragma once
// Internal to src/autodj: a hook command (util::run_command) running on a short-lived helper
// thread of its own, so that neither the audio thread nor a caller ever waits for it. The
// station polls done()/result(); dropping every handle abandons the command, whose thread then
// finishes on its own within the command's timeout (plus the kill grace) without touching the
// station. That is what lets Station::stop() return at once while a hook is still running.

#include "util/Subprocess.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tinyice::autodj {

using Environment = std::vector<std::pair<std::string, std::string>>;

class BackgroundCommand {
public:
    // Starts `argv` on a detached thread. `on_done`, when given, runs on that thread with the
    // result once done() is true (keep it to logging: the station may be gone by then). Never
    // throws: when no thread can be started the command is done at once with `error` set.
    static std::shared_ptr<BackgroundCommand>
    launch(std::vector<std::string> argv, Environment env, std::chrono::milliseconds timeout,
           std::function<void(const util::CommandResult&)> on_done = {});

    [[nodiscard]] bool done() const;
    // The result once done(), else nullopt.
    [[nodiscard]] std::optional<util::CommandResult> result() const;

private:
    void finish(const util::CommandResult& result);

    mutable std::mutex mutex_;
    bool done_ = false;
    util::CommandResult result_;
};

// One line for a log message about a command that did not succeed ("timed out after 5000 ms",
// "exited with status 3: <first line of stderr>", "could not start: ...").
[[nodiscard]] std::string describe_failure(const util::CommandResult& result,
                                           std::chrono::milliseconds timeout);

} // namespace tinyice::autodj
