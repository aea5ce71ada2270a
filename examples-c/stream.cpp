// stream.cpp -- stream.c in C++17 with the RAII wrapper bedrock_stream.hpp.
//
//   usage: stream_cpp [--pull] [--throw-after N] [MODEL_ID [PROMPT [MODEL_FAMILY]]]
//
//   --pull           read with the pull API (a range-for over Client::open's Stream)
//   --throw-after N  the lambda throws after N events (shows that the exception comes back
//                    out of Client::invoke and the stream is closed)
//
// Region, endpoint and credentials come from the environment (see stream.c).
// Exit status: 0 on success, 1 on a bedrock_stream::Error, 2 for the lambda's own exception.
#include "bedrock_stream.hpp"

#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>

namespace {

std::string json_string(const std::string &s)
{
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out + "\"";
}

struct Totals {
    unsigned long events = 0;
    std::string stop_reason;
    std::optional<bedrock_stream::Metrics> metrics;
};

void on_event(const bedrock_stream::Event &event, Totals &totals)
{
    ++totals.events;
    std::cout << event.text() << std::flush;
    if (auto stop = event.stop_reason())
        totals.stop_reason = *stop;
    if (auto m = event.metrics())
        totals.metrics = m;
}

} // namespace

int main(int argc, char **argv)
{
    bool pull = false;
    long throw_after = -1;
    int i = 1;
    for (; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--pull")
            pull = true;
        else if (arg == "--throw-after" && i + 1 < argc)
            throw_after = std::strtol(argv[++i], nullptr, 10);
        else
            break;
    }
    std::string model = i < argc ? argv[i++] : "anthropic.claude-3-5-haiku-20241022-v1:0";
    std::string prompt = i < argc ? argv[i++] : "Hello!";
    std::string body = "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":512,"
                       "\"messages\":[{\"role\":\"user\",\"content\":" +
                       json_string(prompt) + "}]}";

    try {
        bedrock_stream::Client client; // everything from the environment
        bedrock_stream::Request request(model, body);
        if (i < argc)
            request.model_family(argv[i]);
        Totals totals;
        if (pull) {
            for (const bedrock_stream::Event &event : client.open(request))
                on_event(event, totals);
        } else {
            // The lambda returns void here; it may return bool or bedrock_stream::Flow to stop
            // the stream (never int: that does not compile).
            (void)client.invoke(request, [&](const bedrock_stream::Event &event) {
                if (throw_after >= 0 && static_cast<long>(totals.events) == throw_after)
                    throw std::runtime_error("the lambda gave up after " +
                                             std::to_string(throw_after) + " events");
                on_event(event, totals);
            });
        }
        std::cout << "\n--\nstop reason: " << (totals.stop_reason.empty() ? "(none)" : totals.stop_reason)
                  << "\n";
        if (totals.metrics && totals.metrics->output_token_count)
            std::cout << "tokens: " << totals.metrics->input_token_count.value_or(0) << " in, "
                      << *totals.metrics->output_token_count << " out (invocation metrics)\n";
        std::cout << "events: " << totals.events << "\n";
        return 0;
    } catch (const bedrock_stream::Error &e) {
        std::cout << std::flush;
        std::cerr << "\nerror: " << e.what() << "\n";
        std::cerr << "status " << e.status_name() << ", http " << e.http_status() << ", code "
                  << e.aws_code().value_or("(none)") << ", events " << e.events_delivered()
                  << ", retryable " << (e.retryable() ? "yes" : "no") << "\n";
        return 1;
    } catch (const std::exception &e) {
        std::cout << std::flush;
        std::cerr << "\nerror from the callback: " << e.what() << "\n";
        return 2;
    }
}
