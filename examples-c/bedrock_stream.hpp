// bedrock_stream.hpp -- a small header-only C++17 wrapper over the C API (bedrock_stream.h).
//
// * Handles are unique (move-only) RAII objects: nothing to free by hand.
// * Failures throw bedrock_stream::Error, which carries everything the C error object had.
// * Callbacks are lambdas (any callable taking `const Event&` and returning void or bool,
//   true = continue). An exception thrown by the lambda stops the stream and is rethrown from
//   Client::invoke (it never crosses the C library).
// * Event and the string_views it hands out are views: valid inside the callback, or until the
//   next Stream::next().
//
// Threading follows the C API: a Client may be shared by threads (its methods are const);
// Config, Request (while being changed), Stream and Error are used by one thread at a time;
// Cancel::cancel() may be called from any thread.
#ifndef BEDROCK_STREAM_HPP
#define BEDROCK_STREAM_HPP

#include <bedrock_stream.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace bedrock_stream {

/// A failed call: the status and every detail of the C error object.
class Error : public std::runtime_error {
public:
    /// Takes ownership of `err` (may be NULL) and frees it.
    Error(bedrock_stream_status status, bedrock_stream_error *err)
        : std::runtime_error(message_of(status, err)), status_(status)
    {
        if (err != nullptr) {
            http_status_ = bedrock_stream_error_http_status(err);
            request_id_ = optional_string(bedrock_stream_error_request_id(err));
            code_ = optional_string(bedrock_stream_error_code(err));
            retryable_ = bedrock_stream_error_retryable(err);
            events_delivered_ = bedrock_stream_error_events_delivered(err);
            original_status_code_ = bedrock_stream_error_original_status_code(err);
            original_message_ = optional_string(bedrock_stream_error_original_message(err));
            timer_ = optional_string(bedrock_stream_error_timer(err));
            bedrock_stream_error_free(err);
        }
    }

    bedrock_stream_status status() const noexcept { return status_; }
    /// "THROTTLING", "CANCELLED", ... (static storage).
    const char *status_name() const noexcept { return bedrock_stream_status_str(status_); }
    /// 0 when there is none.
    std::uint16_t http_status() const noexcept { return http_status_; }
    const std::optional<std::string> &request_id() const noexcept { return request_id_; }
    /// The AWS error code ("ThrottlingException", "throttlingException", ...).
    const std::optional<std::string> &code() const noexcept { return code_; }
    bool retryable() const noexcept { return retryable_; }
    std::uint64_t events_delivered() const noexcept { return events_delivered_; }
    /// 0 when absent.
    std::int32_t original_status_code() const noexcept { return original_status_code_; }
    const std::optional<std::string> &original_message() const noexcept { return original_message_; }
    /// For timeouts: "connect", "response-headers", "read-idle" or "deadline".
    const std::optional<std::string> &timer() const noexcept { return timer_; }

private:
    static std::optional<std::string> optional_string(const char *s)
    {
        return s != nullptr ? std::optional<std::string>(s) : std::nullopt;
    }

    static std::string message_of(bedrock_stream_status status, const bedrock_stream_error *err)
    {
        std::string text = bedrock_stream_status_str(status);
        std::size_t n = 0;
        if (err != nullptr &&
            bedrock_stream_error_message(err, nullptr, 0, &n) == BEDROCK_STREAM_STATUS_OK) {
            std::string message(n, '\0');
            // Writes n bytes and the NUL into the string's terminator slot.
            bedrock_stream_error_message(err, message.data(), n + 1, nullptr);
            text += ": " + message;
        }
        return text;
    }

    bedrock_stream_status status_;
    std::uint16_t http_status_ = 0;
    std::optional<std::string> request_id_;
    std::optional<std::string> code_;
    bool retryable_ = false;
    std::uint64_t events_delivered_ = 0;
    std::int32_t original_status_code_ = 0;
    std::optional<std::string> original_message_;
    std::optional<std::string> timer_;
};

