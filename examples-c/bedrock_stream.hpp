// bedrock_stream.hpp -- a small header-only C++17 wrapper over the C API (bedrock_stream.h).
//
// * Handles are unique (move-only) RAII objects: nothing to free by hand.
// * Failures throw bedrock_stream::Error (a std::runtime_error), or the subclass for the kind
//   of failure (ServiceError > ThrottlingError, TimeoutError, CancelledError, InvalidInputError,
//   ...), carrying every detail of the C error object. `Error::code()` is a std::error_code of
//   the `bedrock_stream` category (compare it with bedrock_stream::Status, or with std::errc
//   for timeouts, cancellation and invalid arguments).
// * Callbacks are lambdas taking `const Event&` and returning `void` (go on), `bool`
//   (true = continue, false = stop) or `Flow` (Flow::Continue / Flow::Stop). Any other return
//   type is a compile-time error, so the C convention (0 = continue) cannot be confused with
//   `true`. A deliberate stop is not an error: Client::invoke returns an Outcome saying so. An
//   exception thrown by the lambda stops the stream and is rethrown from Client::invoke (it
//   never crosses the C library).
// * Event and the string_views it hands out are views: valid inside the callback, or until the
//   next Stream::next() / iterator increment. Keep an event with Event::to_owned().
// * A Stream is an input range: `for (const Event &e : client.open(request)) ...`.
// * Strings are taken as std::string_view; one with an embedded NUL byte is refused
//   (InvalidInputError) instead of being cut short. Durations are any std::chrono::duration;
//   a negative one is refused, a fraction of a millisecond is rounded up (0 switches a timer
//   off, so 500us must not become 0).
//
// Threading follows the C API: a Client may be shared by threads (its methods are const);
// Config, Request (while being changed), Stream and Error are used by one thread at a time;
// Cancel::cancel() may be called from any thread.
#ifndef BEDROCK_STREAM_HPP
#define BEDROCK_STREAM_HPP

#include <bedrock_stream.h>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

namespace bedrock_stream {

// ---------------------------------------------------------------------------------------------
// Status and the std::error_code category

/// The C statuses (bedrock_stream_status) as a scoped enum, usable as a std::error_code.
enum class Status : std::int32_t {
    ok = BEDROCK_STREAM_STATUS_OK,
    null_argument = BEDROCK_STREAM_STATUS_NULL_ARGUMENT,
    invalid_utf8 = BEDROCK_STREAM_STATUS_INVALID_UTF8,
    aborted_by_callback = BEDROCK_STREAM_STATUS_ABORTED_BY_CALLBACK,
    panic = BEDROCK_STREAM_STATUS_PANIC,
    access_denied = BEDROCK_STREAM_STATUS_ACCESS_DENIED,
    resource_not_found = BEDROCK_STREAM_STATUS_RESOURCE_NOT_FOUND,
    throttling = BEDROCK_STREAM_STATUS_THROTTLING,
    model_timeout = BEDROCK_STREAM_STATUS_MODEL_TIMEOUT,
    internal_server = BEDROCK_STREAM_STATUS_INTERNAL_SERVER,
    service_unavailable = BEDROCK_STREAM_STATUS_SERVICE_UNAVAILABLE,
    model_stream_error = BEDROCK_STREAM_STATUS_MODEL_STREAM_ERROR,
    validation = BEDROCK_STREAM_STATUS_VALIDATION,
    service_quota_exceeded = BEDROCK_STREAM_STATUS_SERVICE_QUOTA_EXCEEDED,
    model_not_ready = BEDROCK_STREAM_STATUS_MODEL_NOT_READY,
    model_error = BEDROCK_STREAM_STATUS_MODEL_ERROR,
    unmodeled_service = BEDROCK_STREAM_STATUS_UNMODELED_SERVICE,
    stream_error = BEDROCK_STREAM_STATUS_STREAM_ERROR,
    unexpected_content_type = BEDROCK_STREAM_STATUS_UNEXPECTED_CONTENT_TYPE,
    protocol = BEDROCK_STREAM_STATUS_PROTOCOL,
    truncated = BEDROCK_STREAM_STATUS_TRUNCATED,
    transport = BEDROCK_STREAM_STATUS_TRANSPORT,
    timeout = BEDROCK_STREAM_STATUS_TIMEOUT,
    invalid_input = BEDROCK_STREAM_STATUS_INVALID_INPUT,
    config = BEDROCK_STREAM_STATUS_CONFIG,
    credentials = BEDROCK_STREAM_STATUS_CREDENTIALS,
    cancelled = BEDROCK_STREAM_STATUS_CANCELLED,
    internal = BEDROCK_STREAM_STATUS_INTERNAL,
};

namespace detail {

class Category final : public std::error_category {
public:
    const char *name() const noexcept override { return "bedrock_stream"; }
    std::string message(int status) const override { return bedrock_stream_status_str(status); }
    // So that `e.code() == std::errc::timed_out` works, as for the standard library's errors.
    std::error_condition default_error_condition(int status) const noexcept override
    {
        switch (status) {
        case BEDROCK_STREAM_STATUS_TIMEOUT:
            return std::errc::timed_out;
        case BEDROCK_STREAM_STATUS_CANCELLED:
            return std::errc::operation_canceled;
        case BEDROCK_STREAM_STATUS_NULL_ARGUMENT:
        case BEDROCK_STREAM_STATUS_INVALID_UTF8:
        case BEDROCK_STREAM_STATUS_INVALID_INPUT:
            return std::errc::invalid_argument;
        case BEDROCK_STREAM_STATUS_ACCESS_DENIED:
            return std::errc::permission_denied;
        default:
            return std::error_condition(status, *this);
        }
    }
};

} // namespace detail

/// The `bedrock_stream` error category (one object per process).
inline const std::error_category &category() noexcept
{
    static const detail::Category instance;
    return instance;
}

inline std::error_code make_error_code(Status s) noexcept
{
    return std::error_code(static_cast<int>(s), category());
}

} // namespace bedrock_stream

