#pragma once
// Internal to src/autodj: a hook command (util::run_command) running on a short-lived helper
// thread of its own, so that neither the audio thread nor a caller ever waits for it. The
// station polls done()/result(). The thread holds its own reference, so dropping every handle
// does not end the command; cancel() does: the command's process group gets SIGTERM at once and
// SIGKILL after util::cancel_grace, and the thread finishes without touching the station. A
// station keeps the handles of its commands and cancels them when it stops, so no hook outlives
// it for more than that grace.

#include "util/Subprocess.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
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
    // Asks the command to end now (see above); returns at once. The result then has
    // `cancelled` set (unless it had finished already).
    void cancel();
    // Waits until done() or until `deadline`; true when done.
    bool wait_until(std::chrono::steady_clock::time_point deadline) const;

private:
    void finish(const util::CommandResult& result);

    std::stop_source stop_;
    mutable std::mutex mutex_;
    mutable std::condition_variable finished_;
    bool done_ = false;
    util::CommandResult result_;
};

// One line for a log message about a command that did not succeed ("timed out after 5000 ms",
// "exited with status 3: <first line of stderr>", "could not start: ...").
[[nodiscard]] std::string describe_failure(const util::CommandResult& result,
                                           std::chrono::milliseconds timeout);

} // namespace tinyice::autodj
