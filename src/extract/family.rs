//! Model families: the ids and stable names, and recognising a family from a model id or
//! from the shape of one chunk document.

use std::fmt;
use std::str::FromStr;

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::lenient::{first, is_json_object, parse, First, JStr};

/// The chunk format of a model family, which decides where the text, stop reason and usage live.
///
/// Stable names (used by [`as_str`](Self::as_str), [`Display`](fmt::Display) and
/// [`FromStr`]): `anthropic-claude`, `amazon-titan-text`, `amazon-nova`, `meta-llama`,
/// `mistral-text`, `mistral-chat`, `cohere`, `ai21-jamba`, `deepseek`, `openai-gpt-oss`,
/// `unknown`.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelFamily {
    /// Anthropic Claude, Messages API streaming events (`anthropic.claude-…`): text from
    /// `content_block_delta` events whose delta is a `text_delta`.
    AnthropicClaude,
    /// Amazon Titan Text (`amazon.titan-text-…`, `amazon.titan-tg1-…`): `outputText`.
    AmazonTitanText,
    /// Amazon Nova understanding models (`amazon.nova-…`): `contentBlockDelta.delta.text`.
    AmazonNova,
    /// Meta Llama (`meta.llama…`): `generation`.
    MetaLlama,
    /// Mistral text-completion models (`mistral.mistral-7b-instruct…`, `mixtral-8x7b…`,
    /// `mistral-large-2402…`, `mistral-small-2402…`): `outputs[0].text`.
    ///
    /// Both Mistral families also accept the other style's chunks (`choices[…]`), detected from
    /// the document shape, so a wrong guess between the two never loses text.
    MistralText,
    /// Mistral chat-completion models (every other `mistral.…` id, for example
    /// `mistral-large-2407`, `pixtral-large-2502`): `choices[0].message.content`.
    MistralChat,
    /// Cohere Command R / R+ stream events (top-level `text` of `text-generation` events), and the
    /// older Command format (`generations[0].text`).
    Cohere,
    /// AI21 Labs Jamba (`ai21.jamba…`): `choices[0].delta.content`.
    Ai21Jamba,
    /// DeepSeek (`deepseek.…`): `choices[0].text`, or the Llama-style `generation`.
    DeepSeek,
    /// OpenAI gpt-oss (`openai.gpt-oss-…`): `choices[0].delta.content`.
    OpenAiGptOss,
    /// The family is not known (application inference profiles, provisioned, custom or imported
    /// model ARNs, unknown providers). A [`TextExtractor`](super::TextExtractor) for it recognises the family from the
    /// chunks' shapes ([`ModelFamily::from_chunk`]); until it does, no text is extracted (the
    /// invocation metrics still are).
    Unknown,
}

/// Providers whose first id token selects a family (after a geographic prefix is removed).
pub(crate) const PROVIDERS: [&str; 8] = [
    "anthropic",
    "amazon",
    "meta",
    "mistral",
    "cohere",
    "ai21",
    "deepseek",
    "openai",
];

/// Mistral models that use the text-completion (`outputs[…]`) format.
const MISTRAL_TEXT_MODELS: [&str; 4] = [
    "mistral-7b-instruct",
    "mixtral-8x7b-instruct",
    "mistral-large-2402",
    "mistral-small-2402",
];

impl ModelFamily {
    /// Every family, in declaration order (for help texts and name lists).
    pub const ALL: [ModelFamily; 11] = [
        ModelFamily::AnthropicClaude,
        ModelFamily::AmazonTitanText,
        ModelFamily::AmazonNova,
        ModelFamily::MetaLlama,
        ModelFamily::MistralText,
        ModelFamily::MistralChat,
        ModelFamily::Cohere,
        ModelFamily::Ai21Jamba,
        ModelFamily::DeepSeek,
        ModelFamily::OpenAiGptOss,
        ModelFamily::Unknown,
    ];

