//! Fault injection: which scenario a request gets (the queue, `emulator-fault:` model ids,
//! `fail=N` counting), the faults answered before the body (HTTP errors, HTML 502, a JSON or
//! text 200, a stalled body), and the event streams written with their in-stream faults
//! (exceptions, error messages, unknown events, truncation, resets, stalls, bad CRCs, bulk
//! frames, a hang after the last frame).

use std::time::Duration;

use serde_json::json;

use super::frames::{
    bulk_frame, chunk_frame, error_frame, exception_frame, exception_payload, unknown_event_frame,
};
use super::http::{self, HttpResponse};
use super::models::{self, Answer, Latency};
use super::router::{
    default_shape, error_body, error_response, millis, success_headers, Ctx, BEDROCK_NS,
};
use super::scenario::{Fault, Scenario, FAULT_MODEL_PREFIX};
use super::server::{Conn, Next, Shared, Stop};
use super::time::{http_date, now_unix};

/// `stall-body`: the status line, the headers and half of the body, then silence until the
/// client leaves or the emulator stops.
pub(super) fn send_half_then_stall(conn: &mut Conn, resp: &HttpResponse) -> Next {
    let mut out = Vec::new();
    let _ = http::write_full(&mut out, resp.status, &resp.headers, &resp.body, false);
    let cut = out.len() - resp.body.len() / 2;
    if let Err(stop) = conn.write(&out[..cut]) {
        return stop.into();
    }
    match conn.wait(None, true) {
        Ok(()) => Next::Close,
        Err(stop) => stop.into(),
    }
}

/// The response of a fault decided before the request body is looked at (an HTTP error, an
/// HTML 502, a JSON or text 200, the head of a stalled body), or `None`.
pub(super) fn early_response(
    fault: &Fault,
    model_id: &str,
    request_id: &str,
) -> Option<HttpResponse> {
    match fault {
        Fault::HttpError {
            status,
            error_type,
            message,
        } => {
            let shape = error_type.as_deref().or_else(|| default_shape(*status));
            let body = error_body(shape, *status, message.as_deref(), model_id);
            Some(error_response(*status, shape, BEDROCK_NS, body, request_id))
        }
        Fault::StallBody { status } => {
            let shape = default_shape(*status);
            let body = error_body(shape, *status, None, model_id);
            Some(error_response(*status, shape, BEDROCK_NS, body, request_id))
        }
        Fault::Html502 => Some(HttpResponse {
            status: 502,
            headers: vec![
                ("Date".into(), http_date(now_unix())),
                ("Content-Type".into(), "text/html".into()),
                ("Server".into(), "awselb/2.0".into()),
            ],
            body: b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n".to_vec(),
        }),
        Fault::Json200 => Some(
            error_response(200, None, "", json!({"message": "Emulated 200 response with a JSON body instead of an event stream (json-200)."}), request_id),
        ),
        Fault::Text200 => Some(
            HttpResponse::new(200, "text/plain; charset=utf-8", "Emulated 200 response with a text/plain body instead of an event stream (text-200).\n")
                .with_header("Date", &http_date(now_unix()))
                .with_header("x-amzn-RequestId", request_id),
        ),
        _ => None,
    }
}

/// Picks the queued, model-id or default scenario and resolves `fail=N`.
pub(super) fn select_scenario(shared: &Shared, model_id: &str) -> Result<Scenario, String> {
    let mut s = shared.scenarios();
    let (scenario, from_queue) = match s.queue.pop_front() {
        Some(q) => (q, true),
        None => match model_id.strip_prefix(FAULT_MODEL_PREFIX) {
            Some(spec) => (
                spec.parse::<Scenario>()
                    .map_err(|e| format!("{e} (model id {model_id:?})"))?,
                false,
            ),
            None => (s.default.clone(), false),
        },
    };
    let Fault::FailThenSucceed {
        failures,
        status,
        ref error_type,
    } = scenario.fault
    else {
        return Ok(scenario);
    };
    let fail = Fault::HttpError {
        status,
        error_type: error_type.clone(),
        message: None,
    };
    let fails_now = if from_queue {
        if failures > 1 {
            let mut rest = scenario.clone();
            rest.fault = Fault::FailThenSucceed {
                failures: failures - 1,
                status,
                error_type: error_type.clone(),
            };
            s.queue.push_front(rest);
        }
        failures > 0
    } else {
        let count = s.fail_counts.entry(scenario.to_string()).or_insert(0);
        if *count < failures {
            *count += 1;
            true
        } else {
            false
        }
    };
    Ok(Scenario {
        fault: if fails_now { fail } else { Fault::None },
        ..scenario
    })
}

