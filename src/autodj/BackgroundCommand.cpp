#include "autodj/BackgroundCommand.hpp"

#include <fmt/format.h>

#include <system_error>
#include <thread>

namespace tinyice::autodj {

std::shared_ptr<BackgroundCommand>
BackgroundCommand::launch(std::vector<std::string> argv, Environment env,
                          std::chrono::milliseconds timeout,
                          std::function<void(const util::CommandResult&)> on_done) {
    auto command = std::make_shared<BackgroundCommand>();
    try {
        std::thread([command, argv = std::move(argv), env = std::move(env), timeout,
                     on_done = std::move(on_done)]() mutable {
            auto result =
                util::run_command(argv, env, timeout, 64 * 1024, command->stop_.get_token());
            command->finish(result);
            if (on_done) {
                on_done(result);
            }
        }).detach();
    } catch (const std::system_error& e) {
        util::CommandResult failed;
        failed.error = fmt::format("no thread to run it: {}", e.what());
        command->finish(failed);
        if (on_done) {
            on_done(failed);
        }
    }
    return command;
}

void BackgroundCommand::finish(const util::CommandResult& result) {
    std::lock_guard lock(mutex_);
    result_ = result;
    done_ = true;
    finished_.notify_all();
}

void BackgroundCommand::cancel() {
    stop_.request_stop();
}

bool BackgroundCommand::wait_until(std::chrono::steady_clock::time_point deadline) const {
    std::unique_lock lock(mutex_);
    return finished_.wait_until(lock, deadline, [this] { return done_; });
}

bool BackgroundCommand::done() const {
    std::lock_guard lock(mutex_);
    return done_;
}

std::optional<util::CommandResult> BackgroundCommand::result() const {
    std::lock_guard lock(mutex_);
    if (!done_) {
        return std::nullopt;
    }
    return result_;
}

std::string describe_failure(const util::CommandResult& result, std::chrono::milliseconds timeout) {
    if (!result.error.empty()) {
        return "could not start: " + result.error;
    }
    if (result.cancelled) {
        return "was cancelled (the station stopped)";
    }
    if (result.timed_out) {
        return fmt::format("timed out after {} ms", timeout.count());
    }
    std::string why = result.signal != 0 ? fmt::format("killed by signal {}", result.signal)
                                         : fmt::format("exited with status {}", result.exit_code);
    const auto line = result.err.substr(0, result.err.find('\n'));
    if (!line.empty()) {
        why += ": " + line.substr(0, 200);
    }
    return why;
}

} // namespace tinyice::autodj
