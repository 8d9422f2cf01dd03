//! The conformance fixtures that ask the client something mid-call: `test_sampling`,
//! `test_elicitation` and the two elicitations whose forms the suite inspects
//! (`test_elicitation_sep1034_defaults`, `test_elicitation_sep1330_enums`).
//!
//! They ask the way [`super::super::client_requests`] does: a request to the client up to
//! 2025-11-25, an `input_required` round from 2026-07-28.

// Sampling is deprecated by SEP-2577 but still part of every protocol version this server
// speaks, and the suite checks it.
#![allow(deprecated)]

use rmcp::model::{
    CreateMessageRequestParams, ElicitationSchema, JsonObject, SamplingMessage, Tool,
    ToolAnnotations,
};
use rmcp::schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::client_requests::{Answer, describe_elicitation, elicit, sample, sampled_text};
use crate::registry::{
    DemoTool, ToolCall, ToolFailure, ToolOutcome, input_schema, no_input_schema, parse_arguments,
    text_result,
};

/// The token limit of `test_sampling`'s request, as the suite specifies it.
const SAMPLING_MAX_TOKENS: u32 = 100;

pub(super) fn tools() -> Vec<DemoTool> {
    vec![
        asking_tool(
            "test_sampling",
            "Ask the model",
            "Send the prompt to the client's language model (sampling/createMessage, at most \
             100 tokens) and answer \"LLM response: <its text>\" (conformance scenario \
             tools-call-sampling). Fails when the client offers no sampling.",
            input_schema::<SamplingArgs>(),
            test_sampling,
        ),
        asking_tool(
            "test_elicitation",
            "Ask the user",
            "Ask the user (elicitation/create) for a username and an email address, showing \
             the given message, and answer with what they did (conformance scenario \
             tools-call-elicitation). Fails when the client cannot ask its user.",
            input_schema::<ElicitationArgs>(),
            test_elicitation,
        ),
        asking_tool(
            "test_elicitation_sep1034_defaults",
            "Ask with defaults",
            "Ask the user for a form whose fields all have defaults: string name \"John Doe\", \
             integer age 30, number score 95.5, enum status \"active\", boolean verified true \
             (SEP-1034; conformance scenario elicitation-sep1034-defaults).",
            no_input_schema(),
            test_elicitation_sep1034_defaults,
        ),
        asking_tool(
            "test_elicitation_sep1330_enums",
            "Ask with enums",
            "Ask the user for a form with the five enum shapes of SEP-1330: untitled and \
             titled (oneOf) single-select, legacy enumNames, untitled and titled (anyOf) \
             multi-select (conformance scenario elicitation-sep1330-enums).",
            no_input_schema(),
            test_elicitation_sep1330_enums,
        ),
    ]
}

