// tinyice_loadgen: opens N HTTP listeners against TinyIce, Icecast 2 or the floor server and
// reports, as one JSON line on stdout, how many connected, why the others failed, how fast they
// got their first byte and how many kept up with the stream. See /work/shared/PERF.md.
//
// How it measures
//   * Connection attempts are paced at --rate per second (non-blocking connect, epoll_wait
//     timeouts). Each attempt sends `GET /mount HTTP/1.0`, reads the status line and headers
//     (at most 8 KiB) and then counts body bytes. With --icy it asks for ICY metadata and
//     counts audio bytes only, skipping the metadata blocks every icy-metaint bytes.
//   * Per attempt: time from connect start to the end of the headers (headers_ms) and to the
//     first body byte (ttfb_ms). An attempt that neither connects nor gets 200 headers within
//     --connect-timeout fails with a reason: refused, timeout (connect or headers), status
//     (non-200; codes kept), reset, eof (server closed), out_of_ports (EADDRNOTAVAIL/EADDRINUSE),
//     out_of_fds (EMFILE/ENFILE), other. "connected" + sum(failed) = "listeners".
//   * When every attempt has succeeded or failed, the steady window starts and lasts --steady
//     seconds. Both ends of the window are marked by a sweep that drains every socket without
//     waiting (a non-blocking recv returns what is queued even below SO_RCVLOWAT), so each
//     listener's window bytes are exact and its window is the same length.
//     rate_bps is window bytes / window length over the listeners streaming when the window
//     started. A listener is stalled if that is below 90% of --expected-rate (a listener the
//     server closes during the window is counted in dropped_during_steady, and as stalled too
//     if it got less than 90%). Listeners closed after connecting but before the window are
//     counted in dropped_before_steady.
//   * The generator must stay cheap: once headers are in, SO_RCVLOWAT is set to 16 KiB so a
//     128 kbit/s listener wakes us about once a second; all reads go to one shared buffer; per
//     connection we keep a 64-byte struct (plus a small header buffer until headers are done).
//   * Source addresses: IPv4 connections are bound (IP_BIND_ADDRESS_NO_PORT) round-robin to the
//     addresses of --source-addrs, by default 127.0.0.2-127.0.0.254 when the target is on
//     127/8, so ephemeral ports never run out. With --ipv6 every URL's port is reached at [::1]
//     and nothing is bound (::1 is the only IPv6 loopback address).
//   * The soft RLIMIT_NOFILE is raised to the hard limit; N is capped to limit - 16.
// stderr carries `steady_start ...`/`steady_end ...` lines (always) and, with --progress, one
// `t=..s connected=../N failed=.. receiving=.. rate_p50=..` line per second. rate_p50 there is
// the median rate since the window started (before it: since each listener's first byte,
// burst included). The JSON also gives the window's wall-clock ends (steady_start_unix,
// steady_end_unix) so a driver can line up its CPU samples.
// Exit status: 0 when it ran (whatever failed), 2 on usage errors, 1 on setup errors.

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

namespace {

constexpr std::size_t kMaxHeader = 8192;
constexpr int kRcvLowat = 16384;

std::int64_t now_us() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1000000 + ts.tv_nsec / 1000;
}

double unix_now() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

[[noreturn]] void usage(const char* msg) {
    if (msg) std::fprintf(stderr, "tinyice_loadgen: %s\n", msg);
    std::fprintf(stderr,
        "usage: tinyice_loadgen --url http://HOST:PORT/MOUNT [--url ...] --listeners N\n"
        "         [--rate R=500] [--steady S=30] [--icy] [--ipv6]\n"
        "         [--source-addrs A.B.C.D-A.B.C.E] [--expected-rate BPS=16000]\n"
        "         [--connect-timeout SECONDS=10] [--progress] [--json-out FILE]\n");
    std::exit(msg ? 2 : 0);
}

struct Options {
    std::vector<std::string> urls;
    long listeners = -1;
    double rate = 500, steady = 30, expected_rate = 16000, connect_timeout = 10;
    bool icy = false, ipv6 = false, progress = false;
    std::string source_addrs, json_out;
};

double parse_num(const char* s, const char* what, double min) {
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(s, &end);
    if (errno || end == s || *end || !std::isfinite(v) || v < min) {
        std::string m = std::string("bad value for ") + what + ": " + s;
        usage(m.c_str());
    }
    return v;
}

