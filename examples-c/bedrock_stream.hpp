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
// * Converse: ConverseRequest (a builder: messages, blocks, tools, system, inference and
//   guardrail settings... or from_json), Client::converse_stream (push, a lambda taking
//   `const ConverseEvent&` with the same result rules), Client::open(ConverseRequest) (pull,
//   a range of ConverseEvent views; to_owned() copies), Accumulator -> Message (blocks, tool
//   uses; ConverseRequest::append_message for the next turn), Client::converse (not
//   streamed) and Client::invoke_model (InvokeModel, not streamed).
//
// Threading follows the C API: a Client may be shared by threads (its methods are const);
// Config, Request and ConverseRequest (while being changed), Stream, ConverseStream,
// Accumulator and Error are used by one thread at a time;
// Cancel::cancel() may be called from any thread.
#ifndef BEDROCK_STREAM_HPP
#define BEDROCK_STREAM_HPP

#include <bedrock_stream.h>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

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
    void operator()(bedrock_stream_converse_request *p) const noexcept
    {
        bedrock_stream_converse_request_free(p);
    }
    void operator()(bedrock_stream_converse_stream *p) const noexcept
    {
        bedrock_stream_converse_stream_free(p);
    }
    void operator()(bedrock_stream_converse_accumulator *p) const noexcept
    {
        bedrock_stream_converse_accumulator_free(p);
    }
    void operator()(bedrock_stream_converse_message *p) const noexcept
    {
        bedrock_stream_converse_message_free(p);
    }
    void operator()(bedrock_stream_invoke_response *p) const noexcept
    {
        bedrock_stream_invoke_response_free(p);
    }
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

/// A C string the library lends (NULL: absent) as a view.
inline std::optional<std::string_view> optional_view(const char *s) noexcept
{
    return s != nullptr ? std::optional<std::string_view>(s) : std::nullopt;
}

/// A view of an owned optional string.
inline std::optional<std::string_view> optional_view(const std::optional<std::string> &s) noexcept
{
    return s ? std::optional<std::string_view>(*s) : std::nullopt;
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

/// An optional string argument: NULL for the C API when absent.
class OptionalCString {
public:
    OptionalCString(std::optional<std::string_view> s, const char *what)
    {
        if (s)
            s_.emplace(*s, what);
    }
    const char *c_str() const noexcept { return s_ ? s_->c_str() : nullptr; }

private:
    std::optional<CString> s_;
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
        const detail::OptionalCString token(session_token, "session_token");
        detail::call(bedrock_stream_config_set_credentials, handle_.get(), id.c_str(),
                     secret.c_str(), token.c_str());
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
        return detail::optional_view(bedrock_stream_event_stop_reason(event_));
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
        return detail::optional_view(stop_reason_);
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
                  "bedrock_stream: the callback must be callable with `const Event&` "
                  "(Client::invoke) or `const ConverseEvent&` (Client::converse_stream)");
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
// Converse: requests, events, the accumulator, messages; InvokeModel's response

/// The role of a message of the conversation.
enum class Role { user, assistant };

/// Bytes given to the library (an image, a document): a std::string_view, a pointer and a
/// size, or any contiguous container of 1-byte elements (std::vector<std::uint8_t>,
/// std::string, std::array<std::byte, N>, C++20's std::span<const std::byte>...). Copied by
/// the call it is given to.
class Bytes {
public:
    Bytes(std::string_view s) noexcept : Bytes(s.data(), s.size()) {}
    Bytes(const char *s) noexcept : Bytes(std::string_view(s)) {}
    Bytes(const void *data, std::size_t size) noexcept
        // The C API wants a pointer even for 0 bytes (it then says the data is empty).
        : data_(data != nullptr ? static_cast<const std::uint8_t *>(data)
                                : detail::bytes(std::string_view(""))),
          size_(size)
    {
    }
    template <class C,
              class = std::enable_if_t<
                  !std::is_array_v<C> && sizeof(*std::data(std::declval<const C &>())) == 1 &&
                  std::is_trivially_copyable_v<
                      std::remove_pointer_t<decltype(std::data(std::declval<const C &>()))>>>>
    Bytes(const C &c) noexcept : Bytes(std::data(c), std::size(c))
    {
    }

    [[nodiscard]] const std::uint8_t *data() const noexcept { return data_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }

private:
    const std::uint8_t *data_;
    std::size_t size_;
};

/// The type of a ConverseStream event (its `:event-type`).
enum class ConverseEventType : std::int32_t {
    none = BEDROCK_STREAM_CONVERSE_EVENT_TYPE_NONE,
    message_start = BEDROCK_STREAM_CONVERSE_EVENT_TYPE_MESSAGE_START,
    content_block_start = BEDROCK_STREAM_CONVERSE_EVENT_TYPE_CONTENT_BLOCK_START,
    content_block_delta = BEDROCK_STREAM_CONVERSE_EVENT_TYPE_CONTENT_BLOCK_DELTA,
    content_block_stop = BEDROCK_STREAM_CONVERSE_EVENT_TYPE_CONTENT_BLOCK_STOP,
    message_stop = BEDROCK_STREAM_CONVERSE_EVENT_TYPE_MESSAGE_STOP,
    metadata = BEDROCK_STREAM_CONVERSE_EVENT_TYPE_METADATA,
    /// An event type this library does not know (the service added one): not an error;
    /// type_name() names it, json() has its payload.
    unknown = BEDROCK_STREAM_CONVERSE_EVENT_TYPE_UNKNOWN,
};

/// What a `contentBlockDelta` event carries (ConverseEvent::delta() by kind).
enum class DeltaKind : std::int32_t {
    /// Not a `contentBlockDelta` event.
    none = BEDROCK_STREAM_CONVERSE_DELTA_KIND_NONE,
    /// The next piece of the answer's text (UTF-8).
    text = BEDROCK_STREAM_CONVERSE_DELTA_KIND_TEXT,
    /// The next fragment of a tool use's input JSON text (split anywhere: join them, or let
    /// the Accumulator do it).
    tool_use = BEDROCK_STREAM_CONVERSE_DELTA_KIND_TOOL_USE,
    /// The next piece of the model's reasoning (UTF-8).
    reasoning_text = BEDROCK_STREAM_CONVERSE_DELTA_KIND_REASONING_TEXT,
    /// The next piece of the reasoning's signature.
    reasoning_signature = BEDROCK_STREAM_CONVERSE_DELTA_KIND_REASONING_SIGNATURE,
    /// Encrypted reasoning (raw bytes, decoded from base64).
    reasoning_redacted = BEDROCK_STREAM_CONVERSE_DELTA_KIND_REASONING_REDACTED,
    /// A citation, as JSON text (CitationsDelta).
    citation = BEDROCK_STREAM_CONVERSE_DELTA_KIND_CITATION,
    /// Tool result pieces, as JSON text.
    tool_result = BEDROCK_STREAM_CONVERSE_DELTA_KIND_TOOL_RESULT,
    /// An image piece, as JSON text.
    image = BEDROCK_STREAM_CONVERSE_DELTA_KIND_IMAGE,
    /// A delta member this library does not know: its value as JSON text; member_name()
    /// names it.
    unknown = BEDROCK_STREAM_CONVERSE_DELTA_KIND_UNKNOWN,
};

/// The kind of one content block of a finished Message.
enum class BlockKind : std::int32_t {
    none = BEDROCK_STREAM_CONVERSE_BLOCK_KIND_NONE,
    text = BEDROCK_STREAM_CONVERSE_BLOCK_KIND_TEXT,
    tool_use = BEDROCK_STREAM_CONVERSE_BLOCK_KIND_TOOL_USE,
    reasoning = BEDROCK_STREAM_CONVERSE_BLOCK_KIND_REASONING,
    redacted_reasoning = BEDROCK_STREAM_CONVERSE_BLOCK_KIND_REDACTED_REASONING,
    citations = BEDROCK_STREAM_CONVERSE_BLOCK_KIND_CITATIONS,
    tool_result = BEDROCK_STREAM_CONVERSE_BLOCK_KIND_TOOL_RESULT,
    image = BEDROCK_STREAM_CONVERSE_BLOCK_KIND_IMAGE,
    /// Any other block, members this library does not know included (Block::json()).
    other = BEDROCK_STREAM_CONVERSE_BLOCK_KIND_OTHER,
};

/// `usage` of a `metadata` event or of a finished message (TokenUsage): the three counts are
/// always there, the cache counts only when the request used prompt caching.
struct ConverseUsage {
    std::uint64_t input_tokens = 0;
    std::uint64_t output_tokens = 0;
    std::uint64_t total_tokens = 0;
    std::optional<std::uint64_t> cache_read_input_tokens;
    std::optional<std::uint64_t> cache_write_input_tokens;
};

namespace detail {

inline ConverseUsage converse_usage(const bedrock_stream_converse_usage &u) noexcept
{
    return ConverseUsage{u.input_tokens, u.output_tokens, u.total_tokens,
                         opt(u.has_cache_read_input_tokens, u.cache_read_input_tokens),
                         opt(u.has_cache_write_input_tokens, u.cache_write_input_tokens)};
}

/// Reads an optional usage / latency through a C accessor (`f(object, &out)` -> found).
template <class F, class T>
std::optional<ConverseUsage> converse_usage_of(F f, const T *object) noexcept
{
    bedrock_stream_converse_usage u{};
    if (!f(object, &u))
        return std::nullopt;
    return converse_usage(u);
}
template <class F, class T>
std::optional<std::chrono::milliseconds> latency_of(F f, const T *object) noexcept
{
    std::uint64_t ms = 0;
    if (!f(object, &ms))
        return std::nullopt;
    return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(ms));
}

} // namespace detail

