// The server on 127.0.0.1, port 0, over the in-memory backend: raw socket clients check the
// exact protocol (greeting, ACKs, command lists, idle, passwords, limits, timeouts), and the
// real `mpc` client checks that a stock MPD client works with it.

#include "mpd/MpdServer.hpp"

#include "FakeBackend.hpp"
#include "security/PasswordHash.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

using namespace tinyice::mpd;
using tinyice::mpd::testing::FakeBackend;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto reply_timeout = 5s;
constexpr std::string_view greeting = "OK MPD 0.23.5\n";

// A blocking test client with deadlines on every read.
class RawClient {
public:
    explicit RawClient(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;
    ~RawClient() { ::close(fd_); }

    [[nodiscard]] bool connected() const { return connected_; }

    void send(std::string_view data) {
        while (!data.empty()) {
            const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0) {
                return;
            }
            data.remove_prefix(static_cast<std::size_t>(n));
        }
    }

    // One line including "\n"; "" on timeout or close.
    std::string line(std::chrono::milliseconds timeout = reply_timeout) {
        const auto deadline = Clock::now() + timeout;
        while (true) {
            const auto nl = buffer_.find('\n');
            if (nl != std::string::npos) {
                auto out = buffer_.substr(0, nl + 1);
                buffer_.erase(0, nl + 1);
                return out;
            }
            if (!fill(deadline)) {
                return {};
            }
        }
    }

    // Lines up to and including the one that ends a reply ("OK" or an ACK).
    std::string reply(std::chrono::milliseconds timeout = reply_timeout) {
        const auto deadline = Clock::now() + timeout;
        std::string out;
        while (true) {
            const auto l = line(
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
            if (l.empty()) {
                return out + "<no reply>";
            }
            out += l;
            if (l == "OK\n" || l.starts_with("ACK ")) {
                return out;
            }
        }
    }

    std::string command(std::string_view text) {
        send(std::string(text) + "\n");
        return reply();
    }

    // True when the server closes the connection within `timeout` (any unread data is
    // discarded).
    bool closed(std::chrono::milliseconds timeout = reply_timeout) {
        const auto deadline = Clock::now() + timeout;
        while (fill(deadline)) {
            buffer_.clear();
        }
        return eof_;
    }

    // True when nothing arrives and the connection stays open for `window`.
    bool quiet_for(std::chrono::milliseconds window) {
        return buffer_.empty() && !fill(Clock::now() + window) && !eof_;
    }

private:
    bool fill(Clock::time_point deadline) {
        if (eof_) {
            return false;
        }
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        pollfd p{fd_, POLLIN, 0};
        if (left.count() < 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            return false;
        }
        char buf[65536];
        const auto n = ::recv(fd_, buf, sizeof(buf), 0);
        if (n <= 0) {
            eof_ = true;
            return false;
        }
        buffer_.append(buf, static_cast<std::size_t>(n));
        return true;
    }

    int fd_ = -1;
    bool connected_ = false;
    bool eof_ = false;
    std::string buffer_;
};

// ---- running mpc ------------------------------------------------------------------------------

constexpr const char* mpc_path = "/usr/bin/mpc";

struct Child {
    pid_t pid = -1;
    int out = -1;
};

Child spawn_mpc(const std::vector<std::string>& args, const std::vector<std::string>& env_extra) {
    int pipefd[2];
    if (::pipe(pipefd) != 0) {
        return {};
    }
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string_view var(*e);
        if (!var.starts_with("MPD_HOST=") && !var.starts_with("MPD_PORT=")) {
            env.emplace_back(var);
        }
    }
    env.insert(env.end(), env_extra.begin(), env_extra.end());
    std::vector<std::string> argv_s = {mpc_path};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);

    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(pipefd[1], 1);
        ::dup2(pipefd[1], 2);
        ::close(pipefd[0]);
        ::close(pipefd[1]);
        ::execve(mpc_path, argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(pipefd[1]);
    return Child{pid, pipefd[0]};
}

struct Result {
    int status = -1; // exit code; -1 when killed after the timeout
    std::string out;
};