namespace std {
template <>
struct is_error_code_enum<bedrock_stream::Status> : true_type {};
} // namespace std

namespace bedrock_stream {

// ---------------------------------------------------------------------------------------------
// Errors

namespace detail {

struct Free {
    void operator()(bedrock_stream_config *p) const noexcept { bedrock_stream_config_free(p); }
    void operator()(bedrock_stream_client *p) const noexcept { bedrock_stream_client_free(p); }
    void operator()(bedrock_stream_request *p) const noexcept { bedrock_stream_request_free(p); }
    void operator()(bedrock_stream_stream *p) const noexcept { bedrock_stream_stream_free(p); }
    void operator()(bedrock_stream_cancel *p) const noexcept { bedrock_stream_cancel_free(p); }
    void operator()(bedrock_stream_error *p) const noexcept { bedrock_stream_error_free(p); }
};

template <class T>
using Handle = std::unique_ptr<T, Free>;

/// Everything an Error says; immutable and shared, so copying an Error never throws.
struct ErrorDetails {
    bedrock_stream_status status = BEDROCK_STREAM_STATUS_OK;
    std::string what;
    std::uint16_t http_status = 0;
    std::optional<std::string> request_id;
    std::optional<std::string> aws_code;
    bool retryable = false;
    std::uint64_t events_delivered = 0;
    std::uint32_t attempts = 0;
    std::int32_t original_status_code = 0;
    std::optional<std::string> original_message;
    std::optional<std::string> resource_name;
    std::optional<std::string> timer;
};

inline std::optional<std::string> optional_string(const char *s)
{
    return s != nullptr ? std::optional<std::string>(s) : std::nullopt;
}

/// Reads and frees `err` (which may be NULL). The C object is owned from the first line on,
/// so it is freed even when an allocation below throws.
inline std::shared_ptr<const ErrorDetails> details_of(bedrock_stream_status status,
                                                      bedrock_stream_error *err)
{
    const Handle<bedrock_stream_error> owned(err);
    auto d = std::make_shared<ErrorDetails>();
    d->status = status;
    d->what = bedrock_stream_status_str(status);
    if (err == nullptr)
        return d;
    std::size_t n = 0;
    if (bedrock_stream_error_message(err, nullptr, 0, &n) == BEDROCK_STREAM_STATUS_OK) {
        std::string message(n, '\0');
        // Writes n bytes and the NUL into the string's terminator slot.
        bedrock_stream_error_message(err, message.data(), n + 1, nullptr);
        d->what += ": ";
        d->what += message;
    }
    d->http_status = bedrock_stream_error_http_status(err);
    d->request_id = optional_string(bedrock_stream_error_request_id(err));
    d->aws_code = optional_string(bedrock_stream_error_code(err));
    d->retryable = bedrock_stream_error_retryable(err);
    d->events_delivered = bedrock_stream_error_events_delivered(err);
    d->attempts = bedrock_stream_error_attempts(err);
    d->original_status_code = bedrock_stream_error_original_status_code(err);
    d->original_message = optional_string(bedrock_stream_error_original_message(err));
    d->resource_name = optional_string(bedrock_stream_error_resource_name(err));
    d->timer = optional_string(bedrock_stream_error_timer(err));
    return d;
}

/// An error raised by the wrapper itself (bad argument), with the same status a C call
/// would give.
inline std::shared_ptr<const ErrorDetails> local_details(bedrock_stream_status status,
                                                         std::string_view message)
{
    auto d = std::make_shared<ErrorDetails>();
    d->status = status;
    d->what = bedrock_stream_status_str(status);
    d->what += ": ";
    d->what += message;
    return d;
}

[[noreturn]] inline void raise(std::shared_ptr<const ErrorDetails> d);

} // namespace detail

/// A failed call: the status and every detail of the C error object. Copying never throws.
class Error : public std::runtime_error {
public:
    /// Takes ownership of `err` (may be NULL) and frees it, also when this constructor throws.
    Error(bedrock_stream_status status, bedrock_stream_error *err)
        : Error(detail::details_of(status, err))
    {
    }