Options parse_args(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto val = [&]() -> const char* {
            if (i + 1 >= argc) usage((a + " needs a value").c_str());
            return argv[++i];
        };
        if (a == "--url") o.urls.emplace_back(val());
        else if (a == "--listeners") o.listeners = static_cast<long>(parse_num(val(), "--listeners", 1));
        else if (a == "--rate") o.rate = parse_num(val(), "--rate", 0.001);
        else if (a == "--steady") o.steady = parse_num(val(), "--steady", 0);
        else if (a == "--expected-rate") o.expected_rate = parse_num(val(), "--expected-rate", 0);
        else if (a == "--connect-timeout") o.connect_timeout = parse_num(val(), "--connect-timeout", 0.001);
        else if (a == "--source-addrs") o.source_addrs = val();
        else if (a == "--json-out") o.json_out = val();
        else if (a == "--icy") o.icy = true;
        else if (a == "--ipv6") o.ipv6 = true;
        else if (a == "--progress") o.progress = true;
        else if (a == "--help" || a == "-h") usage(nullptr);
        else usage(("unknown argument: " + a).c_str());
    }
    if (o.urls.empty()) usage("--url is required");
    if (o.listeners < 1) usage("--listeners is required");
    if (o.urls.size() > 65535) usage("too many --url");
    return o;
}

struct Target {
    sockaddr_storage addr{};
    socklen_t addr_len = 0;
    std::string request;
    bool bind_source = false;  // IPv4 target: bind to the next source address
};

Target make_target(const std::string& url, const Options& o, bool explicit_sources) {
    const std::string prefix = "http://";
    if (url.compare(0, prefix.size(), prefix) != 0) usage(("URL must start with http://: " + url).c_str());
    std::string rest = url.substr(prefix.size());
    std::size_t slash = rest.find('/');
    std::string hostport = rest.substr(0, slash);
    std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
    std::string host = hostport, port = "80";
    if (!hostport.empty() && hostport[0] == '[') {
        std::size_t close = hostport.find(']');
        if (close == std::string::npos) usage(("bad host in " + url).c_str());
        host = hostport.substr(1, close - 1);
        if (close + 1 < hostport.size() && hostport[close + 1] == ':') port = hostport.substr(close + 2);
    } else if (std::size_t colon = hostport.rfind(':'); colon != std::string::npos) {
        host = hostport.substr(0, colon);
        port = hostport.substr(colon + 1);
    }
    if (o.ipv6) host = "::1";
    if (host.empty() || port.empty()) usage(("bad host:port in " + url).c_str());

    Target t;
    addrinfo hints{};
    hints.ai_family = o.ipv6 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0 || !res)
        usage(("cannot resolve " + host + ":" + port + ": " + gai_strerror(rc)).c_str());
    std::memcpy(&t.addr, res->ai_addr, res->ai_addrlen);
    t.addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    if (t.addr.ss_family == AF_INET) {
        auto ip = ntohl(reinterpret_cast<sockaddr_in*>(&t.addr)->sin_addr.s_addr);
        t.bind_source = explicit_sources || (ip >> 24) == 127;
    }
    std::string host_header = o.ipv6 ? "[::1]:" + port : hostport;
    t.request = "GET " + path + " HTTP/1.0\r\nHost: " + host_header +
                "\r\nUser-Agent: tinyice-loadgen\r\n" + (o.icy ? "Icy-MetaData: 1\r\n" : "") + "\r\n";
    return t;
}

std::vector<in_addr> parse_source_range(const std::string& spec) {
    std::string lo = spec, hi = spec;
    if (std::size_t dash = spec.find('-'); dash != std::string::npos) {
        lo = spec.substr(0, dash);
        hi = spec.substr(dash + 1);
    }
    in_addr a{}, b{};
    if (inet_pton(AF_INET, lo.c_str(), &a) != 1 || inet_pton(AF_INET, hi.c_str(), &b) != 1)
        usage(("bad --source-addrs (want A.B.C.D-A.B.C.E): " + spec).c_str());
    std::uint32_t x = ntohl(a.s_addr), y = ntohl(b.s_addr);
    if (y < x || y - x > 1u << 20) usage(("bad --source-addrs range: " + spec).c_str());
    std::vector<in_addr> out;
    for (std::uint64_t v = x; v <= y; ++v) out.push_back(in_addr{htonl(static_cast<std::uint32_t>(v))});
    return out;
}