Result finish(Child child, std::chrono::milliseconds timeout = 10s) {
    Result r;
    const auto deadline = Clock::now() + timeout;
    char buf[4096];
    while (true) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        pollfd p{child.out, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            ::kill(child.pid, SIGKILL);
            break;
        }
        const auto n = ::read(child.out, buf, sizeof(buf));
        if (n <= 0) {
            break;
        }
        r.out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(child.out);
    int status = 0;
    ::waitpid(child.pid, &status, 0);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

// ---- fixture ----------------------------------------------------------------------------------

class MpdServerTest : public ::testing::Test {
protected:
    MpdServerTest() : io_thread_([this] { io_.run(); }) {}

    ~MpdServerTest() override {
        server_.reset();
        stop_loop();
    }

    void stop_loop() {
        work_.reset();
        io_.stop();
        if (io_thread_.joinable()) {
            io_thread_.join();
        }
    }

    void start(ServerSettings settings = {}) {
        settings.address = "127.0.0.1";
        settings.port = 0;
        settings.name = "test";
        server_ = std::make_unique<MpdServer>(settings, fake_.backend(), io_);
        server_->start();
        port_ = server_->port();
        ASSERT_NE(port_, 0);
    }

    // A client that has read the greeting.
    std::unique_ptr<RawClient> connect() {
        auto c = std::make_unique<RawClient>(port_);
        EXPECT_TRUE(c->connected());
        EXPECT_EQ(c->line(), greeting);
        return c;
    }

    // Polls a condition the server reaches asynchronously (no event to wait on from here).
    template <typename F>
    bool eventually(F&& condition, std::chrono::milliseconds timeout = reply_timeout) {
        const auto deadline = Clock::now() + timeout;
        while (!condition()) {
            if (Clock::now() > deadline) {
                return false;
            }
            std::this_thread::sleep_for(5ms);
        }
        return true;
    }

    std::vector<std::string> mpc_args(std::vector<std::string> args) const {
        std::vector<std::string> out = {"-h", "127.0.0.1", "-p", std::to_string(port_)};
        out.insert(out.end(), args.begin(), args.end());
        return out;
    }

    Result mpc(std::vector<std::string> args, std::vector<std::string> env = {}) {
        return finish(spawn_mpc(mpc_args(std::move(args)), env));
    }

    static bool have_mpc() { return std::filesystem::exists(mpc_path); }

    FakeBackend fake_; // outlives the server
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
        io_.get_executor()};
    std::thread io_thread_;
    std::unique_ptr<MpdServer> server_;
    std::uint16_t port_ = 0;
};

#define REQUIRE_MPC()                                                                              \
    do {                                                                                           \
        if (!have_mpc()) {                                                                         \
            GTEST_SKIP() << mpc_path << " is not installed";                                       \
        }                                                                                          \
    } while (0)

// ---- raw protocol -----------------------------------------------------------------------------

TEST_F(MpdServerTest, GreetingAndBasicReplies) {
    start();
    auto c = connect();
    EXPECT_EQ(c->command("ping"), "OK\n");
    EXPECT_EQ(c->command("frob"), "ACK [5@0] {} unknown command \"frob\"\n");
    EXPECT_EQ(c->command("play 1 2"), "ACK [2@0] {play} too many arguments for \"play\"\n");
    EXPECT_EQ(c->command("add \"unterminated"), "ACK [2@0] {} Missing closing '\"'\n");
    EXPECT_EQ(c->command(""), "ACK [5@0] {} No command given\n");
    EXPECT_EQ(c->command("getvol"), "volume: 50\nOK\n");
    EXPECT_EQ(server_->connections(), 1U);
}

TEST_F(MpdServerTest, PipelinedRequestsAreAnsweredInOrder) {
    start();
    auto c = connect();
    c->send("ping\r\ngetvol\nfrob\nping\n");
    EXPECT_EQ(c->reply(), "OK\n");
    EXPECT_EQ(c->reply(), "volume: 50\nOK\n");
    EXPECT_EQ(c->reply(), "ACK [5@0] {} unknown command \"frob\"\n");
    EXPECT_EQ(c->reply(), "OK\n");
}