/// One content block of a Message: a view, valid as long as the message.
class Block {
public:
    Block(const bedrock_stream_converse_message *message, std::size_t index) noexcept
        : message_(message), index_(index)
    {
    }

    [[nodiscard]] std::size_t index() const noexcept { return index_; }
    /// BlockKind::none when the index is out of range.
    [[nodiscard]] BlockKind kind() const noexcept
    {
        return static_cast<BlockKind>(bedrock_stream_converse_message_block_kind(message_, index_));
    }
    /// A text block's text, a reasoning block's reasoning, a citations block's generated
    /// text; empty for other kinds.
    [[nodiscard]] std::string_view text() const noexcept
    {
        return detail::view(bedrock_stream_converse_message_block_text(message_, index_));
    }
    /// `toolUseId` of a tool use (or tool result) block.
    [[nodiscard]] std::optional<std::string_view> tool_use_id() const noexcept
    {
        return detail::optional_view(
            bedrock_stream_converse_message_block_tool_use_id(message_, index_));
    }
    /// The tool `name` of a tool use block.
    [[nodiscard]] std::optional<std::string_view> tool_use_name() const noexcept
    {
        return detail::optional_view(
            bedrock_stream_converse_message_block_tool_use_name(message_, index_));
    }
    /// The input of a tool use block as JSON text (the fragments joined and checked), e.g.
    /// `{"city":"Zürich"}`; empty for other kinds.
    [[nodiscard]] std::string_view tool_use_input() const noexcept
    {
        return detail::view(bedrock_stream_converse_message_block_tool_use_input(message_, index_));
    }
    /// The signature of a reasoning block (appending the message sends it back).
    [[nodiscard]] std::optional<std::string_view> reasoning_signature() const noexcept
    {
        return detail::optional_view(
            bedrock_stream_converse_message_block_reasoning_signature(message_, index_));
    }
    /// The encrypted bytes of a redacted reasoning block; empty for other kinds.
    [[nodiscard]] std::string_view redacted_reasoning() const noexcept
    {
        return detail::view(
            bedrock_stream_converse_message_block_redacted_reasoning(message_, index_));
    }
    /// The block as JSON text, as on the wire (any kind, BlockKind::other included).
    [[nodiscard]] std::string_view json() const noexcept
    {
        return detail::view(bedrock_stream_converse_message_block_json(message_, index_));
    }

private:
    const bedrock_stream_converse_message *message_;
    std::size_t index_;
};

/// A tool the model asks for (Message::tool_uses()): views, valid as long as the message.
struct ToolUse {
    /// The block's index in the message.
    std::size_t index = 0;
    std::string_view tool_use_id;
    std::string_view name;
    /// JSON text.
    std::string_view input;
};

/// A finished assistant message: from Accumulator::finish() (a stream) or Client::converse().
/// Owns its data; everything it hands out is valid as long as it. Move-only.
class Message {
public:
    explicit Message(bedrock_stream_converse_message *p) noexcept : handle_(p) {}

    /// `stopReason` as on the wire ("end_turn", "tool_use", "max_tokens", ...), nullopt when
    /// the stream had no messageStop.
    [[nodiscard]] std::optional<std::string_view> stop_reason() const noexcept
    {
        return detail::optional_view(bedrock_stream_converse_message_stop_reason(handle_.get()));
    }
    /// Whether the model asks for tools (stop reason "tool_use"): run them, then
    /// ConverseRequest::append_message(*this), add_message(Role::user) and a result each.
    [[nodiscard]] bool wants_tools() const noexcept
    {
        const auto stop = stop_reason();
        return stop && *stop == "tool_use";
    }
    /// The text of all text blocks, concatenated.
    [[nodiscard]] std::string_view text() const noexcept
    {
        return detail::view(bedrock_stream_converse_message_text(handle_.get()));
    }
    [[nodiscard]] std::optional<ConverseUsage> usage() const noexcept
    {
        return detail::converse_usage_of(bedrock_stream_converse_message_usage, handle_.get());
    }
    /// `metrics.latencyMs`.
    [[nodiscard]] std::optional<std::chrono::milliseconds> latency() const noexcept
    {
        return detail::latency_of(bedrock_stream_converse_message_latency_ms, handle_.get());
    }
    /// x-amzn-RequestId of a Converse answer (nullopt for a message from the Accumulator:
    /// see ConverseStream::request_id()).
    [[nodiscard]] std::optional<std::string_view> request_id() const noexcept
    {
        return detail::optional_view(bedrock_stream_converse_message_request_id(handle_.get()));
    }
    /// The whole answer as JSON text under the ConverseResponse member names (`output`,
    /// `stopReason`, `usage`, `metrics`, `trace`, ...): what has no accessor.
    [[nodiscard]] std::string_view json() const noexcept
    {
        return detail::view(bedrock_stream_converse_message_json(handle_.get()));
    }

