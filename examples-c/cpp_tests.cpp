// cpp_tests.cpp -- checks of the C++ wrapper bedrock_stream.hpp against the emulator.
//
// tests/cpp_wrapper.rs builds it with g++ and clang++, as C++17 and C++20, with
// -Wall -Wextra -Werror -pedantic, and runs it under valgrind (no error, no leak) against an
// emulator. Region, endpoint and credentials come from the environment (as for stream.cpp).
// `cpp_tests --tls` runs the TLS check alone: CPP_TESTS_TLS_ENDPOINT and CPP_TESTS_CA_PEM_FILE
// name a TLS emulator and the CA that signed its certificate.
//
// Prints "ok NAME" per passed check and "FAIL NAME: why" per failed one, then
// "N checks, F failures"; the exit status is 0 only when nothing failed.
//
// With -DBEDROCK_STREAM_COMPILE_FAIL_<CASE> it must NOT compile (the driver checks the
// static_assert message): callbacks returning the C convention's int, callbacks taking the
// other API's event.
#include "bedrock_stream.hpp"

#include <array>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <new>
#include <sstream>
#include <string>
#include <thread>
#include <vector>
#if __cplusplus >= 202002L
#include <ranges>
#endif

namespace bs = bedrock_stream;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// Allocation failure injection: operator new throws std::bad_alloc on the n-th allocation
// after fail_countdown was set to n (0: never).

namespace {
long fail_countdown = 0;
long bad_allocs = 0;
} // namespace

// These replace the global allocation functions (malloc/free on both sides). g++ 12 at -O1,
// once it inlines std::allocator into a test, pairs the replaced delete's free() with the
// name operator new and reports -Wmismatched-new-delete: a false positive for replaced
// allocation functions (seen with -std=c++20 in converse_request_setters).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void *operator new(std::size_t n)
{
    if (fail_countdown > 0 && --fail_countdown == 0) {
        ++bad_allocs;
        throw std::bad_alloc();
    }
    if (void *p = std::malloc(n != 0 ? n : 1))
        return p;
    throw std::bad_alloc();
}
void operator delete(void *p) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }

namespace {

const char *const MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0";

std::string body(const std::string &prompt)
{
    return "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":512,"
           "\"messages\":[{\"role\":\"user\",\"content\":\"" +
           prompt + "\"}]}";
}

struct Failed {
    std::string why;
};

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            throw Failed{std::to_string(__LINE__) + ": " #cond};                                   \
    } while (0)

#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        const auto &check_a = (a);                                                                 \
        const auto &check_b = (b);                                                                 \
        if (!(check_a == check_b)) {                                                               \
            std::ostringstream check_s;                                                            \
            check_s << __LINE__ << ": " #a " == " #b ": " << check_a << " != " << check_b;          \
            throw Failed{check_s.str()};                                                           \
        }                                                                                          \
    } while (0)

/// Runs `f`, which must throw E; returns a copy of the exception.
template <class E, class F>
E expect_throw(F f, const char *what)
{
    try {
        f();
    } catch (const E &e) {
        return e;
    }
    throw Failed{std::string("no exception from ") + what};
}

bool contains(std::string_view haystack, std::string_view needle)
{
    return haystack.find(needle) != std::string_view::npos;
}

int checks = 0;
int failures = 0;

void run(const char *name, void (*test)())
{
    ++checks;
    try {
        test();
        std::cout << "ok " << name << std::endl;
        return;
    } catch (const Failed &f) {
        std::cout << "FAIL " << name << ": " << f.why << std::endl;
    } catch (const bs::Error &e) {
        std::cout << "FAIL " << name << ": unexpected bedrock_stream::Error " << e.what()
                  << std::endl;
    } catch (const std::exception &e) {
        std::cout << "FAIL " << name << ": unexpected exception " << e.what() << std::endl;
    }
    ++failures;
}

bs::Client client(bs::Config config = bs::Config())
{
    return bs::Client(config.max_attempts(1));
}

bs::Request claude(const std::string &model, const std::string &prompt = "hi")
{
    bs::Request r(model, body(prompt));
    r.model_family("anthropic-claude");
    return r;
}

/// Everything a successful push call delivers, read the plain way.
struct Reference {
    std::string text;
    std::uint64_t events = 0;
};

Reference reference()
{
    Reference ref;
    auto outcome = client().invoke(claude(MODEL, "C++ wrapper"), [&](const bs::Event &e) {
        ref.text += e.text();
        ++ref.events;
    });
    CHECK(!outcome.stopped);
    CHECK(outcome);
    CHECK_EQ(outcome.events, ref.events);
    return ref;
}

// ---------------------------------------------------------------------------------------------
// Error details on every path (the bug: `check(f(..., &err), err)` read err before f wrote it)

/// A throttlingException after 3 chunks, read with Stream::next().
void pull_error_details()
{
    bs::Stream stream = client().open(claude("emulator-fault:exception=throttlingException:after=3"));
    const std::optional<std::string> request_id = stream.request_id();
    CHECK(request_id.has_value() && !request_id->empty());
    int events = 0;
    const auto e = expect_throw<bs::ThrottlingError>(
        [&] {
            while (auto event = stream.next())
                ++events;
        },
        "Stream::next");
    CHECK_EQ(events, 3);
    CHECK(e.status() == BEDROCK_STREAM_STATUS_THROTTLING);
    CHECK(e.code() == bs::Status::throttling);
    CHECK_EQ(std::string(e.code().category().name()), std::string("bedrock_stream"));
    CHECK_EQ(e.http_status(), 429);
    CHECK_EQ(e.aws_code().value_or("(none)"), std::string("throttlingException"));
    CHECK_EQ(e.request_id().value_or("(none)"), *request_id);
    CHECK_EQ(e.events_delivered(), 3u);
    CHECK(e.retryable());
    CHECK(contains(e.what(), "THROTTLING: "));
    CHECK(contains(e.what(), "throttlingException"));
    CHECK(dynamic_cast<const bs::ServiceError *>(&e) != nullptr);
}

/// A modelStreamErrorException in a range-for: ModelError with originalStatusCode.
void range_for_error_details()
{
    int events = 0;
    const auto e = expect_throw<bs::ModelError>(
        [&] {
            for (const bs::Event &event : client().open(claude(
                     "emulator-fault:exception=modelStreamErrorException:after=2:status=502:"
                     "original-message=overloaded"))) {
                CHECK(event.is_chunk());
                ++events;
            }
        },
        "range-for");
    CHECK_EQ(events, 2);
    CHECK(e.code() == bs::Status::model_stream_error);
    CHECK_EQ(e.http_status(), 424);
    CHECK_EQ(e.aws_code().value_or("(none)"), std::string("modelStreamErrorException"));
    CHECK_EQ(e.original_status_code(), 502);
    CHECK_EQ(e.original_message().value_or("(none)"), std::string("overloaded"));
    CHECK_EQ(e.events_delivered(), 2u);
    CHECK(e.request_id().has_value());
}

/// The same exception through the push API.
void push_error_details()
{
    int events = 0;
    const auto e = expect_throw<bs::ThrottlingError>(
        [&] {
            (void)client().invoke(claude("emulator-fault:exception=throttlingException:after=3"),
                                  [&](const bs::Event &) { ++events; });
        },
        "Client::invoke");
    CHECK_EQ(events, 3);
    CHECK_EQ(e.http_status(), 429);
    CHECK_EQ(e.events_delivered(), 3u);
    CHECK(e.request_id().has_value());
}

/// An HTTP error before the stream: Client::open throws with the response's details.
void open_error_details()
{
    const auto e = expect_throw<bs::AccessDeniedError>(
        [&] { (void)client().open(claude("emulator-fault:http=403")); }, "Client::open");
    CHECK(e.code() == bs::Status::access_denied);
    CHECK(e.code() == std::errc::permission_denied);
    CHECK_EQ(e.http_status(), 403);
    CHECK_EQ(e.aws_code().value_or("(none)"), std::string("AccessDeniedException"));
    CHECK(e.request_id().has_value());
    CHECK_EQ(e.attempts(), 1u);
    CHECK(!e.retryable());
}