enum class St : std::uint8_t { Idle, Connecting, Headers, Body, Closed, Failed };
enum Fail : std::uint8_t { kRefused, kTimeout, kStatus, kReset, kEof, kOutOfPorts, kOutOfFds, kOther, kFailCount };
const char* const kFailNames[kFailCount] = {"refused", "timeout", "status", "reset", "eof", "out_of_ports", "out_of_fds", "other"};

enum : std::uint8_t { kHasHeaders = 1, kHasFirstByte = 2, kInWindow = 4 };

struct Conn {
    int fd = -1;
    St state = St::Idle;
    std::uint8_t flags = 0;
    std::uint16_t target = 0;
    std::uint16_t hdr_len = 0, hdr_cap = 0;
    std::uint16_t meta_left = 0;   // ICY metadata bytes still to skip
    char* hdr = nullptr;           // header bytes, only until the headers are complete
    std::int64_t start_us = 0;     // connect start (monotonic)
    std::uint32_t headers_us = 0, ttfb_us = 0;
    std::uint32_t metaint = 0, until_meta = 0;  // ICY: audio bytes until the next length byte
    std::uint64_t bytes = 0;       // audio bytes received
    std::uint64_t window_start_bytes = 0;
};

static_assert(sizeof(Conn) <= 64, "keep per-connection state small");

Fail classify(int err) {
    switch (err) {
    case ECONNREFUSED: return kRefused;
    case ETIMEDOUT: return kTimeout;
    case ECONNRESET: case EPIPE: case ECONNABORTED: return kReset;
    case EADDRNOTAVAIL: case EADDRINUSE: return kOutOfPorts;
    case EMFILE: case ENFILE: return kOutOfFds;
    default: return kOther;
    }
}

struct Percentiles { double p50, p90, p99, max; };

double pct(const std::vector<double>& sorted, double p) {
    std::size_t n = sorted.size();
    std::size_t rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(n)));
    return sorted[std::min(n - 1, rank == 0 ? 0 : rank - 1)];
}

std::string fmt(const char* f, double v) {
    char b[64];
    std::snprintf(b, sizeof b, f, v);
    return b;
}

std::string dist_json(std::vector<double> v) {
    if (v.empty()) return R"({"p50":null,"p90":null,"p99":null,"max":null})";
    std::sort(v.begin(), v.end());
    return "{\"p50\":" + fmt("%.1f", pct(v, 0.5)) + ",\"p90\":" + fmt("%.1f", pct(v, 0.9)) +
           ",\"p99\":" + fmt("%.1f", pct(v, 0.99)) + ",\"max\":" + fmt("%.1f", v.back()) + "}";
}

class LoadGen {
public:
    LoadGen(Options o, std::vector<Target> targets, std::vector<in_addr> sources, long n)
        : opt_(std::move(o)), targets_(std::move(targets)), sources_(std::move(sources)),
          conns_(static_cast<std::size_t>(n)) {}

    int run(bool capped, long requested);

private:
    void start_conn(std::size_t i, std::int64_t now);
    void fail(Conn& c, Fail why, int status = 0);
    void drop(Conn& c);
    void on_event(std::size_t i, std::uint32_t ev, std::int64_t now);
    void on_connected(Conn& c, std::int64_t now);
    void read_headers(Conn& c, std::int64_t now);
    void read_body(Conn& c, std::int64_t now);
    void consume(Conn& c, const char* p, std::size_t n, std::int64_t now);
    void drain_all(std::int64_t now);
    void progress(std::int64_t now);
    std::string summary(bool capped, long requested);

    Options opt_;
    std::vector<Target> targets_;
    std::vector<in_addr> sources_;
    std::vector<Conn> conns_;
    int ep_ = -1;
    std::size_t started_ = 0, pending_ = 0, connected_ = 0, receiving_ = 0, next_source_ = 0;
    std::size_t dropped_before_ = 0, dropped_during_ = 0, failed_total_ = 0;
    std::size_t fails_[kFailCount] = {};
    std::map<int, std::size_t> status_codes_;
    bool in_window_ = false;
    std::int64_t t0_ = 0, resolved_at_ = 0, window_start_ = 0, window_end_ = 0;
    double window_start_unix_ = 0, window_end_unix_ = 0;
    char buf_[256 * 1024];
};

