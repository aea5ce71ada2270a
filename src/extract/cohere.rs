//! Cohere: Command R / R+ stream events and the older Command format.

use serde::Deserialize;

use super::completion::Choice;
use super::lenient::{bytes_of, first, metrics_of, First, JStr, Num, RawMetrics};
use super::{Parts, Usage};

#[derive(Deserialize)]
pub(super) struct CohereChunk<'a> {
    #[serde(borrow)]
    text: Option<JStr<'a>>,
    #[serde(borrow)]
    event_type: Option<JStr<'a>>,
    #[serde(borrow)]
    finish_reason: Option<JStr<'a>>,
    response: Option<CohereResponse>,
    #[serde(borrow)]
    generations: Option<First<Choice<'a>>>,
    #[serde(rename = "amazon-bedrock-invocationMetrics")]
    metrics: Option<RawMetrics>,
}

#[derive(Deserialize)]
struct CohereResponse {
    meta: Option<CohereMeta>,
}

#[derive(Deserialize)]
struct CohereMeta {
    billed_units: Option<CohereBilledUnits>,
}

#[derive(Deserialize)]
struct CohereBilledUnits {
    #[serde(default)]
    input_tokens: Num,
    #[serde(default)]
    output_tokens: Num,
}

impl<'a> CohereChunk<'a> {
    pub(super) fn into_parts(self) -> Parts<'a> {
        let generation = first(self.generations);
        // Command R: the top-level `text` of `text-generation` events (or of events without an
        // `event_type`); other events (stream-end carries the whole answer in `response.text`)
        // contribute no text. Older Command models: `generations[0].text`.
        let is_text_event = match &self.event_type {
            None => true,
            Some(kind) => kind.is("text-generation"),
        };
        let mut text = if is_text_event {
            bytes_of(self.text)
        } else {
            None
        };
        let mut stop = bytes_of(self.finish_reason);
        if let Some(g) = generation {
            if text.is_none() {
                text = bytes_of(g.text);
            }
            if stop.is_none() {
                stop = bytes_of(g.finish_reason);
            }
        }
        let usage = self
            .response
            .and_then(|r| r.meta)
            .and_then(|m| m.billed_units)
            .map(|b| Usage {
                input_tokens: b.input_tokens.0,
                output_tokens: b.output_tokens.0,
                ..Usage::default()
            })
            .unwrap_or_default();
        Parts {
            text,
            stop,
            usage,
            metrics: metrics_of(self.metrics),
        }
    }
}
