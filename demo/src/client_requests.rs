//! Test tools that ask the client something mid-call: `ask_user` (elicitation) and
//! `ask_model` (sampling).
//!
//! The question travels the way the negotiated protocol allows. Up to 2025-11-25 the server
//! sends the client a request while the call is open. From 2026-07-28 servers may not send
//! requests, so the first call answers `input_required` with the question, and the client
//! calls again carrying the answer (a multi-round-trip request, SEP-2322).

// Sampling is deprecated by SEP-2577 but still part of every protocol version this server
// speaks, and exercising it through the proxy is the point of `ask_model`.
#![allow(deprecated)]

use std::collections::BTreeMap;

use rmcp::model::{
    CallToolResponse, ClientResult, CreateMessageRequest, CreateMessageRequestParams,
    CreateMessageResult, ElicitRequest, ElicitRequestParams, ElicitResult, ElicitationSchema,
    InputRequest, InputRequiredResult, SamplingMessage, ServerRequest, Tool, ToolAnnotations,
};
use rmcp::schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::registry::{
    DemoTool, ToolCall, ToolFailure, ToolOutcome, input_schema, is_stateless_era, parse_arguments,
    text_result,
};

/// The key of the one input request in a multi-round-trip call.
const INPUT_KEY: &str = "answer";
const DEFAULT_QUESTION: &str = "What is your answer?";
const DEFAULT_PROMPT: &str = "Say hello in one short sentence.";
const SAMPLING_MAX_TOKENS: u32 = 256;

