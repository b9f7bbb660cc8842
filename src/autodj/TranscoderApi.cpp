// The transcoder part of the JSON API (docs/API.md, "Transcoders"). Every route needs an
// administrator: a transcoder claims mounts and spends CPU on the server.

#include "autodj/TranscoderManager.hpp"
#include "codec/AudioTypes.hpp"
#include "util/Log.hpp"

#include <boost/json.hpp>

namespace tinyice::autodj {

namespace json = boost::json;
using http::HttpError;
using http::Request;
using http::Response;

namespace {

json::value unix_ms_or_null(std::int64_t ms) {
    if (ms == 0) {
        return nullptr;
    }
    return ms;
}

json::object output_json(const TranscoderOutput& o, const TranscoderOutputStatus* s) {
    json::object j;
    j["mount"] = o.mount;
    j["format"] = codec::to_string(o.encoder.codec);
    j["bitrate"] = o.encoder.bitrate_kbps;
    j["sample_rate"] = o.encoder.sample_rate;
    j["channels"] = o.encoder.channels;
    const OutputState state = s != nullptr ? s->state : OutputState::idle;
    j["on_air"] = state == OutputState::on_air;
    j["state"] = to_string(state);
    j["listeners"] = s != nullptr ? s->listeners : 0;
    j["bytes_out"] = s != nullptr ? s->bytes_out : 0;
    j["error"] = s != nullptr ? s->last_error : "";
    return j;
}

// The definition as the API takes it: the body, with the name from the URL when it has none.
config::TranscoderConfig parse_body(const Request& req, const std::string& name) {
    auto body = req.json_body();
    if (!name.empty() && !body.contains("name")) {
        body["name"] = name;
    }
    return config::parse_transcoder(json::serialize(body));
}

} // namespace

json::object TranscoderManager::describe_locked(const Entry& e) const {
    json::object o;
    o["name"] = e.cfg.name;
    o["defined_in"] = e.from_file ? "config" : "api";
    o["config"] = json::parse(config::to_json(e.cfg));

    std::optional<TranscoderStatus> hub_status;
    if (auto it = hubs_.find(e.cfg.input); e.running && it != hubs_.end()) {
        hub_status = it->second->status();
    }
    const auto input = deps_.mounts.find_mount(e.cfg.input);

    json::object st;
    st["input"] = e.cfg.input;
    st["input_live"] = input && input->has_source();
    st["running"] = e.running;
    st["decoding"] = hub_status && hub_status->input_live;
    st["input_format"] = hub_status ? hub_status->input_format : "";
    json::array outputs;
    for (const auto& out : e.outputs) {
        const TranscoderOutputStatus* s = nullptr;
        if (hub_status) {
            for (const auto& candidate : hub_status->outputs) {
                if (candidate.output.owner == e.cfg.name && candidate.output.mount == out.mount) {
                    s = &candidate;
                }
            }
        }
        outputs.push_back(output_json(out, s));
    }
    st["outputs"] = std::move(outputs);
    // The decoder is shared by every transcoder reading this input, so are its counters.
    st["frames_decoded"] = hub_status ? hub_status->frames_decoded : 0;
    st["decode_errors"] = hub_status ? hub_status->decode_errors : 0;
    st["resyncs"] = hub_status ? hub_status->resyncs : 0;
    st["sample_rate"] = hub_status ? hub_status->sample_rate : 0;
    st["since"] = unix_ms_or_null(hub_status ? hub_status->since_ms : 0);
    st["error"] = hub_status ? hub_status->last_error : "";
    json::array shared;
    for (const auto& [name, other] : entries_) {
        if (name != e.cfg.name && other.running && other.cfg.input == e.cfg.input) {
            shared.emplace_back(name);
        }
    }
    st["decoder_shared_with"] = std::move(shared);
    o["status"] = std::move(st);
    return o;
}

Response TranscoderManager::api_list(Request& /*req*/) {
    json::array list;
    std::lock_guard lock(mutex_);
    for (const auto& [name, e] : entries_) {
        list.push_back(describe_locked(e));
    }
    json::object o;
    o["transcoders"] = std::move(list);
    return Response::json(o);
}

Response TranscoderManager::api_get(Request& req) const {
    auto o = describe(req.param("name"));
    if (!o) {
        throw HttpError(404, "no transcoder named '" + req.param("name") + "'");
    }
    return Response::json(*o);
}

Response TranscoderManager::api_create(Request& req) {
    std::lock_guard admin(admin_mutex_);
    config::TranscoderConfig cfg;
    std::vector<TranscoderOutput> outputs;
    try {
        cfg = parse_body(req, {});
        config::validate_transcoder(cfg, "");
        outputs = outputs_from(cfg);
    } catch (const config::ConfigError& e) {
        throw HttpError(400, e.what());
    } catch (const std::invalid_argument& e) {
        throw HttpError(400, e.what());
    }
    {
        std::lock_guard lock(mutex_);
        if (auto why = conflict_locked(cfg, {}); !why.empty()) {
            throw HttpError(409, why);
        }
    }
    deps_.definitions.put("transcoder", cfg.name, config::to_json(cfg));
    {
        std::lock_guard lock(mutex_);
        entries_[cfg.name] = Entry{cfg, false, cfg.enabled, std::move(outputs)};
    }
    std::string mounts;
    for (const auto& m : cfg.output_mounts()) {
        mounts += (mounts.empty() ? "" : ", ") + m;
    }
    util::logger("transcoder")
        ->info("{}: created transcoder '{}' ({} -> {})", req.client_ip, cfg.name, cfg.input,
               mounts);
    apply();
    auto o = describe(cfg.name);
    return Response::json(o ? json::value(*o) : json::value(nullptr), 201);
}

Response TranscoderManager::api_update(Request& req, bool merge) {
    std::lock_guard admin(admin_mutex_);
    const std::string name = req.param("name");
    config::TranscoderConfig old;
    {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(name);
        if (it == entries_.end()) {
            throw HttpError(404, "no transcoder named '" + name + "'");
        }
        if (it->second.from_file) {
            throw HttpError(409, "transcoder '" + name +
                                     "' is defined in the config file; edit the file and restart");
        }
        old = it->second.cfg;
    }
    config::TranscoderConfig cfg;
    std::vector<TranscoderOutput> outputs;
    try {
        if (merge) {
            auto base = json::parse(config::to_json(old)).as_object();
            for (auto& kv : req.json_body()) {
                base[kv.key()] = kv.value();
            }
            cfg = config::parse_transcoder(json::serialize(base));
        } else {
            cfg = parse_body(req, name);
        }
        config::validate_transcoder(cfg, "");
        outputs = outputs_from(cfg);
    } catch (const config::ConfigError& e) {
        throw HttpError(400, e.what());
    } catch (const std::invalid_argument& e) {
        throw HttpError(400, e.what());
    }
    if (cfg.name != name) {
        throw HttpError(400, "name: a transcoder cannot be renamed (create a new one)");
    }
    {
        std::lock_guard lock(mutex_);
        if (auto why = conflict_locked(cfg, name); !why.empty()) {
            throw HttpError(409, why);
        }
    }
    deps_.definitions.put("transcoder", cfg.name, config::to_json(cfg));
    {
        std::lock_guard lock(mutex_);
        auto& e = entries_.at(name);
        e.cfg = cfg;
        e.outputs = std::move(outputs);
        e.running = cfg.enabled;
    }
    util::logger("transcoder")->info("{}: updated transcoder '{}'", req.client_ip, name);
    // Outputs that did not change keep running: the hub compares them one by one.
    apply();
    auto o = describe(name);
    return Response::json(o ? json::value(*o) : json::value(nullptr));
}

Response TranscoderManager::api_delete(Request& req) {
    std::lock_guard admin(admin_mutex_);
    const std::string name = req.param("name");
    {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(name);
        if (it == entries_.end()) {
            throw HttpError(404, "no transcoder named '" + name + "'");
        }
        if (it->second.from_file) {
            throw HttpError(409, "transcoder '" + name +
                                     "' is defined in the config file; remove it there");
        }
    }
    deps_.definitions.remove("transcoder", name);
    {
        std::lock_guard lock(mutex_);
        entries_.erase(name);
    }
    util::logger("transcoder")->info("{}: deleted transcoder '{}'", req.client_ip, name);
    apply();
    return Response::no_content();
}

Response TranscoderManager::api_run(Request& req, bool run) {
    const std::string& name = req.param("name");
    {
        std::lock_guard lock(mutex_);
        if (closed_) {
            throw HttpError(503, "the server is shutting down");
        }
    }
    if (!set_running(name, run)) {
        throw HttpError(404, "no transcoder named '" + name + "'");
    }
    auto o = describe(name);
    if (!o) {
        throw HttpError(404, "no transcoder named '" + name + "'"); // deleted meanwhile
    }
    return Response::json(*o);
}

void TranscoderManager::register_routes(http::Router& router) {
    using http::Access;
    const std::string base = "/api/transcoders/{name}";
    router.add("GET", "/api/transcoders", Access::admin,
               [this](Request& r) { return api_list(r); });
    router.add("POST", "/api/transcoders", Access::admin,
               [this](Request& r) { return api_create(r); });
    router.add("GET", base, Access::admin, [this](Request& r) { return api_get(r); });
    router.add("PUT", base, Access::admin, [this](Request& r) { return api_update(r, false); });
    router.add("PATCH", base, Access::admin, [this](Request& r) { return api_update(r, true); });
    router.add("DELETE", base, Access::admin, [this](Request& r) { return api_delete(r); });
    router.add("POST", base + "/start", Access::admin,
               [this](Request& r) { return api_run(r, true); });
    router.add("POST", base + "/stop", Access::admin,
               [this](Request& r) { return api_run(r, false); });
}

} // namespace tinyice::autodj