    /// The status as a std::error_code of category(): `e.code() == Status::throttling`,
    /// `e.code() == std::errc::timed_out`.
    [[nodiscard]] std::error_code code() const noexcept
    {
        return std::error_code(d_->status, category());
    }
    [[nodiscard]] bedrock_stream_status status() const noexcept { return d_->status; }
    /// "THROTTLING", "CANCELLED", ... (static storage).
    [[nodiscard]] const char *status_name() const noexcept
    {
        return bedrock_stream_status_str(d_->status);
    }
    /// 0 when there is none.
    [[nodiscard]] std::uint16_t http_status() const noexcept { return d_->http_status; }
    [[nodiscard]] const std::optional<std::string> &request_id() const noexcept
    {
        return d_->request_id;
    }
    /// The AWS error code ("ThrottlingException", "throttlingException", ...); nullopt for
    /// failures that did not come from the service.
    [[nodiscard]] const std::optional<std::string> &aws_code() const noexcept
    {
        return d_->aws_code;
    }
    [[nodiscard]] bool retryable() const noexcept { return d_->retryable; }
    [[nodiscard]] std::uint64_t events_delivered() const noexcept { return d_->events_delivered; }
    /// HTTP attempts made (0 when nothing was sent).
    [[nodiscard]] std::uint32_t attempts() const noexcept { return d_->attempts; }
    /// 0 when absent.
    [[nodiscard]] std::int32_t original_status_code() const noexcept
    {
        return d_->original_status_code;
    }
    [[nodiscard]] const std::optional<std::string> &original_message() const noexcept
    {
        return d_->original_message;
    }
    /// `resourceName` of a ModelErrorException.
    [[nodiscard]] const std::optional<std::string> &resource_name() const noexcept
    {
        return d_->resource_name;
    }
    /// For timeouts: "connect", "response-headers", "read-idle" or "deadline".
    [[nodiscard]] const std::optional<std::string> &timer() const noexcept { return d_->timer; }

protected:
    explicit Error(std::shared_ptr<const detail::ErrorDetails> d)
        : std::runtime_error(d->what), d_(std::move(d))
    {
    }

private:
    friend void detail::raise(std::shared_ptr<const detail::ErrorDetails> d);
    std::shared_ptr<const detail::ErrorDetails> d_;
};

/// Reported by the service (HTTP error or exception in the stream; statuses 10-22).
class ServiceError : public Error {
protected:
    using Error::Error;
    friend void detail::raise(std::shared_ptr<const detail::ErrorDetails> d);
};
/// ThrottlingException / throttlingException (HTTP 429): retry later.
class ThrottlingError : public ServiceError {
    using ServiceError::ServiceError;
    friend void detail::raise(std::shared_ptr<const detail::ErrorDetails> d);
};
/// AccessDeniedException (HTTP 403).
class AccessDeniedError : public ServiceError {
    using ServiceError::ServiceError;
    friend void detail::raise(std::shared_ptr<const detail::ErrorDetails> d);
};
/// ValidationException / validationException (HTTP 400).
class ValidationError : public ServiceError {
    using ServiceError::ServiceError;
    friend void detail::raise(std::shared_ptr<const detail::ErrorDetails> d);
};
/// ModelStreamErrorException / ModelErrorException: see original_status_code().
class ModelError : public ServiceError {
    using ServiceError::ServiceError;
    friend void detail::raise(std::shared_ptr<const detail::ErrorDetails> d);
};
/// A broken response: wrong content type, corrupt or truncated event stream (30-32).
class ResponseError : public Error {
    using Error::Error;
    friend void detail::raise(std::shared_ptr<const detail::ErrorDetails> d);
};
/// Connecting, TLS, DNS, proxy or socket I/O failed.
class TransportError : public Error {
    using Error::Error;
    friend void detail::raise(std::shared_ptr<const detail::ErrorDetails> d);
};
/// A client-side timer fired; timer() names it.
class TimeoutError : public Error {
    using Error::Error;
    friend void detail::raise(std::shared_ptr<const detail::ErrorDetails> d);
};
/// The call was cancelled through a Cancel.
class CancelledError : public Error {
    using Error::Error;
    friend void detail::raise(std::shared_ptr<const detail::ErrorDetails> d);
};
/// An argument was refused before anything was sent (also: NUL byte in a string, negative
/// duration, invalid UTF-8).
class InvalidInputError : public Error {
    using Error::Error;
    friend void detail::raise(std::shared_ptr<const detail::ErrorDetails> d);
};
/// The configuration or the credentials are unusable.
class ConfigError : public Error {
    using Error::Error;
    friend void detail::raise(std::shared_ptr<const detail::ErrorDetails> d);
};

static_assert(std::is_nothrow_copy_constructible_v<Error> &&
                  std::is_nothrow_copy_assignable_v<Error>,
              "copying a bedrock_stream::Error must not throw");

namespace detail {

/// Throws the Error subclass for the status.
[[noreturn]] inline void raise(std::shared_ptr<const ErrorDetails> d)
{
    switch (d->status) {
    case BEDROCK_STREAM_STATUS_THROTTLING:
        throw ThrottlingError(std::move(d));
    case BEDROCK_STREAM_STATUS_ACCESS_DENIED:
        throw AccessDeniedError(std::move(d));
    case BEDROCK_STREAM_STATUS_VALIDATION:
        throw ValidationError(std::move(d));
    case BEDROCK_STREAM_STATUS_MODEL_STREAM_ERROR:
    case BEDROCK_STREAM_STATUS_MODEL_ERROR:
        throw ModelError(std::move(d));
    case BEDROCK_STREAM_STATUS_RESOURCE_NOT_FOUND:
    case BEDROCK_STREAM_STATUS_MODEL_TIMEOUT:
    case BEDROCK_STREAM_STATUS_INTERNAL_SERVER:
    case BEDROCK_STREAM_STATUS_SERVICE_UNAVAILABLE:
    case BEDROCK_STREAM_STATUS_SERVICE_QUOTA_EXCEEDED:
    case BEDROCK_STREAM_STATUS_MODEL_NOT_READY:
    case BEDROCK_STREAM_STATUS_UNMODELED_SERVICE:
    case BEDROCK_STREAM_STATUS_STREAM_ERROR:
        throw ServiceError(std::move(d));
    case BEDROCK_STREAM_STATUS_UNEXPECTED_CONTENT_TYPE:
    case BEDROCK_STREAM_STATUS_PROTOCOL:
    case BEDROCK_STREAM_STATUS_TRUNCATED:
        throw ResponseError(std::move(d));
    case BEDROCK_STREAM_STATUS_TRANSPORT:
        throw TransportError(std::move(d));
    case BEDROCK_STREAM_STATUS_TIMEOUT:
        throw TimeoutError(std::move(d));
    case BEDROCK_STREAM_STATUS_CANCELLED:
        throw CancelledError(std::move(d));
    case BEDROCK_STREAM_STATUS_NULL_ARGUMENT:
    case BEDROCK_STREAM_STATUS_INVALID_UTF8:
    case BEDROCK_STREAM_STATUS_INVALID_INPUT:
        throw InvalidInputError(std::move(d));
    case BEDROCK_STREAM_STATUS_CONFIG:
    case BEDROCK_STREAM_STATUS_CREDENTIALS:
        throw ConfigError(std::move(d));
    default:
        throw Error(std::move(d));
    }
}

/// Throw for a failed status, taking (and freeing) the error object.
inline void check(bedrock_stream_status status, bedrock_stream_error *err)
{
    if (status != BEDROCK_STREAM_STATUS_OK)
        raise(details_of(status, err));
    bedrock_stream_error_free(err); // NULL on success; freed should the library ever set it
}

/// Call a fallible C function whose last parameter is `err_out`, then check its status. The
/// call is a statement of its own: `check(f(..., &err), err)` would read `err` in an
/// unspecified order relative to the call (g++ reads it first: the details were lost and the
/// error object leaked).
template <class F, class... Args>
void call(F f, Args... args)
{
    bedrock_stream_error *err = nullptr;
    const bedrock_stream_status status = f(args..., &err);
    check(status, err);
}

[[noreturn]] inline void invalid_input(std::string_view message)
{
    raise(local_details(BEDROCK_STREAM_STATUS_INVALID_INPUT, message));
}

/// A NUL-terminated copy of `s`; refuses an embedded NUL (the C API would cut the string
/// there).
class CString {
public:
    CString(std::string_view s, const char *what) : s_(s)
    {
        if (s.find('\0') != std::string_view::npos)
            invalid_input(std::string(what) + " contains a NUL byte");
    }
    const char *c_str() const noexcept { return s_.c_str(); }

private:
    std::string s_;
};

/// Milliseconds for the C API: a negative duration is refused, a fraction rounds up (0
/// means "off"), more than the C type holds is refused.
template <class Rep, class Period>
std::uint64_t to_ms(std::chrono::duration<Rep, Period> d, const char *what)
{
    const long double ms =
        std::ceil(std::chrono::duration<long double, std::milli>(d).count());
    if (d < d.zero() || !(ms >= 0)) // also NaN
        invalid_input(std::string(what) + " must not be negative");
    if (ms >= 18446744073709551615.0L)
        invalid_input(std::string(what) + " is too long");
    return static_cast<std::uint64_t>(ms);
}

inline std::string_view view(bedrock_stream_bytes b) noexcept
{
    return std::string_view(reinterpret_cast<const char *>(b.data), b.len);
}

inline const std::uint8_t *bytes(std::string_view s) noexcept
{
    return reinterpret_cast<const std::uint8_t *>(s.data());
}

} // namespace detail

// ---------------------------------------------------------------------------------------------
// Config, Request, Cancel

/// Settings for a Client. Anything not set comes from the environment (AWS_REGION, ...).
class Config {
public:
    Config()
    {
        bedrock_stream_config *p = nullptr;
        detail::call(bedrock_stream_config_new, &p);
        handle_.reset(p);
    }