TEST_F(MpdServerTest, CommandLists) {
    start();
    auto c = connect();
    c->send("command_list_begin\ngetvol\nping\ngetvol\ncommand_list_end\n");
    EXPECT_EQ(c->reply(), "volume: 50\nvolume: 50\nOK\n");
    c->send("command_list_ok_begin\ngetvol\nping\ncommand_list_end\n");
    EXPECT_EQ(c->reply(), "volume: 50\nlist_OK\nlist_OK\nOK\n");
    // The first failure ends the list: its index is in the ACK, the rest is not run.
    c->send("command_list_ok_begin\nping\nsetvol 200\nsetvol 10\ncommand_list_end\n");
    EXPECT_EQ(c->reply(), "list_OK\nACK [2@1] {setvol} Invalid volume value: 200\n");
    EXPECT_EQ(fake_.volume(), 50);
    c->send("command_list_begin\nping\nping\nfrob\ncommand_list_end\n");
    EXPECT_EQ(c->reply(), "ACK [5@2] {} unknown command \"frob\"\n");
    c->send("command_list_begin\ncommand_list_end\n");
    EXPECT_EQ(c->reply(), "OK\n");
    c->send("command_list_begin\nidle\ncommand_list_end\n");
    EXPECT_EQ(c->reply(), "ACK [2@0] {idle} idle is not allowed in a command list\n");
    EXPECT_EQ(c->command("ping"), "OK\n");
}

TEST_F(MpdServerTest, CommandListOverTheLimitIsRefusedAsAWhole) {
    ServerSettings s;
    s.max_command_list_commands = 5;
    start(s);
    auto c = connect();
    std::string list = "command_list_begin\n";
    for (int i = 0; i < 20; ++i) {
        list += "setvol 10\n";
    }
    c->send(list + "command_list_end\n");
    EXPECT_EQ(c->reply(), "ACK [2@0] {} Command list too long\n");
    EXPECT_EQ(fake_.volume(), 50); // nothing of it ran
    EXPECT_EQ(c->command("ping"), "OK\n");
}

TEST_F(MpdServerTest, IdleAndNoidle) {
    start();
    auto c = connect();
    c->send("idle\n");
    EXPECT_TRUE(c->quiet_for(50ms));
    EXPECT_EQ(c->command("noidle"), "OK\n");
    // noidle when not idle is ignored (no reply at all): the next reply is the ping's.
    c->send("noidle\nping\n");
    EXPECT_EQ(c->reply(), "OK\n");
}

TEST_F(MpdServerTest, IdleWakesOnAnotherClientsChange) {
    start();
    auto a = connect();
    auto b = connect();
    a->send("idle\n");
    ASSERT_TRUE(a->quiet_for(20ms));
    EXPECT_EQ(b->command("setvol 20"), "OK\n");
    EXPECT_EQ(a->reply(), "changed: mixer\nOK\n");
    a->send("idle player\n");
    EXPECT_EQ(b->command("add top.ogg"), "OK\n"); // playlist: not asked for
    EXPECT_EQ(b->command("play"), "OK\n");        // player
    EXPECT_EQ(a->reply(), "changed: player\nOK\n");
}

TEST_F(MpdServerTest, IdleReportsEarlierEventsAtOnce) {
    start();
    auto a = connect();
    auto b = connect();
    EXPECT_EQ(b->command("random 1"), "OK\n");
    EXPECT_EQ(b->command("add top.ogg"), "OK\n");
    EXPECT_EQ(a->command("ping"), "OK\n"); // a's events are collected since it connected
    EXPECT_EQ(a->command("idle"), "changed: playlist\nchanged: options\nOK\n");
    // Reported once: the next idle waits again.
    a->send("idle\n");
    EXPECT_TRUE(a->quiet_for(50ms));
    EXPECT_EQ(a->command("noidle"), "OK\n");
}

TEST_F(MpdServerTest, IdleWithUnknownSubsystem) {
    start();
    auto c = connect();
    EXPECT_EQ(c->command("idle player frobs"), "ACK [2@0] {idle} Unrecognized idle event: frobs\n");
    EXPECT_EQ(c->command("ping"), "OK\n");
}

TEST_F(MpdServerTest, CommandWhileIdleClosesTheConnection) {
    start();
    auto c = connect();
    c->send("idle\nstatus\n");
    EXPECT_TRUE(c->closed());
}

TEST_F(MpdServerTest, CloseCommand) {
    start();
    auto c = connect();
    c->send("close\n");
    EXPECT_TRUE(c->closed());
}

