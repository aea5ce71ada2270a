//! Routing a parsed request: the operation and model id from the path, authentication, the
//! scenario and its early (HTTP-level) faults, body validation, then the answer: JSON for
//! `invoke`/`converse`, an event stream (written by `faults`) for the streaming operations.
//! Also the modeled error responses.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::faults::{
    converse_stream, early_response, select_scenario, send_half_then_stall, stream,
};
use super::http::{HttpRequest, HttpResponse, Parsed};
use super::models::{self, Answer};
use super::scenario::Fault;
use super::server::{send, Conn, Next};
use super::sigv4;
use super::time::{http_date, now_unix};
use super::{AuthOutcome, RecordedRequest};

pub(super) const BEDROCK_NS: &str = "http://internal.amazon.com/coral/com.amazon.bedrock/";

enum Route {
    /// `/model/{id}/invoke-with-response-stream` and `converse-stream` (streaming), or
    /// `/model/{id}/invoke` and `converse`.
    Model {
        model_id: String,
        streaming: bool,
        converse: bool,
    },
    /// Under `/model/` but no operation matches.
    UnknownOperation,
    /// Not under `/model/`.
    Other,
}

fn route(req: &HttpRequest) -> Result<Route, String> {
    let Some(rest) = req.path.strip_prefix("/model/") else {
        return Ok(Route::Other);
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let [label, op] = segments[..] else {
        return Ok(Route::UnknownOperation);
    };
    let (streaming, converse) = match op {
        "invoke-with-response-stream" => (true, false),
        "invoke" => (false, false),
        "converse-stream" => (true, true),
        "converse" => (false, true),
        _ => return Ok(Route::UnknownOperation),
    };
    if req.method != "POST" || label.is_empty() {
        return Ok(Route::UnknownOperation);
    }
    let model_id = percent_encoding::percent_decode_str(label)
        .decode_utf8()
        .map_err(|_| "1 validation error detected: Value at 'modelId' failed to satisfy constraint: Member must be valid UTF-8".to_string())?
        .into_owned();
    if model_id.len() > 2048 {
        return Err("1 validation error detected: Value at 'modelId' failed to satisfy constraint: Member must have length less than or equal to 2048".into());
    }
    Ok(Route::Model {
        model_id,
        streaming,
        converse,
    })
}

/// An error response: JSON body, `x-amzn-ErrorType` when `error_type` is known.
pub(super) fn error_response(
    status: u16,
    error_type: Option<&str>,
    namespace: &str,
    body: Value,
    request_id: &str,
) -> HttpResponse {
    let mut r = HttpResponse::new(status, "application/json", body.to_string())
        .with_header("Date", &http_date(now_unix()))
        .with_header("x-amzn-RequestId", request_id);
    if let Some(t) = error_type {
        r = r.with_header("x-amzn-ErrorType", &format!("{t}:{namespace}"));
    }
    r
}

/// The shape the model assigns to an HTTP status, if it is unique enough to guess.
pub(super) fn default_shape(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => "ValidationException",
        403 => "AccessDeniedException",
        404 => "ResourceNotFoundException",
        408 => "ModelTimeoutException",
        424 => "ModelErrorException",
        429 => "ThrottlingException",
        500 => "InternalServerException",
        503 => "ServiceUnavailableException",
        _ => return None,
    })
}

/// The JSON body of a modeled operation error.
pub(super) fn error_body(
    shape: Option<&str>,
    status: u16,
    message: Option<&str>,
    model_id: &str,
) -> Value {
    let default = match shape {
        Some("AccessDeniedException") => "You don't have access to the model with the specified model ID.".to_string(),
        Some("ResourceNotFoundException") => "Could not resolve the foundation model from the provided model identifier.".to_string(),
        Some("ThrottlingException") => "Too many requests, please wait before trying again.".to_string(),
        Some("ModelTimeoutException") => "Model has timed out in processing the request. Try your request again.".to_string(),
        Some("InternalServerException") => "The system encountered an unexpected error during processing. Try your request again.".to_string(),
        Some("ServiceUnavailableException") => "Bedrock is unable to process your request.".to_string(),
        Some("ModelStreamErrorException") | Some("ModelErrorException") => "Received error from the model.".to_string(),
        Some("ValidationException") => "Malformed input request, please reformat your input and try again.".to_string(),
        Some("ServiceQuotaExceededException") => "Your request exceeds the service quota for your account. You can view your quotas at https://console.aws.amazon.com/servicequotas/. You can resubmit your request later.".to_string(),
        Some("ModelNotReadyException") => "Model is not ready for inference. Wait and try your request again.".to_string(),
        Some(other) => format!("Emulated {other}."),
        None => format!("Emulated HTTP {status} error."),
    };
    let mut body = json!({ "message": message.map_or(default, String::from) });
    match shape {
        Some("ModelStreamErrorException") => {
            body["originalStatusCode"] = json!(500);
            body["originalMessage"] = json!("Internal Server Error");
        }
        Some("ModelErrorException") => {
            body["originalStatusCode"] = json!(500);
            body["resourceName"] = json!(model_id);
        }
        _ => {}
    }
    body
}