    /// The content blocks: `size()`, `message[i]`, `for (const Block &b : message)`.
    [[nodiscard]] std::size_t size() const noexcept
    {
        return bedrock_stream_converse_message_block_count(handle_.get());
    }
    [[nodiscard]] Block operator[](std::size_t index) const noexcept
    {
        return Block(handle_.get(), index);
    }

    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = Block;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = Block;

        iterator() noexcept = default;
        Block operator*() const noexcept { return Block(message_, index_); }
        iterator &operator++() noexcept
        {
            ++index_;
            return *this;
        }
        iterator operator++(int) noexcept
        {
            iterator before = *this;
            ++index_;
            return before;
        }
        friend bool operator==(const iterator &a, const iterator &b) noexcept
        {
            return a.index_ == b.index_;
        }
        friend bool operator!=(const iterator &a, const iterator &b) noexcept { return !(a == b); }

    private:
        friend class Message;
        iterator(const bedrock_stream_converse_message *m, std::size_t i) noexcept
            : message_(m), index_(i)
        {
        }
        const bedrock_stream_converse_message *message_ = nullptr;
        std::size_t index_ = 0;
    };
    [[nodiscard]] iterator begin() const noexcept { return iterator(handle_.get(), 0); }
    [[nodiscard]] iterator end() const noexcept { return iterator(handle_.get(), size()); }

    /// The tool uses, in order.
    [[nodiscard]] std::vector<ToolUse> tool_uses() const
    {
        std::vector<ToolUse> out;
        for (const Block &b : *this)
            if (b.kind() == BlockKind::tool_use)
                out.push_back(ToolUse{b.index(), b.tool_use_id().value_or(""),
                                      b.tool_use_name().value_or(""), b.tool_use_input()});
        return out;
    }

    [[nodiscard]] const bedrock_stream_converse_message *get() const noexcept
    {
        return handle_.get();
    }

private:
    detail::Handle<bedrock_stream_converse_message> handle_;
};

/// A Converse / ConverseStream request, built without writing JSON (or from JSON text with
/// from_json()). Fluent: `ConverseRequest(model).add_message(Role::user).add_text("Hi")`.
/// Each setter checks its value (InvalidInputError, the request unchanged). A call only
/// reads the request: one request may serve any number of calls.
class ConverseRequest {
public:
    /// A model id, inference profile id or ARN, prompt ARN...
    explicit ConverseRequest(std::string_view model_id)
    {
        const detail::CString id(model_id, "model_id");
        bedrock_stream_converse_request *p = nullptr;
        detail::call(bedrock_stream_converse_request_new, id.c_str(), &p);
        handle_.reset(p);
    }

    /// The members of ConverseStreamRequest (or ConverseRequest) without modelId, as JSON
    /// text, checked now (InvalidInputError with the line and column) and sent byte for byte.
    [[nodiscard]] static ConverseRequest from_json(std::string_view model_id,
                                                   std::string_view json)
    {
        const detail::CString id(model_id, "model_id");
        const detail::CString text(json, "json");
        bedrock_stream_converse_request *p = nullptr;
        detail::call(bedrock_stream_converse_request_from_json, id.c_str(), text.c_str(), &p);
        return ConverseRequest(p);
    }

    /// `messages`: start a message; the add_* block setters add to the last one started.
    ConverseRequest &add_message(Role role)
    {
        detail::call(bedrock_stream_converse_request_add_message, handle_.get(),
                     role == Role::user ? "user" : "assistant");
        return *this;
    }
    ConverseRequest &add_text(std::string_view text)
    {
        return set(bedrock_stream_converse_request_add_text, text, "text");
    }
    /// `format`: "png", "jpeg", "gif" or "webp".
    ConverseRequest &add_image(std::string_view format, Bytes image)
    {
        const detail::CString f(format, "image format");
        detail::call(bedrock_stream_converse_request_add_image, handle_.get(), f.c_str(),
                     image.data(), image.size());
        return *this;
    }
    /// `format`: "pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt" or "md"; `name`
    /// names it to the model.
    ConverseRequest &add_document(std::string_view format, std::string_view name, Bytes document)
    {
        const detail::CString f(format, "document format");
        const detail::CString n(name, "document name");
        detail::call(bedrock_stream_converse_request_add_document, handle_.get(), f.c_str(),
                     n.c_str(), document.data(), document.size());
        return *this;
    }
    /// A tool use written by the program (replaying a conversation). To send the model's own
    /// message back, use append_message().
    ConverseRequest &add_tool_use(std::string_view tool_use_id, std::string_view name,
                                  std::string_view input_json)
    {
        const detail::CString id(tool_use_id, "tool_use_id");
        const detail::CString n(name, "tool name");
        const detail::CString input(input_json, "tool input");
        detail::call(bedrock_stream_converse_request_add_tool_use, handle_.get(), id.c_str(),
                     n.c_str(), input.c_str());
        return *this;
    }
    /// A tool's result as one JSON value; `status` "success", "error" or nullopt (not sent).
    ConverseRequest &add_tool_result_json(std::string_view tool_use_id, std::string_view json,
                                          std::optional<std::string_view> status = std::nullopt)
    {
        return tool_result(bedrock_stream_converse_request_add_tool_result_json, tool_use_id,
                           json, status);
    }
    /// A tool's result as plain text.
    ConverseRequest &add_tool_result_text(std::string_view tool_use_id, std::string_view text,
                                          std::optional<std::string_view> status = std::nullopt)
    {
        return tool_result(bedrock_stream_converse_request_add_tool_result_text, tool_use_id,
                           text, status);
    }
    /// A prompt-cache checkpoint after the blocks before it.
    ConverseRequest &add_cache_point()
    {
        detail::call(bedrock_stream_converse_request_add_cache_point, handle_.get());
        return *this;
    }
    /// Appends the model's own message (tool uses and reasoning signatures included): the
    /// next turn. `message` stays the caller's.
    ConverseRequest &append_message(const Message &message)
    {
        detail::call(bedrock_stream_converse_request_append_message, handle_.get(), message.get());
        return *this;
    }

    /// `system`: a text block of the system prompt.
    ConverseRequest &add_system_text(std::string_view text)
    {
        return set(bedrock_stream_converse_request_add_system_text, text, "system text");
    }
    /// `toolConfig.tools`: a tool; `input_schema_json` is the JSON Schema of its input.
    ConverseRequest &add_tool(std::string_view name, std::string_view input_schema_json,
                              std::optional<std::string_view> description = std::nullopt)
    {
        const detail::CString n(name, "tool name");
        const detail::OptionalCString d(description, "tool description");
        const detail::CString schema(input_schema_json, "input schema");
        detail::call(bedrock_stream_converse_request_add_tool, handle_.get(), n.c_str(),
                     d.c_str(), schema.c_str());
        return *this;
    }
    /// `toolConfig.toolChoice`: "auto", "any", or "tool" with the tool's name.
    ConverseRequest &tool_choice(std::string_view choice,
                                 std::optional<std::string_view> tool_name = std::nullopt)
    {
        const detail::CString c(choice, "tool choice");
        const detail::OptionalCString n(tool_name, "tool name");
        detail::call(bedrock_stream_converse_request_set_tool_choice, handle_.get(), c.c_str(),
                     n.c_str());
        return *this;
    }

