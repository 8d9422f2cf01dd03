//! The conformance suite's prompts (a simple one, one with arguments, one with an embedded
//! resource, one with an image) and `completion/complete` for prompt arguments and the
//! resource template.

use rmcp::ErrorData;
use rmcp::model::{
    CompleteRequestParams, CompleteResult, CompletionInfo, ContentBlock, GetPromptResult,
    JsonObject, Prompt, PromptArgument, PromptMessage, Reference, ResourceContents, Role,
};

use super::TEST_IMAGE_BASE64;
use super::resources;
use crate::prompts::required_argument;

const SIMPLE: &str = "test_simple_prompt";
const WITH_ARGUMENTS: &str = "test_prompt_with_arguments";
const WITH_EMBEDDED_RESOURCE: &str = "test_prompt_with_embedded_resource";
const WITH_IMAGE: &str = "test_prompt_with_image";

/// What `completion/complete` offers for `test_prompt_with_arguments`' arguments.
const ARGUMENT_SUGGESTIONS: [&str; 3] = ["testValue1", "testValue2", "testValue3"];
/// What it offers for the `{id}` of `test://template/{id}/data`.
const TEMPLATE_ID_SUGGESTIONS: [&str; 3] = ["123", "456", "789"];

pub(crate) fn list() -> Vec<Prompt> {
    vec![
        Prompt::new(SIMPLE, Some("A simple prompt without arguments"), None)
            .with_title("Simple prompt"),
        Prompt::new(
            WITH_ARGUMENTS,
            Some("A prompt with two required arguments, both quoted in its message"),
            Some(vec![
                PromptArgument::new("arg1")
                    .with_description("First test argument")
                    .with_required(true),
                PromptArgument::new("arg2")
                    .with_description("Second test argument")
                    .with_required(true),
            ]),
        )
        .with_title("Prompt with arguments"),
        Prompt::new(
            WITH_EMBEDDED_RESOURCE,
            Some("A prompt that embeds a text resource at the given URI"),
            Some(vec![
                PromptArgument::new("resourceUri")
                    .with_description("The URI to give the embedded resource")
                    .with_required(true),
            ]),
        )
        .with_title("Prompt with an embedded resource"),
        Prompt::new(
            WITH_IMAGE,
            Some("A prompt that includes an image (a 1x1 PNG)"),
            None,
        )
        .with_title("Prompt with an image"),
    ]
}

/// Fills in prompt `name` when it is one of these prompts (`None` otherwise); a missing
/// argument is the caller's mistake (invalid params).
pub(crate) fn get(
    name: &str,
    arguments: Option<&JsonObject>,
) -> Option<Result<GetPromptResult, ErrorData>> {
    let messages = match name {
        SIMPLE => Ok(vec![PromptMessage::new_text(
            Role::User,
            "This is a simple prompt for testing.",
        )]),
        WITH_ARGUMENTS => required_argument(arguments, "arg1").and_then(|arg1| {
            let arg2 = required_argument(arguments, "arg2")?;
            Ok(vec![PromptMessage::new_text(
                Role::User,
                format!("Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"),
            )])
        }),
        WITH_EMBEDDED_RESOURCE => required_argument(arguments, "resourceUri").map(|uri| {
            let resource = ResourceContents::text("Embedded resource content for testing.", uri);
            vec![
                PromptMessage::new(Role::User, ContentBlock::resource(resource)),
                PromptMessage::new_text(Role::User, "Please process the embedded resource above."),
            ]
        }),
        WITH_IMAGE => Ok(vec![
            PromptMessage::new(
                Role::User,
                ContentBlock::image(TEST_IMAGE_BASE64, "image/png"),
            ),
            PromptMessage::new_text(Role::User, "Please analyze the image above."),
        ]),
        _ => return None,
    };
    Some(messages.map(GetPromptResult::new))
}

