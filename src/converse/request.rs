//! `ConverseStreamRequest` / `ConverseRequest`: every member of the service model, typed, and
//! [`ConverseJson`], a request body given as JSON text and validated before it is sent.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::types::{CachePointBlock, Message, SystemContentBlock};
use super::wire::{open_enum, union_shape};
use crate::error::{Error, Result};

/// Most `additionalModelResponseFieldPaths` the service model allows.
pub const MAX_RESPONSE_FIELD_PATHS: usize = 10;

/// One ConverseStream or Converse request: the model id (sent in the path) and the JSON body
/// members. Every member is optional except `modelId`; unset members are not sent.
///
/// ```
/// use bedrock_stream::converse::{ConverseRequest, InferenceConfiguration, Message};
/// let req = ConverseRequest::new("anthropic.claude-3-haiku-20240307-v1:0")
///     .system_text("Answer in one word.")
///     .message(Message::user("Capital of France?"))
///     .inference_config(InferenceConfiguration { max_tokens: Some(16), ..Default::default() });
/// assert_eq!(
///     String::from_utf8(req.to_body().unwrap()).unwrap(),
///     r#"{"messages":[{"role":"user","content":[{"text":"Capital of France?"}]}],"system":[{"text":"Answer in one word."}],"inferenceConfig":{"maxTokens":16}}"#
/// );
/// ```
#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConverseRequest {
    /// `modelId` (the URI label; never in the body).
    #[serde(skip)]
    pub model_id: String,
    /// `messages`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<Message>>,
    /// `system`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<Vec<SystemContentBlock>>,
    /// `inferenceConfig`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference_config: Option<InferenceConfiguration>,
    /// `toolConfig`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_config: Option<ToolConfiguration>,
    /// `guardrailConfig` (`streamProcessingMode` is ConverseStream only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_config: Option<GuardrailConfiguration>,
    /// `projectIdentifier`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_identifier: Option<String>,
    /// `additionalModelRequestFields`: model-specific JSON, passed through unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_model_request_fields: Option<Value>,
    /// `promptVariables` (sensitive)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_variables: Option<BTreeMap<String, PromptVariableValues>>,
    /// `additionalModelResponseFieldPaths` (JSON pointers, at most 10)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_model_response_field_paths: Option<Vec<String>>,
    /// `requestMetadata` (sensitive)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_metadata: Option<BTreeMap<String, String>>,
    /// `performanceConfig`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_config: Option<PerformanceConfiguration>,
    /// `serviceTier`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<ServiceTier>,
    /// `outputConfig`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_config: Option<OutputConfig>,
}

impl fmt::Debug for ConverseRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sensitive = |set: bool| set.then_some("** sensitive **");
        f.debug_struct("ConverseRequest")
            .field("model_id", &self.model_id)
            .field("messages", &self.messages)
            .field("system", &self.system)
            .field("inference_config", &self.inference_config)
            .field("tool_config", &self.tool_config)
            .field("guardrail_config", &self.guardrail_config)
            .field("project_identifier", &self.project_identifier)
            .field(
                "additional_model_request_fields",
                &self.additional_model_request_fields,
            )
            .field(
                "prompt_variables",
                &sensitive(self.prompt_variables.is_some()),
            )
            .field(
                "additional_model_response_field_paths",
                &self.additional_model_response_field_paths,
            )
            .field(
                "request_metadata",
                &sensitive(self.request_metadata.is_some()),
            )
            .field("performance_config", &self.performance_config)
            .field("service_tier", &self.service_tier)
            .field("output_config", &self.output_config)
            .finish()
    }
}

impl ConverseRequest {
    /// An empty request for `model_id` (model id, inference profile, prompt or other ARN).
    pub fn new(model_id: impl Into<String>) -> ConverseRequest {
        ConverseRequest {
            model_id: model_id.into(),
            ..ConverseRequest::default()
        }
    }

    /// Append a message to `messages`.
    pub fn message(mut self, m: Message) -> Self {
        self.messages.get_or_insert_with(Vec::new).push(m);
        self
    }

    /// Append a block to `system`.
    pub fn system(mut self, block: SystemContentBlock) -> Self {
        self.system.get_or_insert_with(Vec::new).push(block);
        self
    }

    /// Append a text block to `system`.
    pub fn system_text(self, text: impl Into<String>) -> Self {
        self.system(SystemContentBlock::Text(text.into()))
    }

    /// Set `inferenceConfig`.
    pub fn inference_config(mut self, c: InferenceConfiguration) -> Self {
        self.inference_config = Some(c);
        self
    }