TEST_F(MpdServerTest, PasswordPermissions) {
    ServerSettings s;
    s.password_hash = tinyice::security::hash_password("secret");
    start(s);
    auto c = connect();
    EXPECT_EQ(c->command("status"),
              "ACK [4@0] {status} you don't have permission for \"status\"\n");
    EXPECT_EQ(c->command("idle"), "ACK [4@0] {idle} you don't have permission for \"idle\"\n");
    EXPECT_EQ(c->command("ping"), "OK\n");
    EXPECT_EQ(c->command("tagtypes clear"), "OK\n");
    const auto commands = c->command("commands");
    EXPECT_NE(commands.find("command: password\n"), std::string::npos);
    EXPECT_EQ(commands.find("command: play\n"), std::string::npos);
    EXPECT_EQ(c->command("password wrong"), "ACK [3@0] {password} incorrect password\n");
    EXPECT_EQ(c->command("play"), "ACK [4@0] {play} you don't have permission for \"play\"\n");
    EXPECT_EQ(c->command("password secret"), "OK\n");
    EXPECT_EQ(c->command("getvol"), "volume: 50\nOK\n");
    // Inside a command list, as libmpdclient sends it.
    auto d = connect();
    d->send("command_list_ok_begin\npassword secret\ngetvol\ncommand_list_end\n");
    EXPECT_EQ(d->reply(), "list_OK\nvolume: 50\nlist_OK\nOK\n");
}

TEST_F(MpdServerTest, PasswordWithoutOneSetIsIncorrect) {
    start();
    auto c = connect();
    EXPECT_EQ(c->command("password x"), "ACK [3@0] {password} incorrect password\n");
    EXPECT_EQ(c->command("getvol"), "volume: 50\nOK\n");
}

TEST_F(MpdServerTest, SilentClientTimesOut) {
    ServerSettings s;
    s.connection_timeout = 200ms;
    start(s);
    auto c = connect();
    const auto t0 = Clock::now();
    EXPECT_TRUE(c->closed(3s));
    EXPECT_GE(Clock::now() - t0, 150ms);
}

TEST_F(MpdServerTest, ActiveClientIsNotTimedOut) {
    ServerSettings s;
    s.connection_timeout = 300ms;
    start(s);
    auto c = connect();
    for (int i = 0; i < 8; ++i) { // 800 ms in all, never 300 ms without a request
        ASSERT_TRUE(c->quiet_for(100ms));
        ASSERT_EQ(c->command("ping"), "OK\n");
    }
}

TEST_F(MpdServerTest, IdleClientIsNotTimedOut) {
    ServerSettings s;
    s.connection_timeout = 150ms;
    start(s);
    auto c = connect();
    c->send("idle\n");
    EXPECT_TRUE(c->quiet_for(600ms));
    EXPECT_EQ(c->command("noidle"), "OK\n");
    EXPECT_TRUE(c->closed(3s)); // out of idle, the timeout applies again
}

TEST_F(MpdServerTest, OversizedLineIsRefused) {
    ServerSettings s;
    s.max_line_bytes = 1024;
    start(s);
    auto c = connect();
    c->send(std::string(2048, 'a'));
    EXPECT_EQ(c->reply(), "ACK [2@0] {} Request line too long\n");
    EXPECT_TRUE(c->closed());
}

TEST_F(MpdServerTest, OversizedReplyIsReplacedByAnAck) {
    ServerSettings s;
    s.max_output_bytes = 300;
    start(s);
    auto c = connect();
    EXPECT_EQ(c->command("listallinfo"), "ACK [52@0] {listallinfo} Response is too large\n");
    EXPECT_EQ(c->command("ping"), "OK\n");
    c->send("command_list_ok_begin\nping\nlistallinfo\nping\ncommand_list_end\n");
    EXPECT_EQ(c->reply(), "list_OK\nACK [52@1] {listallinfo} Response is too large\n");
}

TEST_F(MpdServerTest, ConnectionLimit) {
    ServerSettings s;
    s.max_connections = 2;
    start(s);
    auto a = connect();
    auto b = connect();
    RawClient third(port_);
    ASSERT_TRUE(third.connected()); // the kernel accepts; the server closes it at once
    EXPECT_TRUE(third.closed());
    EXPECT_EQ(a->command("ping"), "OK\n");
    a.reset();
    ASSERT_TRUE(eventually([this] { return server_->connections() == 1; }));
    auto d = connect();
    EXPECT_EQ(d->command("ping"), "OK\n");
}

