#include "util/Subprocess.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <spawn.h>
#include <string_view>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>

extern char** environ; // NOLINT: POSIX declares it nowhere else

namespace tinyice::util {
namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text(int err) {
    return std::generic_category().message(err);
}

// glibc 2.36's <sys/pidfd.h> lacks extern "C", so C++ cannot link its wrapper; the system call
// is the same thing.
int open_pidfd(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U));
}

class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;

    [[nodiscard]] int get() const { return fd_; }
    [[nodiscard]] bool open() const { return fd_ >= 0; }
    void reset() {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }

private:
    int fd_ = -1;
};

// A close-on-exec pipe whose ends are not 0, 1 or 2: if the server runs with a standard
// descriptor closed, a pipe end could land there and be clobbered by the child's dup2 of
// another one.
int make_pipe(Fd& read_end, Fd& write_end) {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
        return errno;
    }
    read_end = Fd(fds[0]);
    write_end = Fd(fds[1]);
    for (Fd* end : {&read_end, &write_end}) {
        if (end->get() <= STDERR_FILENO) {
            const int moved = ::fcntl(end->get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
            if (moved < 0) {
                return errno;
            }
            *end = Fd(moved);
        }
    }
    if (::fcntl(read_end.get(), F_SETFL, O_NONBLOCK) != 0) {
        return errno;
    }
    return 0;
}

class SpawnFileActions {
public:
    SpawnFileActions() { ::posix_spawn_file_actions_init(&actions_); }
    ~SpawnFileActions() { ::posix_spawn_file_actions_destroy(&actions_); }
    SpawnFileActions(const SpawnFileActions&) = delete;
    SpawnFileActions& operator=(const SpawnFileActions&) = delete;
    posix_spawn_file_actions_t* get() { return &actions_; }

private:
    posix_spawn_file_actions_t actions_{};
};

class SpawnAttributes {
public:
    SpawnAttributes() { ::posix_spawnattr_init(&attr_); }
    ~SpawnAttributes() { ::posix_spawnattr_destroy(&attr_); }
    SpawnAttributes(const SpawnAttributes&) = delete;
    SpawnAttributes& operator=(const SpawnAttributes&) = delete;
    posix_spawnattr_t* get() { return &attr_; }

private:
    posix_spawnattr_t attr_{};
};

bool has_nul(std::string_view s) {
    return s.find('\0') != std::string_view::npos;
}

// "NAME=value" strings: the current environment with `extra` replacing or adding variables.
std::vector<std::string>
child_environment(const std::vector<std::pair<std::string, std::string>>& extra) {
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string_view entry(*e);
        const std::string_view name = entry.substr(0, entry.find('='));
        const bool replaced = std::any_of(extra.begin(), extra.end(),
                                          [&](const auto& kv) { return kv.first == name; });
        if (!replaced) {
            env.emplace_back(entry);
        }
    }
    for (const auto& [name, value] : extra) {
        env.push_back(name + "=" + value);
    }
    return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

// One of the child's output pipes.
struct Stream {
    Fd fd;
    std::string* text = nullptr;
};

// Reads one buffer's worth (a child writing without pause must not keep us from the clock);
// closes the descriptor at end of file or on an error.
void drain(Stream& s, std::size_t max_output, bool& truncated) {
    std::array<char, 64 * 1024> buf{};
    ssize_t n = 0;
    do {
        n = ::read(s.fd.get(), buf.data(), buf.size());
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        const auto got = static_cast<std::size_t>(n);
        const std::size_t room = max_output - std::min(max_output, s.text->size());
        s.text->append(buf.data(), std::min(room, got));
        truncated = truncated || got > room;
    } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        s.fd.reset(); // end of file, or an error we cannot do better with
    }
}

// The child is a zombie or gone: WNOWAIT leaves it unreaped, so its pid (and process group id)
// cannot be reused by another process while we may still signal the group.
bool has_exited(pid_t pid) {
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == pid;
}

void signal_group(pid_t pid, int sig) {
    ::kill(-pid, sig);
    ::kill(pid, sig); // in case it left its process group
}