void LoadGen::start_conn(std::size_t i, std::int64_t now) {
    Conn& c = conns_[i];
    c.start_us = now;
    c.target = static_cast<std::uint16_t>(i % targets_.size());
    const Target& t = targets_[c.target];
    ++pending_;
    c.state = St::Connecting;
    c.fd = socket(t.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return fail(c, classify(errno));
    if (t.bind_source && !sources_.empty()) {
        int one = 1;
        setsockopt(c.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        sockaddr_in src{};
        src.sin_family = AF_INET;
        src.sin_addr = sources_[next_source_++ % sources_.size()];
        if (bind(c.fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
            int e = errno;
            return fail(c, e == EADDRINUSE || e == EADDRNOTAVAIL ? kOutOfPorts : classify(e));
        }
    }
    if (connect(c.fd, reinterpret_cast<const sockaddr*>(&t.addr), t.addr_len) == 0) return on_connected(c, now);
    if (errno != EINPROGRESS) return fail(c, classify(errno));
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.u64 = i;
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev) != 0) fail(c, classify(errno));
}

void LoadGen::fail(Conn& c, Fail why, int status) {
    if (c.fd >= 0) close(c.fd);  // close() also removes it from the epoll set
    c.fd = -1;
    std::free(c.hdr);
    c.hdr = nullptr;
    c.state = St::Failed;
    --pending_;
    ++fails_[why];
    ++failed_total_;
    if (why == kStatus) ++status_codes_[status];
}

void LoadGen::drop(Conn& c) {
    close(c.fd);
    c.fd = -1;
    c.state = St::Closed;
    --receiving_;
    if (c.flags & kInWindow) ++dropped_during_;
    else ++dropped_before_;
}

void LoadGen::on_connected(Conn& c, std::int64_t) {
    const std::string& req = targets_[c.target].request;
    ssize_t n = send(c.fd, req.data(), req.size(), MSG_NOSIGNAL);
    if (n != static_cast<ssize_t>(req.size())) return fail(c, n < 0 ? classify(errno) : kOther);
    c.state = St::Headers;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = static_cast<std::uint64_t>(&c - conns_.data());
    int op = EPOLL_CTL_MOD;
    if (epoll_ctl(ep_, op, c.fd, &ev) != 0 && errno == ENOENT) op = EPOLL_CTL_ADD;  // connected at once
    if (op == EPOLL_CTL_ADD && epoll_ctl(ep_, op, c.fd, &ev) != 0) fail(c, classify(errno));
}

void LoadGen::on_event(std::size_t i, std::uint32_t ev, std::int64_t now) {
    Conn& c = conns_[i];
    switch (c.state) {
    case St::Connecting: {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) return fail(c, classify(err));
        if (ev & (EPOLLOUT)) on_connected(c, now);
        return;
    }
    case St::Headers: return read_headers(c, now);
    case St::Body: return read_body(c, now);
    default: return;
    }
}

// Case-insensitive search for `name` at the start of a header line; returns its value.
const char* find_header(const char* h, std::size_t len, const char* name) {
    std::size_t nl = std::strlen(name);
    for (std::size_t i = 0; i + nl < len; ++i) {
        if (h[i] != '\n') continue;
        if (strncasecmp(h + i + 1, name, nl) == 0) {
            const char* v = h + i + 1 + nl;
            while (*v == ' ' || *v == '\t') ++v;
            return v;
        }
    }
    return nullptr;
}

