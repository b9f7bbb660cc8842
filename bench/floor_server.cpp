// tinyice_floor: the physical floor that TinyIce's listener fan-out is compared with.
//
// One thread, one epoll loop, one mount (any path), one source, nothing else: no ICY metadata,
// no stats, no logging, no frame alignment. The source (ffmpeg's icecast:// output: `PUT` or
// `SOURCE`, optionally `Expect: 100-continue`) is read straight into a ring of `queue` + 64 KiB
// bytes. A listener (`GET` of anything) gets `200 OK` and the last `burst` bytes in one writev,
// and from then on is a socket plus an absolute ring position (16 bytes of our memory). Every
// --flush-ms the loop sweeps all listeners once, in order, with ONE writev each from its
// position to the head (two iovecs at the wrap); --flush-ms 0 sweeps after every source read.
// A listener more than `queue` bytes behind the head is dropped. No staggering, no threads,
// no zero-copy tricks: exactly what the real server could do, minus everything else it does.
// On SIGINT/SIGTERM it prints one line (listeners, drops, source bytes) to stderr and exits.
//
// usage: tinyice_floor --port P [--bind 127.0.0.1] [--flush-ms 250] [--burst 65536]
//                      [--queue 524288] [--password PASS]   (no --password: any auth accepted)

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

std::int64_t now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

[[noreturn]] void usage(const char* msg) {
    if (msg) std::fprintf(stderr, "tinyice_floor: %s\n", msg);
    std::fprintf(stderr, "usage: tinyice_floor --port P [--bind 127.0.0.1] [--flush-ms 250] [--burst 65536]\n"
                         "                     [--queue 524288] [--password PASS]\n");
    std::exit(msg ? 2 : 0);
}

unsigned long parse_uint(const char* s, const char* what, unsigned long max) {
    char* end = nullptr;
    errno = 0;
    unsigned long v = std::strtoul(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v > max) usage((std::string("bad value for ") + what + ": " + s).c_str());
    return v;
}