/// Retries (max_attempts, retry_backoff) and Error::attempts. Run on a thread of its own:
/// the library's first backoff on a thread seeds a random generator in Rust thread-local
/// storage (std::thread::current), which is freed when that thread ends -- but never for
/// the process's main thread, where valgrind would report 48 bytes "possibly lost" (a
/// library-side finding, not the wrapper's).
void retries_and_attempts_on_this_thread()
{
    bs::Config config;
    config.retry_backoff(1ms, 2ms);
    bs::Client c(config.max_attempts(2));
    const auto e = expect_throw<bs::ServiceError>(
        [&] { (void)c.open(claude("emulator-fault:http=503")); }, "Client::open");
    CHECK_EQ(e.http_status(), 503);
    CHECK_EQ(e.attempts(), 2u);
    CHECK(e.retryable());
}

void retries_and_attempts()
{
    std::optional<Failed> failed;
    std::exception_ptr other;
    std::thread([&] {
        try {
            retries_and_attempts_on_this_thread();
        } catch (const Failed &f) {
            failed = f;
        } catch (...) {
            other = std::current_exception();
        }
    }).join();
    if (failed)
        throw *failed;
    if (other)
        std::rethrow_exception(other);
}

/// Setters and constructors carry the C message too.
void setter_error_details()
{
    const auto e1 = expect_throw<bs::InvalidInputError>([] { bs::Request r("", "{}"); },
                                                        "Request with an empty model id");
    CHECK(e1.code() == bs::Status::invalid_input);
    CHECK(e1.code() == std::errc::invalid_argument);
    CHECK(contains(e1.what(), "INVALID_INPUT: "));
    CHECK(std::string(e1.what()).size() > std::string("INVALID_INPUT: ").size() + 5);

    bs::Request r(MODEL, "{}");
    const auto e2 =
        expect_throw<bs::InvalidInputError>([&] { r.trace("sometimes"); }, "Request::trace");
    CHECK(contains(e2.what(), "INVALID_INPUT: "));
    CHECK(contains(e2.what(), "sometimes") || contains(e2.what(), "trace"));
    const auto e3 = expect_throw<bs::InvalidInputError>([&] { r.model_family("klingon"); },
                                                        "Request::model_family");
    CHECK(contains(e3.what(), "klingon") || contains(e3.what(), "family"));

    const auto e4 = expect_throw<bs::ConfigError>(
        [] {
            bs::Config config;
            config.endpoint_url("not a url at all");
            bs::Client c(config);
        },
        "Client with a bad endpoint");
    CHECK(e4.code() == bs::Status::config);
    CHECK(contains(e4.what(), "CONFIG: "));
    CHECK(std::string(e4.what()).size() > std::string("CONFIG: ").size() + 5);

    const auto e5 = expect_throw<bs::ConfigError>(
        [] {
            bs::Config config;
            config.ca_bundle_pem("-----BEGIN CERTIFICATE-----\nnot base64 at all!\n"
                                 "-----END CERTIFICATE-----\n");
            bs::Client c(config);
        },
        "Client with a bad CA PEM");
    CHECK(contains(e5.what(), "CONFIG: "));
}

// ---------------------------------------------------------------------------------------------
// Callbacks

void callback_void_reads_everything()
{
    const Reference ref = reference();
    CHECK(ref.events > 3);
    CHECK(contains(ref.text, "You said: "));
    std::cout << "text: " << ref.text << "\n";
    std::cout << "events: " << ref.events << "\n";
}

void callback_bool_false_stops_without_throwing()
{
    int calls = 0;
    const bs::Outcome outcome = client().invoke(claude(MODEL), [&](const bs::Event &) {
        ++calls;
        return calls < 2; // true = continue
    });
    CHECK(outcome.stopped);
    CHECK(!outcome);
    CHECK_EQ(outcome.events, 2u);
    CHECK_EQ(calls, 2);
}

void callback_flow_stop_stops_without_throwing()
{
    int calls = 0;
    const bs::Outcome outcome = client().invoke(claude(MODEL), [&](const bs::Event &) {
        ++calls;
        return bs::Flow::Stop;
    });
    CHECK(outcome.stopped);
    CHECK_EQ(outcome.events, 1u);
    CHECK_EQ(calls, 1);

    std::uint64_t n = 0;
    const bs::Outcome all = client().invoke(claude(MODEL), [&](const bs::Event &) {
        ++n;
        return bs::Flow::Continue;
    });
    CHECK(!all.stopped);
    CHECK_EQ(all.events, n);
    CHECK_EQ(n, reference().events);
}

struct MyException : std::runtime_error {
    MyException() : std::runtime_error("mine") {}
};

void callback_exception_is_rethrown()
{
    int calls = 0;
    expect_throw<MyException>(
        [&] {
            (void)client().invoke(claude(MODEL), [&](const bs::Event &) {
                if (++calls == 2)
                    throw MyException();
            });
        },
        "a throwing callback");
    CHECK_EQ(calls, 2);
}

void cancel_before_the_call()
{
    bs::Cancel cancel;
    cancel.cancel();
    CHECK(cancel.is_cancelled());
    const auto e = expect_throw<bs::CancelledError>(
        [&] { (void)client().invoke(claude(MODEL), [](const bs::Event &) {}, &cancel); },
        "a cancelled call");
    CHECK(e.code() == std::errc::operation_canceled);
}

// ---------------------------------------------------------------------------------------------
// Durations, NUL bytes

void negative_durations_are_refused()
{
    bs::Config config;
    const auto e = expect_throw<bs::InvalidInputError>([&] { config.connect_timeout(-1ms); },
                                                       "connect_timeout(-1ms)");
    CHECK(contains(e.what(), "connect_timeout must not be negative"));
    expect_throw<bs::InvalidInputError>([&] { config.response_headers_timeout(-1s); },
                                        "response_headers_timeout(-1s)");
    expect_throw<bs::InvalidInputError>([&] { config.read_idle_timeout(-1ns); },
                                        "read_idle_timeout(-1ns)");
    expect_throw<bs::InvalidInputError>([&] { config.deadline(std::chrono::minutes(-5)); },
                                        "deadline(-5min)");
    expect_throw<bs::InvalidInputError>([&] { config.retry_backoff(-1ms, 1s); },
                                        "retry_backoff(-1ms, 1s)");
    expect_throw<bs::InvalidInputError>(
        [&] { config.deadline(std::chrono::duration<double>(-0.5)); }, "deadline(-0.5s)");
    const auto big = expect_throw<bs::InvalidInputError>(
        [&] { config.deadline(std::chrono::hours::max()); }, "deadline(hours::max())");
    CHECK(contains(big.what(), "too long"));
    // Zero, and durations of any unit, are fine.
    config.deadline(0ms).connect_timeout(2s).response_headers_timeout(std::chrono::minutes(1));
}

/// 500us must not become 0 (= timer off): it rounds up to 1 ms, and the idle timer fires on
/// a stalled stream.
void sub_millisecond_timeout_rounds_up()
{
    bs::Config config;
    config.read_idle_timeout(500us).deadline(20s);
    const auto e = expect_throw<bs::TimeoutError>(
        [&] {
            for (const bs::Event &event : client(std::move(config))
                                              .open(claude("emulator-fault:stall:after=1")))
                (void)event;
        },
        "a stalled stream");
    CHECK(e.code() == std::errc::timed_out);
    CHECK_EQ(e.timer().value_or("(none)"), std::string("read-idle"));
}