    Config &region(std::string_view v) { return set(bedrock_stream_config_set_region, v, "region"); }
    Config &endpoint_url(std::string_view v)
    {
        return set(bedrock_stream_config_set_endpoint_url, v, "endpoint_url");
    }
    Config &profile(std::string_view v) { return set(bedrock_stream_config_set_profile, v, "profile"); }
    /// A Bedrock API key (Authorization: Bearer).
    Config &bearer_token(std::string_view v)
    {
        return set(bedrock_stream_config_set_bearer_token, v, "bearer_token");
    }
    /// Do not use AWS_BEARER_TOKEN_BEDROCK even when it is set.
    Config &ignore_env_bearer_token(bool on = true)
    {
        detail::call(bedrock_stream_config_set_ignore_env_bearer_token, handle_.get(), on);
        return *this;
    }
    Config &proxy(std::string_view v) { return set(bedrock_stream_config_set_proxy, v, "proxy"); }
    Config &no_proxy(bool on = true)
    {
        detail::call(bedrock_stream_config_set_no_proxy, handle_.get(), on);
        return *this;
    }
    /// Text appended to the User-Agent header.
    Config &user_agent_suffix(std::string_view v)
    {
        return set(bedrock_stream_config_set_user_agent_suffix, v, "user_agent_suffix");
    }
    Config &credentials(std::string_view access_key_id, std::string_view secret_access_key,
                        std::optional<std::string_view> session_token = std::nullopt)
    {
        const detail::CString id(access_key_id, "access_key_id");
        const detail::CString secret(secret_access_key, "secret_access_key");
        const std::optional<detail::CString> token =
            session_token ? std::optional<detail::CString>(
                                std::in_place, *session_token, "session_token")
                          : std::nullopt;
        detail::call(bedrock_stream_config_set_credentials, handle_.get(), id.c_str(),
                     secret.c_str(), token ? token->c_str() : nullptr);
        return *this;
    }
    /// Use (or not) the FIPS endpoint (instead of AWS_USE_FIPS_ENDPOINT / the profile).
    Config &use_fips(bool on = true)
    {
        detail::call(bedrock_stream_config_set_use_fips, handle_.get(), on);
        return *this;
    }
    /// Use (or not) the dual-stack endpoint (instead of AWS_USE_DUALSTACK_ENDPOINT).
    Config &use_dual_stack(bool on = true)
    {
        detail::call(bedrock_stream_config_set_use_dual_stack, handle_.get(), on);
        return *this;
    }
    /// Trust the CA certificates of this PEM file too (read now).
    Config &ca_bundle_file(std::string_view path)
    {
        return set(bedrock_stream_config_set_ca_bundle_file, path, "ca_bundle_file");
    }
    /// Trust the CA certificates of this PEM bundle too (checked by Client's constructor).
    Config &ca_bundle_pem(std::string_view pem)
    {
        detail::call(bedrock_stream_config_set_ca_bundle_pem, handle_.get(), detail::bytes(pem),
                     pem.size());
        return *this;
    }