    /// Append a tool to `toolConfig.tools`.
    pub fn tool(mut self, tool: impl Into<Tool>) -> Self {
        self.tool_config
            .get_or_insert_with(ToolConfiguration::default)
            .tools
            .push(tool.into());
        self
    }

    /// Set `toolConfig.toolChoice`.
    pub fn tool_choice(mut self, choice: ToolChoice) -> Self {
        self.tool_config
            .get_or_insert_with(ToolConfiguration::default)
            .tool_choice = Some(choice);
        self
    }

    /// Set `guardrailConfig`.
    pub fn guardrail_config(mut self, g: GuardrailConfiguration) -> Self {
        self.guardrail_config = Some(g);
        self
    }

    /// Set `projectIdentifier`.
    pub fn project_identifier(mut self, p: impl Into<String>) -> Self {
        self.project_identifier = Some(p.into());
        self
    }

    /// Set `additionalModelRequestFields`.
    pub fn additional_model_request_fields(mut self, v: Value) -> Self {
        self.additional_model_request_fields = Some(v);
        self
    }

    /// Set one entry of `promptVariables`.
    pub fn prompt_variable(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        self.prompt_variables
            .get_or_insert_with(BTreeMap::new)
            .insert(name.into(), PromptVariableValues::Text(text.into()));
        self
    }

    /// Append a JSON pointer to `additionalModelResponseFieldPaths`.
    pub fn additional_model_response_field_path(mut self, path: impl Into<String>) -> Self {
        self.additional_model_response_field_paths
            .get_or_insert_with(Vec::new)
            .push(path.into());
        self
    }

    /// Set one entry of `requestMetadata`.
    pub fn request_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.request_metadata
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value.into());
        self
    }

    /// Set `performanceConfig.latency`.
    pub fn performance_config_latency(
        mut self,
        latency: impl Into<PerformanceConfigLatency>,
    ) -> Self {
        self.performance_config = Some(PerformanceConfiguration {
            latency: Some(latency.into()),
        });
        self
    }

    /// Set `serviceTier.type`.
    pub fn service_tier(mut self, tier: impl Into<ServiceTierType>) -> Self {
        self.service_tier = Some(ServiceTier {
            r#type: tier.into(),
        });
        self
    }

    /// Set `outputConfig`.
    pub fn output_config(mut self, c: OutputConfig) -> Self {
        self.output_config = Some(c);
        self
    }

    /// Check the request against the service model's constraints that this library can check
    /// without the service (for ConverseStream when `stream`, else Converse).
    pub fn validate(&self, stream: bool) -> Result<()> {
        crate::request::validate_model_id(&self.model_id)?;
        if let Some(t) = &self.tool_config {
            if t.tools.is_empty() {
                return Err(Error::invalid_input(
                    "toolConfig.tools is empty; the service model needs at least one tool",
                ));
            }
        }
        if let Some(p) = &self.additional_model_response_field_paths {
            if p.len() > MAX_RESPONSE_FIELD_PATHS {
                return Err(Error::invalid_input(format!(
                    "additionalModelResponseFieldPaths has {} entries; at most \
                     {MAX_RESPONSE_FIELD_PATHS} are allowed",
                    p.len()
                )));
            }
        }
        if !stream && self.is_stream_only() {
            return Err(stream_only_error());
        }
        Ok(())
    }

    fn is_stream_only(&self) -> bool {
        self.guardrail_config
            .as_ref()
            .is_some_and(|g| g.stream_processing_mode.is_some())
    }

    /// The JSON body exactly as sent (every member but `modelId`; unset members omitted).
    pub fn to_body(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self)
            .map_err(|e| Error::invalid_input(format!("the request cannot be serialised: {e}")))
    }

    /// Validate and serialise for sending.
    pub fn to_json(&self, stream: bool) -> Result<ConverseJson> {
        self.validate(stream)?;
        Ok(ConverseJson {
            model_id: self.model_id.clone(),
            body: Arc::from(self.to_body()?),
            stream_only: self.is_stream_only(),
        })
    }
}

fn stream_only_error() -> Error {
    Error::invalid_input(
        "guardrailConfig.streamProcessingMode is a ConverseStream member; Converse does not \
         accept it",
    )
}

/// A ConverseStream / Converse request whose body is JSON text the caller already has (from a
/// file, another SDK, a template), checked before sending and then sent byte for byte.
///
/// [`ConverseJson::parse`] refuses text that is not a JSON object, that carries `modelId` (it
/// goes in the path), that has a member the service model does not list, or whose members do
/// not have the model's types and required members (unions with exactly one member; unknown
/// union members and enum values are accepted, as the service adds them often).
#[derive(Clone, PartialEq, Eq)]
pub struct ConverseJson {
    model_id: String,
    body: Arc<[u8]>,
    /// The body sets a ConverseStream-only member (`guardrailConfig.streamProcessingMode`).
    stream_only: bool,
}