void embedded_nul_is_refused()
{
    using namespace std::string_literals;
    bs::Config config;
    const auto e = expect_throw<bs::InvalidInputError>([&] { config.region("us-east-1\0x"s); },
                                                       "region with a NUL");
    CHECK(contains(e.what(), "region contains a NUL byte"));
    expect_throw<bs::InvalidInputError>([&] { config.profile("a\0b"s); }, "profile with a NUL");
    expect_throw<bs::InvalidInputError>(
        [&] { config.credentials("AKID", "secret", "tok\0en"s); }, "session token with a NUL");
    expect_throw<bs::InvalidInputError>([&] { config.endpoint_url("http://x\0"s); },
                                        "endpoint with a NUL");
    const auto m = expect_throw<bs::InvalidInputError>(
        [&] { bs::Request r(std::string(MODEL) + "\0evil"s, "{}"); }, "model id with a NUL");
    CHECK(contains(m.what(), "model_id contains a NUL byte"));
    bs::Request r(MODEL, "{}");
    expect_throw<bs::InvalidInputError>([&] { r.accept("application/json\0x"s); },
                                        "accept with a NUL");
    // A body is bytes: a NUL in it is data, not an end.
    bs::Request with_nul(MODEL, "{\"a\":\"\0\"}"s);
    // A string_view that is not NUL-terminated is copied, not read past its end.
    const std::string long_region = "us-east-1-and-more";
    config.region(std::string_view(long_region).substr(0, 9));
}

// ---------------------------------------------------------------------------------------------
// Error objects

void error_copies_never_throw()
{
    static_assert(std::is_nothrow_copy_constructible_v<bs::Error>);
    static_assert(std::is_nothrow_copy_assignable_v<bs::Error>);
    static_assert(std::is_nothrow_copy_constructible_v<bs::ThrottlingError>);
    static_assert(std::is_base_of_v<std::runtime_error, bs::Error>);
    try {
        (void)client().open(claude("emulator-fault:http=429:ThrottlingException"));
    } catch (const bs::Error &e) {
        // Thrown as ThrottlingError, caught as its base.
        CHECK(dynamic_cast<const bs::ThrottlingError *>(&e) != nullptr);
        bs::Error copy = e;
        CHECK_EQ(std::string(copy.what()), std::string(e.what()));
        CHECK_EQ(copy.request_id().value_or("a"), e.request_id().value_or("b"));
        CHECK(copy.code() == bs::Status::throttling);
        bs::Error assigned(BEDROCK_STREAM_STATUS_INTERNAL, nullptr);
        assigned = copy;
        CHECK_EQ(assigned.http_status(), 429);
        return;
    }
    CHECK(!"no exception from open");
}

/// Error's constructor owns the C error from the start: an allocation that fails while it
/// reads the details neither leaks the C object (valgrind checks) nor crashes.
void error_constructor_frees_on_bad_alloc()
{
    long failures_seen = 0;
    bool built = false;
    for (long n = 1; n < 100 && !built; ++n) {
        bedrock_stream_request *request = nullptr;
        bedrock_stream_error *err = nullptr;
        const bedrock_stream_status status =
            bedrock_stream_request_new("", nullptr, 0, &request, &err);
        CHECK(status == BEDROCK_STREAM_STATUS_INVALID_INPUT);
        CHECK(err != nullptr);
        const long before = bad_allocs;
        fail_countdown = n;
        try {
            bs::Error e(status, err);
            fail_countdown = 0;
            built = true;
            CHECK(e.code() == bs::Status::invalid_input);
        } catch (const std::bad_alloc &) {
            fail_countdown = 0;
            CHECK_EQ(bad_allocs, before + 1);
            ++failures_seen;
        }
    }
    CHECK(built);
    CHECK(failures_seen >= 2);
}

// ---------------------------------------------------------------------------------------------
// Events

void owned_events_outlive_the_stream()
{
    const Reference ref = reference();
    std::vector<bs::OwnedEvent> pushed;
    (void)client().invoke(claude(MODEL, "C++ wrapper"),
                          [&](const bs::Event &e) { pushed.push_back(e.to_owned()); });
    std::vector<bs::OwnedEvent> pulled;
    {
        bs::Stream stream = client().open(claude(MODEL, "C++ wrapper"));
        while (auto e = stream.next())
            pulled.emplace_back(*e);
    } // the stream and its events are gone; the copies stay
    CHECK_EQ(pushed.size(), ref.events);
    CHECK_EQ(pulled.size(), ref.events);
    std::string text;
    for (const bs::OwnedEvent &e : pulled) {
        CHECK(e.is_chunk());
        CHECK(e.kind() == bs::EventKind::chunk);
        CHECK_EQ(e.type(), std::string_view("chunk"));
        CHECK(!e.payload().empty());
        text += e.text();
    }
    CHECK_EQ(text, ref.text);
    CHECK(pulled.back().stop_reason().has_value() || pulled[pulled.size() - 2].stop_reason());
    CHECK(pulled.back().metrics().has_value());
    std::string pushed_text;
    for (const bs::OwnedEvent &e : pushed)
        pushed_text += e.text();
    CHECK_EQ(pushed_text, ref.text);
}

void usage_and_metrics_are_optionals()
{
    std::optional<bs::Usage> first_usage;
    std::optional<bs::Metrics> metrics;
    int without_usage = 0;
    for (const bs::Event &e : client().open(claude(MODEL))) {
        if (auto u = e.usage()) {
            if (!first_usage)
                first_usage = u;
        } else {
            ++without_usage;
        }
        if (auto m = e.metrics())
            metrics = m;
    }
    CHECK(first_usage.has_value());
    CHECK(first_usage->input_tokens.has_value());
    CHECK(without_usage > 0); // text deltas report none
    CHECK(metrics.has_value());
    CHECK(metrics->input_token_count.has_value());
    CHECK(metrics->output_token_count.has_value());
    CHECK(*metrics->output_token_count > 0);
}

void unknown_events_are_delivered()
{
    int unknown = 0;
    for (const bs::Event &e : client().open(claude("emulator-fault:unknown-event=shinyNewEvent:after=2"))) {
        if (e.kind() == bs::EventKind::unknown) {
            ++unknown;
            CHECK(!e.is_chunk());
            CHECK_EQ(e.type(), std::string_view("shinyNewEvent"));
            CHECK_EQ(e.to_owned().type(), std::string_view("shinyNewEvent"));
        }
    }
    CHECK_EQ(unknown, 1);
}

// ---------------------------------------------------------------------------------------------
// The stream as a range

#if __cplusplus >= 202002L
static_assert(std::input_iterator<bs::Stream::iterator>);
static_assert(std::ranges::input_range<bs::Stream>);
#endif
static_assert(std::is_same_v<std::iterator_traits<bs::Stream::iterator>::iterator_category,
                             std::input_iterator_tag>);

void range_for_reads_every_event()
{
    const Reference ref = reference();
    bs::Stream stream = client().open(claude(MODEL, "C++ wrapper"));
    CHECK(stream.request_id().has_value());
    CHECK(stream.content_type().has_value());
    std::string text;
    std::uint64_t n = 0;
    for (const bs::Event &e : stream) {
        text += e.text();
        ++n;
        CHECK_EQ(stream.events_delivered(), n);
    }
    CHECK_EQ(n, ref.events);
    CHECK_EQ(text, ref.text);
    CHECK(stream.begin() == stream.end()); // stays at the end
    CHECK(!stream.next().has_value());

    // std algorithms work on the iterators.
    bs::Stream again = client().open(claude(MODEL, "C++ wrapper"));
    const auto count = std::distance(again.begin(), again.end());
    CHECK_EQ(static_cast<std::uint64_t>(count), ref.events);
}

// ---------------------------------------------------------------------------------------------
// Settings of the C API that the wrapper exposes