/// Answers `completion/complete`: suggestions for `test_prompt_with_arguments`' arguments,
/// `test_prompt_with_embedded_resource`'s URI and the template's id, the ones that start
/// with what the user typed (ignoring case); no suggestions for other arguments of known
/// prompts. An unknown prompt or template is invalid params.
pub(crate) fn complete(request: &CompleteRequestParams) -> Result<CompleteResult, ErrorData> {
    let argument = request.argument.name.as_str();
    let candidates: Vec<String> = match &request.r#ref {
        Reference::Prompt(prompt) => match (prompt.name.as_str(), argument) {
            (WITH_ARGUMENTS, "arg1" | "arg2") => ARGUMENT_SUGGESTIONS.map(str::to_owned).to_vec(),
            (WITH_EMBEDDED_RESOURCE, "resourceUri") => resources::list()
                .into_iter()
                .map(|resource| resource.uri)
                .collect(),
            (name, _) if is_known_prompt(name) => Vec::new(),
            (name, _) => {
                return Err(ErrorData::invalid_params(
                    format!("unknown prompt '{name}'"),
                    None,
                ));
            }
        },
        Reference::Resource(template) => {
            let known = resources::templates()
                .iter()
                .any(|known| known.uri_template == template.uri);
            if !known {
                return Err(ErrorData::invalid_params(
                    format!("no resource template '{}'", template.uri),
                    None,
                ));
            }
            if argument == "id" {
                TEMPLATE_ID_SUGGESTIONS.map(str::to_owned).to_vec()
            } else {
                Vec::new()
            }
        }
        other => {
            return Err(ErrorData::invalid_params(
                format!("cannot complete arguments of {other:?}"),
                None,
            ));
        }
    };
    let typed = request.argument.value.to_lowercase();
    let values: Vec<String> = candidates
        .into_iter()
        .filter(|candidate| candidate.to_lowercase().starts_with(&typed))
        .collect();
    // Every candidate list here is far below the protocol's limit of 100 values.
    let completion =
        CompletionInfo::with_all_values(values).map_err(|e| ErrorData::internal_error(e, None))?;
    Ok(CompleteResult::new(completion))
}

/// Whether `name` is any prompt this server has, the everyday ones included.
fn is_known_prompt(name: &str) -> bool {
    list()
        .iter()
        .chain(crate::prompts::list().iter())
        .any(|prompt| prompt.name == name)
}

#[cfg(test)]
mod tests {
    use rmcp::model::ArgumentInfo;

    use super::*;

    fn completions(reference: Reference, argument: &str, typed: &str) -> Vec<String> {
        let request = CompleteRequestParams::new(reference, ArgumentInfo::new(argument, typed));
        complete(&request).unwrap().completion.values
    }

    #[test]
    fn every_prompt_fills_in() {
        let arguments = serde_json::json!({
            "arg1": "testValue1",
            "arg2": "testValue2",
            "resourceUri": "test://x",
        });
        for prompt in list() {
            let result = get(&prompt.name, arguments.as_object()).unwrap().unwrap();
            assert!(!result.messages.is_empty(), "{}", prompt.name);
        }
        let with_arguments = get(WITH_ARGUMENTS, arguments.as_object()).unwrap().unwrap();
        let text = &with_arguments.messages[0].content.as_text().unwrap().text;
        assert_eq!(
            text,
            "Prompt with arguments: arg1='testValue1', arg2='testValue2'"
        );
        assert!(get(WITH_ARGUMENTS, None).unwrap().is_err());
        assert!(get("explain_time_zone", None).is_none());
    }

    #[test]
    fn completion_suggests_by_prefix() {
        assert_eq!(
            completions(Reference::for_prompt(WITH_ARGUMENTS), "arg1", "TESTVALUE2"),
            ["testValue2"]
        );
        assert_eq!(
            completions(Reference::for_prompt(WITH_ARGUMENTS), "arg2", "").len(),
            3
        );
        assert_eq!(
            completions(
                Reference::for_prompt(WITH_EMBEDDED_RESOURCE),
                "resourceUri",
                "test://static-t"
            ),
            ["test://static-text"]
        );
        assert_eq!(
            completions(
                Reference::for_resource("test://template/{id}/data"),
                "id",
                "4"
            ),
            ["456"]
        );
        assert!(completions(Reference::for_prompt("explain_time_zone"), "zone", "E").is_empty());
        let unknown =
            CompleteRequestParams::new(Reference::for_prompt("nope"), ArgumentInfo::new("x", ""));
        assert!(complete(&unknown).is_err());
    }
}