impl fmt::Debug for ConverseJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConverseJson")
            .field("model_id", &self.model_id)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}

impl ConverseJson {
    /// Check `text` as the body of a request for `model_id` (ConverseStream when `stream`,
    /// else Converse).
    pub fn parse(model_id: impl Into<String>, text: &str, stream: bool) -> Result<ConverseJson> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            Error::invalid_input(format!("the request body is not valid JSON: {e}"))
        })?;
        let Value::Object(members) = &value else {
            return Err(Error::invalid_input(
                "the request body must be a JSON object (the ConverseStream members)",
            ));
        };
        if members.contains_key("modelId") {
            return Err(Error::invalid_input(
                "the request body contains modelId; the model id goes in the request path, \
                 give it separately",
            ));
        }
        // From the text (not the value) so that errors carry their line and column.
        let mut typed: ConverseRequest = serde_json::from_str(text)
            .map_err(|e| Error::invalid_input(format!("the request body is invalid: {e}")))?;
        typed.model_id = model_id.into();
        typed.validate(stream)?;
        Ok(ConverseJson {
            stream_only: typed.is_stream_only(),
            model_id: typed.model_id,
            body: Arc::from(text.as_bytes()),
        })
    }

    /// The model id.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// The body bytes as sent.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The typed request this body describes (to change it, e.g. append the next turn's
    /// messages; the typed request is then serialised anew when sent).
    pub fn to_request(&self) -> Result<ConverseRequest> {
        let mut typed: ConverseRequest = serde_json::from_slice(&self.body)
            .map_err(|e| Error::invalid_input(format!("the request body is invalid: {e}")))?;
        typed.model_id = self.model_id.clone();
        Ok(typed)
    }

    pub(crate) fn shared_body(&self) -> Arc<[u8]> {
        self.body.clone()
    }

    /// Refuse a body with ConverseStream-only members for Converse.
    pub(crate) fn check_operation(&self, stream: bool) -> Result<()> {
        if self.stream_only && !stream {
            return Err(stream_only_error());
        }
        Ok(())
    }
}

/// `InferenceConfiguration`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InferenceConfiguration {
    /// `maxTokens` (at least 1)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// `temperature` (0 to 1)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// `topP` (0 to 1)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    /// `stopSequences`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<Vec<String>>,
}

/// `ToolConfiguration`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolConfiguration {
    /// `tools` (at least one)
    pub tools: Vec<Tool>,
    /// `toolChoice`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
}

union_shape! {
    /// `Tool`.
    Tool("Tool") {
        /// `toolSpec`
        ToolSpec(ToolSpecification) = "toolSpec",
        /// `systemTool`
        SystemTool(SystemTool) = "systemTool",
        /// `cachePoint`
        CachePoint(CachePointBlock) = "cachePoint",
    }
}

impl From<ToolSpecification> for Tool {
    fn from(s: ToolSpecification) -> Tool {
        Tool::ToolSpec(s)
    }
}

/// `ToolSpecification`: a tool the model may ask for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolSpecification {
    /// `name`
    pub name: String,
    /// `description`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `inputSchema`
    pub input_schema: ToolInputSchema,
    /// `strict`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

impl ToolSpecification {
    /// A tool whose input is described by this JSON Schema.
    pub fn new(name: impl Into<String>, json_schema: Value) -> ToolSpecification {
        ToolSpecification {
            name: name.into(),
            description: None,
            input_schema: ToolInputSchema::Json(json_schema),
            strict: None,
        }
    }

    /// Set `description`.
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }
}

union_shape! {
    /// `ToolInputSchema`.
    ToolInputSchema("ToolInputSchema") {
        /// `json`: a JSON Schema document.
        Json(Value) = "json",
    }
}

/// `SystemTool`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemTool {
    /// `name`
    pub name: String,
}

union_shape! {
    /// `ToolChoice`.
    ToolChoice("ToolChoice") {
        /// `auto`: the model decides.
        Auto(AutoToolChoice) = "auto",
        /// `any`: the model must use some tool.
        Any(AnyToolChoice) = "any",
        /// `tool`: the model must use this tool.
        Tool(SpecificToolChoice) = "tool",
    }
}

impl ToolChoice {
    /// `{"auto":{}}`
    pub fn auto() -> ToolChoice {
        ToolChoice::Auto(AutoToolChoice {})
    }

    /// `{"any":{}}`
    pub fn any() -> ToolChoice {
        ToolChoice::Any(AnyToolChoice {})
    }