void settings_reach_the_client()
{
    CHECK(bs::version_matches());
    CHECK(std::string(bs::version()).size() >= 5);
    bs::Config config;
    config.user_agent_suffix("cpp-tests/1.0")
        .use_fips(false)
        .use_dual_stack(false)
        .ignore_env_bearer_token()
        .no_proxy()
        .connect_timeout(5s)
        .response_headers_timeout(30s)
        .read_idle_timeout(30s);
    std::uint64_t n = 0;
    for (const bs::Event &e : client(std::move(config)).open(claude(MODEL, "user agent"))) {
        (void)e;
        ++n;
    }
    CHECK(n > 0); // tests/cpp_wrapper.rs checks the User-Agent the emulator saw

    // FIPS with a custom endpoint is refused, as by the AWS SDKs: the setting reaches the
    // client (no network either way).
    bs::Config fips;
    fips.use_fips();
    const auto e = expect_throw<bs::ConfigError>([&] { (void)client(std::move(fips)); },
                                                 "FIPS with a custom endpoint");
    CHECK(contains(e.what(), "FIPS"));
    bs::Config dual;
    dual.use_dual_stack();
    const auto d = expect_throw<bs::ConfigError>([&] { (void)client(std::move(dual)); },
                                                 "dual-stack with a custom endpoint");
    CHECK(contains(d.what(), "ual"));
}

// ---------------------------------------------------------------------------------------------
// Converse

#if __cplusplus >= 202002L
static_assert(std::input_iterator<bs::ConverseStream::iterator>);
static_assert(std::ranges::input_range<bs::ConverseStream>);
static_assert(std::input_iterator<bs::Message::iterator>);
static_assert(std::ranges::input_range<const bs::Message>);
#endif
// Handles are unique: moved, never copied.
static_assert(!std::is_copy_constructible_v<bs::ConverseRequest> &&
              std::is_nothrow_move_constructible_v<bs::ConverseRequest> &&
              std::is_nothrow_move_assignable_v<bs::ConverseRequest>);
static_assert(!std::is_copy_constructible_v<bs::Message> &&
              std::is_nothrow_move_constructible_v<bs::Message>);
static_assert(!std::is_copy_constructible_v<bs::Accumulator> &&
              !std::is_copy_constructible_v<bs::ConverseStream> &&
              !std::is_copy_constructible_v<bs::InvokeResponse>);
// Bytes from the usual byte containers (and not from other element types).
static_assert(std::is_convertible_v<const std::vector<std::uint8_t> &, bs::Bytes>);
static_assert(std::is_convertible_v<const std::array<std::byte, 4> &, bs::Bytes>);
static_assert(std::is_convertible_v<const std::string &, bs::Bytes>);
static_assert(!std::is_convertible_v<const std::vector<int> &, bs::Bytes>);

/// A one-question ConverseStream request.
bs::ConverseRequest question(const std::string &model, const std::string &prompt)
{
    bs::ConverseRequest r(model);
    r.add_message(bs::Role::user).add_text(prompt).max_tokens(512);
    return r;
}

const char *const WEATHER_SCHEMA = "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":"
                                   "\"string\"}},\"required\":[\"city\"]}";

/// The streamed answer through the push API, folded by the Accumulator from the callback;
/// the same answer read with the pull API.
void converse_stream_push_and_pull()
{
    bs::Accumulator acc;
    std::string text;
    std::vector<bs::ConverseEventType> types;
    std::optional<bs::ConverseUsage> usage;
    std::optional<std::chrono::milliseconds> latency;
    std::optional<std::string> stop;
    const bs::Outcome outcome =
        client().converse_stream(question(MODEL, "C++ converse"), [&](const bs::ConverseEvent &e) {
            acc.push(e);
            types.push_back(e.type());
            text += e.text();
            if (e.type() == bs::ConverseEventType::message_start)
                CHECK_EQ(e.role().value_or("(none)"), std::string_view("assistant"));
            if (e.type() == bs::ConverseEventType::content_block_delta) {
                CHECK(e.content_block_index().has_value());
                CHECK(e.delta_kind() == bs::DeltaKind::text);
                CHECK_EQ(e.member_name().value_or("(none)"), std::string_view("text"));
                CHECK_EQ(e.type_name(), std::string_view("contentBlockDelta"));
            } else {
                CHECK(e.delta_kind() == bs::DeltaKind::none);
                CHECK(e.text().empty());
            }
            if (auto s = e.stop_reason())
                stop.emplace(*s);
            if (auto u = e.usage())
                usage = u;
            if (auto l = e.latency())
                latency = l;
        });
    CHECK(outcome);
    CHECK_EQ(outcome.events, types.size());
    CHECK(types.size() >= 6);
    CHECK(types.front() == bs::ConverseEventType::message_start);
    CHECK(types[types.size() - 2] == bs::ConverseEventType::message_stop);
    CHECK(types.back() == bs::ConverseEventType::metadata);
    CHECK(contains(text, "You said: “C++ converse”"));
    CHECK_EQ(stop.value_or("(none)"), std::string("end_turn"));
    CHECK(usage.has_value() && usage->output_tokens > 0);
    CHECK_EQ(usage->total_tokens, usage->input_tokens + usage->output_tokens);
    CHECK(!usage->cache_read_input_tokens.has_value()); // no cache point in the request
    CHECK(latency.has_value());

    const bs::Message m = acc.finish();
    CHECK_EQ(m.text(), text);
    CHECK_EQ(m.stop_reason().value_or("(none)"), std::string_view("end_turn"));
    CHECK(!m.wants_tools());
    CHECK_EQ(m.size(), 1u);
    CHECK(m[0].kind() == bs::BlockKind::text);
    CHECK_EQ(m[0].text(), text);
    CHECK(!m[0].tool_use_id().has_value());
    CHECK(m[1].kind() == bs::BlockKind::none); // out of range
    CHECK(m.usage().has_value() && m.usage()->output_tokens == usage->output_tokens);
    CHECK(!m.request_id().has_value()); // a streamed message: see ConverseStream::request_id
    CHECK(contains(m.json(), "\"stopReason\":\"end_turn\""));
    CHECK(m.tool_uses().empty());
    std::cout << "converse text: " << text << "\n";

    // The pull API: the same text and events; the owned copies outlive the stream.
    std::vector<bs::OwnedConverseEvent> owned;
    std::optional<std::string> request_id;
    {
        bs::ConverseStream stream = client().open(question(MODEL, "C++ converse"));
        request_id = stream.request_id();
        for (const bs::ConverseEvent &e : stream) {
            owned.push_back(e.to_owned());
            CHECK_EQ(stream.events_delivered(), owned.size());
        }
        CHECK(stream.begin() == stream.end());
        CHECK(!stream.next().has_value());
    }
    CHECK(request_id.has_value() && !request_id->empty());
    CHECK_EQ(owned.size(), types.size());
    std::string pulled;
    for (std::size_t i = 0; i < owned.size(); ++i) {
        CHECK(owned[i].type() == types[i]);
        pulled += owned[i].text();
    }
    CHECK_EQ(pulled, text);
    CHECK_EQ(owned.front().role().value_or("(none)"), std::string_view("assistant"));
    CHECK_EQ(owned.front().type_name(), std::string_view("messageStart"));
    CHECK_EQ(owned[owned.size() - 2].stop_reason().value_or("(none)"),
             std::string_view("end_turn"));
    CHECK(owned.back().usage().has_value());
    CHECK(owned.back().latency().has_value());
    CHECK(contains(owned.back().json(), "\"usage\""));
    CHECK(contains(owned[1].json(), "\"contentBlockIndex\":0"));
    // The kept events, the stream gone, still fold into the message (copies of them too).
    bs::Accumulator later;
    const std::vector<bs::OwnedConverseEvent> copies = owned;
    for (const bs::OwnedConverseEvent &e : copies)
        later.push(e);
    const bs::Message folded = later.finish();
    CHECK_EQ(folded.text(), text);
    CHECK_EQ(folded.stop_reason().value_or("(none)"), std::string_view("end_turn"));

    // std algorithms work on the iterators.
    bs::ConverseStream again = client().open(question(MODEL, "C++ converse"));
    CHECK_EQ(static_cast<std::size_t>(std::distance(again.begin(), again.end())), types.size());
}

