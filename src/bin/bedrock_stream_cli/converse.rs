//! `converse`: ConverseStream (or Converse with `--no-stream`) from the command line: the answer
//! as it streams in, the tool-use requests and a summary; or JSON lines with `--json`.

use std::io;
use std::time::Instant;

use bedrock_stream::converse::{
    ConverseJson, ConverseRequest, ConverseStreamEvent, ConverseStreamResult,
    InferenceConfiguration, Message, MessageAccumulator, Tool, ToolConfiguration,
    ToolSpecification,
};
use bedrock_stream::CancelHandle;
use serde_json::Value;

use super::args::{ClientArgs, ConverseArgs};
use super::chat::{emit, read_prompt, summary_line, Summary};
use super::exit;
use super::output::{output_failed, Failure, JsonObj, Out};
use super::setup::{build_client, read_input, Verbose};

/// Runs `converse`; returns the exit code.
pub fn run(g: &ClientArgs, a: &ConverseArgs) -> u8 {
    let verbose = Verbose::new(g.verbose);
    let mut out = Out::new();
    let outcome = converse(g, a, &verbose, &mut out);
    let written = match (&outcome, a.json) {
        (Ok(Ok(())), true) => out.line(&JsonObj::new().field("outcome", "ok").finish()),
        (Ok(Err(f)), true) => out.line(
            &f.json_members(JsonObj::new().field("outcome", "error"))
                .finish(),
        ),
        (Ok(Err(f)), false) => {
            eprintln!("bedrock-stream: {f}");
            Ok(())
        }
        (Ok(Ok(())), false) => Ok(()),
        (Err(_), _) => Ok(()),
    };
    match (outcome, written) {
        (Err(e), _) | (_, Err(e)) => output_failed(&e),
        (Ok(Ok(())), Ok(())) => exit::OK,
        (Ok(Err(f)), Ok(())) => f.exit_code(),
    }
}

/// The tools of `--tools FILE`: a toolConfig object, or an array of Tool / toolSpec objects.
fn read_tools(text: &[u8]) -> Result<ToolConfiguration, String> {
    let v: Value = serde_json::from_slice(text).map_err(|e| format!("not JSON: {e}"))?;
    match v {
        Value::Object(_) => serde_json::from_value(v).map_err(|e| e.to_string()),
        Value::Array(items) => {
            let mut tools = Vec::with_capacity(items.len());
            for item in items {
                let is_union = ["toolSpec", "systemTool", "cachePoint"]
                    .iter()
                    .any(|k| item.get(k).is_some());
                let tool = if is_union {
                    serde_json::from_value::<Tool>(item)
                } else {
                    serde_json::from_value::<ToolSpecification>(item).map(Tool::ToolSpec)
                };
                tools.push(tool.map_err(|e| e.to_string())?);
            }
            Ok(ToolConfiguration {
                tools,
                tool_choice: None,
            })
        }
        _ => Err("expected a JSON array of tools or a toolConfig object".into()),
    }
}

/// The request to send, checked.
fn prepare(a: &ConverseArgs) -> Result<ConverseJson, Failure> {
    let stream = !a.no_stream;
    if let Some(path) = &a.request_file {
        let text = read_input(path).map_err(|e| {
            Failure::client(format!("cannot read the request {}: {e}", path.display()))
        })?;
        let text = String::from_utf8(text)
            .map_err(|_| Failure::client(format!("the request {} is not UTF-8", path.display())))?;
        return Ok(ConverseJson::parse(&a.model_id, &text, stream)?);
    }
    let prompt = read_prompt("converse", a.prompt.as_deref())?;
    let mut request = ConverseRequest::new(&a.model_id)
        .message(Message::user(prompt.trim_end_matches(['\n', '\r'])));
    if let Some(s) = &a.system {
        request = request.system_text(s);
    }
    if a.max_tokens.is_some() || a.temperature.is_some() {
        request = request.inference_config(InferenceConfiguration {
            max_tokens: a.max_tokens,
            temperature: a.temperature,
            ..InferenceConfiguration::default()
        });
    }
    if let Some(path) = &a.tools {
        let text = read_input(path).map_err(|e| {
            Failure::client(format!("cannot read the tools {}: {e}", path.display()))
        })?;
        request.tool_config = Some(read_tools(&text).map_err(|e| {
            Failure::client(format!("the tools file {} is invalid: {e}", path.display()))
        })?);
    }
    Ok(request.to_json(stream)?)
}

