#include "mpd/MpdServer.hpp"

#include "mpd/Commands.hpp"
#include "protocol/mpd/Ack.hpp"
#include "protocol/mpd/CommandLine.hpp"
#include "protocol/mpd/CommandList.hpp"
#include "protocol/mpd/Idle.hpp"
#include "protocol/mpd/LineReader.hpp"
#include "protocol/mpd/Response.hpp"
#include "security/PasswordHash.hpp"
#include "util/Log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <variant>

namespace tinyice::mpd {

namespace asio = boost::asio;
namespace pm = protocol::mpd;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view greeting = "OK MPD 0.23.5\n";
constexpr std::size_t read_piece = 4096;
constexpr std::size_t write_piece = std::size_t{64} * 1024;
constexpr auto refusal_log_interval = std::chrono::seconds(10);
constexpr auto accept_retry = std::chrono::milliseconds(100);
constexpr auto destroy_wait = std::chrono::seconds(5);

using Strand = asio::strand<asio::io_context::executor_type>;

std::string endpoint_text(const std::string& address, std::uint16_t port) {
    if (address.find(':') != std::string::npos) {
        return fmt::format("[{}]:{}", address, port);
    }
    return fmt::format("{}:{}", address, port);
}

// Runs the slow hash check on `pool` and completes on the caller's executor. A plain function
// object (not a lambda inside the co_await expression) because GCC 12 mis-compiles captures
// there.
struct VerifyInitiation {
    asio::thread_pool* pool;

    template <typename Handler>
    void operator()(Handler&& handler, std::string password, std::string hash) const {
        auto home = asio::get_associated_executor(handler);
        asio::post(*pool, [handler = std::forward<Handler>(handler), home,
                           password = std::move(password), hash = std::move(hash)]() mutable {
            const bool ok = security::verify_password(password, hash);
            asio::post(home,
                       [handler = std::move(handler), ok]() mutable { std::move(handler)(ok); });
        });
    }
};

auto async_verify(asio::thread_pool& pool, std::string password, std::string hash) {
    return asio::async_initiate<decltype(asio::use_awaitable), void(bool)>(
        VerifyInitiation{&pool}, asio::use_awaitable, std::move(password), std::move(hash));
}

class Session;

} // namespace

namespace detail {

struct ServerCore : std::enable_shared_from_this<ServerCore> {
    ServerCore(ServerSettings s, Backend b, asio::io_context& context)
        : settings(std::move(s)), backend(b), io(context), strand(asio::make_strand(context)),
          acceptor(strand),
          commands(backend, Commands::Options{!settings.password_hash.empty(), Clock::now()}),
          log(util::logger("mpd")) {}

    ~ServerCore() { password_pool.join(); }
    ServerCore(const ServerCore&) = delete;
    ServerCore& operator=(const ServerCore&) = delete;
    ServerCore(ServerCore&&) = delete;
    ServerCore& operator=(ServerCore&&) = delete;

    // Counts the coroutines that may call the backend (the accept loop and the sessions).
    class Live {
    public:
        explicit Live(ServerCore& impl) : impl_(impl) { impl_.live.fetch_add(1); }
        Live(const Live&) = delete;
        Live& operator=(const Live&) = delete;
        Live(Live&&) = delete;
        Live& operator=(Live&&) = delete;
        ~Live() {
            std::lock_guard lock(impl_.live_mutex);
            if (impl_.live.fetch_sub(1) == 1) {
                impl_.live_cv.notify_all();
            }
        }

    private:
        ServerCore& impl_;
    };

    void deliver_events();
    void log_refusal();

    ServerSettings settings;
    Backend backend;
    asio::io_context& io;
    Strand strand;
    tcp::acceptor acceptor;
    Commands commands;
    std::shared_ptr<spdlog::logger> log;
    asio::thread_pool password_pool{1};