namespace detail {

struct Free {
    void operator()(bedrock_stream_config *p) const noexcept { bedrock_stream_config_free(p); }
    void operator()(bedrock_stream_client *p) const noexcept { bedrock_stream_client_free(p); }
    void operator()(bedrock_stream_request *p) const noexcept { bedrock_stream_request_free(p); }
    void operator()(bedrock_stream_stream *p) const noexcept { bedrock_stream_stream_free(p); }
    void operator()(bedrock_stream_cancel *p) const noexcept { bedrock_stream_cancel_free(p); }
};

template <class T>
using Handle = std::unique_ptr<T, Free>;

/// Throw for a failed status (taking the error object).
inline void check(bedrock_stream_status status, bedrock_stream_error *err)
{
    if (status != BEDROCK_STREAM_STATUS_OK)
        throw Error(status, err);
}

/// Call a fallible C function whose last parameter is `err_out`.
template <class F, class... Args>
void call(F f, Args... args)
{
    bedrock_stream_error *err = nullptr;
    check(f(args..., &err), err);
}

inline std::string_view view(bedrock_stream_bytes b)
{
    return std::string_view(reinterpret_cast<const char *>(b.data), b.len);
}

} // namespace detail

/// Settings for a Client. Anything not set comes from the environment (AWS_REGION, ...).
class Config {
public:
    Config()
    {
        bedrock_stream_config *p = nullptr;
        detail::call(bedrock_stream_config_new, &p);
        handle_.reset(p);
    }

    Config &region(const std::string &v) { return set(bedrock_stream_config_set_region, v); }
    Config &endpoint_url(const std::string &v)
    {
        return set(bedrock_stream_config_set_endpoint_url, v);
    }
    Config &profile(const std::string &v) { return set(bedrock_stream_config_set_profile, v); }
    Config &bearer_token(const std::string &v)
    {
        return set(bedrock_stream_config_set_bearer_token, v);
    }
    Config &proxy(const std::string &v) { return set(bedrock_stream_config_set_proxy, v); }
    Config &ca_bundle_file(const std::string &path)
    {
        return set(bedrock_stream_config_set_ca_bundle_file, path);
    }
    Config &credentials(const std::string &access_key_id, const std::string &secret_access_key,
                        const std::optional<std::string> &session_token = std::nullopt)
    {
        detail::call(bedrock_stream_config_set_credentials, handle_.get(), access_key_id.c_str(),
                     secret_access_key.c_str(), session_token ? session_token->c_str() : nullptr);
        return *this;
    }
    /// Timers; a zero duration switches a timer off.
    Config &connect_timeout(std::chrono::milliseconds d)
    {
        return set_ms(bedrock_stream_config_set_connect_timeout_ms, d);
    }
    Config &response_headers_timeout(std::chrono::milliseconds d)
    {
        return set_ms(bedrock_stream_config_set_response_headers_timeout_ms, d);
    }
    Config &read_idle_timeout(std::chrono::milliseconds d)
    {
        return set_ms(bedrock_stream_config_set_read_idle_timeout_ms, d);
    }
    Config &deadline(std::chrono::milliseconds d)
    {
        return set_ms(bedrock_stream_config_set_deadline_ms, d);
    }
    Config &max_attempts(std::uint32_t n)
    {
        detail::call(bedrock_stream_config_set_max_attempts, handle_.get(), n);
        return *this;
    }
    Config &no_proxy(bool on = true)
    {
        detail::call(bedrock_stream_config_set_no_proxy, handle_.get(), on);
        return *this;
    }

    const bedrock_stream_config *get() const noexcept { return handle_.get(); }

private:
    template <class F>
    Config &set(F f, const std::string &v)
    {
        detail::call(f, handle_.get(), v.c_str());
        return *this;
    }
    template <class F>
    Config &set_ms(F f, std::chrono::milliseconds d)
    {
        detail::call(f, handle_.get(), static_cast<std::uint64_t>(d.count()));
        return *this;
    }