TEST_F(MpdServerTest, StopClosesEverythingAndIsIdempotent) {
    start();
    auto c = connect();
    c->send("idle\n");
    EXPECT_EQ(fake_.subscribers(), 1U);
    server_->stop();
    EXPECT_TRUE(c->closed());
    server_->stop();
    EXPECT_EQ(fake_.subscribers(), 0U);
    EXPECT_THROW(server_->start(), std::logic_error);
    ASSERT_TRUE(eventually([this] { return server_->connections() == 0; }));
    RawClient late(port_);
    EXPECT_FALSE(late.connected() && late.line(1s) == greeting);
}

TEST_F(MpdServerTest, StopFromAnotherThreadWhileClientsAreBusy) {
    start();
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 5; ++i) {
        clients.push_back(connect());
        clients.back()->send("listallinfo\nping\n");
    }
    std::thread stopper([this] { server_->stop(); });
    stopper.join();
    for (auto& c : clients) {
        EXPECT_TRUE(c->closed());
    }
    server_.reset(); // waits until no session runs
}

TEST_F(MpdServerTest, DestroyedAfterItsLoopStoppedWithSessionsInFlight) {
    start();
    auto idle = connect();
    idle->send("idle\n");
    auto busy = connect();
    busy->send("listallinfo\n");
    ASSERT_TRUE(idle->quiet_for(20ms));
    stop_loop();     // the sessions' coroutines are left suspended in the io_context
    server_.reset(); // must neither wait for them nor leave them dangling
    fake_.emit(tinyice::protocol::mpd::idle_player); // nobody is subscribed any more
    EXPECT_EQ(fake_.subscribers(), 0U);
    // The io_context (a member) is destroyed after this test body, with the suspended
    // coroutines; the sanitizer build checks that this touches no freed memory.
}

TEST_F(MpdServerTest, BindFailureNamesTheAddress) {
    start();
    ServerSettings s;
    s.port = port_;
    s.name = "second";
    MpdServer second(s, fake_.backend(), io_);
    try {
        second.start();
        ADD_FAILURE() << "binding a used port succeeded";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port_)),
                  std::string::npos)
            << e.what();
    }
    ServerSettings bad;
    bad.address = "not-an-address";
    MpdServer third(bad, fake_.backend(), io_);
    EXPECT_THROW(third.start(), std::runtime_error);
}

TEST_F(MpdServerTest, NonsensicalSettingsAreRefused) {
    const auto refused = [this](auto change) {
        ServerSettings s;
        change(s);
        EXPECT_THROW(MpdServer(s, fake_.backend(), io_), std::invalid_argument);
    };
    refused([](ServerSettings& s) { s.connection_timeout = 0ms; });
    refused([](ServerSettings& s) { s.max_connections = 0; });
    refused([](ServerSettings& s) { s.max_line_bytes = 10; });
    refused([](ServerSettings& s) { s.max_output_bytes = 10; });
    refused([](ServerSettings& s) { s.max_command_list_bytes = 100; });
    EXPECT_NO_THROW(MpdServer(ServerSettings{}, fake_.backend(), io_));
}

TEST_F(MpdServerTest, MessagesBetweenClients) {
    start();
    auto a = connect();
    auto b = connect();
    EXPECT_EQ(a->command("subscribe chat"), "OK\n");
    a->send("idle message\n");
    EXPECT_EQ(b->command("sendmessage chat \"hello there\""), "OK\n");
    EXPECT_EQ(a->reply(), "changed: message\nOK\n");
    EXPECT_EQ(a->command("readmessages"), "channel: chat\nmessage: hello there\nOK\n");
    EXPECT_EQ(b->command("channels"), "channel: chat\nOK\n");
    a.reset();
    ASSERT_TRUE(eventually([this] { return server_->connections() == 1; }));
    EXPECT_EQ(b->command("channels"), "OK\n");
}

// ---- the real mpc client ----------------------------------------------------------------------