    std::unordered_set<Session*> sessions; // strand only
    std::atomic<std::size_t> session_count{0};
    std::atomic<bool> started{false};
    std::atomic<bool> stopping{false};
    std::atomic<std::uint16_t> bound_port{0};
    std::atomic<unsigned> pending_events{0}; // set from any thread, delivered on the strand

    std::atomic<std::size_t> live{0};
    std::mutex live_mutex;
    std::condition_variable live_cv;

    std::mutex subscription_mutex;
    std::optional<std::uint64_t> subscription;

    Clock::time_point last_refusal_log{};
    std::uint64_t refused_since_log = 0;
};

} // namespace detail

namespace {

// One client connection. Owned by its coroutines (run, writer, watchdog), which all run on the
// server's strand.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(std::shared_ptr<detail::ServerCore> server, tcp::socket socket)
        : server_(std::move(server)), socket_(std::move(socket)), watchdog_(server_->strand),
          drained_(server_->strand), lines_(server_->settings.max_line_bytes),
          lists_(pm::CommandListCollector::Limits{server_->settings.max_command_list_commands,
                                                  server_->settings.max_command_list_bytes}) {
        boost::system::error_code ec;
        const auto remote = socket_.remote_endpoint(ec);
        peer_ = ec ? std::string("?") : endpoint_text(remote.address().to_string(), remote.port());
        client_.authenticated = !server_->commands.password_required();
        client_.notify = [this](unsigned mask) {
            add_events(mask);
        };
        server_->sessions.insert(this);
        server_->session_count = server_->sessions.size();
        server_->commands.board().join(client_);
    }

    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    Session(Session&&) = delete;
    Session& operator=(Session&&) = delete;

    ~Session() {
        server_->commands.board().leave(client_, !server_->stopping);
        server_->sessions.erase(this);
        server_->session_count = server_->sessions.size();
        server_->log->debug("{}: client {} disconnected", server_->settings.name, peer_);
    }

    static asio::awaitable<void> run(std::shared_ptr<Session> self);

    void close() {
        if (!open_) {
            return;
        }
        open_ = false;
        boost::system::error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
        watchdog_.cancel();
        drained_.cancel();
    }

    // New idle events (any subsystem); answers a waiting "idle" that asked for one of them.
    void add_events(unsigned mask) {
        if (!open_) {
            return;
        }
        pending_events_ |= mask;
        if (idle_ && (pending_events_ & idle_mask_) != 0) {
            answer_idle();
        }
    }

private:
    enum class Outcome { ok, error, close, idle };

    static asio::awaitable<void> writer(std::shared_ptr<Session> self);
    static asio::awaitable<void> watchdog(std::shared_ptr<Session> self);
    asio::awaitable<void> handle_line(std::string line);
    asio::awaitable<void> run_list(pm::CommandListCollector::Batch batch);
    asio::awaitable<Outcome> execute(std::string line, std::size_t index, bool in_list,
                                     pm::Response& out);

    void send(std::string text) {
        if (!open_ || text.empty()) {
            return;
        }
        if (outbox_.empty()) {
            outbox_ = std::move(text);
        } else {
            outbox_ += text;
        }
        if (!writing_) {
            writing_ = true;
            asio::co_spawn(server_->strand, writer(shared_from_this()), asio::detached);
        }
        touch();
    }

    // Stops reading; the connection closes once the pending output is written.
    void finish() {
        reading_ = false;
        close_after_write_ = true;
        if (!writing_ && outbox_.empty()) {
            close();
        }
    }

    [[nodiscard]] bool output_pending() const { return writing_ || !outbox_.empty(); }

    // Moves the inactivity deadline: none while the client waits in idle with nothing to write
    // (MPD's rule), else connection_timeout from now.
    void touch() {
        const auto next = (idle_ && !output_pending())
                              ? Clock::time_point::max()
                              : Clock::now() + server_->settings.connection_timeout;
        deadline_ = next;
        if (next < watchdog_.expiry()) {
            watchdog_.cancel(); // the watchdog sleeps longer than that: wake it to re-arm
        }
    }