/// Runs the weather tool: a fixed forecast repeating its input (a JSON object).
std::string get_weather(std::string_view input)
{
    return "{\"forecast\":\"sunny\",\"celsius\":21,\"for\":" + std::string(input) + "}";
}

/// A whole tool-use round trip (as tools.c): the model asks for the tool, the program runs
/// it, sends the result after the model's own message, and streams the final answer.
void converse_tool_use_round_trip()
{
    bs::ConverseRequest request(MODEL);
    request.add_message(bs::Role::user)
        .add_text("What is the weather in Zürich?")
        .add_tool("get_weather", WEATHER_SCHEMA, "The weather forecast for a city.");
    const bs::Client c = client();
    bs::Accumulator acc;
    std::string printed;
    int turns = 0;
    std::vector<std::string> tool_ids;
    for (;;) {
        CHECK(++turns <= 4);
        for (const bs::ConverseEvent &e : c.open(request)) {
            printed += e.text();
            if (e.type() == bs::ConverseEventType::content_block_start) {
                CHECK_EQ(e.tool_use_name().value_or("(none)"), std::string_view("get_weather"));
                CHECK(e.tool_use_id().has_value());
                CHECK_EQ(e.member_name().value_or("(none)"), std::string_view("toolUse"));
            }
            acc.push(e);
        }
        const bs::Message m = acc.finish();
        if (!m.wants_tools()) {
            CHECK_EQ(m.stop_reason().value_or("(none)"), std::string_view("end_turn"));
            break;
        }
        // The input arrived in several fragments, one split inside a \u00fc escape.
        request.append_message(m).add_message(bs::Role::user);
        const std::vector<bs::ToolUse> uses = m.tool_uses();
        CHECK_EQ(uses.size(), 1u);
        for (const bs::ToolUse &t : uses) {
            CHECK_EQ(t.name, std::string_view("get_weather"));
            CHECK_EQ(t.input, std::string_view("{\"city\":\"Zürich\"}"));
            CHECK(m[t.index].kind() == bs::BlockKind::tool_use);
            CHECK_EQ(m[t.index].tool_use_id().value_or("(none)"), t.tool_use_id);
            CHECK(contains(m[t.index].json(), "\"toolUse\""));
            tool_ids.emplace_back(t.tool_use_id);
            printed += "\n[tool " + std::string(t.name) + " " + std::string(t.input) + "]\n";
            request.add_tool_result_json(t.tool_use_id, get_weather(t.input), "success");
        }
        // Blocks in a range-for: the text before the tool use, then the tool use.
        std::vector<bs::BlockKind> kinds;
        for (const bs::Block &b : m)
            kinds.push_back(b.kind());
        CHECK(kinds.size() == 2 && kinds[0] == bs::BlockKind::text &&
              kinds[1] == bs::BlockKind::tool_use);
    }
    CHECK_EQ(turns, 2);
    CHECK_EQ(tool_ids.size(), 1u);
    CHECK(contains(printed, "[tool get_weather {\"city\":\"Zürich\"}]"));
    CHECK(contains(printed, "The tool answered: "));
    CHECK(contains(printed, "\"forecast\":\"sunny\""));
    std::cout << "tool round trip: " << printed << "\n";
}

/// Reasoning (text and signature deltas; the signature kept by the message and sent back by
/// append_message) and redacted reasoning.
void converse_reasoning()
{
    bs::ConverseRequest request = question(MODEL, "think first");
    request.additional_model_request_fields(
        "{\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024}}");
    bs::Accumulator acc;
    std::string reasoning, signature;
    for (const bs::ConverseEvent &e : client().open(request)) {
        if (e.delta_kind() == bs::DeltaKind::reasoning_text)
            reasoning += e.delta();
        if (e.delta_kind() == bs::DeltaKind::reasoning_signature)
            signature += e.delta();
        if (e.delta_kind() == bs::DeltaKind::reasoning_text ||
            e.delta_kind() == bs::DeltaKind::reasoning_signature)
            CHECK_EQ(e.member_name().value_or("(none)"), std::string_view("reasoningContent"));
        acc.push(e);
    }
    CHECK(!reasoning.empty());
    CHECK(!signature.empty());
    const bs::Message m = acc.finish();
    CHECK(m.size() >= 2);
    CHECK(m[0].kind() == bs::BlockKind::reasoning);
    CHECK_EQ(m[0].text(), reasoning);
    CHECK_EQ(m[0].reasoning_signature().value_or("(none)"), signature);
    CHECK(m[1].kind() == bs::BlockKind::text);
    // The next turn carries the reasoning back (tests/cpp_wrapper.rs checks the wire).
    request.append_message(m).add_message(bs::Role::user).add_text("reasoning sent back");
    (void)client().converse_stream(request, [](const bs::ConverseEvent &) {});

    bs::ConverseRequest redacted = question(MODEL, "hide it");
    redacted.additional_model_request_fields("{\"emulator\":{\"redacted_reasoning\":true}}");
    std::string bytes;
    bs::Accumulator acc2;
    for (const bs::ConverseEvent &e : client().open(redacted)) {
        if (e.delta_kind() == bs::DeltaKind::reasoning_redacted)
            bytes += e.delta();
        acc2.push(e);
    }
    using namespace std::string_literals;
    const std::string want = "\0emulated redacted reasoning\xff"s;
    CHECK_EQ(bytes, want);
    const bs::Message r = acc2.finish();
    CHECK(r[0].kind() == bs::BlockKind::redacted_reasoning);
    CHECK_EQ(r[0].redacted_reasoning(), want);
}

/// Event types and delta members the library does not know are delivered, not errors; the
/// non-streamed answer's unknown block is BlockKind::other.
void converse_unknown_events_and_members()
{
    bs::ConverseRequest request = question(MODEL, "from the future");
    request.additional_model_request_fields("{\"emulator\":{\"future\":true}}");
    int unknown_events = 0, unknown_deltas = 0;
    std::string unknown_type, unknown_member;
    bs::Accumulator acc;
    for (const bs::ConverseEvent &e : client().open(request)) {
        if (e.type() == bs::ConverseEventType::unknown) {
            ++unknown_events;
            unknown_type = e.type_name();
            CHECK(!e.json().empty());
            CHECK_EQ(e.to_owned().type_name(), e.type_name());
        }
        if (e.delta_kind() == bs::DeltaKind::unknown) {
            ++unknown_deltas;
            unknown_member = e.member_name().value_or("(none)");
            CHECK(contains(e.delta(), "kept as unknown"));
        }
        acc.push(e);
    }
    CHECK_EQ(unknown_events, 1);
    CHECK(!unknown_type.empty());
    CHECK(unknown_type != "messageStart");
    CHECK_EQ(unknown_deltas, 1);
    CHECK_EQ(unknown_member, std::string("futureDelta"));
    CHECK(contains(acc.finish().text(), "You said: "));

    const bs::Message m = client().converse(request);
    bool other = false;
    for (const bs::Block &b : m)
        if (b.kind() == bs::BlockKind::other) {
            other = true;
            CHECK(contains(b.json(), "futureBlock"));
        }
    CHECK(other);
}