    /// Derives the family from a model id as passed to the operation.
    ///
    /// Rules:
    /// * A Bedrock ARN is reduced to its resource id: for `foundation-model/…` and
    ///   `inference-profile/…` the part after the last `/`. Every other ARN
    ///   (`application-inference-profile`, `provisioned-model`, `custom-model`,
    ///   `custom-model-deployment`, `imported-model`, prompts, prompt routers, non-Bedrock
    ///   services) gives [`Unknown`](Self::Unknown): such ids do not reveal the format.
    /// * A leading geographic inference-profile prefix (`us.`, `us-gov.`, `eu.`, `apac.`, `jp.`,
    ///   `au.`, `ca.`, `global.`, or any other short lowercase-letters-and-hyphens token in front
    ///   of a known provider) is removed.
    /// * The first dot-separated token is the provider (`anthropic`, `amazon`, `meta`,
    ///   `mistral`, `cohere`, `ai21`, `deepseek`, `openai`) and the start of the model name picks
    ///   the family (for example `amazon.titan-text…` vs `amazon.nova…`; `amazon.titan-embed…` or
    ///   `cohere.embed…` are not text-streaming families and give `Unknown`).
    ///
    /// Matching ignores ASCII case and surrounding whitespace.
    #[must_use]
    pub fn from_model_id(model_id: &str) -> ModelFamily {
        let id = model_id.trim();
        match resource_model_id(id) {
            Some(base) => family_from_base_id(base),
            None => ModelFamily::Unknown,
        }
    }

    /// Recognises the family from the shape of one chunk document (the model's JSON, already
    /// base64-decoded), or `None` when the shape does not tell.
    ///
    /// Only a field that belongs to exactly one family counts: Claude's `type` with an Anthropic
    /// event name (`message_start`, `content_block_delta`, …), Titan's `outputText`, Nova's
    /// `messageStart` / `contentBlockDelta` / `messageStop` / … objects, Llama's `generation`,
    /// Mistral's `outputs` (text completion) or `choices[0].message` (chat), Cohere's
    /// `event_type` / `is_finished` / `generations`, DeepSeek's `choices[0].text`. The
    /// `choices[0].delta` shape is shared by AI21 Jamba and OpenAI gpt-oss: it gives
    /// [`Ai21Jamba`](Self::Ai21Jamba) only with Jamba's `meta.requestDurationMillis`, and
    /// [`OpenAiGptOss`](Self::OpenAiGptOss) only with a `model` member naming a gpt-oss model.
    /// A document with the fields of two families, metrics alone, or anything that is not a
    /// JSON object gives `None`. A Llama-format stream of an imported DeepSeek distill is
    /// recognised as [`MetaLlama`](Self::MetaLlama), whose format it is.
    ///
    /// ```
    /// use bedrock_stream::extract::ModelFamily;
    ///
    /// let nova = br#"{"contentBlockDelta":{"delta":{"text":"Hi"},"contentBlockIndex":0}}"#;
    /// assert_eq!(ModelFamily::from_chunk(nova), Some(ModelFamily::AmazonNova));
    /// let shared = br#"{"id":"x","choices":[{"index":0,"delta":{"content":"Hi"}}]}"#;
    /// assert_eq!(ModelFamily::from_chunk(shared), None); // Jamba or gpt-oss
    /// ```
    #[must_use]
    pub fn from_chunk(chunk: &[u8]) -> Option<ModelFamily> {
        match recognise(chunk) {
            Recognised::Family(family) => Some(family),
            Recognised::SharedDelta | Recognised::Nothing => None,
        }
    }

    /// The stable name of the family, for example `"anthropic-claude"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ModelFamily::AnthropicClaude => "anthropic-claude",
            ModelFamily::AmazonTitanText => "amazon-titan-text",
            ModelFamily::AmazonNova => "amazon-nova",
            ModelFamily::MetaLlama => "meta-llama",
            ModelFamily::MistralText => "mistral-text",
            ModelFamily::MistralChat => "mistral-chat",
            ModelFamily::Cohere => "cohere",
            ModelFamily::Ai21Jamba => "ai21-jamba",
            ModelFamily::DeepSeek => "deepseek",
            ModelFamily::OpenAiGptOss => "openai-gpt-oss",
            ModelFamily::Unknown => "unknown",
        }
    }
}

impl fmt::Display for ModelFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of [`ModelFamily::from_str`]: the name is not one of the stable family names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseModelFamilyError {
    name: String,
}