pub(crate) fn tools() -> Vec<DemoTool> {
    vec![
        DemoTool::new(
            Tool::new(
                "ask_user",
                "Ask the user a question through the client (an elicitation with one text \
                 field, \"answer\") and return what they did: accept with their answer, \
                 decline, or cancel. Fails when the client cannot ask its user.",
                input_schema::<AskUserArgs>(),
            )
            .with_title("Ask the user")
            // Asking changes nothing, but it reaches a person outside the server, and each
            // call interrupts them again.
            .with_annotations(
                ToolAnnotations::with_title("Ask the user")
                    .read_only(true)
                    .destructive(false)
                    .idempotent(false)
                    .open_world(true),
            ),
            ask_user,
        ),
        DemoTool::new(
            Tool::new(
                "ask_model",
                "Ask the client's language model for a completion of the prompt (a sampling \
                 request) and return the model's text. Fails when the client offers no \
                 sampling.",
                input_schema::<AskModelArgs>(),
            )
            .with_title("Ask the model")
            .with_annotations(
                ToolAnnotations::with_title("Ask the model")
                    .read_only(true)
                    .destructive(false)
                    .idempotent(false)
                    .open_world(true),
            ),
            ask_model,
        ),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct AskUserArgs {
    /// The question to show the user; default "What is your answer?"
    // Optional, and shown as a plain string: no `null` type, no `"default": null`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    message: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct AskModelArgs {
    /// What to ask the model; default "Say hello in one short sentence."
    // Optional, and shown as a plain string: no `null` type, no `"default": null`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    prompt: Option<String>,
}

async fn ask_user(call: ToolCall) -> ToolOutcome {
    let AskUserArgs { message } = parse_arguments(call.arguments.clone())?;
    let schema = ElicitationSchema::builder()
        .required_string_property(INPUT_KEY, |field| {
            field.title("Answer").description("Your answer")
        })
        .build()
        .map_err(|e| ToolFailure::new(format!("cannot build the question's form: {e}")))?;
    let message = message.unwrap_or_else(|| DEFAULT_QUESTION.to_owned());
    match elicit(&call, message, schema).await? {
        Answer::Given(answer) => Ok(text_result(describe_elicitation(&answer)).into()),
        Answer::Pending(input_required) => Ok(input_required),
    }
}

async fn ask_model(call: ToolCall) -> ToolOutcome {
    let AskModelArgs { prompt } = parse_arguments(call.arguments.clone())?;
    let params = CreateMessageRequestParams::new(
        vec![SamplingMessage::user_text(
            prompt.unwrap_or_else(|| DEFAULT_PROMPT.to_owned()),
        )],
        SAMPLING_MAX_TOKENS,
    );
    match sample(&call, params).await? {
        Answer::Given(reply) => Ok(text_result(sampled_text(reply)?).into()),
        Answer::Pending(input_required) => Ok(input_required),
    }
}

/// What asking the client gave: its answer, or, in the first round of a 2026-07-28 call, the
/// `input_required` result that carries the question (the client calls again with the answer).
pub(crate) enum Answer<T> {
    Given(T),
    Pending(CallToolResponse),
}

/// Asks the client's user to fill in `schema` (an elicitation), the way the call's protocol
/// allows. Fails when the client declared no elicitation capability.
pub(crate) async fn elicit(
    call: &ToolCall,
    message: String,
    schema: ElicitationSchema,
) -> Result<Answer<ElicitResult>, ToolFailure> {
    let can_elicit = call
        .context
        .client_capabilities()
        .is_some_and(|capabilities| capabilities.elicitation.is_some());
    if !can_elicit {
        return Err(ToolFailure::new(
            "cannot ask the user: the client did not declare the elicitation capability",
        ));
    }
    let request = ElicitRequest::new(ElicitRequestParams::FormElicitationParams {
        meta: None,
        message,
        requested_schema: schema,
    });
    if is_stateless_era(&call.context) {
        return Ok(match input_response(call, "elicitation")? {
            Some(answer) => Answer::Given(answer),
            None => Answer::Pending(input_required(InputRequest::Elicitation(request))),
        });
    }
    match call
        .context
        .peer
        .send_request(ServerRequest::ElicitRequest(request))
        .await
    {
        Ok(ClientResult::ElicitResult(answer)) => Ok(Answer::Given(answer)),
        Ok(_) => Err(ToolFailure::new(
            "the client answered the elicitation with something else",
        )),
        Err(error) => Err(ToolFailure::new(format!("the elicitation failed: {error}"))),
    }
}

/// Asks the client's language model for a completion (a sampling request), the way the
/// call's protocol allows. Fails when the client declared no sampling capability.
pub(crate) async fn sample(
    call: &ToolCall,
    params: CreateMessageRequestParams,
) -> Result<Answer<CreateMessageResult>, ToolFailure> {
    let can_sample = call
        .context
        .client_capabilities()
        .is_some_and(|capabilities| capabilities.sampling.is_some());
    if !can_sample {
        return Err(ToolFailure::new(
            "cannot ask the model: the client did not declare the sampling capability",
        ));
    }
    if is_stateless_era(&call.context) {
        return Ok(match input_response(call, "sampling")? {
            Some(reply) => Answer::Given(reply),
            None => {
                let request = CreateMessageRequest::new(params);
                Answer::Pending(input_required(InputRequest::CreateMessage(request)))
            }
        });
    }
    call.context
        .peer
        .create_message(params)
        .await
        .map(Answer::Given)
        .map_err(|error| ToolFailure::new(format!("the sampling request failed: {error}")))
}

/// The text of the model's reply; a reply without text is a failure.
pub(crate) fn sampled_text(reply: CreateMessageResult) -> Result<String, ToolFailure> {
    let text: Vec<String> = reply
        .message
        .content
        .into_vec()
        .into_iter()
        .filter_map(|block| block.as_text().map(|text| text.text.clone()))
        .collect();
    if text.is_empty() {
        return Err(ToolFailure::new(format!(
            "the model ({}) answered without text",
            reply.model
        )));
    }
    Ok(text.join("\n"))
}

/// The client's answer to this call's input request, when this is the call's second round.
fn input_response<T: DeserializeOwned>(
    call: &ToolCall,
    kind: &str,
) -> Result<Option<T>, ToolFailure> {
    let Some(response) = call
        .input_responses
        .as_ref()
        .and_then(|responses| responses.get(INPUT_KEY))
    else {
        return Ok(None);
    };
    serde_json::from_value(response.clone())
        .map(Some)
        .map_err(|e| ToolFailure::new(format!("the client's {kind} answer is malformed: {e}")))
}

fn input_required(request: InputRequest) -> CallToolResponse {
    let requests = BTreeMap::from([(INPUT_KEY.to_owned(), request)]);
    InputRequiredResult::from_input_requests(requests).into()
}

/// "action: accept, content: {"answer":"blue"}", or just the action when there is no content.
pub(crate) fn describe_elicitation(answer: &ElicitResult) -> String {
    // The wire name ("accept"), which is what a reader of the protocol knows.
    let action = match serde_json::to_value(&answer.action) {
        Ok(serde_json::Value::String(name)) => name,
        _ => format!("{:?}", answer.action).to_lowercase(),
    };
    match &answer.content {
        Some(content) => format!("action: {action}, content: {content}"),
        None => format!("action: {action}"),
    }
}

#[cfg(test)]
mod tests {
    use rmcp::model::ElicitationAction;

    use super::*;

    #[test]
    fn elicitation_answers_read_plainly() {
        let accepted = ElicitResult::new(ElicitationAction::Accept)
            .with_content(serde_json::json!({"answer": "blue"}));
        assert_eq!(
            describe_elicitation(&accepted),
            r#"action: accept, content: {"answer":"blue"}"#
        );
        let declined = ElicitResult::new(ElicitationAction::Decline);
        assert_eq!(describe_elicitation(&declined), "action: decline");
    }
}