    void start_idle(unsigned mask) {
        idle_ = true;
        idle_mask_ = mask == 0 ? pm::idle_all : mask;
        if ((pending_events_ & idle_mask_) != 0) {
            answer_idle();
        } else {
            touch();
        }
    }

    void answer_idle() {
        const unsigned changed = pending_events_ & idle_mask_;
        pending_events_ = 0;
        idle_ = false;
        send(pm::format_idle_changes(changed) + "OK\n");
    }

    std::shared_ptr<detail::ServerCore> server_;
    tcp::socket socket_;
    asio::steady_timer watchdog_;
    asio::steady_timer drained_; // woken (cancelled) when the outbox has been written
    std::string peer_;
    pm::LineReader lines_;
    pm::CommandListCollector lists_;
    ClientState client_;

    std::string outbox_;
    bool writing_ = false;
    bool close_after_write_ = false;
    bool open_ = true;
    bool reading_ = true;
    Clock::time_point deadline_ = Clock::time_point::max();

    bool idle_ = false;
    unsigned idle_mask_ = 0;
    unsigned pending_events_ = 0; // since the last idle reply (MPD semantics)
};

asio::awaitable<void> Session::run(std::shared_ptr<Session> self) {
    const detail::ServerCore::Live live(*self->server_);
    auto& server = *self->server_;
    server.log->debug("{}: client {} connected", server.settings.name, self->peer_);
    self->send(std::string(greeting));
    asio::co_spawn(server.strand, watchdog(self), asio::detached);

    std::array<char, read_piece> buffer{};
    while (self->open_ && self->reading_ && !server.stopping) {
        // One request at a time: the next line is read only when the previous reply has been
        // written, so a client that pipelines without reading cannot grow the outbox.
        while (self->open_ && self->output_pending()) {
            self->drained_.expires_at(Clock::time_point::max());
            co_await self->drained_.async_wait(use_tuple);
        }
        if (!self->open_ || server.stopping) {
            break;
        }
        std::string line;
        const auto status = self->lines_.next(line);
        if (status == pm::LineReader::Status::line) {
            co_await self->handle_line(std::move(line));
            continue;
        }
        if (status == pm::LineReader::Status::too_long) {
            server.log->info("{}: client {} sent a request line over {} bytes; closing",
                             server.settings.name, self->peer_, server.settings.max_line_bytes);
            self->send(pm::format_ack(pm::Ack::arg, 0, "", "Request line too long"));
            self->finish();
            break;
        }
        auto piece = asio::buffer(buffer);
        auto [ec, n] = co_await self->socket_.async_read_some(piece, use_tuple);
        if (ec) {
            break;
        }
        self->lines_.feed(std::string_view(buffer.data(), n));
        self->touch();
    }
    if (!self->close_after_write_) {
        self->close();
    }
}

asio::awaitable<void> Session::writer(std::shared_ptr<Session> self) {
    while (self->open_ && !self->outbox_.empty()) {
        const std::string sending = std::move(self->outbox_);
        self->outbox_.clear();
        std::size_t offset = 0;
        while (offset < sending.size() && self->open_) {
            const auto piece = asio::buffer(sending.data() + offset,
                                            std::min(write_piece, sending.size() - offset));
            auto [ec, written] = co_await asio::async_write(self->socket_, piece, use_tuple);
            if (ec) {
                self->close();
                break;
            }
            offset += written;
            self->touch();
        }
    }
    self->writing_ = false;
    self->drained_.cancel();
    if (self->close_after_write_) {
        self->close();
    } else if (self->open_) {
        self->touch();
    }
}