/// A tool that asks the client: it changes nothing, but it reaches a person or a model
/// outside the server, and each call asks again.
fn asking_tool<F, Fut>(
    name: &str,
    title: &str,
    description: &str,
    schema: std::sync::Arc<JsonObject>,
    run: F,
) -> DemoTool
where
    F: Fn(ToolCall) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ToolOutcome> + Send + 'static,
{
    DemoTool::new(
        Tool::new(name.to_owned(), description.to_owned(), schema)
            .with_title(title)
            .with_annotations(
                ToolAnnotations::with_title(title)
                    .read_only(true)
                    .destructive(false)
                    .idempotent(false)
                    .open_world(true),
            ),
        run,
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct SamplingArgs {
    /// The prompt to send to the language model
    prompt: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct ElicitationArgs {
    /// The message to show the user
    message: String,
}

async fn test_sampling(call: ToolCall) -> ToolOutcome {
    let SamplingArgs { prompt } = parse_arguments(call.arguments.clone())?;
    let params = CreateMessageRequestParams::new(
        vec![SamplingMessage::user_text(prompt)],
        SAMPLING_MAX_TOKENS,
    );
    match sample(&call, params).await? {
        Answer::Given(reply) => {
            Ok(text_result(format!("LLM response: {}", sampled_text(reply)?)).into())
        }
        Answer::Pending(input_required) => Ok(input_required),
    }
}

async fn test_elicitation(call: ToolCall) -> ToolOutcome {
    let ElicitationArgs { message } = parse_arguments(call.arguments.clone())?;
    let form = json!({
        "type": "object",
        "properties": {
            "username": { "type": "string", "description": "User's response" },
            "email": { "type": "string", "description": "User's email address" }
        },
        "required": ["username", "email"]
    });
    ask(&call, message, form, "User response").await
}

async fn test_elicitation_sep1034_defaults(call: ToolCall) -> ToolOutcome {
    ask(
        &call,
        "Please provide user information".to_owned(),
        sep1034_defaults_form(),
        "Elicitation result",
    )
    .await
}

async fn test_elicitation_sep1330_enums(call: ToolCall) -> ToolOutcome {
    ask(
        &call,
        "Please select values using different enum schema types".to_owned(),
        sep1330_enums_form(),
        "Elicitation completed",
    )
    .await
}

/// Elicits `form` with `message` and answers "<label>: action: ..., content: ...".
async fn ask(call: &ToolCall, message: String, form: Value, label: &str) -> ToolOutcome {
    let schema = elicitation_schema(form)?;
    match elicit(call, message, schema).await? {
        Answer::Given(answer) => {
            Ok(text_result(format!("{label}: {}", describe_elicitation(&answer))).into())
        }
        Answer::Pending(input_required) => Ok(input_required),
    }
}

/// The form as rmcp's typed schema. The forms here are fixed, and a unit test checks each
/// one converts without losing a keyword; failing here would be a bug in this file.
fn elicitation_schema(form: Value) -> Result<ElicitationSchema, ToolFailure> {
    let Value::Object(form) = form else {
        return Err(ToolFailure::new(
            "an elicitation form must be a JSON object",
        ));
    };
    ElicitationSchema::from_json_schema(form)
        .map_err(|e| ToolFailure::new(format!("cannot build the elicitation form: {e}")))
}

/// Every primitive type with a default (SEP-1034).
fn sep1034_defaults_form() -> Value {
    json!({
        "type": "object",
        "properties": {
            "name": { "type": "string", "description": "User name", "default": "John Doe" },
            "age": { "type": "integer", "description": "User age", "default": 30 },
            "score": { "type": "number", "description": "User score", "default": 95.5 },
            "status": {
                "type": "string",
                "description": "User status",
                "enum": ["active", "inactive", "pending"],
                "default": "active"
            },
            "verified": {
                "type": "boolean",
                "description": "Verification status",
                "default": true
            }
        }
    })
}

/// The five enum shapes of SEP-1330.
fn sep1330_enums_form() -> Value {
    json!({
        "type": "object",
        "properties": {
            "untitledSingle": {
                "type": "string",
                "description": "Simple enum without titles",
                "enum": ["active", "inactive", "pending"]
            },
            "titledSingle": {
                "type": "string",
                "description": "Enum with titled options (oneOf)",
                "oneOf": [
                    { "const": "low", "title": "Low Priority" },
                    { "const": "medium", "title": "Medium Priority" },
                    { "const": "high", "title": "High Priority" }
                ]
            },
            "legacyEnum": {
                "type": "string",
                "description": "Legacy enum with enumNames",
                "enum": ["small", "medium", "large"],
                "enumNames": ["Small Size", "Medium Size", "Large Size"]
            },
            "untitledMulti": {
                "type": "array",
                "description": "Multi-select without titles",
                "items": { "type": "string", "enum": ["read", "write", "execute"] }
            },
            "titledMulti": {
                "type": "array",
                "description": "Multi-select with titled options",
                "items": {
                    "anyOf": [
                        { "const": "feature", "title": "New Feature" },
                        { "const": "bug", "title": "Bug Fix" },
                        { "const": "docs", "title": "Documentation" }
                    ]
                }
            }
        },
        "required": ["untitledSingle", "titledSingle", "legacyEnum", "untitledMulti", "titledMulti"]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// rmcp's typed schema must send the form exactly as written: the suite checks each
    /// keyword (defaults, `oneOf`, `enumNames`, `anyOf` items).
    #[test]
    fn forms_survive_the_typed_schema() {
        for form in [sep1034_defaults_form(), sep1330_enums_form()] {
            let schema = elicitation_schema(form.clone()).unwrap();
            assert_eq!(serde_json::to_value(&schema).unwrap(), form);
        }
    }
}