    /// `{"tool":{"name":...}}`
    pub fn tool(name: impl Into<String>) -> ToolChoice {
        ToolChoice::Tool(SpecificToolChoice { name: name.into() })
    }
}

/// `AutoToolChoice` (no members).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AutoToolChoice {}

/// `AnyToolChoice` (no members).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AnyToolChoice {}

/// `SpecificToolChoice`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpecificToolChoice {
    /// `name`
    pub name: String,
}

open_enum! {
    /// `GuardrailTrace`.
    GuardrailTrace {
        /// `enabled`
        Enabled = "enabled",
        /// `disabled`
        Disabled = "disabled",
        /// `enabled_full`
        EnabledFull = "enabled_full",
    }
}

open_enum! {
    /// `GuardrailStreamProcessingMode`.
    GuardrailStreamProcessingMode {
        /// `sync`
        Sync = "sync",
        /// `async`
        Async = "async",
    }
}

/// `GuardrailStreamConfiguration` (ConverseStream) and `GuardrailConfiguration` (Converse,
/// which has no `streamProcessingMode`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailConfiguration {
    /// `guardrailIdentifier`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_identifier: Option<String>,
    /// `guardrailVersion`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_version: Option<String>,
    /// `trace`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<GuardrailTrace>,
    /// `streamProcessingMode` (ConverseStream only)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_processing_mode: Option<GuardrailStreamProcessingMode>,
}

union_shape! {
    /// `PromptVariableValues`.
    sensitive PromptVariableValues("PromptVariableValues") {
        /// `text`
        Text(String) = "text",
    }
}

open_enum! {
    /// `PerformanceConfigLatency` (in JSON; the header form is [`crate::PerformanceConfigLatency`]).
    PerformanceConfigLatency {
        /// `standard`
        Standard = "standard",
        /// `optimized`
        Optimized = "optimized",
    }
}

impl From<crate::PerformanceConfigLatency> for PerformanceConfigLatency {
    fn from(v: crate::PerformanceConfigLatency) -> Self {
        Self::from(v.as_str())
    }
}

/// `PerformanceConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PerformanceConfiguration {
    /// `latency`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<PerformanceConfigLatency>,
}

open_enum! {
    /// `ServiceTierType` (in JSON; the header form is [`crate::ServiceTier`]).
    ServiceTierType {
        /// `priority`
        Priority = "priority",
        /// `default`
        Default = "default",
        /// `flex`
        Flex = "flex",
        /// `reserved`
        Reserved = "reserved",
    }
}

impl From<crate::ServiceTier> for ServiceTierType {
    fn from(v: crate::ServiceTier) -> Self {
        Self::from(v.as_str())
    }
}

/// `ServiceTier` (the structure; its `type` is the tier).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceTier {
    /// `type`
    #[serde(rename = "type")]
    pub r#type: ServiceTierType,
}

/// `OutputConfig`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputConfig {
    /// `textFormat`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_format: Option<OutputFormat>,
    /// `effort` (at most 16 characters)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<String>,
}

open_enum! {
    /// `OutputFormatType`.
    OutputFormatType {
        /// `json_schema`
        JsonSchema = "json_schema",
    }
}

/// `OutputFormat`: structured output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputFormat {
    /// `type`
    #[serde(rename = "type")]
    pub r#type: OutputFormatType,
    /// `structure`
    pub structure: OutputFormatStructure,
}

union_shape! {
    /// `OutputFormatStructure`.
    sensitive OutputFormatStructure("OutputFormatStructure") {
        /// `jsonSchema`
        JsonSchema(JsonSchemaDefinition) = "jsonSchema",
    }
}

/// `JsonSchemaDefinition`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonSchemaDefinition {
    /// `schema`: the JSON Schema as text.
    pub schema: String,
    /// `name`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `description`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::converse::{ContentBlock, Message, Role};

    #[test]
    fn a_json_body_becomes_the_same_typed_request() {
        let text = r#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":5},"toolConfig":{"tools":[{"futureTool":{"x":1}}]}}"#;
        let j = ConverseJson::parse("m.x", text, true).unwrap();
        let typed = j.to_request().unwrap();
        assert_eq!(typed.model_id, "m.x");
        assert_eq!(typed.inference_config.as_ref().unwrap().max_tokens, Some(5));
        // Unknown union members survive: the body serialises back to the same JSON.
        let back: Value = serde_json::from_slice(&typed.to_body().unwrap()).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(text).unwrap());
        let next = typed.message(Message::new(
            Role::Assistant,
            vec![ContentBlock::Text("Hello".into())],
        ));
        assert_eq!(next.messages.unwrap().len(), 2);
    }
}