impl ParseModelFamilyError {
    /// The rejected input.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for ParseModelFamilyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown model family `{}` (expected one of:", self.name)?;
        for (i, family) in ModelFamily::ALL.iter().enumerate() {
            let sep = if i == 0 { " " } else { ", " };
            write!(f, "{sep}{family}")?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for ParseModelFamilyError {}

impl FromStr for ModelFamily {
    type Err = ParseModelFamilyError;

    /// Parses a stable family name. ASCII case is ignored, `_` is accepted for `-`, and
    /// surrounding whitespace is ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        ModelFamily::ALL
            .iter()
            .copied()
            .find(|family| {
                let name = family.as_str().as_bytes();
                let input = trimmed.as_bytes();
                name.len() == input.len()
                    && name.iter().zip(input).all(|(&n, &c)| {
                        let c = if c == b'_' { b'-' } else { c };
                        n == c.to_ascii_lowercase()
                    })
            })
            .ok_or_else(|| ParseModelFamilyError { name: s.to_owned() })
    }
}

/// The model id inside `id`: `id` itself when it is not an ARN, the resource id of a
/// foundation-model or inference-profile ARN, and `None` for every other ARN.
fn resource_model_id(id: &str) -> Option<&str> {
    let Some(rest) = strip_prefix_ignore_case(id, "arn:") else {
        return Some(id);
    };
    // arn:partition:service:region:account-id:resource-type/resource-id
    let mut parts = rest.splitn(5, ':');
    let _partition = parts.next()?;
    let service = parts.next()?;
    let _region = parts.next()?;
    let _account = parts.next()?;
    let resource = parts.next()?;
    if !service.eq_ignore_ascii_case("bedrock") {
        return None;
    }
    let (kind, path) = resource.split_once('/')?;
    if kind.eq_ignore_ascii_case("foundation-model")
        || kind.eq_ignore_ascii_case("inference-profile")
    {
        path.rsplit('/').next()
    } else {
        None
    }
}

fn family_from_base_id(id: &str) -> ModelFamily {
    let Some((mut provider, mut model)) = id.split_once('.') else {
        return ModelFamily::Unknown;
    };
    if !is_provider(provider) && looks_like_geo_prefix(provider) {
        match model.split_once('.') {
            Some((p, m)) => (provider, model) = (p, m),
            None => return ModelFamily::Unknown,
        }
    }
    if model.is_empty() {
        return ModelFamily::Unknown;
    }
    let is = |name: &str| provider.eq_ignore_ascii_case(name);
    let starts = |prefix: &str| starts_with_ignore_case(model, prefix);
    let pick = |cond: bool, family: ModelFamily| {
        if cond {
            family
        } else {
            ModelFamily::Unknown
        }
    };
    if is("anthropic") {
        pick(starts("claude"), ModelFamily::AnthropicClaude)
    } else if is("amazon") {
        if starts("titan-text") || starts("titan-tg1") {
            ModelFamily::AmazonTitanText
        } else {
            pick(starts("nova"), ModelFamily::AmazonNova)
        }
    } else if is("meta") {
        pick(starts("llama"), ModelFamily::MetaLlama)
    } else if is("mistral") {
        if MISTRAL_TEXT_MODELS.iter().any(|m| starts(m)) {
            ModelFamily::MistralText
        } else {
            ModelFamily::MistralChat
        }
    } else if is("cohere") {
        pick(starts("command"), ModelFamily::Cohere)
    } else if is("ai21") {
        pick(starts("jamba"), ModelFamily::Ai21Jamba)
    } else if is("deepseek") {
        ModelFamily::DeepSeek
    } else if is("openai") {
        pick(starts("gpt-oss"), ModelFamily::OpenAiGptOss)
    } else {
        ModelFamily::Unknown
    }
}

fn is_provider(token: &str) -> bool {
    PROVIDERS.iter().any(|p| token.eq_ignore_ascii_case(p))
}

/// `us`, `us-gov`, `eu`, `apac`, `jp`, `au`, `ca`, `global`, and future prefixes of the same
/// form: 2 to 8 ASCII letters or hyphens, starting with a letter.
fn looks_like_geo_prefix(token: &str) -> bool {
    let b = token.as_bytes();
    (2..=8).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b.iter().all(|&c| c.is_ascii_alphabetic() || c == b'-')
}

fn strip_prefix_ignore_case<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    if starts_with_ignore_case(s, prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

// ---- Recognising the family from a chunk's shape ----

/// What [`recognise`] found in one chunk document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Recognised {
    /// Fields of exactly one family.
    Family(ModelFamily),
    /// The `choices[0].delta` shape of AI21 Jamba and OpenAI gpt-oss, nothing telling them apart.
    SharedDelta,
    /// No family's fields, the fields of two families, or not a JSON object.
    Nothing,
}

/// Anthropic streaming event names (the `type` of a Claude chunk).
const CLAUDE_EVENTS: [&str; 8] = [
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
    "ping",
    "error",
];

/// The members that tell the families apart; their values are only looked at as far as needed.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<JStr<'a>>,
    #[serde(rename = "outputText", borrow)]
    output_text: Option<JStr<'a>>,
    #[serde(rename = "messageStart")]
    message_start: Option<IgnoredAny>,
    #[serde(rename = "contentBlockStart")]
    content_block_start: Option<IgnoredAny>,
    #[serde(rename = "contentBlockDelta")]
    content_block_delta: Option<IgnoredAny>,
    #[serde(rename = "contentBlockStop")]
    content_block_stop: Option<IgnoredAny>,
    #[serde(rename = "messageStop")]
    message_stop: Option<IgnoredAny>,
    #[serde(borrow)]
    generation: Option<JStr<'a>>,
    outputs: Option<IgnoredAny>,
    #[serde(borrow)]
    choices: Option<First<ProbeChoice<'a>>>,
    event_type: Option<IgnoredAny>,
    is_finished: Option<IgnoredAny>,
    generations: Option<IgnoredAny>,
    meta: Option<ProbeMeta>,
    #[serde(borrow)]
    model: Option<JStr<'a>>,
}