/// The 200 head of an event-stream response.
fn stream_head(ctx: &Ctx<'_>) -> Vec<u8> {
    http::head(200, &{
        let mut h = success_headers(ctx, "application/vnd.amazon.eventstream");
        h.push(("Transfer-Encoding".into(), "chunked".into()));
        h.push((
            "Connection".into(),
            if ctx.keep_alive {
                "keep-alive"
            } else {
                "close"
            }
            .into(),
        ));
        h
    })
}

pub(super) fn stream(conn: &mut Conn, ctx: &Ctx<'_>, scenario: &Scenario, answer: &Answer) -> Next {
    let delay = scenario.delay.unwrap_or(conn.shared.config.chunk_delay);
    if let Err(stop) = conn.write(&stream_head(ctx)) {
        return stop.into();
    }
    if let Fault::Bulk { frames, frame_size } = scenario.fault {
        let tail = |lat: Latency| {
            let mut stop = json!({"type": "message_stop"});
            models::attach_metrics(&mut stop, models::metrics(answer.input_tokens, frames, lat));
            vec![chunk_frame(stop.to_string().as_bytes(), 0)]
        };
        return match bulk(conn, ctx, &bulk_frame(frame_size), frames, delay, tail) {
            Ok(()) if ctx.keep_alive => Next::KeepAlive,
            Ok(()) => Next::Close,
            Err(stop) => stop.into(),
        };
    }
    let docs = models::stream_docs(answer);
    let frame = |i: usize, last: Option<Latency>| match docs.get(i) {
        Some(doc) => {
            let mut doc = doc.clone();
            if let Some(lat) = last {
                models::set_duration(&mut doc, lat.invocation_ms);
                models::attach_metrics(
                    &mut doc,
                    models::metrics(answer.input_tokens, answer.output_tokens(), lat),
                );
            }
            chunk_frame(doc.to_string().as_bytes(), i)
        }
        None => chunk_frame(br#"{"type":"ping"}"#, i),
    };
    match stream_frames(conn, ctx, scenario, docs.len(), delay, &frame) {
        Ok(next) => next,
        Err(stop) => stop.into(),
    }
}

/// A ConverseStream response: the script's events, with the scenario's faults.
pub(super) fn converse_stream(
    conn: &mut Conn,
    ctx: &Ctx<'_>,
    scenario: &Scenario,
    plan: &super::converse::Plan,
) -> Next {
    let delay = scenario.delay.unwrap_or(conn.shared.config.chunk_delay);
    if let Err(stop) = conn.write(&stream_head(ctx)) {
        return stop.into();
    }
    if let Fault::Bulk { frames, frame_size } = scenario.fault {
        let (head, delta, tail) = super::converse::bulk(plan, frames, frame_size);
        let written = conn
            .write_chunk(&head)
            .and_then(|()| bulk(conn, ctx, &delta, frames, delay, tail));
        return match written {
            Ok(()) if ctx.keep_alive => Next::KeepAlive,
            Ok(()) => Next::Close,
            Err(stop) => stop.into(),
        };
    }
    let events = super::converse::events(plan);
    let frame = |i: usize, last: Option<Latency>| {
        let (event_type, mut payload) = events[i.min(events.len() - 1)].clone();
        if let Some(lat) = last {
            payload["metrics"]["latencyMs"] = json!(lat.invocation_ms);
        }
        super::converse::event_frame(event_type, &payload, i)
    };
    match stream_frames(conn, ctx, scenario, events.len(), delay, &frame) {
        Ok(next) => next,
        Err(stop) => stop.into(),
    }
}

/// Write `n` frames (`frame(i, latency)` makes frame `i`; the latency is given for the last
/// one, and `i == n` asks for a filler frame) with the scenario's in-stream fault.
fn stream_frames(
    conn: &mut Conn,
    ctx: &Ctx<'_>,
    scenario: &Scenario,
    n: usize,
    delay: Duration,
    frame: &dyn Fn(usize, Option<Latency>) -> Vec<u8>,
) -> Result<Next, Stop> {
    let fault_at = match &scenario.fault {
        Fault::Exception { after, .. }
        | Fault::ErrorMessage { after, .. }
        | Fault::UnknownEvent { after, .. }
        | Fault::Truncate { after, .. }
        | Fault::Reset { after }
        | Fault::Stall { after, .. } => Some((*after).min(n)),
        Fault::BadCrc { after } => Some((*after).min(n - 1)),
        _ => None,
    };
    let done = if ctx.keep_alive {
        Next::KeepAlive
    } else {
        Next::Close
    };
    let mut first_byte: Option<Duration> = None;
    let mut frames_written = 0usize;
    let pause = |conn: &mut Conn, frames_written: usize| -> Result<(), Stop> {
        if frames_written > 0 && !delay.is_zero() {
            conn.wait(Some(delay), false)?;
        }
        Ok(())
    };
    for i in 0..=n {
        if fault_at == Some(i) {
            match &scenario.fault {
                Fault::Exception {
                    exception,
                    message,
                    original_status_code,
                    original_message,
                    ..
                } => {
                    pause(conn, frames_written)?;
                    let payload = exception_payload(
                        exception,
                        message.as_deref(),
                        *original_status_code,
                        original_message.as_deref(),
                    );
                    conn.write_chunk(&exception_frame(exception.as_str(), &payload))?;
                    conn.write(http::LAST_CHUNK)?;
                    return Ok(done);
                }
                Fault::ErrorMessage { code, message, .. } => {
                    pause(conn, frames_written)?;
                    let message = message.as_deref().unwrap_or("An internal error occurred.");
                    conn.write_chunk(&error_frame(code, message))?;
                    conn.write(http::LAST_CHUNK)?;
                    return Ok(done);
                }
                Fault::UnknownEvent { event_type, .. } => {
                    pause(conn, frames_written)?;
                    conn.write_chunk(&unknown_event_frame(
                        event_type.as_deref().unwrap_or("futureEvent"),
                    ))?;
                    frames_written += 1;
                }
                Fault::Truncate { abrupt, .. } => {
                    pause(conn, frames_written)?;
                    let frame = frame(i, None);
                    conn.write_chunk(&frame[..frame.len() / 2])?;
                    if *abrupt {
                        return Ok(Next::Close);
                    }
                    conn.write(http::LAST_CHUNK)?;
                    return Ok(done);
                }
                Fault::Reset { .. } => {
                    pause(conn, frames_written)?;
                    return Ok(Next::Reset);
                }
                Fault::Stall { duration, .. } => {
                    conn.wait(*duration, duration.is_none())?;
                }
                _ => {}
            }
        }
        if i == n {
            break;
        }
        pause(conn, frames_written)?;
        let last = (i + 1 == n).then(|| Latency {
            first_byte_ms: millis(first_byte.unwrap_or_else(|| ctx.received.elapsed())),
            invocation_ms: millis(ctx.received.elapsed()),
        });
        let mut frame = frame(i, last);
        if matches!(scenario.fault, Fault::BadCrc { .. }) && fault_at == Some(i) {
            let last = frame.len() - 1;
            frame[last] ^= 0xA5;
        }
        conn.write_chunk(&frame)?;
        frames_written += 1;
        first_byte.get_or_insert_with(|| ctx.received.elapsed());
    }
    if matches!(scenario.fault, Fault::HangAfterLast) {
        conn.wait(None, true)?;
        return Ok(Next::Close);
    }
    conn.write(http::LAST_CHUNK)?;
    Ok(done)
}

/// `frames` copies of the pre-encoded event `frame` (written in 256 KiB blocks when there is
/// no delay), then the frames `tail` makes with the stream's latency.
fn bulk(
    conn: &mut Conn,
    ctx: &Ctx<'_>,
    frame: &[u8],
    frames: u64,
    delay: Duration,
    tail: impl FnOnce(Latency) -> Vec<Vec<u8>>,
) -> Result<(), Stop> {
    let mut one = Vec::new();
    http::chunk_into(&mut one, frame);
    let per_block = (256 * 1024 / one.len()).max(1);
    let block: Vec<u8> = one.repeat(per_block);
    let mut first_byte = None;
    let mut left = frames;
    while left > 0 {
        if !delay.is_zero() {
            if frames != left {
                conn.wait(Some(delay), false)?;
            }
            conn.write(&one)?;
            left -= 1;
        } else if left >= per_block as u64 {
            conn.write(&block)?;
            left -= per_block as u64;
        } else {
            conn.write(&one)?;
            left -= 1;
        }
        first_byte.get_or_insert_with(|| ctx.received.elapsed());
    }
    let lat = Latency {
        first_byte_ms: millis(first_byte.unwrap_or_else(|| ctx.received.elapsed())),
        invocation_ms: millis(ctx.received.elapsed()),
    };
    for f in tail(lat) {
        conn.write_chunk(&f)?;
    }
    conn.write(http::LAST_CHUNK)
}
