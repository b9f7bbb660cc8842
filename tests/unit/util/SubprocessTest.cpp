#include "util/Subprocess.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <poll.h>
#include <stop_token>
#include <string>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace tinyice::util {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

CommandResult run(const std::vector<std::string>& argv,
                  const std::vector<std::pair<std::string, std::string>>& env = {},
                  std::chrono::milliseconds timeout = 5s, std::size_t max_output = 64 * 1024) {
    return run_command(argv, env, timeout, max_output);
}

std::chrono::milliseconds since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t);
}

// Waits (on a pidfd, not by sleeping) until process `pid` has exited; true when it has.
bool process_ends_within(pid_t pid, std::chrono::milliseconds limit) {
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U));
    if (fd < 0) {
        return errno == ESRCH; // already gone
    }
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(limit.count()));
    ::close(fd);
    return ready == 1;
}

TEST(SubprocessTest, CapturesOutputAndExitCode) {
    const auto r = run({"echo", "hello", "world"});
    EXPECT_TRUE(r.error.empty()) << r.error;
    EXPECT_EQ(r.out, "hello world\n");
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.signal, 0);
    EXPECT_FALSE(r.timed_out);
    EXPECT_FALSE(r.truncated);
    EXPECT_TRUE(r.ok());
}

TEST(SubprocessTest, ReportsTheExitCodeAndStderr) {
    const auto r = run({"sh", "-c", "echo out; echo oops >&2; exit 3"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.out, "out\n");
    EXPECT_EQ(r.err, "oops\n");
    EXPECT_FALSE(r.ok());
}

TEST(SubprocessTest, ReportsDeathBySignal) {
    const auto r = run({"sh", "-c", "kill -KILL $$"});
    EXPECT_EQ(r.exit_code, -1);
    EXPECT_EQ(r.signal, SIGKILL);
    EXPECT_FALSE(r.timed_out);
    EXPECT_FALSE(r.ok());
}

TEST(SubprocessTest, ArgumentsAreNotInterpretedByAShell) {
    const auto r = run({"printf", "%s|%s", "$HOME; echo hi", "`id` * \"q\" 'x'"});
    EXPECT_EQ(r.out, "$HOME; echo hi|`id` * \"q\" 'x'");
}

TEST(SubprocessTest, ExtraEnvironmentIsAddedAndOverrides) {
    ASSERT_EQ(::setenv("TINYICE_SUBPROCESS_INHERITED", "from-parent", 1), 0);
    ASSERT_EQ(::setenv("TINYICE_SUBPROCESS_REPLACED", "old", 1), 0);
    const auto r = run({"sh", "-c",
                        "printf '%s,%s,%s' \"$TINYICE_SUBPROCESS_INHERITED\" "
                        "\"$TINYICE_SUBPROCESS_REPLACED\" \"$TINYICE_TITLE\""},
                       {{"TINYICE_SUBPROCESS_REPLACED", "new"}, {"TINYICE_TITLE", "A; B $C"}});
    ::unsetenv("TINYICE_SUBPROCESS_INHERITED");
    ::unsetenv("TINYICE_SUBPROCESS_REPLACED");
    EXPECT_EQ(r.out, "from-parent,new,A; B $C");
    // Replaced, not duplicated.
    const auto env = run({"env"}, {{"HOME", "/nowhere"}});
    const std::string lines = "\n" + env.out;
    EXPECT_NE(lines.find("\nHOME=/nowhere\n"), std::string::npos);
    EXPECT_EQ(lines.find("\nHOME="), lines.rfind("\nHOME="));
}

TEST(SubprocessTest, StdinIsEmpty) {
    const auto started = Clock::now();
    const auto r = run({"cat"});
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.out, "");
    EXPECT_LT(since(started), 2s);
}

TEST(SubprocessTest, TheChildInheritsNoOtherDescriptor) {
    // A descriptor opened without O_CLOEXEC, as a careless library might.
    const int leaky = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(leaky, 0);
    ASSERT_EQ(::dup2(leaky, 100), 100);
    const auto r = run({"ls", "/proc/self/fd"});
    ::close(100);
    ::close(leaky);
    ASSERT_TRUE(r.ok()) << r.error << r.err;
    // 0, 1, 2 and the directory ls is reading.
    std::vector<std::string> fds;
    std::size_t at = 0;
    while (at < r.out.size()) {
        const auto nl = r.out.find('\n', at);
        fds.push_back(r.out.substr(at, nl - at));
        at = nl == std::string::npos ? r.out.size() : nl + 1;
    }
    EXPECT_EQ(fds, (std::vector<std::string>{"0", "1", "2", "3"}));
}