    /// Timers: any std::chrono::duration; zero switches a timer off, a negative one is refused
    /// (InvalidInputError), a fraction of a millisecond rounds up.
    template <class Rep, class Period>
    Config &connect_timeout(std::chrono::duration<Rep, Period> d)
    {
        return set_ms(bedrock_stream_config_set_connect_timeout_ms, d, "connect_timeout");
    }
    template <class Rep, class Period>
    Config &response_headers_timeout(std::chrono::duration<Rep, Period> d)
    {
        return set_ms(bedrock_stream_config_set_response_headers_timeout_ms, d,
                      "response_headers_timeout");
    }
    template <class Rep, class Period>
    Config &read_idle_timeout(std::chrono::duration<Rep, Period> d)
    {
        return set_ms(bedrock_stream_config_set_read_idle_timeout_ms, d, "read_idle_timeout");
    }
    /// Overall deadline of a call, retries included (zero: none).
    template <class Rep, class Period>
    Config &deadline(std::chrono::duration<Rep, Period> d)
    {
        return set_ms(bedrock_stream_config_set_deadline_ms, d, "deadline");
    }
    /// Attempts in all, the first one included (1 = never retry).
    Config &max_attempts(std::uint32_t n)
    {
        detail::call(bedrock_stream_config_set_max_attempts, handle_.get(), n);
        return *this;
    }
    /// Retry backoff: the first retry waits a random time below `initial`, doubling per
    /// attempt, never more than `max`.
    template <class R1, class P1, class R2, class P2>
    Config &retry_backoff(std::chrono::duration<R1, P1> initial, std::chrono::duration<R2, P2> max)
    {
        detail::call(bedrock_stream_config_set_retry_backoff_ms, handle_.get(),
                     detail::to_ms(initial, "retry_backoff initial"),
                     detail::to_ms(max, "retry_backoff max"));
        return *this;
    }

    [[nodiscard]] const bedrock_stream_config *get() const noexcept { return handle_.get(); }

private:
    template <class F>
    Config &set(F f, std::string_view v, const char *what)
    {
        const detail::CString s(v, what);
        detail::call(f, handle_.get(), s.c_str());
        return *this;
    }
    template <class F, class Rep, class Period>
    Config &set_ms(F f, std::chrono::duration<Rep, Period> d, const char *what)
    {
        detail::call(f, handle_.get(), detail::to_ms(d, what));
        return *this;
    }

    detail::Handle<bedrock_stream_config> handle_;
};

/// One request: model id, the model's body (bytes, sent unchanged), optional members.
class Request {
public:
    Request(std::string_view model_id, std::string_view body)
    {
        const detail::CString id(model_id, "model_id");
        bedrock_stream_request *p = nullptr;
        detail::call(bedrock_stream_request_new, id.c_str(), detail::bytes(body), body.size(),
                     &p);
        handle_.reset(p);
    }