    detail::Handle<bedrock_stream_config> handle_;
};

/// One request: model id, the model's body, optional members.
class Request {
public:
    Request(const std::string &model_id, std::string_view body)
    {
        bedrock_stream_request *p = nullptr;
        detail::call(bedrock_stream_request_new, model_id.c_str(),
                     reinterpret_cast<const std::uint8_t *>(body.data()), body.size(), &p);
        handle_.reset(p);
    }

    Request &content_type(const std::string &v)
    {
        return set(bedrock_stream_request_set_content_type, v);
    }
    Request &accept(const std::string &v) { return set(bedrock_stream_request_set_accept, v); }
    /// "ENABLED", "DISABLED" or "ENABLED_FULL".
    Request &trace(const std::string &v) { return set(bedrock_stream_request_set_trace, v); }
    Request &guardrail(const std::string &identifier, const std::string &version)
    {
        set(bedrock_stream_request_set_guardrail_identifier, identifier);
        return set(bedrock_stream_request_set_guardrail_version, version);
    }
    /// "standard" or "optimized".
    Request &performance_config_latency(const std::string &v)
    {
        return set(bedrock_stream_request_set_performance_config_latency, v);
    }
    /// "priority", "default", "flex" or "reserved".
    Request &service_tier(const std::string &v)
    {
        return set(bedrock_stream_request_set_service_tier, v);
    }
    Request &request_metadata(const std::string &json)
    {
        return set(bedrock_stream_request_set_request_metadata, json);
    }
    Request &project_identifier(const std::string &v)
    {
        return set(bedrock_stream_request_set_project_identifier, v);
    }
    /// How to read the chunks ("anthropic-claude", "meta-llama", ...), when the model id does
    /// not say.
    Request &model_family(const std::string &v)
    {
        return set(bedrock_stream_request_set_model_family, v);
    }

    const bedrock_stream_request *get() const noexcept { return handle_.get(); }

private:
    template <class F>
    Request &set(F f, const std::string &v)
    {
        detail::call(f, handle_.get(), v.c_str());
        return *this;
    }

    detail::Handle<bedrock_stream_request> handle_;
};

/// Cancels one call from any thread. One Cancel per call.
class Cancel {
public:
    Cancel()
    {
        bedrock_stream_cancel *p = nullptr;
        detail::call(bedrock_stream_cancel_new, &p);
        handle_.reset(p);
    }
    void cancel() const noexcept { bedrock_stream_cancel_cancel(handle_.get()); }
    bool is_cancelled() const noexcept { return bedrock_stream_cancel_is_cancelled(handle_.get()); }
    const bedrock_stream_cancel *get() const noexcept { return handle_.get(); }

private:
    detail::Handle<bedrock_stream_cancel> handle_;
};

/// A view of one event: valid inside the callback, or until the next Stream::next().
class Event {
public:
    explicit Event(const bedrock_stream_event *event) noexcept : event_(event) {}

    bool is_chunk() const noexcept
    {
        return bedrock_stream_event_kind_of(event_) == BEDROCK_STREAM_EVENT_KIND_CHUNK;
    }
    /// "chunk", or the name of an event type the library does not know.
    std::string_view type() const noexcept { return bedrock_stream_event_type(event_); }
    /// The model's output document (chunks) or the raw payload (unknown events).
    std::string_view payload() const noexcept
    {
        return detail::view(bedrock_stream_event_payload(event_));
    }
    /// The text this chunk adds (UTF-8; empty when none).
    std::string_view text() const noexcept { return detail::view(bedrock_stream_event_text(event_)); }
    std::optional<std::string_view> stop_reason() const noexcept
    {
        const char *s = bedrock_stream_event_stop_reason(event_);
        return s != nullptr ? std::optional<std::string_view>(s) : std::nullopt;
    }
    std::optional<bedrock_stream_usage> usage() const noexcept
    {
        bedrock_stream_usage u;
        return bedrock_stream_event_usage(event_, &u) ? std::optional<bedrock_stream_usage>(u)
                                                      : std::nullopt;
    }
    std::optional<bedrock_stream_metrics> metrics() const noexcept
    {
        bedrock_stream_metrics m;
        return bedrock_stream_event_metrics(event_, &m) ? std::optional<bedrock_stream_metrics>(m)
                                                        : std::nullopt;
    }
    const bedrock_stream_event *get() const noexcept { return event_; }

private:
    const bedrock_stream_event *event_;
};