asio::awaitable<void> Session::watchdog(std::shared_ptr<Session> self) {
    const auto timeout = self->server_->settings.connection_timeout;
    while (self->open_) {
        const auto now = Clock::now();
        if (self->deadline_ <= now) {
            self->server_->log->debug("{}: client {} timed out", self->server_->settings.name,
                                      self->peer_);
            self->close();
            break;
        }
        // While no deadline is set (idle), wake once per timeout period anyway; touch()
        // cancels the wait when it sets a deadline earlier than the wake-up.
        const auto wake = self->deadline_ - now < timeout ? self->deadline_ : now + timeout;
        self->watchdog_.expires_at(wake);
        co_await self->watchdog_.async_wait(use_tuple);
    }
}

asio::awaitable<void> Session::handle_line(std::string line) {
    if (idle_) {
        // MPD: while idle only "noidle" may be sent; anything else drops the connection.
        if (line == "noidle") {
            idle_ = false;
            send("OK\n");
        } else {
            server_->log->info("{}: client {} sent a command while idle; closing",
                               server_->settings.name, peer_);
            close();
        }
        co_return;
    }
    if (line == "noidle") {
        // Not idle (any more): the idle reply has been sent already; MPD ignores this.
        co_return;
    }
    switch (lists_.feed(line)) {
    case pm::CommandListCollector::Step::execute: {
        pm::Response out(server_->settings.max_output_bytes);
        const auto outcome = co_await execute(std::move(line), 0, false, out);
        if (outcome == Outcome::ok) {
            out.raw("OK\n");
        }
        send(out.take());
        if (outcome == Outcome::close) {
            finish();
        }
        break;
    }
    case pm::CommandListCollector::Step::begun:
    case pm::CommandListCollector::Step::queued:
        break;
    case pm::CommandListCollector::Step::complete: {
        auto batch = lists_.take();
        co_await run_list(std::move(batch));
        break;
    }
    case pm::CommandListCollector::Step::too_long:
        server_->log->info("{}: client {} sent a command list over the limit",
                           server_->settings.name, peer_);
        send(pm::format_ack(pm::Ack::arg, 0, "", "Command list too long"));
        break;
    }
}

asio::awaitable<void> Session::run_list(pm::CommandListCollector::Batch batch) {
    pm::Response out(server_->settings.max_output_bytes);
    for (std::size_t i = 0; i < batch.lines.size(); ++i) {
        const auto outcome = co_await execute(std::move(batch.lines[i]), i, true, out);
        if (outcome == Outcome::error) {
            send(out.take());
            co_return;
        }
        if (outcome == Outcome::close) {
            send(out.take());
            finish();
            co_return;
        }
        if (!open_ || server_->stopping) {
            co_return;
        }
        if (batch.list_ok) {
            out.raw("list_OK\n");
        }
    }
    out.raw("OK\n");
    send(out.take());
}