    Request &content_type(std::string_view v)
    {
        return set(bedrock_stream_request_set_content_type, v, "content_type");
    }
    Request &accept(std::string_view v) { return set(bedrock_stream_request_set_accept, v, "accept"); }
    /// "ENABLED", "DISABLED" or "ENABLED_FULL".
    Request &trace(std::string_view v) { return set(bedrock_stream_request_set_trace, v, "trace"); }
    Request &guardrail(std::string_view identifier, std::string_view version)
    {
        set(bedrock_stream_request_set_guardrail_identifier, identifier, "guardrail identifier");
        return set(bedrock_stream_request_set_guardrail_version, version, "guardrail version");
    }
    /// "standard" or "optimized".
    Request &performance_config_latency(std::string_view v)
    {
        return set(bedrock_stream_request_set_performance_config_latency, v,
                   "performance_config_latency");
    }
    /// "priority", "default", "flex" or "reserved".
    Request &service_tier(std::string_view v)
    {
        return set(bedrock_stream_request_set_service_tier, v, "service_tier");
    }
    Request &request_metadata(std::string_view json)
    {
        return set(bedrock_stream_request_set_request_metadata, json, "request_metadata");
    }
    Request &project_identifier(std::string_view v)
    {
        return set(bedrock_stream_request_set_project_identifier, v, "project_identifier");
    }
    /// How to read the chunks ("anthropic-claude", "meta-llama", ...), when the model id does
    /// not say.
    Request &model_family(std::string_view v)
    {
        return set(bedrock_stream_request_set_model_family, v, "model_family");
    }

    [[nodiscard]] const bedrock_stream_request *get() const noexcept { return handle_.get(); }

private:
    template <class F>
    Request &set(F f, std::string_view v, const char *what)
    {
        const detail::CString s(v, what);
        detail::call(f, handle_.get(), s.c_str());
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
    [[nodiscard]] bool is_cancelled() const noexcept
    {
        return bedrock_stream_cancel_is_cancelled(handle_.get());
    }
    [[nodiscard]] const bedrock_stream_cancel *get() const noexcept { return handle_.get(); }

private:
    detail::Handle<bedrock_stream_cancel> handle_;
};

// ---------------------------------------------------------------------------------------------
// Events

/// Token counts the model reported in one chunk (its own fields; nullopt when not reported).
struct Usage {
    std::optional<std::uint64_t> input_tokens;
    std::optional<std::uint64_t> output_tokens;
    std::optional<std::uint64_t> cache_read_input_tokens;
    std::optional<std::uint64_t> cache_write_input_tokens;
};

/// `amazon-bedrock-invocationMetrics` (last chunk of a successful stream).
struct Metrics {
    std::optional<std::uint64_t> input_token_count;
    std::optional<std::uint64_t> output_token_count;
    std::optional<std::uint64_t> invocation_latency_ms;
    std::optional<std::uint64_t> first_byte_latency_ms;
    std::optional<std::uint64_t> cache_read_input_token_count;
    std::optional<std::uint64_t> cache_write_input_token_count;
};

enum class EventKind : std::int32_t {
    chunk = BEDROCK_STREAM_EVENT_KIND_CHUNK,
    /// An event type this library does not know (a newer member of the service's stream).
    unknown = BEDROCK_STREAM_EVENT_KIND_UNKNOWN,
};

namespace detail {

inline std::optional<std::uint64_t> opt(bool has, std::uint64_t v) noexcept
{
    return has ? std::optional<std::uint64_t>(v) : std::nullopt;
}

inline std::optional<Usage> usage_of(const bedrock_stream_event *event) noexcept
{
    bedrock_stream_usage u{};
    if (!bedrock_stream_event_usage(event, &u))
        return std::nullopt;
    return Usage{opt(u.has_input_tokens, u.input_tokens), opt(u.has_output_tokens, u.output_tokens),
                 opt(u.has_cache_read_input_tokens, u.cache_read_input_tokens),
                 opt(u.has_cache_write_input_tokens, u.cache_write_input_tokens)};
}

inline std::optional<Metrics> metrics_of(const bedrock_stream_event *event) noexcept
{
    bedrock_stream_metrics m{};
    if (!bedrock_stream_event_metrics(event, &m))
        return std::nullopt;
    return Metrics{opt(m.has_input_token_count, m.input_token_count),
                   opt(m.has_output_token_count, m.output_token_count),
                   opt(m.has_invocation_latency_ms, m.invocation_latency_ms),
                   opt(m.has_first_byte_latency_ms, m.first_byte_latency_ms),
                   opt(m.has_cache_read_input_token_count, m.cache_read_input_token_count),
                   opt(m.has_cache_write_input_token_count, m.cache_write_input_token_count)};
}

} // namespace detail

class OwnedEvent;

/// A view of one event: valid inside the callback, or until the next Stream::next() (a
/// std::vector<Event> would keep dangling views: store to_owned() copies instead).
class Event {
public:
    explicit Event(const bedrock_stream_event *event) noexcept : event_(event) {}