pub(super) struct Ctx<'a> {
    pub(super) request: &'a HttpRequest,
    pub(super) request_id: String,
    pub(super) received: Instant,
    /// What the response announces (`Connection: keep-alive` or `close`).
    pub(super) keep_alive: bool,
}

pub(super) fn handle(conn: &mut Conn, parsed: Parsed) -> Next {
    let Parsed {
        request,
        keep_alive,
    } = parsed;
    conn.seq += 1;
    let shared = conn.shared.clone();
    let ctx = Ctx {
        request: &request,
        request_id: models::uuid(),
        received: Instant::now(),
        keep_alive: keep_alive && !shared.stopping(),
    };
    let record = |status: u16,
                  model_id: Option<String>,
                  auth: AuthOutcome,
                  scenario: Option<String>,
                  request_id: &str| {
        shared.record(RecordedRequest {
            connection_id: conn.id,
            sequence_on_connection: conn.seq,
            method: request.method.clone(),
            path: request.path.clone(),
            query: request.query.clone(),
            model_id,
            headers: request.headers.clone(),
            body: request.body.clone(),
            auth,
            scenario,
            status,
            request_id: request_id.to_string(),
        })
    };
    let route = match route(&request) {
        Ok(r) => r,
        Err(message) => {
            let resp = validation_exception(&message, &ctx.request_id);
            record(400, None, AuthOutcome::NotChecked, None, &ctx.request_id);
            return send(conn, &resp, ctx.keep_alive);
        }
    };
    match route {
        Route::Other => {
            let resp = shared.config.handler.as_ref().and_then(|h| {
                catch_unwind(AssertUnwindSafe(|| h(&request))).unwrap_or_else(|_| {
                    Some(HttpResponse::json(
                        500,
                        &json!({"message": "the emulator's handler panicked"}),
                    ))
                })
            });
            let resp = resp.unwrap_or_else(|| unknown_operation(&ctx.request_id));
            let rid = resp
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("x-amzn-requestid"))
                .map_or(String::new(), |(_, v)| v.clone());
            record(resp.status, None, AuthOutcome::NotChecked, None, &rid);
            send(conn, &resp, ctx.keep_alive)
        }
        Route::UnknownOperation => {
            let resp = unknown_operation(&ctx.request_id);
            record(404, None, AuthOutcome::NotChecked, None, &ctx.request_id);
            send(conn, &resp, ctx.keep_alive)
        }
        Route::Model {
            model_id,
            streaming,
            converse,
        } => {
            let auth = match sigv4::verify(&request, &shared.config.auth, now_unix()) {
                Ok(auth) => auth,
                Err(e) => {
                    let rejected = AuthOutcome::Rejected {
                        error_type: e.error_type.to_string(),
                        message: e.message.clone(),
                    };
                    let mut resp = error_response(
                        e.status,
                        None,
                        "",
                        json!({ e.message_field: e.message }),
                        &ctx.request_id,
                    );
                    resp.headers
                        .push(("x-amzn-ErrorType".into(), e.error_type_header()));
                    record(e.status, Some(model_id), rejected, None, &ctx.request_id);
                    return send(conn, &resp, ctx.keep_alive);
                }
            };
            let scenario = match select_scenario(&shared, &model_id) {
                Ok(s) => s,
                Err(message) => {
                    let resp = validation_exception(&message, &ctx.request_id);
                    record(400, Some(model_id), auth, None, &ctx.request_id);
                    return send(conn, &resp, ctx.keep_alive);
                }
            };
            let spec = scenario.to_string();
            let family =
                models::answer_family(scenario.family, &model_id, shared.config.default_family);
            let keep_alive = ctx.keep_alive && !scenario.close;
            conn.silent_close = scenario.silent_close;
            let ctx = Ctx { keep_alive, ..ctx };

            // Faults decided before looking at the body.
            let early = early_response(&scenario.fault, &model_id, &ctx.request_id);
            if let Some(resp) = early {
                record(
                    resp.status,
                    Some(model_id),
                    auth,
                    Some(spec),
                    &ctx.request_id,
                );
                if matches!(scenario.fault, Fault::StallBody { .. }) {
                    return send_half_then_stall(conn, &resp);
                }
                return send(conn, &resp, ctx.keep_alive);
            }
            let body: Value = match serde_json::from_slice(&request.body) {
                Ok(v) => v,
                Err(_) if !shared.config.validate_bodies => Value::Null,
                Err(_) => {
                    let resp = error_response(
                        400,
                        Some("ValidationException"),
                        BEDROCK_NS,
                        json!({"message": "Malformed input request, please reformat your input and try again."}),
                        &ctx.request_id,
                    );
                    record(400, Some(model_id), auth, Some(spec), &ctx.request_id);
                    return send(conn, &resp, ctx.keep_alive);
                }
            };
            let validate = shared.config.validate_bodies;
            let checked = if converse {
                super::converse::parse(&request.body, validate).map(Some)
            } else if validate && !matches!(scenario.fault, Fault::Bulk { .. }) {
                models::validate(family, &body).map(|()| None)
            } else {
                Ok(None)
            };
            let converse_request = match checked {
                Ok(c) => c,
                Err(message) => {
                    let resp = error_response(
                        400,
                        Some("ValidationException"),
                        BEDROCK_NS,
                        json!({"message": message}),
                        &ctx.request_id,
                    );
                    record(400, Some(model_id), auth, Some(spec), &ctx.request_id);
                    return send(conn, &resp, ctx.keep_alive);
                }
            };
            record(
                200,
                Some(model_id.clone()),
                auth,
                Some(spec),
                &ctx.request_id,
            );
            if let Fault::StallHeaders { duration } = scenario.fault {
                if let Err(stop) = conn.wait(duration, duration.is_none()) {
                    return stop.into();
                }
            }
            let chunks = scenario.chunks.unwrap_or(shared.config.text_chunks);
            if let Some(req) = converse_request {
                let plan = super::converse::plan(&req, chunks);
                return if streaming {
                    converse_stream(conn, &ctx, &scenario, &plan)
                } else {
                    let latency = millis(ctx.received.elapsed());
                    let resp = HttpResponse {
                        status: 200,
                        headers: success_headers(&ctx, "application/json")
                            .into_iter()
                            .filter(|(n, _)| n != "X-Amzn-Bedrock-Content-Type")
                            .collect(),
                        body: super::converse::response(&plan, latency)
                            .to_string()
                            .into_bytes(),
                    };
                    send(conn, &resp, ctx.keep_alive)
                };
            }
            let answer = models::plan(family, &model_id, &body, chunks);
            if streaming {
                stream(conn, &ctx, &scenario, &answer)
            } else {
                invoke(conn, &ctx, &answer)
            }
        }
    }
}