void LoadGen::read_headers(Conn& c, std::int64_t now) {
    ssize_t n = recv(c.fd, buf_, sizeof buf_, 0);
    if (n == 0) return fail(c, kEof);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        return fail(c, classify(errno));
    }
    std::size_t old = c.hdr_len;
    std::size_t take = std::min<std::size_t>(static_cast<std::size_t>(n), kMaxHeader - old);
    if (old + take + 1 > c.hdr_cap) {  // +1 for the terminating NUL
        std::size_t cap = std::min(kMaxHeader + 1, std::max<std::size_t>(512, (old + take) * 2));
        char* p = static_cast<char*>(std::realloc(c.hdr, cap));
        if (!p) return fail(c, kOther);
        c.hdr = p;
        c.hdr_cap = static_cast<std::uint16_t>(cap);
    }
    std::memcpy(c.hdr + old, buf_, take);
    c.hdr_len = static_cast<std::uint16_t>(old + take);
    c.hdr[c.hdr_len] = '\0';  // cap leaves room for this
    const char* end = nullptr;
    for (std::size_t i = old >= 3 ? old - 3 : 0; i + 4 <= c.hdr_len; ++i)
        if (std::memcmp(c.hdr + i, "\r\n\r\n", 4) == 0) { end = c.hdr + i + 4; break; }
    if (!end) {
        if (c.hdr_len >= kMaxHeader) fail(c, kOther);
        return;
    }
    int status = 0;
    if (const char* sp = std::strchr(c.hdr, ' '); sp && sp < end) status = std::atoi(sp + 1);
    if (status != 200) return fail(c, kStatus, status);
    std::size_t hdr_size = static_cast<std::size_t>(end - c.hdr);
    if (opt_.icy) {
        if (const char* v = find_header(c.hdr, hdr_size, "icy-metaint:")) {
            c.metaint = static_cast<std::uint32_t>(std::strtoul(v, nullptr, 10));
            c.until_meta = c.metaint;
        }
    }
    std::free(c.hdr);
    c.hdr = nullptr;
    c.hdr_len = c.hdr_cap = 0;
    c.state = St::Body;
    c.flags |= kHasHeaders;
    c.headers_us = static_cast<std::uint32_t>(std::min<std::int64_t>(now - c.start_us, UINT32_MAX));
    --pending_;
    ++connected_;
    ++receiving_;
    int lowat = kRcvLowat;
    setsockopt(c.fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat);
    std::size_t body = static_cast<std::size_t>(n) - (hdr_size - old);
    if (body) consume(c, buf_ + (hdr_size - old), body, now);
}

void LoadGen::consume(Conn& c, const char* p, std::size_t n, std::int64_t now) {
    if (!(c.flags & kHasFirstByte)) {
        c.flags |= kHasFirstByte;
        c.ttfb_us = static_cast<std::uint32_t>(std::min<std::int64_t>(now - c.start_us, UINT32_MAX));
    }
    if (c.metaint == 0) {
        c.bytes += n;
        return;
    }
    while (n) {  // ICY: [metaint audio bytes][length byte L][L*16 metadata bytes] ...
        if (c.until_meta) {
            std::size_t k = std::min<std::size_t>(n, c.until_meta);
            c.bytes += k;
            c.until_meta -= static_cast<std::uint32_t>(k);
            p += k;
            n -= k;
        } else if (c.meta_left) {
            std::size_t k = std::min<std::size_t>(n, c.meta_left);
            c.meta_left = static_cast<std::uint16_t>(c.meta_left - k);
            p += k;
            n -= k;
            if (!c.meta_left) c.until_meta = c.metaint;
        } else {
            c.meta_left = static_cast<std::uint16_t>(static_cast<unsigned char>(*p) * 16u);
            ++p;
            --n;
            if (!c.meta_left) c.until_meta = c.metaint;
        }
    }
}