asio::awaitable<Session::Outcome> Session::execute(std::string line, std::size_t index,
                                                   bool in_list, pm::Response& out) {
    auto parsed = pm::parse_command_line(line);
    if (const auto* error = std::get_if<pm::ParseError>(&parsed)) {
        out.raw(pm::format_ack(error->code, index, "", error->message));
        co_return Outcome::error;
    }
    const auto& cmd = std::get<pm::Command>(parsed);
    const CommandInfo* info = Commands::find(cmd.name);
    if (info == nullptr) {
        out.raw(pm::format_ack(pm::Ack::unknown, index, "",
                               fmt::format("unknown command \"{}\"", cmd.name)));
        co_return Outcome::error;
    }
    const auto mark = out.mark();
    std::optional<pm::CommandError> failure;
    try {
        server_->commands.check(*info, cmd, client_);
        switch (info->session) {
        case SessionCommand::close:
            co_return Outcome::close;
        case SessionCommand::noidle:
            break; // inside a command list: nothing to cancel
        case SessionCommand::idle: {
            if (in_list) {
                throw pm::CommandError(pm::Ack::arg, "idle is not allowed in a command list");
            }
            unsigned mask = 0;
            for (const auto& name : cmd.args) {
                const auto bit = pm::parse_idle_subsystem(name);
                if (!bit) {
                    throw pm::CommandError(pm::Ack::arg, "Unrecognized idle event: " + name);
                }
                mask |= *bit;
            }
            start_idle(mask);
            co_return Outcome::idle;
        }
        case SessionCommand::password: {
            bool ok = false;
            if (!server_->settings.password_hash.empty()) {
                auto verify = async_verify(server_->password_pool, cmd.args[0],
                                           server_->settings.password_hash);
                ok = co_await std::move(verify);
            }
            if (!ok) {
                server_->log->info("{}: client {} gave a wrong password", server_->settings.name,
                                   peer_);
                throw pm::CommandError(pm::Ack::password, "incorrect password");
            }
            client_.authenticated = true;
            break;
        }
        case SessionCommand::none:
            server_->commands.run(*info, cmd, client_, out);
            break;
        }
    } catch (const pm::CommandError& e) {
        failure = e;
    } catch (const std::exception& e) {
        server_->log->warn("{}: \"{}\" failed: {}", server_->settings.name, info->name, e.what());
        failure = pm::CommandError(pm::Ack::system, e.what());
    }
    if (!failure && out.overflowed()) {
        server_->log->info("{}: reply to \"{}\" for {} is over {} bytes; refused",
                           server_->settings.name, info->name, peer_,
                           server_->settings.max_output_bytes);
        failure = pm::CommandError(pm::Ack::system, "Response is too large");
    }
    if (failure) {
        out.truncate(mark);
        out.raw(pm::format_ack(failure->code(), index, info->name, failure->what()));
        co_return Outcome::error;
    }
    co_return Outcome::ok;
}

asio::awaitable<void> accept_loop(std::shared_ptr<detail::ServerCore> server) {
    const detail::ServerCore::Live live(*server);
    asio::steady_timer backoff(server->strand);
    while (!server->stopping) {
        auto [ec, socket] = co_await server->acceptor.async_accept(use_tuple);
        if (ec) {
            if (ec == asio::error::operation_aborted || server->stopping) {
                break;
            }
            // Out of descriptors or a transient error: back off instead of spinning.
            server->log->warn("{}: accept failed: {}", server->settings.name, ec.message());
            backoff.expires_after(accept_retry);
            co_await backoff.async_wait(use_tuple);
            continue;
        }
        if (server->sessions.size() >= server->settings.max_connections) {
            server->log_refusal();
            boost::system::error_code ignored;
            socket.close(ignored);
            continue;
        }
        socket.set_option(tcp::no_delay(true), ec);
        auto session = std::make_shared<Session>(server, std::move(socket));
        asio::co_spawn(server->strand, Session::run(std::move(session)), asio::detached);
    }
}

} // namespace

void detail::ServerCore::deliver_events() {
    const unsigned mask = pending_events.exchange(0);
    if (mask == 0 || stopping) {
        return;
    }
    // Copy: answering an idle never closes a session, but stay safe against set changes.
    const std::vector<Session*> current(sessions.begin(), sessions.end());
    for (auto* session : current) {
        if (sessions.contains(session)) {
            session->add_events(mask);
        }
    }
}

void detail::ServerCore::log_refusal() {
    ++refused_since_log;
    const auto now = Clock::now();
    if (now - last_refusal_log >= refusal_log_interval) {
        log->warn("{}: {} connection(s) refused: the limit of {} MPD clients is reached",
                  settings.name, refused_since_log, settings.max_connections);
        refused_since_log = 0;
        last_refusal_log = now;
    }
}

namespace {

ServerSettings validated(ServerSettings s) {
    const auto bad = [&s](std::string_view what) {
        throw std::invalid_argument(fmt::format("MPD server {}: {}", s.name, what));
    };
    if (s.connection_timeout.count() <= 0) {
        bad("connection_timeout must be positive");
    }
    if (s.max_connections == 0) {
        bad("max_connections must be at least 1");
    }
    if (s.max_line_bytes < 64) {
        bad("max_line_bytes must be at least 64");
    }
    if (s.max_output_bytes < 256) {
        bad("max_output_bytes must be at least 256");
    }
    if (s.max_command_list_commands == 0 || s.max_command_list_bytes < s.max_line_bytes) {
        bad("command lists must hold at least one command of max_line_bytes");
    }
    return s;
}

} // namespace