    /// `inferenceConfig.maxTokens` (at least 1).
    ConverseRequest &max_tokens(std::uint32_t n)
    {
        detail::call(bedrock_stream_converse_request_set_max_tokens, handle_.get(), n);
        return *this;
    }
    /// `inferenceConfig.temperature`: 0 to 1.
    ConverseRequest &temperature(float t)
    {
        detail::call(bedrock_stream_converse_request_set_temperature, handle_.get(), t);
        return *this;
    }
    /// `inferenceConfig.topP`: 0 to 1.
    ConverseRequest &top_p(float p)
    {
        detail::call(bedrock_stream_converse_request_set_top_p, handle_.get(), p);
        return *this;
    }
    /// `inferenceConfig.stopSequences`: adds one.
    ConverseRequest &add_stop_sequence(std::string_view text)
    {
        return set(bedrock_stream_converse_request_add_stop_sequence, text, "stop sequence");
    }
    /// `guardrailConfig`: `trace` "enabled", "disabled", "enabled_full" or nullopt;
    /// `stream_processing_mode` "sync", "async" or nullopt (ConverseStream only).
    ConverseRequest &guardrail(std::string_view identifier, std::string_view version,
                               std::optional<std::string_view> trace = std::nullopt,
                               std::optional<std::string_view> stream_processing_mode =
                                   std::nullopt)
    {
        const detail::CString id(identifier, "guardrail identifier");
        const detail::CString v(version, "guardrail version");
        const detail::OptionalCString t(trace, "guardrail trace");
        const detail::OptionalCString m(stream_processing_mode, "stream processing mode");
        detail::call(bedrock_stream_converse_request_set_guardrail, handle_.get(), id.c_str(),
                     v.c_str(), t.c_str(), m.c_str());
        return *this;
    }
    /// `additionalModelRequestFields`: a JSON object (replaces an earlier one).
    ConverseRequest &additional_model_request_fields(std::string_view json)
    {
        return set(bedrock_stream_converse_request_set_additional_model_request_fields, json,
                   "additional model request fields");
    }
    /// `additionalModelResponseFieldPaths`: adds a JSON pointer ("/stop_sequence").
    ConverseRequest &add_additional_model_response_field_path(std::string_view path)
    {
        return set(bedrock_stream_converse_request_add_additional_model_response_field_path,
                   path, "response field path");
    }
    /// `requestMetadata`: sets one entry.
    ConverseRequest &request_metadata(std::string_view key, std::string_view value)
    {
        const detail::CString k(key, "request metadata key");
        const detail::CString v(value, "request metadata value");
        detail::call(bedrock_stream_converse_request_set_request_metadata, handle_.get(),
                     k.c_str(), v.c_str());
        return *this;
    }
    /// `performanceConfig.latency`: "standard" or "optimized".
    ConverseRequest &performance_config_latency(std::string_view latency)
    {
        return set(bedrock_stream_converse_request_set_performance_config_latency, latency,
                   "performance_config_latency");
    }
    /// `serviceTier.type`: "priority", "default", "flex" or "reserved".
    ConverseRequest &service_tier(std::string_view tier)
    {
        return set(bedrock_stream_converse_request_set_service_tier, tier, "service_tier");
    }

    // The other members of the service model (the C functions of the same names document
    // each value). Block setters add to the last message, or into the tool result opened by
    // begin_tool_result() until end_tool_result().