    [[nodiscard]] EventKind kind() const noexcept
    {
        return static_cast<EventKind>(bedrock_stream_event_kind_of(event_));
    }
    [[nodiscard]] bool is_chunk() const noexcept { return kind() == EventKind::chunk; }
    /// "chunk", or the name of an event type the library does not know.
    [[nodiscard]] std::string_view type() const noexcept { return bedrock_stream_event_type(event_); }
    /// The model's output document (chunks) or the raw payload (unknown events).
    [[nodiscard]] std::string_view payload() const noexcept
    {
        return detail::view(bedrock_stream_event_payload(event_));
    }
    /// The text this chunk adds (UTF-8; empty when none).
    [[nodiscard]] std::string_view text() const noexcept
    {
        return detail::view(bedrock_stream_event_text(event_));
    }
    [[nodiscard]] std::optional<std::string_view> stop_reason() const noexcept
    {
        const char *s = bedrock_stream_event_stop_reason(event_);
        return s != nullptr ? std::optional<std::string_view>(s) : std::nullopt;
    }
    /// Token counts the model reported in this chunk, nullopt when none.
    [[nodiscard]] std::optional<Usage> usage() const noexcept { return detail::usage_of(event_); }
    /// Invocation metrics, nullopt when this chunk has none.
    [[nodiscard]] std::optional<Metrics> metrics() const noexcept
    {
        return detail::metrics_of(event_);
    }
    /// A copy that owns its data and outlives the callback / the next Stream::next().
    [[nodiscard]] OwnedEvent to_owned() const;

    [[nodiscard]] const bedrock_stream_event *get() const noexcept { return event_; }

private:
    const bedrock_stream_event *event_;
};

/// An event that owns its data: the same accessors as Event, valid as long as the object.
class OwnedEvent {
public:
    explicit OwnedEvent(const Event &e)
        : kind_(e.kind()), type_(e.type()), payload_(e.payload()), text_(e.text()),
          usage_(e.usage()), metrics_(e.metrics())
    {
        if (auto s = e.stop_reason())
            stop_reason_.emplace(*s);
    }

    [[nodiscard]] EventKind kind() const noexcept { return kind_; }
    [[nodiscard]] bool is_chunk() const noexcept { return kind_ == EventKind::chunk; }
    [[nodiscard]] std::string_view type() const noexcept { return type_; }
    [[nodiscard]] std::string_view payload() const noexcept { return payload_; }
    [[nodiscard]] std::string_view text() const noexcept { return text_; }
    [[nodiscard]] std::optional<std::string_view> stop_reason() const noexcept
    {
        return stop_reason_ ? std::optional<std::string_view>(*stop_reason_) : std::nullopt;
    }
    [[nodiscard]] const std::optional<Usage> &usage() const noexcept { return usage_; }
    [[nodiscard]] const std::optional<Metrics> &metrics() const noexcept { return metrics_; }

private:
    EventKind kind_;
    std::string type_;
    std::string payload_;
    std::string text_;
    std::optional<std::string> stop_reason_;
    std::optional<Usage> usage_;
    std::optional<Metrics> metrics_;
};

inline OwnedEvent Event::to_owned() const { return OwnedEvent(*this); }

// ---------------------------------------------------------------------------------------------
// Callbacks

/// What a callback returns to go on or to stop the stream.
enum class Flow { Continue, Stop };

namespace detail {

template <class F, class E>
constexpr bool valid_callback()
{
    if constexpr (!std::is_invocable_v<F &, const E &>) {
        return false;
    } else {
        using R = std::invoke_result_t<F &, const E &>;
        return std::is_void_v<R> || std::is_same_v<R, bool> || std::is_same_v<R, Flow>;
    }
}

/// Checks a callback's type at compile time: callable with `const E&`, returning void, bool
/// or Flow -- not the C convention's int, where 0 (BEDROCK_STREAM_CONTINUE) means go on.
template <class F, class E>
constexpr void check_callback()
{
    static_assert(std::is_invocable_v<F &, const E &>,
                  "bedrock_stream: the callback must be callable with `const Event&`");
    static_assert(!std::is_invocable_v<F &, const E &> || valid_callback<F, E>(),
                  "bedrock_stream: the callback must return void, bool (true = continue) or "
                  "bedrock_stream::Flow -- not int: in C, 0 (BEDROCK_STREAM_CONTINUE) means "
                  "continue, which `return 0;` would turn into a stop");
}

/// Calls the user's callback for one C event: the result as the C convention, the user's
/// exception caught and kept (nothing may unwind into the C library). Shared by every push
/// API (the event view type E is built from the C event).
template <class F, class E, class CEvent>
struct Trampoline {
    F *f;
    std::exception_ptr exception;
    bool stopped = false;
    std::uint64_t events = 0;

    static std::int32_t call(void *user_data, const CEvent *event) noexcept
    {
        auto *t = static_cast<Trampoline *>(user_data);
        try {
            ++t->events;
            using R = std::invoke_result_t<F &, const E &>;
            bool go_on = true;
            if constexpr (std::is_void_v<R>) {
                (*t->f)(E(event));
            } else if constexpr (std::is_same_v<R, bool>) {
                go_on = (*t->f)(E(event));
            } else {
                go_on = (*t->f)(E(event)) == Flow::Continue;
            }
            if (go_on)
                return BEDROCK_STREAM_CONTINUE;
            t->stopped = true;
            return BEDROCK_STREAM_STOP;
        } catch (...) {
            t->exception = std::current_exception();
            return BEDROCK_STREAM_STOP;
        }
    }
};

} // namespace detail

/// How a push call ended (it failed otherwise: an exception).
struct Outcome {
    /// The callback asked to stop (returned false or Flow::Stop); the connection was closed.
    bool stopped = false;
    /// Events delivered to the callback.
    std::uint64_t events = 0;
    /// True when the stream ran to its end.
    explicit operator bool() const noexcept { return !stopped; }
};

// ---------------------------------------------------------------------------------------------
// Stream (pull API) and Client

/// The pull API: `for (const Event &e : stream)`, or `while (auto e = stream.next())`.
class Stream {
public:
    explicit Stream(bedrock_stream_stream *p) noexcept : handle_(p) {}