/// `400 ValidationException` with `message` (a request the service refuses as malformed).
fn validation_exception(message: &str, request_id: &str) -> HttpResponse {
    error_response(
        400,
        Some("ValidationException"),
        BEDROCK_NS,
        json!({ "message": message }),
        request_id,
    )
}

fn unknown_operation(request_id: &str) -> HttpResponse {
    error_response(
        404,
        Some("UnknownOperationException"),
        "http://internal.amazon.com/coral/com.amazon.coral.service/",
        json!({"message": "The requested operation is not recognized by the service."}),
        request_id,
    )
}

pub(super) fn success_headers(ctx: &Ctx<'_>, content_type: &str) -> Vec<(String, String)> {
    let mut h = vec![
        ("Date".to_string(), http_date(now_unix())),
        ("Content-Type".to_string(), content_type.to_string()),
        ("x-amzn-RequestId".to_string(), ctx.request_id.clone()),
        (
            "X-Amzn-Bedrock-Content-Type".to_string(),
            "application/json".to_string(),
        ),
    ];
    for name in [
        "X-Amzn-Bedrock-PerformanceConfig-Latency",
        "X-Amzn-Bedrock-Service-Tier",
    ] {
        if let Some(v) = ctx.request.header(name) {
            h.push((name.to_string(), v.to_string()));
        }
    }
    h
}

fn invoke(conn: &mut Conn, ctx: &Ctx<'_>, answer: &Answer) -> Next {
    let doc = models::invoke_doc(answer);
    let mut h = success_headers(ctx, "application/json");
    h.retain(|(n, _)| n != "X-Amzn-Bedrock-Content-Type");
    let ms = ctx.received.elapsed().as_millis().to_string();
    h.push(("X-Amzn-Bedrock-Invocation-Latency".into(), ms));
    h.push((
        "X-Amzn-Bedrock-Input-Token-Count".into(),
        answer.input_tokens.to_string(),
    ));
    h.push((
        "X-Amzn-Bedrock-Output-Token-Count".into(),
        answer.output_tokens().to_string(),
    ));
    let resp = HttpResponse {
        status: 200,
        headers: h,
        body: doc.to_string().into_bytes(),
    };
    send(conn, &resp, ctx.keep_alive)
}

pub(super) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
