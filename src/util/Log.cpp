#include "util/Log.hpp"

#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

namespace tinyice::util {
namespace {

struct LogState {
    std::mutex mutex;
    std::vector<spdlog::sink_ptr> error_sinks;
    spdlog::level::level_enum level = spdlog::level::info;
    std::string pattern = "%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ [%n] %v";
    std::unordered_map<std::string, std::shared_ptr<spdlog::logger>> loggers;
    std::shared_ptr<spdlog::logger> access;
};

// %j: the message escaped for a JSON string, so the json format stays parseable whatever a
// client put in a header that ends up in a log line.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm& /*tm*/,
                spdlog::memory_buf_t& dest) override {
        auto escaped = escape_log_field(std::string_view(msg.payload.data(), msg.payload.size()));
        dest.append(escaped.data(), escaped.data() + escaped.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<JsonMessageFlag>();
    }
};

std::unique_ptr<spdlog::formatter> make_formatter(const std::string& pattern) {
    auto f = std::make_unique<spdlog::pattern_formatter>();
    f->add_flag<JsonMessageFlag>('j').set_pattern(pattern);
    return f;
}

LogState& state() {
    static LogState s;
    return s;
}

spdlog::sink_ptr make_sink(const std::string& path, bool use_stdout) {
    if (path.empty()) {
        if (use_stdout) {
            return std::make_shared<spdlog::sinks::stdout_sink_mt>();
        }
        return std::make_shared<spdlog::sinks::stderr_sink_mt>();
    }
    try {
        return std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, false);
    } catch (const spdlog::spdlog_ex& e) {
        throw std::runtime_error("cannot open log file " + path + ": " + e.what());
    }
}

}  // namespace

std::string escape_log_field(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                static constexpr char hex[] = "0123456789abcdef";
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 0xf];
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out;
}

void configure_logging(const LogSettings& settings) {
    auto& st = state();
    std::lock_guard lock(st.mutex);
    auto level = spdlog::level::from_str(settings.level);
    if (level == spdlog::level::off && settings.level != "off") {
        throw std::runtime_error("unknown log level '" + settings.level + "'");
    }
    st.level = level;
    st.pattern = settings.format == "json"
                     ? R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","component":"%n","msg":"%j"})"
                     : "%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ [%n] %v";
    st.error_sinks = {make_sink(settings.error_log, false)};
    for (auto& [name, lg] : st.loggers) {
        lg->sinks() = st.error_sinks;
        lg->set_level(st.level);
        lg->set_formatter(make_formatter(st.pattern));
    }
    if (settings.access_log == "off") {
        st.access = std::make_shared<spdlog::logger>(
            "access", std::make_shared<spdlog::sinks::null_sink_mt>());
    } else {
        st.access = std::make_shared<spdlog::logger>("access",
                                                     make_sink(settings.access_log, true));
    }
    st.access->set_pattern("%v");
    st.access->set_level(spdlog::level::info);
    st.access->flush_on(spdlog::level::info);
}

std::shared_ptr<spdlog::logger> logger(std::string_view subsystem) {
    auto& st = state();
    std::lock_guard lock(st.mutex);
    std::string key(subsystem);
    if (auto it = st.loggers.find(key); it != st.loggers.end()) {
        return it->second;
    }
    if (st.error_sinks.empty()) {
        st.error_sinks = {std::make_shared<spdlog::sinks::stderr_sink_mt>()};
    }
    auto lg = std::make_shared<spdlog::logger>(key, st.error_sinks.begin(), st.error_sinks.end());
    lg->set_level(st.level);
    lg->set_formatter(make_formatter(st.pattern));
    lg->flush_on(spdlog::level::warn);
    st.loggers.emplace(key, lg);
    return lg;
}

spdlog::logger& access_log() {
    auto& st = state();
    std::lock_guard lock(st.mutex);
    if (!st.access) {
        st.access = std::make_shared<spdlog::logger>(
            "access", std::make_shared<spdlog::sinks::null_sink_mt>());
    }
    return *st.access;
}

}  // namespace tinyice::util