TEST_F(MpdServerTest, MpcStatus) {
    REQUIRE_MPC();
    start();
    const auto r = mpc({"status"});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("volume: 50%"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("repeat: on"), std::string::npos) << r.out;
}

TEST_F(MpdServerTest, MpcAddPlayNextAndPlaylist) {
    REQUIRE_MPC();
    start();
    auto r = mpc({"add", "Jazz/Miles Davis"});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(fake_.files().size(), 2U);
    r = mpc({"playlist"});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out, "Miles Davis - Blue in Green\nMiles Davis - So What\n");
    r = mpc({"play"});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("Miles Davis - Blue in Green"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("[playing] #1/2"), std::string::npos) << r.out;
    EXPECT_EQ(fake_.state(), PlayState::play);
    r = mpc({"next"});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("[playing] #2/2"), std::string::npos) << r.out;
    EXPECT_EQ(fake_.current(), 1U);
    r = mpc({"add", "nowhere"});
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.out.find("No such directory"), std::string::npos) << r.out;
}

TEST_F(MpdServerTest, MpcRandomAndVolume) {
    REQUIRE_MPC();
    start();
    auto r = mpc({"random", "on"});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("random: on"), std::string::npos) << r.out;
    EXPECT_TRUE(fake_.options().random);
    r = mpc({"volume", "30"});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(fake_.volume(), 30);
    r = mpc({"volume", "50"});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(fake_.volume(), 50);
    r = mpc({"volume", "+10"});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(fake_.volume(), 60);
    EXPECT_NE(r.out.find("volume: 60%"), std::string::npos) << r.out;
}

TEST_F(MpdServerTest, MpcSearchAndLs) {
    REQUIRE_MPC();
    start();
    auto r = mpc({"search", "title", "blue"});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out, "Jazz/Miles Davis/Blue in Green.mp3\n");
    r = mpc({"find", "artist", "Queen"});
    EXPECT_EQ(r.out, "Rock/Queen/Bohemian Rhapsody.mp3\nRock/Queen/Love of My Life.mp3\n");
    r = mpc({"ls"});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out, "Jazz\nRock\ntop.ogg\n");
    r = mpc({"ls", "Jazz"});
    EXPECT_EQ(r.out, "Jazz/Coltrane\nJazz/Miles Davis\n");
    r = mpc({"list", "album"});
    EXPECT_EQ(r.out, "A Night at the Opera\nGiant Steps\nKind of Blue\n");
    fake_.put_playlist("evening", {"top.ogg"});
    r = mpc({"lsplaylists"});
    EXPECT_EQ(r.out, "evening\n");
}

TEST_F(MpdServerTest, MpcUpdate) {
    REQUIRE_MPC();
    start();
    const auto r = mpc({"update"});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(fake_.update_jobs(), 1U);
    EXPECT_NE(r.out.find("Updating DB (#1)"), std::string::npos) << r.out;
}

TEST_F(MpdServerTest, MpcIdleSeesPlayFromAnotherClient) {
    REQUIRE_MPC();
    start();
    fake_.add("top.ogg", std::nullopt);
    auto idle = spawn_mpc(mpc_args({"idle"}), {});
    // Once mpc's connection exists, the server records the event for it even if "idle" has
    // not arrived yet (MPD reports events since the previous command), so there is no race.
    ASSERT_TRUE(eventually([this] { return server_->connections() == 1; }));
    auto c = connect();
    EXPECT_EQ(c->command("play"), "OK\n");
    const auto r = finish(idle);
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out, "player\n");
}

TEST_F(MpdServerTest, MpcWithPassword) {
    REQUIRE_MPC();
    ServerSettings s;
    s.password_hash = tinyice::security::hash_password("secret");
    start(s);
    const auto port = std::to_string(port_);
    auto r = finish(spawn_mpc({"-p", port, "status"}, {"MPD_HOST=secret@127.0.0.1"}));
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("volume: 50%"), std::string::npos) << r.out;
    r = finish(spawn_mpc({"-p", port, "status"}, {"MPD_HOST=wrong@127.0.0.1"}));
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.out.find("incorrect password"), std::string::npos) << r.out;
    r = finish(spawn_mpc({"-p", port, "status"}, {"MPD_HOST=127.0.0.1"}));
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.out.find("permission"), std::string::npos) << r.out;
}

} // namespace