/// `{"event": name, ...members}` for a typed event.
fn event_line(event: &ConverseStreamEvent) -> String {
    match event.members() {
        Some(members) => with_members(
            JsonObj::new().field("event", event.event_type()),
            Ok(members),
        ),
        None => JsonObj::new()
            .field("event", "other")
            .field("type", event.event_type())
            .finish(),
    }
}

fn with_members(mut obj: JsonObj, members: serde_json::Result<Value>) -> String {
    if let Ok(Value::Object(m)) = members {
        for (k, v) in m {
            obj.raw(&k, &v.to_string());
        }
    }
    obj.finish()
}

/// The tool-use requests of the answer, one line each.
fn print_tool_uses(out: &mut Out, message: &Message) -> io::Result<()> {
    for t in message.tool_uses() {
        out.line(&format!(
            "[tool use {} ({}): {}]",
            t.name, t.tool_use_id, t.input
        ))?;
    }
    Ok(())
}

/// The outer error is a failed write to stdout; the inner one the outcome of the call.
fn converse(
    g: &ClientArgs,
    a: &ConverseArgs,
    verbose: &Verbose,
    out: &mut Out,
) -> io::Result<Result<(), Failure>> {
    let prepared = prepare(a).and_then(|r| Ok((r, build_client(g)?)));
    let (request, client) = match prepared {
        Ok(p) => p,
        Err(f) => return Ok(Err(f)),
    };
    let started = Instant::now();
    let mut sum = Summary::default();
    if a.no_stream {
        let response = match client.converse_json(&request, CancelHandle::new()) {
            Ok(r) => r,
            Err(e) => return Ok(Err(Failure::Lib(e))),
        };
        if a.json {
            let line = with_members(
                JsonObj::new().field("event", "response"),
                serde_json::to_value(&response),
            );
            return out.line(&line).map(Ok);
        }
        if let Some(m) = response.message() {
            emit(out, &mut sum, &m.text(), started)?;
            if sum.needs_newline() {
                out.text("\n")?;
            }
            print_tool_uses(out, m)?;
        }
        sum.input_tokens = Some(response.usage.input_tokens.into());
        sum.output_tokens = Some(response.usage.output_tokens.into());
        sum.stop_reason = Some(response.stop_reason.to_string());
    } else {
        let stream = match client.converse_stream_json(&request, CancelHandle::new()) {
            Ok(s) => s,
            Err(e) => return Ok(Err(Failure::Lib(e))),
        };
        let mut acc = MessageAccumulator::new();
        for event in stream {
            let event = match event {
                Ok(e) => e,
                Err(e) => {
                    let f = Failure::Lib(e);
                    verbose.failed(&f, started);
                    return Ok(Err(f));
                }
            };
            if a.json {
                out.line(&event_line(&event))?;
            } else if let Some(t) = event.text_delta() {
                emit(out, &mut sum, t, started)?;
            }
            if let Err(e) = acc.push(&event) {
                return Ok(Err(Failure::Lib(e)));
            }
        }
        let result: ConverseStreamResult = match acc.finish() {
            Ok(r) => r,
            Err(e) => return Ok(Err(Failure::Lib(e))),
        };
        if a.json {
            return Ok(Ok(()));
        }
        if sum.needs_newline() {
            out.text("\n")?;
        }
        print_tool_uses(out, &result.message)?;
        sum.input_tokens = result.usage.as_ref().map(|u| u.input_tokens.into());
        sum.output_tokens = result.usage.as_ref().map(|u| u.output_tokens.into());
        sum.stop_reason = result.stop_reason.as_ref().map(ToString::to_string);
    }
    if !a.no_summary {
        eprintln!("{}", summary_line(&sum, started.elapsed()));
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_files_take_three_forms() {
        let spec = r#"{"name":"f","inputSchema":{"json":{"type":"object"}}}"#;
        for text in [
            format!("[{spec}]"),
            format!(r#"[{{"toolSpec":{spec}}}]"#),
            format!(r#"{{"tools":[{{"toolSpec":{spec}}}],"toolChoice":{{"any":{{}}}}}}"#),
        ] {
            let t = read_tools(text.as_bytes()).unwrap();
            assert!(
                matches!(&t.tools[0], Tool::ToolSpec(s) if s.name == "f"),
                "{text}"
            );
        }
        assert!(read_tools(b"[{\"name\":\"f\"}]").is_err());
        assert!(read_tools(b"42").is_err());
    }
}