    /// An image in Amazon S3 (`s3://bucket/key`; the owner's 12-digit account id or nullopt).
    ConverseRequest &add_image_s3(std::string_view format, std::string_view uri,
                                  std::optional<std::string_view> bucket_owner = std::nullopt)
    {
        return media_s3(bedrock_stream_converse_request_add_image_s3, format, uri, bucket_owner);
    }
    /// A document in Amazon S3; `format` may be nullopt (not sent).
    ConverseRequest &add_document_s3(std::optional<std::string_view> format,
                                     std::string_view name, std::string_view uri,
                                     std::optional<std::string_view> bucket_owner = std::nullopt)
    {
        const detail::OptionalCString f(format, "document format");
        const detail::CString n(name, "document name");
        const detail::CString u(uri, "uri");
        const detail::OptionalCString o(bucket_owner, "bucket owner");
        detail::call(bedrock_stream_converse_request_add_document_s3, handle_.get(), f.c_str(),
                     n.c_str(), u.c_str(), o.c_str());
        return *this;
    }
    /// A document given as plain text (`source.text`).
    ConverseRequest &add_document_text(std::optional<std::string_view> format,
                                       std::string_view name, std::string_view text)
    {
        return document_with(bedrock_stream_converse_request_add_document_text, format, name,
                             text);
    }
    /// A document made of text blocks (`source.content`), starting with `text`;
    /// add_document_content_text() adds more.
    ConverseRequest &add_document_content(std::optional<std::string_view> format,
                                          std::string_view name, std::string_view text)
    {
        return document_with(bedrock_stream_converse_request_add_document_content, format, name,
                             text);
    }
    ConverseRequest &add_document_content_text(std::string_view text)
    {
        return set(bedrock_stream_converse_request_add_document_content_text, text, "text");
    }
    /// `context` of the last block added, a document.
    ConverseRequest &document_context(std::string_view context)
    {
        return set(bedrock_stream_converse_request_set_document_context, context, "context");
    }
    /// `citations.enabled` of the last block added, a document or a search result.
    ConverseRequest &citations_enabled(bool enabled)
    {
        detail::call(bedrock_stream_converse_request_set_citations_enabled, handle_.get(),
                     enabled);
        return *this;
    }
    /// `format`: "mkv", "mov", "mp4", "webm", "flv", "mpeg", "mpg", "wmv" or "three_gp".
    ConverseRequest &add_video(std::string_view format, Bytes video)
    {
        return media(bedrock_stream_converse_request_add_video, format, video);
    }
    ConverseRequest &add_video_s3(std::string_view format, std::string_view uri,
                                  std::optional<std::string_view> bucket_owner = std::nullopt)
    {
        return media_s3(bedrock_stream_converse_request_add_video_s3, format, uri, bucket_owner);
    }
    /// `format`: "mp3", "opus", "wav", "aac", "flac", "mp4", "ogg", "mkv", "mka", "x-aac",
    /// "m4a", "mpeg", "mpga", "pcm" or "webm".
    ConverseRequest &add_audio(std::string_view format, Bytes audio)
    {
        return media(bedrock_stream_converse_request_add_audio, format, audio);
    }
    ConverseRequest &add_audio_s3(std::string_view format, std::string_view uri,
                                  std::optional<std::string_view> bucket_owner = std::nullopt)
    {
        return media_s3(bedrock_stream_converse_request_add_audio_s3, format, uri, bucket_owner);
    }
    /// `guardContent` text; `qualifiers` each "grounding_source", "query" or "guard_content".
    ConverseRequest &add_guard_content_text(std::string_view text,
                                            std::initializer_list<std::string_view> qualifiers = {})
    {
        return guard_text(bedrock_stream_converse_request_add_guard_content_text, text,
                          qualifiers);
    }
    /// `guardContent` image: "png" or "jpeg".
    ConverseRequest &add_guard_content_image(std::string_view format, Bytes image)
    {
        return media(bedrock_stream_converse_request_add_guard_content_image, format, image);
    }
    /// A prompt-cache checkpoint with a `ttl`: "5m" or "1h".
    ConverseRequest &add_cache_point(std::string_view ttl)
    {
        return set(bedrock_stream_converse_request_add_cache_point_ttl, ttl, "ttl");
    }
    /// Reasoning text with its signature (replaying a saved conversation).
    ConverseRequest &add_reasoning_text(std::string_view text,
                                        std::optional<std::string_view> signature = std::nullopt)
    {
        const detail::CString t(text, "reasoning text");
        const detail::OptionalCString sig(signature, "signature");
        detail::call(bedrock_stream_converse_request_add_reasoning_text, handle_.get(),
                     t.c_str(), sig.c_str());
        return *this;
    }
    ConverseRequest &add_reasoning_redacted(Bytes redacted)
    {
        detail::call(bedrock_stream_converse_request_add_reasoning_redacted, handle_.get(),
                     redacted.data(), redacted.size());
        return *this;
    }
    /// An empty `citationsContent` block, filled by the add_citation* setters below.
    ConverseRequest &add_citations_content()
    {
        detail::call(bedrock_stream_converse_request_add_citations_content, handle_.get());
        return *this;
    }
    ConverseRequest &add_citation_generated_text(std::string_view text)
    {
        return set(bedrock_stream_converse_request_add_citation_generated_text, text, "text");
    }
    ConverseRequest &add_citation(std::optional<std::string_view> title = std::nullopt,
                                  std::optional<std::string_view> source = std::nullopt)
    {
        const detail::OptionalCString t(title, "title");
        const detail::OptionalCString s(source, "source");
        detail::call(bedrock_stream_converse_request_add_citation, handle_.get(), t.c_str(),
                     s.c_str());
        return *this;
    }
    ConverseRequest &add_citation_source_text(std::string_view text)
    {
        return set(bedrock_stream_converse_request_add_citation_source_text, text, "text");
    }
    ConverseRequest &citation_web_location(std::optional<std::string_view> url,
                                           std::optional<std::string_view> domain)
    {
        const detail::OptionalCString u(url, "url");
        const detail::OptionalCString d(domain, "domain");
        detail::call(bedrock_stream_converse_request_set_citation_web_location, handle_.get(),
                     u.c_str(), d.c_str());
        return *this;
    }
    /// `kind`: "documentChar", "documentPage", "documentChunk" or "searchResultLocation".
    ConverseRequest &citation_location(std::string_view kind, std::optional<std::uint32_t> index,
                                       std::optional<std::uint32_t> start,
                                       std::optional<std::uint32_t> end)
    {
        const detail::CString k(kind, "kind");
        const auto n = [](std::optional<std::uint32_t> v) {
            return v ? static_cast<std::int64_t>(*v) : std::int64_t{-1};
        };
        detail::call(bedrock_stream_converse_request_set_citation_location, handle_.get(),
                     k.c_str(), n(index), n(start), n(end));
        return *this;
    }
    /// A `searchResult` with its first text; add_search_result_text() adds more.
    ConverseRequest &add_search_result(std::string_view source, std::string_view title,
                                       std::string_view text)
    {
        const detail::CString s(source, "source");
        const detail::CString t(title, "title");
        const detail::CString x(text, "text");
        detail::call(bedrock_stream_converse_request_add_search_result, handle_.get(), s.c_str(),
                     t.c_str(), x.c_str());
        return *this;
    }
    ConverseRequest &add_search_result_text(std::string_view text)
    {
        return set(bedrock_stream_converse_request_add_search_result_text, text, "text");
    }
    ConverseRequest &add_tool_addition(std::optional<std::string_view> type,
                                       std::optional<std::string_view> name,
                                       std::optional<std::string_view> server_name = std::nullopt)
    {
        return tool_reference(bedrock_stream_converse_request_add_tool_addition, type, name,
                              server_name);
    }
    ConverseRequest &add_tool_removal(std::optional<std::string_view> type,
                                      std::optional<std::string_view> name,
                                      std::optional<std::string_view> server_name = std::nullopt)
    {
        return tool_reference(bedrock_stream_converse_request_add_tool_removal, type, name,
                              server_name);
    }
    /// Opens a tool result: the block setters add to its content until end_tool_result().
    ConverseRequest &begin_tool_result(std::string_view tool_use_id,
                                       std::optional<std::string_view> status = std::nullopt)
    {
        const detail::CString id(tool_use_id, "tool_use_id");
        const detail::OptionalCString st(status, "tool result status");
        detail::call(bedrock_stream_converse_request_begin_tool_result, handle_.get(), id.c_str(),
                     st.c_str());
        return *this;
    }
    /// A `json` block of the open tool result.
    ConverseRequest &add_json_content(std::string_view json)
    {
        return set(bedrock_stream_converse_request_add_json_content, json, "json");
    }
    ConverseRequest &end_tool_result()
    {
        detail::call(bedrock_stream_converse_request_end_tool_result, handle_.get());
        return *this;
    }
    /// `type` of the last toolUse ("server_tool_use") or toolResult block.
    ConverseRequest &tool_block_type(std::string_view type)
    {
        return set(bedrock_stream_converse_request_set_tool_block_type, type, "type");
    }
    /// `system`: guardContent text, guardContent image, cachePoint (ttl or nullopt).
    ConverseRequest &add_system_guard_content_text(
        std::string_view text, std::initializer_list<std::string_view> qualifiers = {})
    {
        return guard_text(bedrock_stream_converse_request_add_system_guard_content_text, text,
                          qualifiers);
    }
    ConverseRequest &add_system_guard_content_image(std::string_view format, Bytes image)
    {
        return media(bedrock_stream_converse_request_add_system_guard_content_image, format,
                     image);
    }
    ConverseRequest &add_system_cache_point(std::optional<std::string_view> ttl = std::nullopt)
    {
        return optional_ttl(bedrock_stream_converse_request_add_system_cache_point, ttl);
    }
    /// `toolConfig.tools`: a tool the service provides, a cachePoint, `strict` of the last tool.
    ConverseRequest &add_system_tool(std::string_view name)
    {
        return set(bedrock_stream_converse_request_add_system_tool, name, "system tool name");
    }
    ConverseRequest &add_tool_cache_point(std::optional<std::string_view> ttl = std::nullopt)
    {
        return optional_ttl(bedrock_stream_converse_request_add_tool_cache_point, ttl);
    }
    ConverseRequest &tool_strict(bool strict)
    {
        detail::call(bedrock_stream_converse_request_set_tool_strict, handle_.get(), strict);
        return *this;
    }
    /// `projectIdentifier`: an id or ARN.
    ConverseRequest &project_identifier(std::string_view project)
    {
        return set(bedrock_stream_converse_request_set_project_identifier, project,
                   "project identifier");
    }
    /// `promptVariables`: sets one variable of a managed prompt.
    ConverseRequest &prompt_variable(std::string_view name, std::string_view text)
    {
        const detail::CString n(name, "prompt variable name");
        const detail::CString t(text, "prompt variable text");
        detail::call(bedrock_stream_converse_request_set_prompt_variable, handle_.get(),
                     n.c_str(), t.c_str());
        return *this;
    }
    /// `outputConfig.textFormat`: structured output following a JSON Schema (JSON text).
    ConverseRequest &output_json_schema(std::string_view schema_json,
                                        std::optional<std::string_view> name = std::nullopt,
                                        std::optional<std::string_view> description = std::nullopt)
    {
        const detail::CString s(schema_json, "output schema");
        const detail::OptionalCString n(name, "schema name");
        const detail::OptionalCString d(description, "schema description");
        detail::call(bedrock_stream_converse_request_set_output_json_schema, handle_.get(),
                     s.c_str(), n.c_str(), d.c_str());
        return *this;
    }
    /// `outputConfig.effort` (0 to 16 characters).
    ConverseRequest &output_effort(std::string_view effort)
    {
        return set(bedrock_stream_converse_request_set_output_effort, effort, "effort");
    }