/// The pull API: `while (auto e = stream.next()) { ... }`.
class Stream {
public:
    explicit Stream(bedrock_stream_stream *p) noexcept : handle_(p) {}

    /// The next event, or nullopt at the clean end. Throws Error on a failure.
    std::optional<Event> next()
    {
        const bedrock_stream_event *event = nullptr;
        detail::call(bedrock_stream_stream_next, handle_.get(), &event);
        return event != nullptr ? std::optional<Event>(Event(event)) : std::nullopt;
    }
    std::optional<std::string> request_id() const
    {
        const char *s = bedrock_stream_stream_request_id(handle_.get());
        return s != nullptr ? std::optional<std::string>(s) : std::nullopt;
    }

private:
    detail::Handle<bedrock_stream_stream> handle_;
};

/// A client: create once, share between threads.
class Client {
public:
    explicit Client(const Config &config = Config())
    {
        bedrock_stream_client *p = nullptr;
        detail::call(bedrock_stream_client_new, config.get(), &p);
        handle_.reset(p);
    }

    /// The push API: `on_event(const Event&)` per event, on this thread. It returns void, or
    /// bool (false stops the stream: Error with BEDROCK_STREAM_STATUS_ABORTED_BY_CALLBACK).
    /// An exception thrown by `on_event` stops the stream and is rethrown here.
    template <class F>
    void invoke(const Request &request, F &&on_event, const Cancel *cancel = nullptr) const
    {
        Trampoline<std::remove_reference_t<F>> t{&on_event, nullptr};
        bedrock_stream_error *err = nullptr;
        bedrock_stream_status status = bedrock_stream_client_invoke(
            handle_.get(), request.get(), &Trampoline<std::remove_reference_t<F>>::call, &t,
            cancel != nullptr ? cancel->get() : nullptr, &err);
        if (t.exception) {
            bedrock_stream_error_free(err);
            std::rethrow_exception(t.exception);
        }
        detail::check(status, err);
    }

    /// The pull API.
    Stream open(const Request &request, const Cancel *cancel = nullptr) const
    {
        bedrock_stream_stream *p = nullptr;
        detail::call(bedrock_stream_client_open, handle_.get(), request.get(),
                     cancel != nullptr ? cancel->get() : nullptr, &p);
        return Stream(p);
    }

    const bedrock_stream_client *get() const noexcept { return handle_.get(); }

private:
    template <class F>
    struct Trampoline {
        F *f;
        std::exception_ptr exception;

        // noexcept: nothing may unwind into the C library.
        static std::int32_t call(void *user_data, const bedrock_stream_event *event) noexcept
        {
            auto *t = static_cast<Trampoline *>(user_data);
            try {
                if constexpr (std::is_void_v<std::invoke_result_t<F &, const Event &>>) {
                    (*t->f)(Event(event));
                    return BEDROCK_STREAM_CONTINUE;
                } else {
                    return (*t->f)(Event(event)) ? BEDROCK_STREAM_CONTINUE : BEDROCK_STREAM_STOP;
                }
            } catch (...) {
                t->exception = std::current_exception();
                return BEDROCK_STREAM_STOP;
            }
        }
    };

    detail::Handle<bedrock_stream_client> handle_;
};

/// The library's version ("0.1.0").
inline const char *version() noexcept { return bedrock_stream_version(); }

} // namespace bedrock_stream

#endif // BEDROCK_STREAM_HPP
