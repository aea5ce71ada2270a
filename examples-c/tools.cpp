// tools.cpp -- tools.c in C++17 with the RAII wrapper bedrock_stream.hpp: a complete tool-use
// round trip with ConverseStream. Offer the model a weather tool and stream its answer; when it
// asks for the tool (Message::wants_tools()), run the tool, send the result back after the
// model's own message, and stream the final answer. It prints exactly what tools.c prints.
//
//   usage: tools_cpp [MODEL_ID [PROMPT]]
//
// Region, endpoint and credentials come from the environment (see stream.c).
// Exit status: 0 on success, 1 on a bedrock_stream::Error (printed on stderr).
#include "bedrock_stream.hpp"

#include <iostream>
#include <string>
#include <string_view>

namespace bs = bedrock_stream;

namespace {

constexpr int MAX_TURNS = 4;

// The JSON Schema of the tool's input.
constexpr std::string_view WEATHER_SCHEMA =
    R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})";

// The tool itself: a fixed forecast that repeats its input (a JSON object).
std::string get_weather(std::string_view input)
{
    return R"({"forecast":"sunny","celsius":21,"for":)" + std::string(input) + "}";
}

// Streams one answer to `request`, printing its text as it arrives; the accumulator folds the
// events into the finished message.
bs::Message stream_turn(const bs::Client &client, const bs::ConverseRequest &request)
{
    bs::Accumulator acc;
    for (const bs::ConverseEvent &e : client.open(request)) {
        std::cout << e.text() << std::flush;
        acc.push(e);
    }
    return acc.finish();
}

// Appends the model's message and a user message with a result per tool use.
void run_tools(const bs::Message &message, bs::ConverseRequest &request)
{
    request.append_message(message).add_message(bs::Role::user);
    for (const bs::ToolUse &t : message.tool_uses()) {
        if (t.name == "get_weather") {
            const std::string result = get_weather(t.input);
            std::cout << "\n[tool " << t.name << " " << t.input << " -> " << result << "]\n";
            request.add_tool_result_json(t.tool_use_id, result, "success");
        } else {
            std::cout << "\n[tool " << t.name << ": unknown]\n";
            request.add_tool_result_text(t.tool_use_id, "no such tool", "error");
        }
    }
}

} // namespace

int main(int argc, char **argv)
{
    const std::string model = argc > 1 ? argv[1] : "anthropic.claude-3-5-haiku-20241022-v1:0";
    const std::string prompt = argc > 2 ? argv[2] : "What is the weather in Zürich?";
    try {
        const bs::Client client;
        bs::ConverseRequest request(model);
        request.add_message(bs::Role::user)
            .add_text(prompt)
            .add_tool("get_weather", WEATHER_SCHEMA, "The weather forecast for a city.");

        // The tool loop: stream a turn; while the model asks for tools, answer them, go on.
        int turn = 1;
        bs::Message message = stream_turn(client, request);
        while (message.wants_tools() && turn < MAX_TURNS) {
            run_tools(message, request);
            message = stream_turn(client, request);
            ++turn;
        }

        std::cout << "\n--\n";
        std::cout << "turns: " << turn << "\n";
        std::cout << "stop reason: " << message.stop_reason().value_or("(none)") << "\n";
        if (const auto usage = message.usage())
            std::cout << "tokens: " << usage->input_tokens << " in, " << usage->output_tokens
                      << " out (last turn)\n";
        return 0;
    } catch (const bs::Error &e) {
        std::cout << std::flush;
        std::cerr << "\nerror: " << e.what() << "\n";
        if (e.aws_code())
            std::cerr << "code: " << *e.aws_code() << "\n";
        if (e.request_id())
            std::cerr << "request id: " << *e.request_id() << "\n";
        std::cerr << "events before the failure: " << e.events_delivered()
                  << ", retryable: " << (e.retryable() ? "yes" : "no") << "\n";
        return 1;
    }
}