void LoadGen::read_body(Conn& c, std::int64_t now) {
    for (;;) {
        ssize_t n = recv(c.fd, buf_, sizeof buf_, MSG_DONTWAIT);
        if (n > 0) {
            consume(c, buf_, static_cast<std::size_t>(n), now);
            if (static_cast<std::size_t>(n) < sizeof buf_) return;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        return drop(c);  // eof or error
    }
}

void LoadGen::drain_all(std::int64_t now) {
    for (Conn& c : conns_)
        if (c.state == St::Body) read_body(c, now);
}

void LoadGen::progress(std::int64_t now) {
    std::vector<double> rates;
    rates.reserve(receiving_);
    for (const Conn& c : conns_) {
        if (c.state != St::Body || !(c.flags & kHasFirstByte)) continue;
        if (in_window_ && (c.flags & kInWindow)) {
            double s = static_cast<double>(now - window_start_) / 1e6;
            if (s >= 1) rates.push_back(static_cast<double>(c.bytes - c.window_start_bytes) / s);
        } else {
            double s = static_cast<double>(now - c.start_us - c.ttfb_us) / 1e6;
            if (s >= 1) rates.push_back(static_cast<double>(c.bytes) / s);
        }
    }
    double p50 = 0;
    if (!rates.empty()) {
        auto mid = rates.begin() + static_cast<std::ptrdiff_t>(rates.size() / 2);
        std::nth_element(rates.begin(), mid, rates.end());
        p50 = *mid;
    }
    std::fprintf(stderr, "t=%llds connected=%zu/%zu failed=%zu receiving=%zu rate_p50=%.0f\n",
                 static_cast<long long>((now - t0_) / 1000000), connected_, conns_.size(),
                 failed_total_, receiving_, p50);
}

int LoadGen::run(bool capped, long requested) {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) {
        std::perror("epoll_create1");
        return 1;
    }
    const std::size_t n = conns_.size();
    const std::int64_t timeout_us = static_cast<std::int64_t>(opt_.connect_timeout * 1e6);
    const std::int64_t steady_us = static_cast<std::int64_t>(opt_.steady * 1e6);
    const double us_per_conn = 1e6 / opt_.rate;
    std::size_t scan = 0;  // oldest attempt that may still time out (attempts start in order)
    t0_ = now_us();
    std::int64_t next_progress = t0_ + 1000000;
    epoll_event events[1024];
    for (;;) {
        std::int64_t now = now_us();
        std::int64_t wake = now + 1000000;
        if (started_ < n) {
            auto due = std::min<std::size_t>(n, static_cast<std::size_t>(static_cast<double>(now - t0_) / us_per_conn) + 1);
            while (started_ < due) start_conn(started_++, now);
            if (started_ < n) wake = std::min(wake, t0_ + static_cast<std::int64_t>(static_cast<double>(started_) * us_per_conn));
        }
        for (; scan < started_ && conns_[scan].start_us + timeout_us <= now; ++scan)
            if (conns_[scan].state == St::Connecting || conns_[scan].state == St::Headers) fail(conns_[scan], kTimeout);
        if (scan < started_) wake = std::min(wake, conns_[scan].start_us + timeout_us);
        if (!in_window_ && started_ == n && pending_ == 0) {
            resolved_at_ = now;
            drain_all(now);
            window_start_ = now_us();
            window_start_unix_ = unix_now();
            for (Conn& c : conns_)
                if (c.state == St::Body) {
                    c.flags |= kInWindow;
                    c.window_start_bytes = c.bytes;
                }
            in_window_ = true;
            std::fprintf(stderr, "steady_start t=%.2fs receiving=%zu\n",
                         static_cast<double>(window_start_ - t0_) / 1e6, receiving_);
        }
        if (in_window_) {
            if (now >= window_start_ + steady_us) break;
            wake = std::min(wake, window_start_ + steady_us);
        }
        if (opt_.progress) {
            if (now >= next_progress) {
                progress(now);
                while (next_progress <= now) next_progress += 1000000;
            }
            wake = std::min(wake, next_progress);
        }
        int ms = static_cast<int>(std::max<std::int64_t>(0, (wake - now + 999) / 1000));
        int k = epoll_wait(ep_, events, 1024, ms);
        if (k < 0 && errno != EINTR) {
            std::perror("epoll_wait");
            return 1;
        }
        now = now_us();
        for (int j = 0; j < k; ++j) on_event(static_cast<std::size_t>(events[j].data.u64), events[j].events, now);
    }
    window_end_ = now_us();
    window_end_unix_ = unix_now();
    drain_all(window_end_);
    std::fprintf(stderr, "steady_end t=%.2fs receiving=%zu\n", static_cast<double>(window_end_ - t0_) / 1e6,
                 receiving_);
    if (opt_.progress) progress(window_end_);
    std::string json = summary(capped, requested);
    std::printf("%s\n", json.c_str());
    std::fflush(stdout);
    if (!opt_.json_out.empty()) {
        if (FILE* f = std::fopen(opt_.json_out.c_str(), "w")) {
            std::fprintf(f, "%s\n", json.c_str());
            std::fclose(f);
        } else {
            std::perror(opt_.json_out.c_str());
        }
    }
    return 0;
}

