//! What one call sends and what it expects back: the path, the headers and the body of an
//! InvokeModelWithResponseStream, InvokeModel, ConverseStream or Converse request, validated
//! once before the first attempt and then sent unchanged by every attempt.

use std::sync::Arc;

use crate::converse::ConverseJson;
use crate::error::Result;
use crate::extract::ModelFamily;
use crate::request::{model_path, InvokeRequest};

/// What the response of an operation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// An event stream of `chunk` events (InvokeModelWithResponseStream).
    Chunks,
    /// An event stream of ConverseStream events.
    ConverseEvents,
    /// A whole body (InvokeModel, Converse).
    Body,
}

/// One operation's request, ready to be signed and sent.
#[derive(Clone)]
pub(crate) struct Operation {
    pub model_id: String,
    /// The chunk format of an InvokeModelWithResponseStream response (`Unknown` otherwise).
    pub family: ModelFamily,
    /// `/model/{modelId}/{operation}`
    pub path: String,
    /// Lower-case names.
    pub headers: Vec<(&'static str, String)>,
    pub body: Arc<[u8]>,
    pub expect: Expect,
}

impl Operation {
    /// InvokeModelWithResponseStream.
    pub fn invoke_stream(request: &InvokeRequest) -> Result<Operation> {
        Ok(Operation {
            model_id: request.model_id().to_owned(),
            family: request.model_family_value(),
            path: request.path()?,
            headers: request.validate_and_headers()?,
            body: request.shared_body(),
            expect: Expect::Chunks,
        })
    }

    /// InvokeModel: the same members, but `accept` is the `Accept` header.
    pub fn invoke(request: &InvokeRequest) -> Result<Operation> {
        let mut headers = request.validate_and_headers()?;
        for (name, _) in &mut headers {
            if *name == "x-amzn-bedrock-accept" {
                *name = "accept";
            }
        }
        Ok(Operation {
            model_id: request.model_id().to_owned(),
            family: ModelFamily::Unknown,
            path: request.path_for("invoke")?,
            headers,
            body: request.shared_body(),
            expect: Expect::Body,
        })
    }

    /// ConverseStream (`stream`) or Converse.
    pub fn converse(request: &ConverseJson, stream: bool) -> Result<Operation> {
        request.check_operation(stream)?;
        let (suffix, accept, expect) = if stream {
            (
                "converse-stream",
                crate::client::EVENTSTREAM_CONTENT_TYPE,
                Expect::ConverseEvents,
            )
        } else {
            ("converse", "application/json", Expect::Body)
        };
        Ok(Operation {
            model_id: request.model_id().to_owned(),
            family: ModelFamily::Unknown,
            path: model_path(request.model_id(), suffix)?,
            headers: vec![
                ("content-type", "application/json".to_owned()),
                ("accept", accept.to_owned()),
            ],
            body: request.shared_body(),
            expect,
        })
    }
}
