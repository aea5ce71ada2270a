//! The completion shapes: Meta Llama's flat document and the `choices` / `outputs` arrays of
//! Mistral (both styles), AI21 Jamba, DeepSeek and OpenAI gpt-oss. One document type reads them
//! all; the family decides which members count.

use serde::Deserialize;

use super::lenient::{bytes_of, first, metrics_of, First, JStr, Num, RawMetrics};
use super::{ModelFamily, Parts, Usage};

/// The union of the flat (Llama-style) and `choices`/`outputs` (OpenAI-like) shapes. The
/// family decides which fields count.
#[derive(Deserialize)]
pub(super) struct CompletionChunk<'a> {
    #[serde(borrow)]
    generation: Option<JStr<'a>>,
    #[serde(borrow)]
    stop_reason: Option<JStr<'a>>,
    #[serde(default)]
    prompt_token_count: Num,
    #[serde(default)]
    generation_token_count: Num,
    #[serde(borrow)]
    outputs: Option<First<Choice<'a>>>,
    #[serde(borrow)]
    choices: Option<First<Choice<'a>>>,
    usage: Option<OpenAiUsage>,
    #[serde(rename = "amazon-bedrock-invocationMetrics")]
    metrics: Option<RawMetrics>,
}

#[derive(Deserialize)]
pub(super) struct Choice<'a> {
    #[serde(borrow)]
    pub(super) text: Option<JStr<'a>>,
    #[serde(borrow)]
    delta: Option<ChoiceMessage<'a>>,
    #[serde(borrow)]
    message: Option<ChoiceMessage<'a>>,
    #[serde(borrow)]
    pub(super) finish_reason: Option<JStr<'a>>,
    #[serde(borrow)]
    stop_reason: Option<JStr<'a>>,
}

#[derive(Deserialize)]
struct ChoiceMessage<'a> {
    #[serde(borrow)]
    content: Option<JStr<'a>>,
}

#[derive(Deserialize)]
struct OpenAiUsage {
    #[serde(default)]
    prompt_tokens: Num,
    #[serde(default)]
    completion_tokens: Num,
}

impl<'a> CompletionChunk<'a> {
    pub(super) fn into_parts(self, family: ModelFamily) -> Parts<'a> {
        let llama_usage = Usage {
            input_tokens: self.prompt_token_count.0,
            output_tokens: self.generation_token_count.0,
            ..Usage::default()
        };
        let openai_usage = self
            .usage
            .map(|u| Usage {
                input_tokens: u.prompt_tokens.0,
                output_tokens: u.completion_tokens.0,
                ..Usage::default()
            })
            .unwrap_or_default();
        let metrics = metrics_of(self.metrics);
        let (text, stop, usage) = match family {
            ModelFamily::MetaLlama => (
                bytes_of(self.generation),
                bytes_of(self.stop_reason),
                llama_usage,
            ),
            ModelFamily::MistralText | ModelFamily::MistralChat => {
                if let Some(out) = first(self.outputs) {
                    (bytes_of(out.text), bytes_of(out.stop_reason), openai_usage)
                } else if let Some(choice) = first(self.choices) {
                    let content = choice.message.or(choice.delta).map(|m| m.content);
                    let stop = bytes_of(choice.stop_reason).or(bytes_of(choice.finish_reason));
                    (bytes_of(content.flatten()), stop, openai_usage)
                } else {
                    (None, None, openai_usage)
                }
            }
            ModelFamily::Ai21Jamba | ModelFamily::OpenAiGptOss => match first(self.choices) {
                Some(choice) => (
                    bytes_of(choice.delta.and_then(|d| d.content)),
                    bytes_of(choice.finish_reason),
                    openai_usage,
                ),
                None => (None, None, openai_usage),
            },
            ModelFamily::DeepSeek => match first(self.choices) {
                Some(choice) => (
                    bytes_of(choice.text),
                    bytes_of(choice.stop_reason).or(bytes_of(choice.finish_reason)),
                    llama_usage,
                ),
                None => (
                    bytes_of(self.generation),
                    bytes_of(self.stop_reason),
                    llama_usage,
                ),
            },
            _ => (None, None, Usage::default()),
        };
        Parts {
            text,
            stop,
            usage,
            metrics,
        }
    }
}
