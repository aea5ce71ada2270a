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
// static_assert message): callbacks returning the C convention's int.
#include "bedrock_stream.hpp"

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
    std::cout << checks << " checks, " << failures << " failures" << std::endl;
    return failures == 0 ? 0 : 1;
}