MpdServer::MpdServer(ServerSettings settings, Backend backend, asio::io_context& io)
    : impl_(std::make_shared<detail::ServerCore>(validated(std::move(settings)), backend, io)) {}

MpdServer::~MpdServer() {
    auto& impl = *impl_;
    try {
        stop();
        if (!impl.io.stopped() && !impl.strand.running_in_this_thread()) {
            std::unique_lock lock(impl.live_mutex);
            if (!impl.live_cv.wait_for(lock, destroy_wait, [&impl] { return impl.live == 0; })) {
                impl.log->warn("{}: sessions still running after {} s at shutdown",
                               impl.settings.name, destroy_wait.count());
            }
        }
    } catch (const std::exception& e) {
        // A destructor must not throw; the sessions hold their own reference to the core.
        impl.log->error("{}: error while stopping the MPD server: {}", impl.settings.name,
                        e.what());
    }
}

void MpdServer::start() {
    auto& impl = *impl_;
    if (impl.stopping) {
        throw std::logic_error("MpdServer::start() after stop()");
    }
    if (impl.started.exchange(true)) {
        throw std::logic_error("MpdServer::start() called twice");
    }
    const auto& s = impl.settings;
    const auto where = endpoint_text(s.address, s.port);
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(s.address, ec);
    if (ec) {
        throw std::runtime_error(
            fmt::format("MPD server {}: '{}' is not an IP address", s.name, s.address));
    }
    const tcp::endpoint endpoint(address, s.port);
    impl.acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
        impl.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    }
    if (!ec) {
        impl.acceptor.bind(endpoint, ec);
    }
    if (!ec) {
        impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        boost::system::error_code ignored;
        impl.acceptor.close(ignored);
        throw std::runtime_error(
            fmt::format("MPD server {}: cannot listen on {}: {}", s.name, where, ec.message()));
    }
    impl.bound_port = impl.acceptor.local_endpoint(ec).port();

    {
        std::weak_ptr<detail::ServerCore> weak = impl_;
        std::lock_guard lock(impl.subscription_mutex);
        impl.subscription = impl.backend.events.subscribe([weak](unsigned mask) {
            const auto server = weak.lock();
            if (!server || server->stopping) {
                return;
            }
            // Coalesce: one delivery is queued at a time, carrying every event since.
            if (server->pending_events.fetch_or(mask) == 0) {
                asio::post(server->strand, [server] { server->deliver_events(); });
            }
        });
    }
    asio::co_spawn(impl.strand, accept_loop(impl_), asio::detached);
    impl.log->info("{}: MPD server listening on {}{}", s.name,
                   endpoint_text(s.address, impl.bound_port),
                   s.password_hash.empty() ? "" : " (password required)");
}

void MpdServer::stop() {
    auto& impl = *impl_;
    if (impl.stopping.exchange(true)) {
        return;
    }
    {
        std::lock_guard lock(impl.subscription_mutex);
        if (impl.subscription) {
            impl.backend.events.unsubscribe(*impl.subscription);
            impl.subscription.reset();
        }
    }
    asio::post(impl.strand, [server = impl_] {
        boost::system::error_code ignored;
        server->acceptor.close(ignored);
        const std::vector<Session*> current(server->sessions.begin(), server->sessions.end());
        for (auto* session : current) {
            session->close();
        }
    });
}

std::uint16_t MpdServer::port() const {
    return impl_->bound_port;
}

std::size_t MpdServer::connections() const {
    return impl_->session_count;
}

} // namespace tinyice::mpd