std::string base64_decode(const std::string& in) {
    std::string out;
    unsigned val = 0;
    int bits = -8;
    for (char ch : in) {
        const char* p = std::strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", ch);
        if (ch == '\0' || !p) break;
        val = (val << 6) | static_cast<unsigned>(p - "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
        bits += 6;
        if (bits >= 0) {
            out.push_back(static_cast<char>((val >> bits) & 0xff));
            bits -= 8;
        }
    }
    return out;
}

// Value of header `name` (case-insensitive, e.g. "expect:") in a request head, or "".
std::string header_value(const std::string& head, const char* name) {
    std::size_t nl = std::strlen(name);
    for (std::size_t i = head.find('\n'); i != std::string::npos; i = head.find('\n', i + 1)) {
        if (head.size() - i - 1 < nl || strncasecmp(head.c_str() + i + 1, name, nl) != 0) continue;
        std::size_t v = head.find_first_not_of(" \t", i + 1 + nl);
        std::size_t e = head.find_first_of("\r\n", v);
        return v == std::string::npos ? "" : head.substr(v, e - v);
    }
    return "";
}

enum class Kind : std::uint8_t { None, Pending, Listener, Source };

struct Listener {
    int fd;
    std::uint64_t pos;  // absolute stream offset of the next byte to send
};

struct Floor {
    int lfd = -1, ep = -1, source = -1;
    unsigned long flush_ms = 250, burst = 65536, queue = 524288;
    std::string password;
    std::vector<char> ring;
    std::uint64_t head = 0;  // absolute offset of the next byte the source writes
    std::vector<Listener> listeners;
    std::vector<std::int32_t> slot;  // fd -> index in listeners
    std::vector<Kind> kind;          // fd -> what it is
    std::unordered_map<int, std::string> pending;  // request heads still being read
    std::uint64_t dropped_slow = 0, dropped_closed = 0;
    std::int64_t accept_paused_until = 0;
    char scratch[16384];

    std::size_t idx(std::uint64_t pos) const { return static_cast<std::size_t>(pos % ring.size()); }

    // iovecs covering [from, head) of the ring; returns how many (0-2).
    int ring_iov(std::uint64_t from, iovec* iov) {
        std::size_t len = static_cast<std::size_t>(head - from);
        if (!len) return 0;
        std::size_t off = idx(from), first = std::min(len, ring.size() - off);
        iov[0] = {ring.data() + off, first};
        if (first == len) return 1;
        iov[1] = {ring.data(), len - first};
        return 2;
    }

    void close_fd(int fd) {
        kind[static_cast<std::size_t>(fd)] = Kind::None;
        close(fd);
    }

    void drop_listener(std::size_t i) {
        int fd = listeners[i].fd;
        listeners[i] = listeners.back();
        slot[static_cast<std::size_t>(listeners[i].fd)] = static_cast<std::int32_t>(i);
        listeners.pop_back();
        close_fd(fd);
    }

    void flush_all() {
        iovec iov[2];
        for (std::size_t i = listeners.size(); i-- > 0;) {  // backwards: drops swap from the end
            Listener& l = listeners[i];
            if (head - l.pos > queue) {
                ++dropped_slow;
                drop_listener(i);
                continue;
            }
            int cnt = ring_iov(l.pos, iov);
            if (!cnt) continue;
            ssize_t n = writev(l.fd, iov, cnt);
            if (n > 0) l.pos += static_cast<std::uint64_t>(n);
            else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                ++dropped_closed;
                drop_listener(i);
            }
        }
    }

    void accept_all() {
        for (;;) {
            int fd = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EMFILE || errno == ENFILE) {  // out of fds: stop polling accept for a while
                    epoll_event ev{};
                    epoll_ctl(ep, EPOLL_CTL_MOD, lfd, &ev);
                    accept_paused_until = now_ms() + 100;
                }
                return;
            }
            if (static_cast<std::size_t>(fd) >= kind.size()) {
                close(fd);
                continue;
            }
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.fd = fd;
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
            kind[static_cast<std::size_t>(fd)] = Kind::Pending;
        }
    }

    void send_and_close(int fd, const char* msg) {
        ssize_t ignored = send(fd, msg, std::strlen(msg), MSG_NOSIGNAL);
        (void)ignored;
        close_fd(fd);
    }

    void on_pending(int fd) {
        ssize_t n = recv(fd, scratch, sizeof scratch, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (n <= 0) {
            pending.erase(fd);
            return close_fd(fd);
        }
        std::string& req = pending[fd];
        req.append(scratch, static_cast<std::size_t>(n));
        std::size_t end = req.find("\r\n\r\n");
        if (end == std::string::npos) {
            if (req.size() > 8192) {
                pending.erase(fd);
                close_fd(fd);
            }
            return;
        }
        std::string head_text = req.substr(0, end + 2), body = req.substr(end + 4);
        pending.erase(fd);
        std::string method = head_text.substr(0, head_text.find(' '));
        if (method == "GET") return start_listener(fd);
        if (method == "PUT" || method == "SOURCE") return start_source(fd, head_text, body);
        send_and_close(fd, "HTTP/1.0 405 Method Not Allowed\r\n\r\n");
    }

    void start_listener(int fd) {
        static const char hdr[] = "HTTP/1.0 200 OK\r\nContent-Type: audio/mpeg\r\n\r\n";
        const std::size_t hlen = sizeof hdr - 1;
        std::uint64_t start = head - std::min<std::uint64_t>({burst, head, queue});
        iovec iov[3] = {{const_cast<char*>(hdr), hlen}, {}, {}};
        int cnt = 1 + ring_iov(start, iov + 1);
        ssize_t n = writev(fd, iov, cnt);
        if (n < static_cast<ssize_t>(hlen)) return close_fd(fd);
        slot[static_cast<std::size_t>(fd)] = static_cast<std::int32_t>(listeners.size());
        listeners.push_back({fd, start + static_cast<std::uint64_t>(n - static_cast<ssize_t>(hlen))});
        kind[static_cast<std::size_t>(fd)] = Kind::Listener;  // stays in epoll: EPOLLIN = closed
    }

    void start_source(int fd, const std::string& head_text, const std::string& body) {
        if (source >= 0) return send_and_close(fd, "HTTP/1.0 403 Forbidden\r\n\r\n");
        if (!password.empty()) {
            std::string auth = header_value(head_text, "authorization:");
            std::string cred = auth.compare(0, 6, "Basic ") == 0 ? base64_decode(auth.substr(6)) : "";
            std::size_t colon = cred.find(':');
            if (colon == std::string::npos || cred.substr(colon + 1) != password)
                return send_and_close(fd, "HTTP/1.0 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"floor\"\r\n\r\n");
        }
        std::string reply;
        if (strcasecmp(header_value(head_text, "expect:").c_str(), "100-continue") == 0)
            reply = "HTTP/1.1 100 Continue\r\n\r\n";
        reply += "HTTP/1.0 200 OK\r\n\r\n";
        if (send(fd, reply.data(), reply.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(reply.size()))
            return close_fd(fd);
        source = fd;
        kind[static_cast<std::size_t>(fd)] = Kind::Source;
        for (std::size_t off = 0; off < body.size(); off += 65536) {
            std::size_t len = std::min<std::size_t>(65536, body.size() - off);
            for (std::size_t k = 0; k < len; ++k) ring[idx(head + k)] = body[off + k];
            head += len;
        }
        if (!body.empty() && flush_ms == 0) flush_all();
    }

    void on_source() {
        // At most ring - queue bytes per read, so bytes a listener within `queue` still needs
        // are never overwritten before the next sweep can drop it.
        std::size_t cap = ring.size() - queue, off = idx(head), first = std::min(cap, ring.size() - off);
        iovec iov[2] = {{ring.data() + off, first}, {ring.data(), cap - first}};
        ssize_t n = readv(source, iov, cap == first ? 1 : 2);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (n <= 0) {
            close_fd(source);
            source = -1;
            return;
        }
        head += static_cast<std::uint64_t>(n);
        if (flush_ms == 0) flush_all();
    }

    void on_listener_readable(int fd) {
        ssize_t n = recv(fd, scratch, sizeof scratch, 0);  // listeners send nothing: this is EOF
        if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR))) return;
        ++dropped_closed;
        drop_listener(static_cast<std::size_t>(slot[static_cast<std::size_t>(fd)]));
    }

    int run() {
        epoll_event events[512];
        std::int64_t next_flush = now_ms() + static_cast<std::int64_t>(flush_ms);
        while (!g_stop) {
            std::int64_t now = now_ms();
            int timeout = -1;
            if (flush_ms) timeout = static_cast<int>(std::max<std::int64_t>(0, next_flush - now));
            if (accept_paused_until) {
                std::int64_t t = std::max<std::int64_t>(0, accept_paused_until - now);
                timeout = timeout < 0 ? static_cast<int>(t) : std::min(timeout, static_cast<int>(t));
            }
            int k = epoll_wait(ep, events, 512, timeout);
            if (k < 0 && errno != EINTR) {
                std::perror("epoll_wait");
                return 1;
            }
            for (int j = 0; j < k; ++j) {
                int fd = events[j].data.fd;
                if (fd == lfd) {
                    accept_all();
                    continue;
                }
                switch (kind[static_cast<std::size_t>(fd)]) {
                case Kind::Pending: on_pending(fd); break;
                case Kind::Source: on_source(); break;
                case Kind::Listener: on_listener_readable(fd); break;
                case Kind::None: break;
                }
            }
            now = now_ms();
            if (accept_paused_until && now >= accept_paused_until) {
                accept_paused_until = 0;
                epoll_event ev{};
                ev.events = EPOLLIN;
                ev.data.fd = lfd;
                epoll_ctl(ep, EPOLL_CTL_MOD, lfd, &ev);
            }
            if (flush_ms && now >= next_flush) {
                flush_all();
                next_flush += static_cast<std::int64_t>(flush_ms);
                if (next_flush <= now) next_flush = now + static_cast<std::int64_t>(flush_ms);
            }
        }
        std::fprintf(stderr, "tinyice_floor: listeners=%zu dropped_slow=%llu dropped_closed=%llu source_bytes=%llu\n",
                     listeners.size(), static_cast<unsigned long long>(dropped_slow),
                     static_cast<unsigned long long>(dropped_closed), static_cast<unsigned long long>(head));
        return 0;
    }
};

}  // namespace