    [[nodiscard]] const bedrock_stream_converse_request *get() const noexcept
    {
        return handle_.get();
    }

private:
    explicit ConverseRequest(bedrock_stream_converse_request *p) noexcept : handle_(p) {}

    template <class F>
    ConverseRequest &set(F f, std::string_view v, const char *what)
    {
        const detail::CString s(v, what);
        detail::call(f, handle_.get(), s.c_str());
        return *this;
    }
    template <class F>
    ConverseRequest &media(F f, std::string_view format, Bytes data)
    {
        const detail::CString fm(format, "format");
        detail::call(f, handle_.get(), fm.c_str(), data.data(), data.size());
        return *this;
    }
    template <class F>
    ConverseRequest &media_s3(F f, std::string_view format, std::string_view uri,
                              std::optional<std::string_view> bucket_owner)
    {
        const detail::CString fm(format, "format");
        const detail::CString u(uri, "uri");
        const detail::OptionalCString o(bucket_owner, "bucket owner");
        detail::call(f, handle_.get(), fm.c_str(), u.c_str(), o.c_str());
        return *this;
    }
    template <class F>
    ConverseRequest &document_with(F f, std::optional<std::string_view> format,
                                   std::string_view name, std::string_view text)
    {
        const detail::OptionalCString fm(format, "document format");
        const detail::CString n(name, "document name");
        const detail::CString t(text, "text");
        detail::call(f, handle_.get(), fm.c_str(), n.c_str(), t.c_str());
        return *this;
    }
    template <class F>
    ConverseRequest &guard_text(F f, std::string_view text,
                                std::initializer_list<std::string_view> qualifiers)
    {
        const detail::CString t(text, "guard content text");
        std::vector<detail::CString> owned;
        owned.reserve(qualifiers.size());
        for (const std::string_view q : qualifiers)
            owned.emplace_back(q, "qualifier");
        std::vector<const char *> ptrs;
        ptrs.reserve(owned.size());
        for (const detail::CString &q : owned)
            ptrs.push_back(q.c_str());
        detail::call(f, handle_.get(), t.c_str(), ptrs.empty() ? nullptr : ptrs.data(),
                     ptrs.size());
        return *this;
    }
    template <class F>
    ConverseRequest &tool_reference(F f, std::optional<std::string_view> type,
                                    std::optional<std::string_view> name,
                                    std::optional<std::string_view> server_name)
    {
        const detail::OptionalCString t(type, "type");
        const detail::OptionalCString n(name, "name");
        const detail::OptionalCString sn(server_name, "server name");
        detail::call(f, handle_.get(), t.c_str(), n.c_str(), sn.c_str());
        return *this;
    }
    template <class F>
    ConverseRequest &optional_ttl(F f, std::optional<std::string_view> ttl)
    {
        const detail::OptionalCString t(ttl, "ttl");
        detail::call(f, handle_.get(), t.c_str());
        return *this;
    }
    template <class F>
    ConverseRequest &tool_result(F f, std::string_view tool_use_id, std::string_view content,
                                 std::optional<std::string_view> status)
    {
        const detail::CString id(tool_use_id, "tool_use_id");
        const detail::CString c(content, "tool result");
        const detail::OptionalCString s(status, "tool result status");
        detail::call(f, handle_.get(), id.c_str(), c.c_str(), s.c_str());
        return *this;
    }

    detail::Handle<bedrock_stream_converse_request> handle_;
};

class OwnedConverseEvent;

/// A view of one ConverseStream event: valid inside the callback, or until the next
/// ConverseStream::next() (keep one with to_owned()). Accessors of members an event type does
/// not have return nullopt / empty / none.
class ConverseEvent {
public:
    explicit ConverseEvent(const bedrock_stream_converse_event *event) noexcept : event_(event) {}

    [[nodiscard]] ConverseEventType type() const noexcept
    {
        return static_cast<ConverseEventType>(bedrock_stream_converse_event_get_type(event_));
    }
    /// The `:event-type` as on the wire ("contentBlockDelta", or an unknown type's name).
    [[nodiscard]] std::string_view type_name() const noexcept
    {
        return detail::optional_view(bedrock_stream_converse_event_type_name(event_))
            .value_or(std::string_view());
    }
    /// `contentBlockIndex` of contentBlockStart / Delta / Stop.
    [[nodiscard]] std::optional<std::uint32_t> content_block_index() const noexcept
    {
        std::uint32_t i = 0;
        return bedrock_stream_converse_event_content_block_index(event_, &i)
                   ? std::optional<std::uint32_t>(i)
                   : std::nullopt;
    }
    /// The role of a messageStart ("assistant").
    [[nodiscard]] std::optional<std::string_view> role() const noexcept
    {
        return detail::optional_view(bedrock_stream_converse_event_role(event_));
    }
    /// The union member of a contentBlockStart / Delta ("text", "toolUse", ... or one this
    /// library does not know).
    [[nodiscard]] std::optional<std::string_view> member_name() const noexcept
    {
        return detail::optional_view(bedrock_stream_converse_event_member_name(event_));
    }
    [[nodiscard]] DeltaKind delta_kind() const noexcept
    {
        return static_cast<DeltaKind>(bedrock_stream_converse_event_delta_kind(event_));
    }
    /// A contentBlockDelta's bytes, by delta_kind(): text, a tool input fragment, reasoning
    /// text or signature, redacted bytes, or the member's JSON text.
    [[nodiscard]] std::string_view delta() const noexcept
    {
        return detail::view(bedrock_stream_converse_event_delta(event_));
    }
    /// The answer's text this event adds (a text delta), else empty.
    [[nodiscard]] std::string_view text() const noexcept
    {
        return delta_kind() == DeltaKind::text ? delta() : std::string_view();
    }
    /// `toolUseId` of a contentBlockStart of a tool use (or tool result).
    [[nodiscard]] std::optional<std::string_view> tool_use_id() const noexcept
    {
        return detail::optional_view(bedrock_stream_converse_event_tool_use_id(event_));
    }
    /// The tool `name` of a contentBlockStart of a tool use.
    [[nodiscard]] std::optional<std::string_view> tool_use_name() const noexcept
    {
        return detail::optional_view(bedrock_stream_converse_event_tool_use_name(event_));
    }
    /// `stopReason` of a messageStop, as on the wire.
    [[nodiscard]] std::optional<std::string_view> stop_reason() const noexcept
    {
        return detail::optional_view(bedrock_stream_converse_event_stop_reason(event_));
    }
    /// `usage` of a metadata event.
    [[nodiscard]] std::optional<ConverseUsage> usage() const noexcept
    {
        return detail::converse_usage_of(bedrock_stream_converse_event_usage, event_);
    }
    /// `metrics.latencyMs` of a metadata event.
    [[nodiscard]] std::optional<std::chrono::milliseconds> latency() const noexcept
    {
        return detail::latency_of(bedrock_stream_converse_event_latency_ms, event_);
    }
    /// The event's members as JSON text under the service model's names (an unknown event
    /// type: its raw payload): what has no accessor.
    [[nodiscard]] std::string_view json() const noexcept
    {
        return detail::view(bedrock_stream_converse_event_json(event_));
    }
    /// A copy that owns its data and outlives the callback / the next next().
    [[nodiscard]] OwnedConverseEvent to_owned() const;