/// Converse (not streamed): the whole message with its request id, usage and latency.
void converse_not_streamed()
{
    bs::ConverseRequest request = question(MODEL, "not streamed");
    request.add_cache_point();
    const bs::Message m = client().converse(request);
    CHECK(contains(m.text(), "You said: “not streamed”"));
    CHECK_EQ(m.stop_reason().value_or("(none)"), std::string_view("end_turn"));
    CHECK(m.request_id().has_value() && !m.request_id()->empty());
    const auto usage = m.usage();
    CHECK(usage.has_value());
    CHECK(usage->input_tokens > 0);
    // The cache point makes the emulator report cache counts.
    CHECK(usage->cache_read_input_tokens.has_value());
    CHECK(usage->cache_write_input_tokens.has_value());
    CHECK(m.latency().has_value());
    CHECK(contains(m.json(), "\"output\""));
    // streamProcessingMode is ConverseStream's only: refused before anything is sent.
    bs::ConverseRequest guarded = question(MODEL, "guarded");
    guarded.guardrail("abc123", "1", std::nullopt, "async");
    const auto e = expect_throw<bs::InvalidInputError>(
        [&] { (void)client().converse(guarded); }, "converse with a stream processing mode");
    CHECK(contains(e.what(), "INVALID_INPUT: "));
    // ...and accepted by ConverseStream, with the guardrail's trace in the metadata.
    bs::ConverseRequest traced = question(MODEL, "guarded");
    traced.guardrail("abc123", "1", "enabled", "sync");
    std::string metadata;
    for (const bs::ConverseEvent &ev : client().open(traced))
        if (ev.type() == bs::ConverseEventType::metadata)
            metadata = ev.json();
    CHECK(contains(metadata, "\"guardrail\""));
}

/// InvokeModel (not streamed): the model's own body and the response headers.
void invoke_model_not_streamed()
{
    const bs::InvokeResponse r = client().invoke_model(claude(MODEL, "invoke model"));
    CHECK(contains(r.body(), "You said: "));
    CHECK(contains(r.body(), "invoke model"));
    CHECK_EQ(r.content_type().value_or("(none)"), std::string_view("application/json"));
    CHECK(r.request_id().has_value() && !r.request_id()->empty());
    bs::Request tiered = claude(MODEL, "tiered");
    tiered.service_tier("flex").performance_config_latency("optimized");
    const bs::InvokeResponse t = client().invoke_model(tiered);
    CHECK_EQ(t.service_tier().value_or("(none)"), std::string_view("flex"));
    CHECK_EQ(t.performance_config_latency().value_or("(none)"), std::string_view("optimized"));

    const auto e = expect_throw<bs::ThrottlingError>(
        [&] { (void)client().invoke_model(claude("emulator-fault:http=429:ThrottlingException")); },
        "invoke_model");
    CHECK_EQ(e.http_status(), 429);
    CHECK_EQ(e.aws_code().value_or("(none)"), std::string("ThrottlingException"));
    CHECK(e.request_id().has_value());
    CHECK_EQ(e.attempts(), 1u);
}

/// An HTTP error before the stream, on every Converse path.
void converse_http_error_details()
{
    const bs::ConverseRequest request = question("emulator-fault:http=403", "hi");
    const auto check = [](const bs::AccessDeniedError &e) {
        CHECK(e.code() == bs::Status::access_denied);
        CHECK_EQ(e.http_status(), 403);
        CHECK_EQ(e.aws_code().value_or("(none)"), std::string("AccessDeniedException"));
        CHECK(e.request_id().has_value());
        CHECK_EQ(e.attempts(), 1u);
        CHECK_EQ(e.events_delivered(), 0u);
        CHECK(!e.retryable());
        CHECK(contains(e.what(), "ACCESS_DENIED: "));
    };
    check(expect_throw<bs::AccessDeniedError>([&] { (void)client().open(request); },
                                              "Client::open(ConverseRequest)"));
    int calls = 0;
    check(expect_throw<bs::AccessDeniedError>(
        [&] { (void)client().converse_stream(request, [&](const bs::ConverseEvent &) { ++calls; }); },
        "Client::converse_stream"));
    CHECK_EQ(calls, 0);
    check(expect_throw<bs::AccessDeniedError>([&] { (void)client().converse(request); },
                                              "Client::converse"));
}

/// An exception in the stream after 2 events: its details on the pull and push paths.
void converse_mid_stream_exception_details()
{
    const bs::ConverseRequest request =
        question("emulator-fault:exception=throttlingException:after=2", "hi");
    bs::ConverseStream stream = client().open(request);
    const std::optional<std::string> request_id = stream.request_id();
    CHECK(request_id.has_value());
    int events = 0;
    const auto e = expect_throw<bs::ThrottlingError>(
        [&] {
            for (const bs::ConverseEvent &ev : stream) {
                (void)ev;
                ++events;
            }
        },
        "range-for over a ConverseStream");
    CHECK_EQ(events, 2);
    CHECK(e.code() == bs::Status::throttling);
    CHECK_EQ(e.http_status(), 429);
    CHECK_EQ(e.aws_code().value_or("(none)"), std::string("throttlingException"));
    CHECK_EQ(e.request_id().value_or("(none)"), *request_id);
    CHECK_EQ(e.events_delivered(), 2u);
    CHECK(e.retryable());
    CHECK(contains(e.what(), "THROTTLING: "));
    // Later calls fail the same way (the C library's repeated error does not carry the
    // details again: only its status is checked).
    const auto again = expect_throw<bs::ThrottlingError>([&] { (void)stream.next(); }, "next");
    CHECK(again.code() == bs::Status::throttling);

    int pushed = 0;
    const auto p = expect_throw<bs::ModelError>(
        [&] {
            (void)client().converse_stream(
                question("emulator-fault:exception=modelStreamErrorException:after=3:status=502:"
                         "original-message=overloaded",
                         "hi"),
                [&](const bs::ConverseEvent &) { ++pushed; });
        },
        "Client::converse_stream");
    CHECK_EQ(pushed, 3);
    CHECK(p.code() == bs::Status::model_stream_error);
    CHECK_EQ(p.original_status_code(), 502);
    CHECK_EQ(p.original_message().value_or("(none)"), std::string("overloaded"));
    CHECK_EQ(p.events_delivered(), 3u);
    CHECK(p.request_id().has_value());
}

/// Cancelling: from the push callback, between next() calls, before a Converse call.
void converse_cancel()
{
    bs::Cancel cancel;
    int calls = 0;
    const auto e = expect_throw<bs::CancelledError>(
        [&] {
            (void)client().converse_stream(
                question(MODEL, "cancel me"),
                [&](const bs::ConverseEvent &) {
                    if (++calls == 2)
                        cancel.cancel();
                },
                &cancel);
        },
        "a cancelled converse_stream");
    CHECK_EQ(calls, 2);
    CHECK(e.code() == std::errc::operation_canceled);
    CHECK(e.code() == bs::Status::cancelled);
    CHECK_EQ(e.events_delivered(), 2u);

    bs::Cancel cancel2;
    bs::ConverseStream stream = client().open(question(MODEL, "cancel me"), &cancel2);
    CHECK(stream.next().has_value());
    cancel2.cancel();
    const auto pulled =
        expect_throw<bs::CancelledError>([&] { (void)stream.next(); }, "next after cancel");
    CHECK_EQ(pulled.events_delivered(), 1u);

    bs::Cancel before;
    before.cancel();
    expect_throw<bs::CancelledError>(
        [&] { (void)client().converse(question(MODEL, "hi"), &before); }, "a cancelled converse");
    bs::Cancel before2;
    before2.cancel();
    expect_throw<bs::CancelledError>(
        [&] { (void)client().invoke_model(claude(MODEL), &before2); }, "a cancelled invoke_model");
}