enum class Waited { finished, deadline, cancelled };

class Child {
public:
    // `cancel_fd` (or -1): becomes readable when the caller wants the command ended.
    Child(pid_t pid, Stream& out, Stream& err, std::size_t max_output, bool& truncated,
          int cancel_fd)
        : pid_(pid), out_(out), err_(err), max_output_(max_output), truncated_(truncated),
          cancel_fd_(cancel_fd), exit_fd_(open_pidfd(pid)) {}

    // Reads output until the child has exited and closed both pipes, until `until`, or (with
    // `watch_cancel`) until a cancellation.
    Waited wait_until(Clock::time_point until, bool watch_cancel) {
        for (;;) {
            if (!exited_ && !exit_fd_.open()) {
                exited_ = has_exited(pid_);
            }
            if (finished()) {
                return Waited::finished;
            }
            const auto now = Clock::now();
            if (now >= until) {
                return Waited::deadline;
            }
            // (At most a minute per poll so the count fits poll's int.)
            auto wait = std::min(std::chrono::ceil<std::chrono::milliseconds>(until - now),
                                 std::chrono::milliseconds(60'000));
            if (!exited_ && !exit_fd_.open()) {
                // No pidfd (kernel before 5.3): look at the child again every 20 ms.
                wait = std::min(wait, std::chrono::milliseconds(20));
            }
            std::array<pollfd, 4> fds{};
            std::size_t n = 0;
            for (Stream* s : {&out_, &err_}) {
                if (s->fd.open()) {
                    fds[n++] = pollfd{s->fd.get(), POLLIN, 0};
                }
            }
            if (!exited_ && exit_fd_.open()) {
                fds[n++] = pollfd{exit_fd_.get(), POLLIN, 0};
            }
            if (watch_cancel && cancel_fd_ >= 0) {
                fds[n++] = pollfd{cancel_fd_, POLLIN, 0};
            }
            const int ready = ::poll(fds.data(), n, static_cast<int>(wait.count()));
            if (ready < 0 && errno != EINTR) {
                return Waited::deadline; // cannot wait (out of memory): treat as a timeout
            }
            for (std::size_t i = 0; ready > 0 && i < n; ++i) {
                if (fds[i].revents == 0) {
                    continue;
                }
                if (fds[i].fd == cancel_fd_) {
                    return Waited::cancelled; // stays readable: the caller stops watching it
                }
                if (fds[i].fd == exit_fd_.get()) {
                    exited_ = has_exited(pid_);
                    if (exited_) {
                        exit_fd_.reset(); // stays readable: stop polling it
                    }
                } else {
                    drain(fds[i].fd == out_.fd.get() ? out_ : err_, max_output_, truncated_);
                }
            }
        }
    }

    // Reaps the child (after SIGKILL this returns at once) and fills in how it ended.
    void reap(CommandResult& result) {
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0) {
            if (errno != EINTR) {
                return; // already reaped by someone else: the status is lost
            }
        }
        if (WIFEXITED(status)) {
            result.exit_code = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
            result.signal = WTERMSIG(status);
        }
    }

private:
    [[nodiscard]] bool finished() const { return exited_ && !out_.fd.open() && !err_.fd.open(); }

    pid_t pid_;
    Stream& out_;
    Stream& err_;
    std::size_t max_output_;
    bool& truncated_;
    int cancel_fd_;
    Fd exit_fd_; // pidfd: readable once the child exits
    bool exited_ = false;
};

} // namespace

CommandResult run_command(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& extra_env,
                          std::chrono::milliseconds timeout, std::size_t max_output) {
    return run_command(argv, extra_env, timeout, max_output, std::stop_token{});
}