    [[nodiscard]] const bedrock_stream_converse_event *get() const noexcept { return event_; }

private:
    const bedrock_stream_converse_event *event_;
};

/// A ConverseStream event that owns its data: ConverseEvent's accessors (but it cannot be
/// pushed into an Accumulator, which takes the library's event).
class OwnedConverseEvent {
public:
    explicit OwnedConverseEvent(const ConverseEvent &e)
        : type_(e.type()), type_name_(e.type_name()), content_block_index_(e.content_block_index()),
          role_(e.role()), member_name_(e.member_name()), delta_kind_(e.delta_kind()),
          delta_(e.delta()), tool_use_id_(e.tool_use_id()), tool_use_name_(e.tool_use_name()),
          stop_reason_(e.stop_reason()), usage_(e.usage()), latency_(e.latency()), json_(e.json()),
          copy_(copy(e.get()))
    {
    }

    [[nodiscard]] ConverseEventType type() const noexcept { return type_; }
    [[nodiscard]] std::string_view type_name() const noexcept { return type_name_; }
    [[nodiscard]] std::optional<std::uint32_t> content_block_index() const noexcept
    {
        return content_block_index_;
    }
    [[nodiscard]] std::optional<std::string_view> role() const noexcept
    {
        return detail::optional_view(role_);
    }
    [[nodiscard]] std::optional<std::string_view> member_name() const noexcept
    {
        return detail::optional_view(member_name_);
    }
    [[nodiscard]] DeltaKind delta_kind() const noexcept { return delta_kind_; }
    [[nodiscard]] std::string_view delta() const noexcept { return delta_; }
    [[nodiscard]] std::string_view text() const noexcept
    {
        return delta_kind_ == DeltaKind::text ? std::string_view(delta_) : std::string_view();
    }
    [[nodiscard]] std::optional<std::string_view> tool_use_id() const noexcept
    {
        return detail::optional_view(tool_use_id_);
    }
    [[nodiscard]] std::optional<std::string_view> tool_use_name() const noexcept
    {
        return detail::optional_view(tool_use_name_);
    }
    [[nodiscard]] std::optional<std::string_view> stop_reason() const noexcept
    {
        return detail::optional_view(stop_reason_);
    }
    [[nodiscard]] const std::optional<ConverseUsage> &usage() const noexcept { return usage_; }
    [[nodiscard]] std::optional<std::chrono::milliseconds> latency() const noexcept
    {
        return latency_;
    }
    [[nodiscard]] std::string_view json() const noexcept { return json_; }
    /// The library's copy of the event (bedrock_stream_converse_event_copy), shared by the
    /// copies of this object: what Accumulator::push() folds in.
    [[nodiscard]] const bedrock_stream_converse_event *get() const noexcept
    {
        return copy_.get();
    }

private:
    static std::shared_ptr<const bedrock_stream_converse_event>
    copy(const bedrock_stream_converse_event *e)
    {
        bedrock_stream_converse_event *p = nullptr;
        detail::call(bedrock_stream_converse_event_copy, e, &p);
        // The deleter runs also when the control block cannot be allocated.
        return std::shared_ptr<const bedrock_stream_converse_event>(
            p, [](const bedrock_stream_converse_event *q) {
                bedrock_stream_converse_event_free(const_cast<bedrock_stream_converse_event *>(q));
            });
    }

    ConverseEventType type_;
    std::string type_name_;
    std::optional<std::uint32_t> content_block_index_;
    std::optional<std::string> role_;
    std::optional<std::string> member_name_;
    DeltaKind delta_kind_;
    std::string delta_;
    std::optional<std::string> tool_use_id_;
    std::optional<std::string> tool_use_name_;
    std::optional<std::string> stop_reason_;
    std::optional<ConverseUsage> usage_;
    std::optional<std::chrono::milliseconds> latency_;
    std::string json_;
    std::shared_ptr<const bedrock_stream_converse_event> copy_;
};

inline OwnedConverseEvent ConverseEvent::to_owned() const { return OwnedConverseEvent(*this); }

/// Folds the events of a ConverseStream response into the finished Message (text, tool uses
/// with their input joined and parsed, reasoning with its signature, stop reason, usage).
/// Push every event in order (in the callback, or after each next()), then finish().
class Accumulator {
public:
    Accumulator()
    {
        bedrock_stream_converse_accumulator *p = nullptr;
        detail::call(bedrock_stream_converse_accumulator_new, &p);
        handle_.reset(p);
    }
    /// Throws ResponseError (Status::protocol) when the events contradict each other.
    void push(const ConverseEvent &event)
    {
        detail::call(bedrock_stream_converse_accumulator_push, handle_.get(), event.get());
    }
    /// An event kept with to_owned(), after the stream and the callback are gone.
    void push(const OwnedConverseEvent &event)
    {
        detail::call(bedrock_stream_converse_accumulator_push, handle_.get(), event.get());
    }
    /// The message so far; the accumulator is then empty, ready for the next response.
    [[nodiscard]] Message finish()
    {
        bedrock_stream_converse_message *p = nullptr;
        detail::call(bedrock_stream_converse_accumulator_finish, handle_.get(), &p);
        return Message(p);
    }

private:
    detail::Handle<bedrock_stream_converse_accumulator> handle_;
};

/// The answer of Client::invoke_model(): the model's whole body and the response headers.
/// Every view it hands out is valid as long as it.
class InvokeResponse {
public:
    explicit InvokeResponse(bedrock_stream_invoke_response *p) noexcept : handle_(p) {}

    /// The model's answer, byte for byte (its own format, usually JSON).
    [[nodiscard]] std::string_view body() const noexcept
    {
        return detail::view(bedrock_stream_invoke_response_body(handle_.get()));
    }
    [[nodiscard]] std::optional<std::string_view> content_type() const noexcept
    {
        return detail::optional_view(bedrock_stream_invoke_response_content_type(handle_.get()));
    }
    [[nodiscard]] std::optional<std::string_view> request_id() const noexcept
    {
        return detail::optional_view(bedrock_stream_invoke_response_request_id(handle_.get()));
    }
    /// "standard" or "optimized", when the service said.
    [[nodiscard]] std::optional<std::string_view> performance_config_latency() const noexcept
    {
        return detail::optional_view(
            bedrock_stream_invoke_response_performance_config_latency(handle_.get()));
    }
    /// "priority", "default", "flex" or "reserved", when the service said.
    [[nodiscard]] std::optional<std::string_view> service_tier() const noexcept
    {
        return detail::optional_view(bedrock_stream_invoke_response_service_tier(handle_.get()));
    }