TEST(SubprocessTest, ATimeoutKillsTheCommand) {
    const auto started = Clock::now();
    const auto r = run({"sleep", "30"}, {}, 200ms);
    const auto took = since(started);
    EXPECT_TRUE(r.timed_out);
    EXPECT_EQ(r.signal, SIGTERM);
    EXPECT_EQ(r.exit_code, -1);
    EXPECT_FALSE(r.ok());
    EXPECT_GE(took, 200ms);
    EXPECT_LT(took, 200ms + kill_grace); // sleep dies at SIGTERM
}

TEST(SubprocessTest, ACommandIgnoringSigtermIsKilledAfterTheGrace) {
    const auto started = Clock::now();
    // Ignored dispositions survive exec, so sleep ignores SIGTERM too.
    const auto r = run({"sh", "-c", "trap '' TERM; sleep 30"}, {}, 100ms);
    const auto took = since(started);
    EXPECT_TRUE(r.timed_out);
    EXPECT_EQ(r.signal, SIGKILL);
    EXPECT_GE(took, 100ms + kill_grace);
    EXPECT_LT(took, 100ms + kill_grace + 1500ms);
}

// The pid a command wrote to `file` once it has (there is no event to wait on: poll the file).
pid_t wait_for_pid_file(const std::string& file, std::chrono::milliseconds limit) {
    const auto until = Clock::now() + limit;
    while (Clock::now() < until) {
        std::FILE* f = std::fopen(file.c_str(), "r");
        int pid = 0;
        if (f != nullptr) {
            const int n = std::fscanf(f, "%d", &pid);
            std::fclose(f);
            if (n == 1 && pid > 1) {
                return pid;
            }
        }
        std::this_thread::sleep_for(5ms);
    }
    return 0;
}

struct Cancelled {
    CommandResult result;
    std::chrono::milliseconds after_stop{};
    pid_t pid = 0;
};

// Runs `script` (which must write its pid to $PID_FILE) on a thread, requests a stop once it
// runs, and reports how long the command took to end after that.
Cancelled run_and_stop(const std::string& script) {
    const std::string file = ::testing::TempDir() + "tinyice-subprocess-" +
                             std::to_string(::getpid()) + "-" +
                             ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::remove(file.c_str());
    std::stop_source stop;
    Cancelled c;
    std::thread runner([&] {
        c.result = run_command({"sh", "-c", script}, {{"PID_FILE", file}}, 30s, 64 * 1024,
                               stop.get_token());
    });
    c.pid = wait_for_pid_file(file, 5s);
    const auto stopped = Clock::now();
    stop.request_stop();
    runner.join();
    c.after_stop = since(stopped);
    std::remove(file.c_str());
    return c;
}

TEST(SubprocessTest, AStopRequestEndsTheCommandAtOnce) {
    const auto c = run_and_stop("echo $$ > \"$PID_FILE\"; exec sleep 30");
    ASSERT_GT(c.pid, 1);
    EXPECT_TRUE(c.result.cancelled);
    EXPECT_FALSE(c.result.timed_out);
    EXPECT_EQ(c.result.signal, SIGTERM);
    EXPECT_FALSE(c.result.ok());
    EXPECT_LT(c.after_stop, cancel_grace);        // sleep dies at SIGTERM
    EXPECT_TRUE(process_ends_within(c.pid, 0ms)); // and was reaped
}

TEST(SubprocessTest, AStoppedCommandIgnoringSigtermIsKilledAfterTheShortGrace) {
    const auto c = run_and_stop("trap '' TERM; echo $$ > \"$PID_FILE\"; sleep 30");
    ASSERT_GT(c.pid, 1);
    EXPECT_TRUE(c.result.cancelled);
    EXPECT_EQ(c.result.signal, SIGKILL);
    EXPECT_GE(c.after_stop, cancel_grace);
    EXPECT_LT(c.after_stop, cancel_grace + 400ms);
}

TEST(SubprocessTest, AStopRequestedBeforehandStartsNothing) {
    std::stop_source stop;
    stop.request_stop();
    const auto started = Clock::now();
    const auto r = run_command({"sleep", "30"}, {}, 30s, 1024, stop.get_token());
    EXPECT_TRUE(r.cancelled);
    EXPECT_TRUE(r.error.empty());
    EXPECT_EQ(r.exit_code, -1);
    EXPECT_FALSE(r.ok());
    EXPECT_LT(since(started), 100ms);
}