CommandResult run_command(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& extra_env,
                          std::chrono::milliseconds timeout, std::size_t max_output,
                          std::stop_token stop) {
    CommandResult result;
    const auto started = Clock::now();
    if (stop.stop_requested()) {
        result.cancelled = true;
        return result;
    }
    if (argv.empty() || argv.front().empty()) {
        result.error = "empty command";
        return result;
    }
    for (const auto& arg : argv) {
        if (has_nul(arg)) {
            result.error = argv.front() + ": an argument contains a NUL byte";
            return result;
        }
    }
    for (const auto& [name, value] : extra_env) {
        if (name.empty() || name.find('=') != std::string::npos || has_nul(name) ||
            has_nul(value)) {
            result.error = "invalid environment variable name or value: " + name;
            return result;
        }
    }

    Stream out{Fd(), &result.out};
    Stream err{Fd(), &result.err};
    Fd out_write;
    Fd err_write;
    if (const int e = make_pipe(out.fd, out_write); e != 0) {
        result.error = argv.front() + ": cannot create a pipe: " + errno_text(e);
        return result;
    }
    if (const int e = make_pipe(err.fd, err_write); e != 0) {
        result.error = argv.front() + ": cannot create a pipe: " + errno_text(e);
        return result;
    }

    // A stop request (from another thread) wakes the wait below through this descriptor. The
    // callback is declared after it, so it is unregistered (and waited for, if it is running)
    // before the descriptor closes.
    Fd cancel;
    if (stop.stop_possible()) {
        cancel = Fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        if (!cancel.open()) {
            result.error = argv.front() + ": cannot create an eventfd: " + errno_text(errno);
            return result;
        }
    }
    const auto wake = [fd = cancel.get()] {
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto n = ::write(fd, &one, sizeof one);
    };
    std::optional<std::stop_callback<decltype(wake)>> on_stop;
    if (cancel.open()) {
        on_stop.emplace(stop, wake);
    }

    SpawnFileActions actions;
    ::posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_adddup2(actions.get(), out_write.get(), STDOUT_FILENO);
    ::posix_spawn_file_actions_adddup2(actions.get(), err_write.get(), STDERR_FILENO);
    // Everything is close-on-exec already; this also covers descriptors that libraries opened
    // without the flag.
    ::posix_spawn_file_actions_addclosefrom_np(actions.get(), STDERR_FILENO + 1);

    SpawnAttributes attr;
    sigset_t empty_mask;
    sigemptyset(&empty_mask);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (const int sig :
         {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM, SIGXFSZ}) {
        sigaddset(&defaults, sig);
    }
    ::posix_spawnattr_setflags(attr.get(), POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                               POSIX_SPAWN_SETSIGDEF);
    ::posix_spawnattr_setpgroup(attr.get(), 0);
    ::posix_spawnattr_setsigmask(attr.get(), &empty_mask);
    ::posix_spawnattr_setsigdefault(attr.get(), &defaults);

    std::vector<std::string> args = argv;
    std::vector<std::string> env = child_environment(extra_env);
    const auto arg_ptrs = pointers(args);
    const auto env_ptrs = pointers(env);
    pid_t pid = 0;
    if (const int e = ::posix_spawnp(&pid, argv.front().c_str(), actions.get(), attr.get(),
                                     arg_ptrs.data(), env_ptrs.data());
        e != 0) {
        result.error = argv.front() + ": " + errno_text(e);
        return result;
    }
    // Only the child holds the write ends now, so end of file means it (and whatever it passed
    // them to) closed them.
    out_write.reset();
    err_write.reset();

    Child child(pid, out, err, max_output, result.truncated, cancel.get());
    if (const auto waited = child.wait_until(started + timeout, true); waited != Waited::finished) {
        result.cancelled = waited == Waited::cancelled;
        result.timed_out = !result.cancelled;
        signal_group(pid, SIGTERM);
        // A stop request during a timed-out command's grace cuts the grace short.
        const auto grace = result.cancelled ? cancel_grace : kill_grace;
        const auto ended = child.wait_until(Clock::now() + grace, !result.cancelled);
        if (ended != Waited::finished) {
            result.cancelled = result.cancelled || ended == Waited::cancelled;
            signal_group(pid, SIGKILL);
        }
    }
    child.reap(result);
    return result;
}

} // namespace tinyice::util