    [[nodiscard]] const bedrock_stream_invoke_response *get() const noexcept
    {
        return handle_.get();
    }

private:
    detail::Handle<bedrock_stream_invoke_response> handle_;
};

// ---------------------------------------------------------------------------------------------
// Stream (pull API) and Client

namespace detail {

/// The pull API over a C stream: `next()`, and an input range as
/// std::filesystem::directory_iterator is. `Next` is the C `*_next` function; View is the
/// event view built from the C event. Shared by Stream and ConverseStream.
template <class CStream, class CEvent, class View, auto Next>
class PullStream {
public:
    /// The next event, or nullopt at the clean end. Throws Error on a failure. The previous
    /// event is invalid afterwards.
    [[nodiscard]] std::optional<View> next()
    {
        const CEvent *event = nullptr;
        detail::call(Next, handle_.get(), &event);
        started_ = true;
        current_ = event != nullptr ? std::optional<View>(View(event)) : std::nullopt;
        return current_;
    }

    /// An input iterator: incrementing reads the next event (throwing Error on a failure);
    /// equal to end() after the last event.
    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = View;
        using difference_type = std::ptrdiff_t;
        using pointer = const View *;
        using reference = const View &;

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
        friend class PullStream;
        explicit iterator(PullStream *s) noexcept : stream_(s->current_ ? s : nullptr) {}
        PullStream *stream_ = nullptr;
    };

    /// Reads the first event (the event next() returned last, when next() was called before).
    iterator begin()
    {
        if (!started_)
            (void)next();
        return iterator(this);
    }
    iterator end() noexcept { return iterator(); }

protected:
    explicit PullStream(CStream *p) noexcept : handle_(p) {}

    Handle<CStream> handle_;

private:
    std::optional<View> current_;
    bool started_ = false;
};

} // namespace detail

/// The pull API: `for (const Event &e : stream)`, or `while (auto e = stream.next())`.
class Stream
    : public detail::PullStream<bedrock_stream_stream, bedrock_stream_event, Event,
                                bedrock_stream_stream_next> {
public:
    explicit Stream(bedrock_stream_stream *p) noexcept : PullStream(p) {}

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
};

/// The pull API of ConverseStream: `for (const ConverseEvent &e : stream)`, or
/// `while (auto e = stream.next())`. Feed the events to an Accumulator for the message.
class ConverseStream
    : public detail::PullStream<bedrock_stream_converse_stream, bedrock_stream_converse_event,
                                ConverseEvent, bedrock_stream_converse_stream_next> {
public:
    explicit ConverseStream(bedrock_stream_converse_stream *p) noexcept : PullStream(p) {}

    /// The response's x-amzn-RequestId.
    [[nodiscard]] std::optional<std::string> request_id() const
    {
        return detail::optional_string(bedrock_stream_converse_stream_request_id(handle_.get()));
    }
    /// Events returned so far (the library's count).
    [[nodiscard]] std::uint64_t events_delivered() const noexcept
    {
        return bedrock_stream_converse_stream_events_delivered(handle_.get());
    }
    /// HTTP attempts made before the stream opened, retries included.
    [[nodiscard]] std::uint32_t attempts() const noexcept
    {
        return bedrock_stream_converse_stream_attempts(handle_.get());
    }
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
        return push<Event, bedrock_stream_event>(bedrock_stream_client_invoke, request.get(),
                                                 on_event, cancel);
    }

    /// The pull API.
    [[nodiscard]] Stream open(const Request &request, const Cancel *cancel = nullptr) const
    {
        bedrock_stream_stream *p = nullptr;
        detail::call(bedrock_stream_client_open, handle_.get(), request.get(), c_cancel(cancel),
                     &p);
        return Stream(p);
    }

    /// ConverseStream, push API: `on_event(const ConverseEvent&)` per event, on this thread,
    /// with the rules of invoke() (void / bool / Flow; a stop returns normally; an exception
    /// is rethrown here; a failure throws Error). Push the events into an Accumulator for the
    /// finished message.
    template <class F>
    Outcome converse_stream(const ConverseRequest &request, F &&on_event,
                            const Cancel *cancel = nullptr) const
    {
        return push<ConverseEvent, bedrock_stream_converse_event>(
            bedrock_stream_client_converse_stream, request.get(), on_event, cancel);
    }

    /// ConverseStream, pull API: returns once the response headers are in (retries
    /// included); `for (const ConverseEvent &e : client.open(request))`.
    [[nodiscard]] ConverseStream open(const ConverseRequest &request,
                                      const Cancel *cancel = nullptr) const
    {
        bedrock_stream_converse_stream *p = nullptr;
        detail::call(bedrock_stream_client_converse_stream_open, handle_.get(), request.get(),
                     c_cancel(cancel), &p);
        return ConverseStream(p);
    }

    /// Converse (not streamed): the whole answer once it is in (retried like a stream that
    /// delivered nothing). A request with a guardrail stream_processing_mode is refused
    /// (InvalidInputError): that member is ConverseStream's only.
    [[nodiscard]] Message converse(const ConverseRequest &request,
                                   const Cancel *cancel = nullptr) const
    {
        bedrock_stream_converse_message *p = nullptr;
        detail::call(bedrock_stream_client_converse, handle_.get(), request.get(),
                     c_cancel(cancel), &p);
        return Message(p);
    }

    /// InvokeModel (not streamed): the model's whole answer (its own body format) and the
    /// response headers, for the same Request as invoke() and open().
    [[nodiscard]] InvokeResponse invoke_model(const Request &request,
                                              const Cancel *cancel = nullptr) const
    {
        bedrock_stream_invoke_response *p = nullptr;
        detail::call(bedrock_stream_client_invoke_model, handle_.get(), request.get(),
                     c_cancel(cancel), &p);
        return InvokeResponse(p);
    }

    [[nodiscard]] const bedrock_stream_client *get() const noexcept { return handle_.get(); }

private:
    static const bedrock_stream_cancel *c_cancel(const Cancel *cancel) noexcept
    {
        return cancel != nullptr ? cancel->get() : nullptr;
    }

    /// A push call (InvokeModelWithResponseStream or ConverseStream): checks the callback's
    /// type, calls it through the Trampoline for each C event, ends with finish().
    template <class E, class CEvent, class CCall, class CRequest, class Fn>
    Outcome push(CCall c_call, const CRequest *request, Fn &on_event, const Cancel *cancel) const
    {
        detail::check_callback<Fn, E>();
        if constexpr (detail::valid_callback<Fn, E>()) {
            detail::Trampoline<Fn, E, CEvent> t{&on_event, nullptr};
            bedrock_stream_error *err = nullptr;
            const bedrock_stream_status status =
                c_call(handle_.get(), request, &decltype(t)::call, &t, c_cancel(cancel), &err);
            return finish(status, err, t.exception, t.stopped, t.events);
        } else {
            return Outcome{};
        }
    }

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