std::string LoadGen::summary(bool capped, long requested) {
    const double window_s = static_cast<double>(window_end_ - window_start_) / 1e6;
    const double threshold = 0.9 * opt_.expected_rate;
    std::vector<double> ttfb, headers, rates;
    std::size_t stalled = 0;
    std::uint64_t bytes_total = 0;
    for (const Conn& c : conns_) {
        bytes_total += c.bytes;
        if (c.flags & kHasHeaders) headers.push_back(c.headers_us / 1000.0);
        if (c.flags & kHasFirstByte) ttfb.push_back(c.ttfb_us / 1000.0);
        if (c.flags & kInWindow) {
            double r = window_s > 0 ? static_cast<double>(c.bytes - c.window_start_bytes) / window_s : 0;
            rates.push_back(r);
            if (r < threshold) ++stalled;
        }
    }
    std::string j = "{\"requested\":" + std::to_string(requested) + ",\"listeners\":" + std::to_string(conns_.size()) +
                    ",\"capped_by_fd_limit\":" + (capped ? "true" : "false") +
                    ",\"connected\":" + std::to_string(connected_) + ",\"failed\":{";
    for (int f = 0; f < kFailCount; ++f)
        j += std::string(f ? "," : "") + "\"" + kFailNames[f] + "\":" + std::to_string(fails_[f]);
    j += "},\"status_codes\":{";
    bool first = true;
    for (auto& [code, count] : status_codes_) {
        j += std::string(first ? "" : ",") + "\"" + std::to_string(code) + "\":" + std::to_string(count);
        first = false;
    }
    j += "},\"stalled\":" + std::to_string(stalled) + ",\"dropped_during_steady\":" + std::to_string(dropped_during_) +
         ",\"dropped_before_steady\":" + std::to_string(dropped_before_) + ",\"ttfb_ms\":" + dist_json(ttfb) +
         ",\"headers_ms\":" + dist_json(headers) + ",\"rate_bps\":";
    if (rates.empty()) {
        j += R"({"min":null,"p1":null,"p50":null,"mean":null})";
    } else {
        std::sort(rates.begin(), rates.end());
        double sum = 0;
        for (double r : rates) sum += r;
        j += "{\"min\":" + fmt("%.0f", rates.front()) + ",\"p1\":" + fmt("%.0f", pct(rates, 0.01)) +
             ",\"p50\":" + fmt("%.0f", pct(rates, 0.5)) +
             ",\"mean\":" + fmt("%.0f", sum / static_cast<double>(rates.size())) + "}";
    }
    j += ",\"steady_seconds\":" + fmt("%.3f", window_s) +
         ",\"connect_seconds\":" + fmt("%.3f", static_cast<double>(resolved_at_ - t0_) / 1e6) +
         ",\"bytes_total\":" + std::to_string(bytes_total) +
         ",\"steady_start_unix\":" + fmt("%.3f", window_start_unix_) +
         ",\"steady_end_unix\":" + fmt("%.3f", window_end_unix_) + "}";
    return j;
}

}  // namespace

int main(int argc, char** argv) {
    Options opt = parse_args(argc, argv);
    ::signal(SIGPIPE, SIG_IGN);

    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    long requested = opt.listeners, n = requested;
    bool capped = false;
    if (rl.rlim_cur != RLIM_INFINITY && static_cast<rlim_t>(n) + 16 > rl.rlim_cur) {
        n = static_cast<long>(rl.rlim_cur) - 16;
        capped = true;
        std::fprintf(stderr, "tinyice_loadgen: capping %ld listeners to %ld (open-files limit %llu)\n", requested, n,
                     static_cast<unsigned long long>(rl.rlim_cur));
        if (n < 1) {
            std::fprintf(stderr, "tinyice_loadgen: open-files limit too low\n");
            return 1;
        }
    }

    bool explicit_sources = !opt.source_addrs.empty();
    std::vector<in_addr> sources;
    if (!opt.ipv6) sources = parse_source_range(explicit_sources ? opt.source_addrs : "127.0.0.2-127.0.0.254");
    std::vector<Target> targets;
    for (const std::string& u : opt.urls) targets.push_back(make_target(u, opt, explicit_sources));

    auto gen = std::make_unique<LoadGen>(opt, std::move(targets), std::move(sources), n);
    return gen->run(capped, requested);
}