#[derive(Deserialize)]
struct ProbeChoice<'a> {
    #[serde(borrow)]
    text: Option<JStr<'a>>,
    message: Option<IgnoredAny>,
    delta: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct ProbeMeta {
    #[serde(rename = "requestDurationMillis")]
    request_duration_millis: Option<IgnoredAny>,
}

/// The family whose fields `chunk` has, when exactly one family's do (see
/// [`ModelFamily::from_chunk`]).
pub(super) fn recognise(chunk: &[u8]) -> Recognised {
    if !is_json_object(chunk) {
        return Recognised::Nothing;
    }
    let Some(probe) = parse::<Probe<'_>>(chunk) else {
        return Recognised::Nothing;
    };
    let is_string = |s: &Option<JStr<'_>>| matches!(s, Some(JStr::Bytes(_)));
    let nova = [
        &probe.message_start,
        &probe.content_block_start,
        &probe.content_block_delta,
        &probe.content_block_stop,
        &probe.message_stop,
    ];
    let choice = first(probe.choices);
    let delta = choice.as_ref().is_some_and(|c| c.delta.is_some());
    // Jamba's and gpt-oss's `choices[0].delta` chunks differ only in these members.
    let jamba = delta
        && probe
            .meta
            .as_ref()
            .is_some_and(|m| m.request_duration_millis.is_some());
    let gpt_oss = delta
        && match &probe.model {
            Some(JStr::Bytes(m)) => std::str::from_utf8(m)
                .is_ok_and(|m| ModelFamily::from_model_id(m) == ModelFamily::OpenAiGptOss),
            _ => false,
        };
    let shared_delta = delta && !jamba && !gpt_oss;
    let seen = [
        (
            probe
                .kind
                .as_ref()
                .is_some_and(|k| CLAUDE_EVENTS.iter().any(|e| k.is(e))),
            ModelFamily::AnthropicClaude,
        ),
        (is_string(&probe.output_text), ModelFamily::AmazonTitanText),
        (nova.iter().any(|m| m.is_some()), ModelFamily::AmazonNova),
        (is_string(&probe.generation), ModelFamily::MetaLlama),
        (probe.outputs.is_some(), ModelFamily::MistralText),
        (
            choice.as_ref().is_some_and(|c| c.message.is_some()),
            ModelFamily::MistralChat,
        ),
        (
            probe.event_type.is_some()
                || probe.is_finished.is_some()
                || probe.generations.is_some(),
            ModelFamily::Cohere,
        ),
        (jamba, ModelFamily::Ai21Jamba),
        (
            choice.as_ref().is_some_and(|c| is_string(&c.text)),
            ModelFamily::DeepSeek,
        ),
        (gpt_oss, ModelFamily::OpenAiGptOss),
    ];
    let mut families = seen.iter().filter(|(yes, _)| *yes).map(|(_, f)| *f);
    match (families.next(), families.next(), shared_delta) {
        (Some(family), None, false) => Recognised::Family(family),
        (None, None, true) => Recognised::SharedDelta,
        _ => Recognised::Nothing,
    }
}