/// bool / Flow results stop without throwing; an exception is rethrown.
void converse_callback_results()
{
    int calls = 0;
    const bs::Outcome stopped =
        client().converse_stream(question(MODEL, "hi"), [&](const bs::ConverseEvent &) {
            return ++calls < 3;
        });
    CHECK(stopped.stopped);
    CHECK_EQ(stopped.events, 3u);
    const bs::Outcome flow = client().converse_stream(
        question(MODEL, "hi"), [](const bs::ConverseEvent &) { return bs::Flow::Stop; });
    CHECK(flow.stopped);
    CHECK_EQ(flow.events, 1u);
    // A generic lambda works for both kinds of events.
    std::uint64_t n = 0;
    const bs::Outcome all =
        client().converse_stream(question(MODEL, "hi"), [&](const auto &) { ++n; });
    CHECK(all);
    CHECK_EQ(all.events, n);
    expect_throw<MyException>(
        [&] {
            (void)client().converse_stream(question(MODEL, "hi"),
                                           [](const bs::ConverseEvent &) { throw MyException(); });
        },
        "a throwing converse callback");
}

/// Every setter of the builder (tests/cpp_wrapper.rs checks the JSON the emulator received),
/// and each one's refusal of a bad value with the C library's message.
void converse_request_setters()
{
    using namespace std::string_literals;
    const std::vector<std::uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    bs::ConverseRequest r(MODEL);
    r.add_system_text("Be brief.")
        .add_message(bs::Role::user)
        .add_text("every setter")
        .add_image("png", png)
        .add_document("txt", "notes", "some notes"s)
        .add_cache_point()
        .add_message(bs::Role::assistant)
        .add_tool_use("tooluse_1", "get_weather", "{\"city\":\"Bern\"}")
        .add_message(bs::Role::user)
        .add_tool_result_json("tooluse_1", "{\"celsius\":20}", "success")
        .add_tool_result_text("tooluse_1", "sunny", std::nullopt)
        .add_text("and now?")
        .add_tool("get_weather", WEATHER_SCHEMA, "The weather.")
        .add_tool("no_description", "{\"type\":\"object\"}")
        .tool_choice("tool", "get_weather")
        .max_tokens(300)
        .temperature(0.5f)
        .top_p(0.25f)
        .add_stop_sequence("STOP")
        .guardrail("abc123", "DRAFT", "enabled")
        .additional_model_request_fields("{\"top_k\":50}")
        .add_additional_model_response_field_path("/stop_sequence")
        .request_metadata("team", "cpp")
        .performance_config_latency("standard")
        .service_tier("default");
    const bs::Message m = client().converse(r);
    // The last user message holds tool results: the emulator quotes them.
    CHECK(contains(m.text(), "The tool answered: {\"celsius\":20}; sunny"));

    // Each refusal carries the library's reason.
    bs::ConverseRequest empty(MODEL);
    const auto no_message = expect_throw<bs::InvalidInputError>(
        [&] { empty.add_text("orphan"); }, "a block without a message");
    CHECK(contains(no_message.what(), "INVALID_INPUT: "));
    CHECK(std::string(no_message.what()).size() > std::string("INVALID_INPUT: ").size() + 5);
    empty.add_message(bs::Role::user);
    expect_throw<bs::InvalidInputError>([&] { empty.temperature(2.0f); }, "temperature 2");
    expect_throw<bs::InvalidInputError>([&] { empty.top_p(-1.0f); }, "top_p -1");
    expect_throw<bs::InvalidInputError>([&] { empty.max_tokens(0); }, "max_tokens 0");
    expect_throw<bs::InvalidInputError>([&] { empty.tool_choice("sometimes"); },
                                        "tool choice sometimes");
    expect_throw<bs::InvalidInputError>([&] { empty.add_image("bmp", png); }, "a bmp image");
    expect_throw<bs::InvalidInputError>([&] { empty.add_image("png", std::string_view()); },
                                        "an empty image");
    expect_throw<bs::InvalidInputError>([&] { empty.add_tool("bad name!", WEATHER_SCHEMA); },
                                        "a bad tool name");
    expect_throw<bs::InvalidInputError>([&] { empty.add_tool("t", "not json"); },
                                        "a schema that is not JSON");
    expect_throw<bs::InvalidInputError>([&] { empty.add_system_text(""); },
                                        "an empty system text");
    expect_throw<bs::InvalidInputError>([&] { empty.service_tier("gold"); }, "tier gold");
    expect_throw<bs::InvalidInputError>([&] { empty.guardrail("abc", "v1"); },
                                        "guardrail version v1");
    expect_throw<bs::InvalidInputError>(
        [&] { empty.additional_model_request_fields("[1]"); }, "fields that are not an object");
    // A NUL byte is refused by the wrapper, not cut short.
    const auto nul = expect_throw<bs::InvalidInputError>([&] { empty.add_text("a\0b"s); },
                                                         "text with a NUL");
    CHECK(contains(nul.what(), "text contains a NUL byte"));
    expect_throw<bs::InvalidInputError>([&] { bs::ConverseRequest x(std::string(MODEL) + "\0"s); },
                                        "model id with a NUL");
    expect_throw<bs::InvalidInputError>([&] { bs::ConverseRequest x(""); }, "an empty model id");
    // The image bytes are data: a NUL in them is fine (std::string and std::array too).
    empty.add_image("png", "\0\1\2"s);
    const std::array<std::byte, 2> two = {std::byte{1}, std::byte{0}};
    empty.add_image("gif", two);
    empty.add_document("md", "raw", bs::Bytes(png.data(), png.size()));

    // from_json: checked, then sent as given (and usable by the builder afterwards).
    const auto bad = expect_throw<bs::InvalidInputError>(
        [] { (void)bs::ConverseRequest::from_json(MODEL, "{\"messages\": [}"); },
        "from_json with bad JSON");
    CHECK(contains(bad.what(), "line") && contains(bad.what(), "column"));
    expect_throw<bs::InvalidInputError>(
        [] { (void)bs::ConverseRequest::from_json(MODEL, "{\"modelId\":\"x\"}"); },
        "from_json with modelId");
    bs::ConverseRequest j = bs::ConverseRequest::from_json(
        MODEL, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"from json\"}]}]}");
    std::string text;
    (void)client().converse_stream(j, [&](const bs::ConverseEvent &e) { text += e.text(); });
    CHECK(contains(text, "You said: “from json”"));
}