int main(int argc, char** argv) {
    static Floor f;
    unsigned long port = 0;
    std::string bind_addr = "127.0.0.1";
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto val = [&]() -> const char* {
            if (i + 1 >= argc) usage((a + " needs a value").c_str());
            return argv[++i];
        };
        if (a == "--port") port = parse_uint(val(), "--port", 65535);
        else if (a == "--bind") bind_addr = val();
        else if (a == "--flush-ms") f.flush_ms = parse_uint(val(), "--flush-ms", 60000);
        else if (a == "--burst") f.burst = parse_uint(val(), "--burst", 1ul << 30);
        else if (a == "--queue") f.queue = parse_uint(val(), "--queue", 1ul << 30);
        else if (a == "--password") f.password = val();
        else if (a == "--help" || a == "-h") usage(nullptr);
        else usage(("unknown argument: " + a).c_str());
    }
    if (port == 0) usage("--port is required");
    if (f.queue == 0) usage("--queue must be > 0");
    f.ring.assign(f.queue + 65536, 0);

    ::signal(SIGPIPE, SIG_IGN);
    struct sigaction sa{};
    sa.sa_handler = on_signal;  // no SA_RESTART: epoll_wait returns EINTR
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    std::size_t max_fds = rl.rlim_cur == RLIM_INFINITY ? (1u << 20) : std::min<std::size_t>(rl.rlim_cur, 1u << 20);
    f.kind.assign(max_fds, Kind::None);
    f.slot.assign(max_fds, -1);

    sockaddr_storage ss{};
    socklen_t sl = 0;
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET, bind_addr.c_str(), &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(static_cast<std::uint16_t>(port));
        sl = sizeof *s4;
    } else if (inet_pton(AF_INET6, bind_addr.c_str(), &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(static_cast<std::uint16_t>(port));
        sl = sizeof *s6;
    } else {
        usage(("bad --bind address: " + bind_addr).c_str());
    }
    f.lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(f.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (f.lfd < 0 || bind(f.lfd, reinterpret_cast<sockaddr*>(&ss), sl) != 0 || listen(f.lfd, 4096) != 0) {
        std::perror("tinyice_floor: listen");
        return 1;
    }
    f.ep = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = f.lfd;
    epoll_ctl(f.ep, EPOLL_CTL_ADD, f.lfd, &ev);
    std::fprintf(stderr, "tinyice_floor: listening on %s port %lu (flush %lu ms, burst %lu, queue %lu)\n",
                 bind_addr.c_str(), port, f.flush_ms, f.burst, f.queue);
    return f.run();
}