    /// The next event, or nullopt at the clean end. Throws Error on a failure. The previous
    /// event is invalid afterwards.
    [[nodiscard]] std::optional<Event> next()
    {
        const bedrock_stream_event *event = nullptr;
        detail::call(bedrock_stream_stream_next, handle_.get(), &event);
        started_ = true;
        current_ = event != nullptr ? std::optional<Event>(Event(event)) : std::nullopt;
        return current_;
    }

    [[nodiscard]] std::optional<std::string> request_id() const
    {
        return detail::optional_string(bedrock_stream_stream_request_id(handle_.get()));
    }
    /// X-Amzn-Bedrock-Content-Type of the response (the MIME type of the chunks).
    [[nodiscard]] std::optional<std::string> content_type() const
    {
        return detail::optional_string(bedrock_stream_stream_content_type(handle_.get()));
    }
    /// Events returned so far.
    [[nodiscard]] std::uint64_t events_delivered() const noexcept
    {
        return bedrock_stream_stream_events_delivered(handle_.get());
    }

    /// An input iterator, as std::filesystem::directory_iterator: incrementing reads the next
    /// event (throwing Error on a failure); equal to end() after the last event.
    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = Event;
        using difference_type = std::ptrdiff_t;
        using pointer = const Event *;
        using reference = const Event &;

        iterator() noexcept = default;
        reference operator*() const noexcept { return *stream_->current_; }
        pointer operator->() const noexcept { return &*stream_->current_; }
        iterator &operator++()
        {
            (void)stream_->next();
            if (!stream_->current_)
                stream_ = nullptr;
            return *this;
        }
        void operator++(int) { ++*this; }
        friend bool operator==(const iterator &a, const iterator &b) noexcept
        {
            return a.stream_ == b.stream_;
        }
        friend bool operator!=(const iterator &a, const iterator &b) noexcept { return !(a == b); }

    private:
        friend class Stream;
        explicit iterator(Stream *s) noexcept : stream_(s->current_ ? s : nullptr) {}
        Stream *stream_ = nullptr;
    };

    /// Reads the first event (the event next() returned last, when next() was called before).
    iterator begin()
    {
        if (!started_)
            (void)next();
        return iterator(this);
    }
    iterator end() noexcept { return iterator(); }

private:
    detail::Handle<bedrock_stream_stream> handle_;
    std::optional<Event> current_;
    bool started_ = false;
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

    /// The push API: `on_event(const Event&)` per event, on this thread. It returns void,
    /// bool (false stops the stream) or Flow (Flow::Stop stops it); any other return type does
    /// not compile. A stop returns normally, with Outcome::stopped set. An exception thrown by
    /// `on_event` stops the stream and is rethrown here; a failure throws Error.
    template <class F>
    Outcome invoke(const Request &request, F &&on_event, const Cancel *cancel = nullptr) const
    {
        using Fn = std::remove_reference_t<F>;
        detail::check_callback<Fn, Event>();
        if constexpr (detail::valid_callback<Fn, Event>()) {
            detail::Trampoline<Fn, Event, bedrock_stream_event> t{&on_event, nullptr};
            bedrock_stream_error *err = nullptr;
            const bedrock_stream_status status = bedrock_stream_client_invoke(
                handle_.get(), request.get(), &decltype(t)::call, &t,
                cancel != nullptr ? cancel->get() : nullptr, &err);
            return finish(status, err, t.exception, t.stopped, t.events);
        } else {
            return Outcome{};
        }
    }

    /// The pull API.
    [[nodiscard]] Stream open(const Request &request, const Cancel *cancel = nullptr) const
    {
        bedrock_stream_stream *p = nullptr;
        detail::call(bedrock_stream_client_open, handle_.get(), request.get(),
                     cancel != nullptr ? cancel->get() : nullptr, &p);
        return Stream(p);
    }

    [[nodiscard]] const bedrock_stream_client *get() const noexcept { return handle_.get(); }

private:
    /// The end of a push call: the callback's exception, a deliberate stop, or the status.
    static Outcome finish(bedrock_stream_status status, bedrock_stream_error *err,
                          const std::exception_ptr &exception, bool stopped, std::uint64_t events)
    {
        if (exception) {
            bedrock_stream_error_free(err);
            std::rethrow_exception(exception);
        }
        if (stopped && status == BEDROCK_STREAM_STATUS_ABORTED_BY_CALLBACK) {
            bedrock_stream_error_free(err);
            return Outcome{true, events};
        }
        detail::check(status, err);
        return Outcome{false, events};
    }

    detail::Handle<bedrock_stream_client> handle_;
};

/// The library's version ("0.1.0").
[[nodiscard]] inline const char *version() noexcept { return bedrock_stream_version(); }

/// Whether the linked library is the one this header was written for.
[[nodiscard]] inline bool version_matches() noexcept
{
    return bedrock_stream_version_number() == BEDROCK_STREAM_VERSION_NUMBER;
}

} // namespace bedrock_stream

#endif // BEDROCK_STREAM_HPP