/// Every member setter beyond the basics (the body is checked in tests/cpp_wrapper.rs), and
/// the pull stream's counters from the library.
void converse_request_every_member()
{
    using namespace std::literals;
    const std::string bytes = "\x01\x02"s;
    bs::ConverseRequest r(MODEL);
    r.add_message(bs::Role::user)
        .add_text("every member")
        .add_image_s3("png", "s3://bucket-a/i.png", "123456789012")
        .add_document_s3(std::nullopt, "big", "s3://bucket-a/d.pdf")
        .add_document_text("txt", "memo", "plain")
        .document_context("ctx")
        .citations_enabled(true)
        .add_document_content(std::nullopt, "parts", "one")
        .add_document_content_text("two")
        .add_video("mp4", bytes)
        .add_video_s3("mov", "s3://bucket-a/v.mov")
        .add_audio("mp3", bytes)
        .add_audio_s3("wav", "s3://bucket-a/a.wav", "123456789012")
        .add_guard_content_text("guarded", {"query", "grounding_source"})
        .add_guard_content_image("jpeg", bytes)
        .add_cache_point("1h")
        .add_search_result("kb", "KB", "first")
        .add_search_result_text("second")
        .add_tool_addition("mcp", "lookup", "srv")
        .add_tool_removal(std::nullopt, "lookup")
        .add_message(bs::Role::assistant)
        .add_reasoning_text("thinking", "sig")
        .add_reasoning_redacted(bytes)
        .add_citations_content()
        .add_citation_generated_text("Paris.")
        .add_citation("Atlas", "atlas.pdf")
        .add_citation_source_text("the capital")
        .citation_location("documentPage", 0, 3, std::nullopt)
        .add_citation()
        .citation_web_location("https://example.com", std::nullopt)
        .add_tool_use("tu_1", "web_search", "{}")
        .tool_block_type("server_tool_use")
        .add_message(bs::Role::user)
        .begin_tool_result("tu_1", "success")
        .add_json_content("{\"n\":1}")
        .add_text("result text")
        .end_tool_result()
        .tool_block_type("custom")
        .add_system_text("sys")
        .add_system_guard_content_text("rules")
        .add_system_guard_content_image("png", bytes)
        .add_system_cache_point()
        .add_tool("lookup", WEATHER_SCHEMA)
        .tool_strict(true)
        .add_system_tool("nova_grounding")
        .add_tool_cache_point("5m")
        .project_identifier("proj_1")
        .prompt_variable("city", "Paris")
        .output_json_schema("{\"type\":\"object\"}", "answer")
        .output_effort("low");
    bs::ConverseStream stream = client().open(r);
    CHECK_EQ(stream.attempts(), 1u);
    std::uint64_t n = 0;
    for (const bs::ConverseEvent &e : stream) {
        (void)e;
        CHECK_EQ(stream.events_delivered(), ++n);
    }
    CHECK(n >= 4);

    // Refusals carry the library's reason; the request is unchanged.
    bs::ConverseRequest bad(MODEL);
    bad.add_message(bs::Role::user);
    expect_throw<bs::InvalidInputError>([&] { bad.add_image_s3("png", "http://x/y"); },
                                        "an image uri that is not s3://");
    expect_throw<bs::InvalidInputError>([&] { bad.add_guard_content_text("t", {"all"}); },
                                        "an unknown qualifier");
    expect_throw<bs::InvalidInputError>([&] { bad.add_json_content("1"); },
                                        "json content outside a tool result");
    expect_throw<bs::InvalidInputError>([&] { bad.end_tool_result(); }, "no open tool result");
    expect_throw<bs::InvalidInputError>([&] { bad.citation_location("page", 0, 0, 0); },
                                        "a citation location kind");
    expect_throw<bs::InvalidInputError>([&] { bad.output_effort("a very long effort"); },
                                        "an effort of 18 characters");
    const auto nul = expect_throw<bs::InvalidInputError>(
        [&] { bad.add_guard_content_text("t", {"query\0"sv}); }, "a qualifier with a NUL");
    CHECK(contains(nul.what(), "qualifier contains a NUL byte"));
}

std::string read_file(const char *path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// A TLS emulator trusted through ca_bundle_pem (in memory) and ca_bundle_file.
void ca_bundles_are_trusted()
{
    const char *endpoint = std::getenv("CPP_TESTS_TLS_ENDPOINT");
    const char *ca_file = std::getenv("CPP_TESTS_CA_PEM_FILE");
    CHECK(endpoint != nullptr && ca_file != nullptr);
    // Without the CA the handshake fails.
    {
        bs::Config config;
        config.endpoint_url(endpoint);
        expect_throw<bs::TransportError>(
            [&] { (void)client(std::move(config)).open(claude(MODEL)); }, "untrusted TLS");
    }
    const std::string pem = read_file(ca_file);
    CHECK(contains(pem, "BEGIN CERTIFICATE"));
    bs::Config by_pem;
    by_pem.endpoint_url(endpoint).ca_bundle_pem(pem);
    std::uint64_t n = 0;
    for (const bs::Event &e : client(std::move(by_pem)).open(claude(MODEL))) {
        (void)e;
        ++n;
    }
    CHECK(n > 0);
    bs::Config by_file;
    by_file.endpoint_url(endpoint).ca_bundle_file(ca_file);
    const bs::Outcome o = client(std::move(by_file)).invoke(claude(MODEL), [](const bs::Event &) {});
    CHECK(o.events == n);
}

#if defined(BEDROCK_STREAM_COMPILE_FAIL_INT_CALLBACK)
// The C convention: 0 means continue. It must not compile (it would mean "stop" as a bool).
[[maybe_unused]] void compile_fail(const bs::Client &c, const bs::Request &r)
{
    (void)c.invoke(r, [](const bs::Event &) { return BEDROCK_STREAM_CONTINUE; });
}
#elif defined(BEDROCK_STREAM_COMPILE_FAIL_INT32_CALLBACK)
[[maybe_unused]] void compile_fail(const bs::Client &c, const bs::Request &r)
{
    (void)c.invoke(r, [](const bs::Event &) -> std::int32_t { return 1; });
}
#elif defined(BEDROCK_STREAM_COMPILE_FAIL_NOT_INVOCABLE)
[[maybe_unused]] void compile_fail(const bs::Client &c, const bs::Request &r)
{
    (void)c.invoke(r, [](int) {});
}
#elif defined(BEDROCK_STREAM_COMPILE_FAIL_CONVERSE_INT_CALLBACK)
[[maybe_unused]] void compile_fail(const bs::Client &c, const bs::ConverseRequest &r)
{
    (void)c.converse_stream(r, [](const bs::ConverseEvent &) { return BEDROCK_STREAM_CONTINUE; });
}
#elif defined(BEDROCK_STREAM_COMPILE_FAIL_CONVERSE_EVENT_CALLBACK)
// A callback written for Client::invoke's events.
[[maybe_unused]] void compile_fail(const bs::Client &c, const bs::ConverseRequest &r)
{
    (void)c.converse_stream(r, [](const bs::Event &) {});
}
#endif

} // namespace

int main(int argc, char **argv)
{
    // The TLS check runs on its own (`cpp_tests --tls`): ring's assembly gives valgrind's
    // memcheck false positives, so tests/cpp_wrapper.rs runs it without valgrind.
    if (argc == 2 && std::string_view(argv[1]) == "--tls") {
        run("ca_bundles_are_trusted", ca_bundles_are_trusted);
        std::cout << checks << " checks, " << failures << " failures" << std::endl;
        return failures == 0 ? 0 : 1;
    }
    run("callback_void_reads_everything", callback_void_reads_everything);
    run("pull_error_details", pull_error_details);
    run("range_for_error_details", range_for_error_details);
    run("push_error_details", push_error_details);
    run("open_error_details", open_error_details);
    run("retries_and_attempts", retries_and_attempts);
    run("setter_error_details", setter_error_details);
    run("callback_bool_false_stops_without_throwing", callback_bool_false_stops_without_throwing);
    run("callback_flow_stop_stops_without_throwing", callback_flow_stop_stops_without_throwing);
    run("callback_exception_is_rethrown", callback_exception_is_rethrown);
    run("cancel_before_the_call", cancel_before_the_call);
    run("negative_durations_are_refused", negative_durations_are_refused);
    run("sub_millisecond_timeout_rounds_up", sub_millisecond_timeout_rounds_up);
    run("embedded_nul_is_refused", embedded_nul_is_refused);
    run("error_copies_never_throw", error_copies_never_throw);
    run("error_constructor_frees_on_bad_alloc", error_constructor_frees_on_bad_alloc);
    run("owned_events_outlive_the_stream", owned_events_outlive_the_stream);
    run("usage_and_metrics_are_optionals", usage_and_metrics_are_optionals);
    run("unknown_events_are_delivered", unknown_events_are_delivered);
    run("range_for_reads_every_event", range_for_reads_every_event);
    run("settings_reach_the_client", settings_reach_the_client);
    run("converse_stream_push_and_pull", converse_stream_push_and_pull);
    run("converse_tool_use_round_trip", converse_tool_use_round_trip);
    run("converse_reasoning", converse_reasoning);
    run("converse_unknown_events_and_members", converse_unknown_events_and_members);
    run("converse_not_streamed", converse_not_streamed);
    run("invoke_model_not_streamed", invoke_model_not_streamed);
    run("converse_http_error_details", converse_http_error_details);
    run("converse_mid_stream_exception_details", converse_mid_stream_exception_details);
    run("converse_cancel", converse_cancel);
    run("converse_callback_results", converse_callback_results);
    run("converse_request_setters", converse_request_setters);
    run("converse_request_every_member", converse_request_every_member);
    std::cout << checks << " checks, " << failures << " failures" << std::endl;
    return failures == 0 ? 0 : 1;
}
