#include "autodj/BackgroundCommand.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

namespace tinyice::autodj {
namespace {

using namespace std::chrono_literals;

TEST(BackgroundCommandTest, RunsOnItsOwnThreadAndReportsTheResult) {
    std::mutex m;
    std::condition_variable cv;
    bool called = false;
    auto command =
        BackgroundCommand::launch({"sh", "-c", "echo \"$GREETING\""}, {{"GREETING", "hello"}},
                                  5000ms, [&](const util::CommandResult&) {
                                      std::lock_guard lock(m);
                                      called = true;
                                      cv.notify_all();
                                  });
    {
        std::unique_lock lock(m);
        ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return called; }));
    }
    ASSERT_TRUE(command->done()); // on_done runs once the result is published
    const auto result = command->result();
    ASSERT_TRUE(result);
    EXPECT_TRUE(result->ok());
    EXPECT_EQ(result->out, "hello\n");
}

TEST(BackgroundCommandTest, LaunchReturnsAtOnce) {
    const auto before = std::chrono::steady_clock::now();
    auto command = BackgroundCommand::launch({"sleep", "0.3"}, {}, 5000ms);
    EXPECT_LT(std::chrono::steady_clock::now() - before, 100ms);
    EXPECT_FALSE(command->done());
    EXPECT_FALSE(command->result());
}

TEST(BackgroundCommandTest, CancelEndsTheCommandPromptly) {
    auto command = BackgroundCommand::launch({"sleep", "30"}, {}, 60'000ms);
    EXPECT_FALSE(command->wait_until(std::chrono::steady_clock::now() + 50ms));
    const auto before = std::chrono::steady_clock::now();
    command->cancel();
    ASSERT_TRUE(command->wait_until(before + 2s));
    EXPECT_LT(std::chrono::steady_clock::now() - before, util::cancel_grace + 100ms);
    const auto result = command->result();
    ASSERT_TRUE(result);
    EXPECT_TRUE(result->cancelled);
    EXPECT_FALSE(result->ok());
    EXPECT_EQ(describe_failure(*result, 60'000ms), "was cancelled (the station stopped)");
}

TEST(BackgroundCommandTest, DescribesFailures) {
    util::CommandResult r;
    r.error = "nope: No such file or directory";
    EXPECT_EQ(describe_failure(r, 100ms), "could not start: nope: No such file or directory");
    r = {};
    r.timed_out = true;
    EXPECT_EQ(describe_failure(r, 1500ms), "timed out after 1500 ms");
    r = {};
    r.exit_code = 3;
    r.err = "bad input\nmore";
    EXPECT_EQ(describe_failure(r, 100ms), "exited with status 3: bad input");
    r = {};
    r.signal = 9;
    EXPECT_EQ(describe_failure(r, 100ms), "killed by signal 9");
}

} // namespace
} // namespace tinyice::autodj
