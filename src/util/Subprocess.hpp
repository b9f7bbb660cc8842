#pragma once
// Runs an external program to completion, without a shell, for hooks (AutoDJ next-track and
// on-play commands). The command line is an argv vector, so no argument is ever interpreted:
// a title like "$(rm -rf ~)" reaches the program as those very bytes.
//
// The child gets stdin from /dev/null, stdout and stderr through pipes, no other descriptor
// (the server has thousands of sockets open), default signal handling and an empty signal mask
// (the server blocks SIGTERM/SIGINT/SIGHUP and ignores SIGPIPE; a child must not inherit that),
// and its own process group. At the timeout the whole group gets SIGTERM, then SIGKILL after
// kill_grace, so helpers the command started die with it. The child is always reaped.
// A caller that must not wait for the timeout (a station stopping) passes a stop token: a stop
// request ends the command the same way at once, with the shorter cancel_grace.
//
// Blocking: call it from a worker thread (a station's thread), never from an event loop.
// Thread-safe; concurrent calls do not leak descriptors into each other's children.

#include <chrono>
#include <cstddef>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

namespace tinyice::util {

struct CommandResult {
    int exit_code = -1;     // the exit status; -1 when it did not exit normally (see signal)
    int signal = 0;         // the signal that ended it (SIGKILL after a timeout), or 0
    bool timed_out = false; // the timeout passed before it exited and closed its output
    bool cancelled = false; // a stop was requested before it finished (it was then killed, or
                            // not started at all)
    std::string out;        // stdout, at most max_output bytes (the rest is read and dropped)
    std::string err;        // stderr, likewise
    bool truncated = false; // out or err lost bytes to max_output
    std::string error;      // it could not be started ("no-such-tool: No such file or
                            // directory"); then nothing else is set

    // Started, finished in time and exited with status 0.
    [[nodiscard]] bool ok() const {
        return error.empty() && !timed_out && !cancelled && exit_code == 0;
    }
};

// How long a timed-out command gets between SIGTERM and SIGKILL.
inline constexpr std::chrono::milliseconds kill_grace{500};
// The same after a stop request: whoever asked is shutting down and must not wait long.
inline constexpr std::chrono::milliseconds cancel_grace{100};

// Runs argv[0] (searched in PATH when it contains no '/') with the arguments argv[1..], in the
// current environment plus `extra_env` (replacing variables of the same name), and waits until
// it has exited and closed stdout and stderr, or until `timeout`. Never throws for a failure of
// the command; `error` says why it could not run (empty argv, a NUL byte in an argument, an
// invalid variable name, program not found, no permission, out of descriptors).
CommandResult run_command(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& extra_env,
                          std::chrono::milliseconds timeout, std::size_t max_output = 64 * 1024);

// As above; when `stop` is requested (from any thread) before the command finished, the command
// is ended at once: SIGTERM to its process group, SIGKILL after cancel_grace, reaped, and
// `cancelled` set. A request before the start means it is not started.
CommandResult run_command(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& extra_env,
                          std::chrono::milliseconds timeout, std::size_t max_output,
                          std::stop_token stop);

} // namespace tinyice::util