TEST(SubprocessTest, AStopTokenThatIsNeverUsedChangesNothing) {
    std::stop_source stop;
    const auto r = run_command({"echo", "hi"}, {}, 5s, 1024, stop.get_token());
    EXPECT_TRUE(r.ok()) << r.error;
    EXPECT_FALSE(r.cancelled);
    EXPECT_EQ(r.out, "hi\n");
}

TEST(SubprocessTest, TheServersBlockedSignalsAreNotInherited) {
    // The server blocks SIGTERM in every thread; a child inheriting that mask would survive
    // the polite signal and need SIGKILL.
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigset_t old;
    ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &term, &old), 0);
    const auto r = run({"sleep", "30"}, {}, 100ms);
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    EXPECT_EQ(r.signal, SIGTERM);
}

TEST(SubprocessTest, AGrandchildHoldingTheOutputOpenDoesNotHoldUsUp) {
    const auto started = Clock::now();
    // sh exits at once, but the background sleep keeps stdout open.
    const auto r = run({"sh", "-c", "sleep 30 & echo $!"}, {}, 300ms);
    const auto took = since(started);
    EXPECT_TRUE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0); // sh itself finished fine
    EXPECT_GE(took, 300ms);
    EXPECT_LT(took, 300ms + kill_grace + 1000ms);
    // The grandchild was in the command's process group and got killed with it.
    const pid_t grandchild = std::atoi(r.out.c_str());
    ASSERT_GT(grandchild, 1) << r.out;
    EXPECT_TRUE(process_ends_within(grandchild, 2s));
}

TEST(SubprocessTest, AMissingProgramIsAnError) {
    const auto r = run({"tinyice-no-such-program-here", "x"});
    EXPECT_FALSE(r.error.empty());
    EXPECT_NE(r.error.find("tinyice-no-such-program-here"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("No such file"), std::string::npos) << r.error;
    EXPECT_EQ(r.exit_code, -1);
    EXPECT_FALSE(r.ok());

    const auto not_executable = run({"/dev/null"});
    EXPECT_FALSE(not_executable.error.empty());
}

TEST(SubprocessTest, InvalidRequestsAreErrors) {
    EXPECT_FALSE(run({}).error.empty());
    EXPECT_FALSE(run({""}).error.empty());
    EXPECT_FALSE(run({"echo", std::string("a\0b", 3)}).error.empty());
    EXPECT_FALSE(run({"echo"}, {{"A=B", "x"}}).error.empty());
    EXPECT_FALSE(run({"echo"}, {{"", "x"}}).error.empty());
}

TEST(SubprocessTest, LargeOutputIsTruncatedButDrained) {
    // 4 MB through a 64 KB pipe: the child only finishes if we keep reading.
    const auto r = run({"head", "-c", "4000000", "/dev/zero"}, {}, 10s, 1000);
    EXPECT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.out.size(), 1000U);
    EXPECT_TRUE(r.truncated);
    const auto both =
        run({"sh", "-c", "head -c 5000 /dev/zero; head -c 7000 /dev/zero >&2"}, {}, 10s, 4096);
    EXPECT_EQ(both.out.size(), 4096U);
    EXPECT_EQ(both.err.size(), 4096U);
}

TEST(SubprocessTest, ANonStopWriterStillTimesOut) {
    const auto started = Clock::now();
    const auto r = run({"yes", "spam"}, {}, 200ms, 1000);
    EXPECT_TRUE(r.timed_out);
    EXPECT_EQ(r.signal, SIGTERM);
    EXPECT_EQ(r.out.size(), 1000U);
    EXPECT_TRUE(r.truncated);
    EXPECT_LT(since(started), 200ms + kill_grace);
}

TEST(SubprocessTest, ConcurrentCallsAreIndependent) {
    std::vector<std::thread> threads;
    std::vector<int> good(4, 0);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([t, &good] {
            for (int i = 0; i < 10; ++i) {
                const auto word = std::to_string(t) + "-" + std::to_string(i);
                const auto r = run_command({"echo", word}, {}, 5s);
                good[static_cast<std::size_t>(t)] += r.ok() && r.out == word + "\n" ? 1 : 0;
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(good, (std::vector<int>{10, 10, 10, 10}));
}

} // namespace
} // namespace tinyice::util
