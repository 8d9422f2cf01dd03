//! The demo's prompts, so clients see the prompts capability working next to tools.

use jiff::Timestamp;
use rmcp::ErrorData;
use rmcp::model::{GetPromptResult, JsonObject, Prompt, PromptArgument, PromptMessage, Role};

use super::calc;
use super::time_tools::{ZonedTime, time_zone};

pub(crate) fn list() -> Vec<Prompt> {
    vec![
        Prompt::new(
            "explain_time_zone",
            Some("Ask for an explanation of a time zone: where it is used, its current UTC offset and its daylight saving rules."),
            Some(vec![
                PromptArgument::new("zone")
                    .with_title("Time zone")
                    .with_description("IANA time zone name, for example Europe/Paris")
                    .with_required(true),
            ]),
        )
        .with_title("Explain a time zone"),
        Prompt::new(
            "check_calculation",
            Some("Ask for a step-by-step check of an arithmetic expression, with the calculator's answer to compare against."),
            Some(vec![
                PromptArgument::new("expression")
                    .with_title("Expression")
                    .with_description("The arithmetic to check, for example 2 * (3 + 4) ^ 2")
                    .with_required(true),
            ]),
        )
        .with_title("Check a calculation"),
    ]
}

/// Fills in prompt `name` with `arguments`; an unknown prompt or a bad argument is the
/// caller's mistake (invalid params).
pub(crate) fn get(
    name: &str,
    arguments: Option<&JsonObject>,
) -> Result<GetPromptResult, ErrorData> {
    match name {
        "explain_time_zone" => {
            let zone_name = required_argument(arguments, "zone")?;
            let zone =
                time_zone(zone_name).map_err(|e| ErrorData::invalid_params(e.to_string(), None))?;
            let now = ZonedTime::at(Timestamp::now(), &zone);
            let dst = if now.is_dst {
                "in effect"
            } else {
                "not in effect"
            };
            let text = format!(
                "Explain the time zone {zone}: which places use it, how its offset from UTC \
                 (now {offset}, daylight saving time {dst}) changes through the year, and any \
                 history worth knowing. It is now {weekday} {datetime} there.",
                zone = now.timezone,
                offset = now.utc_offset,
                weekday = now.weekday,
                datetime = now.datetime,
            );
            Ok(
                GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
                    .with_description(format!("Explain the time zone {}", now.timezone)),
            )
        }
        "check_calculation" => {
            let expression = required_argument(arguments, "expression")?;
            let verdict = match calc::evaluate(expression) {
                Ok(value) => format!("The calculator says the result is {value}."),
                Err(error) => format!("The calculator could not evaluate it: {error}."),
            };
            let text = format!(
                "Check this calculation step by step, following the usual operator precedence: \
                 {expression}\n{verdict} Say whether you agree, and if not, where it goes wrong."
            );
            Ok(
                GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
                    .with_description("Check a calculation step by step"),
            )
        }
        other => Err(ErrorData::invalid_params(
            format!(
                "unknown prompt '{other}': the prompts are explain_time_zone and check_calculation"
            ),
            None,
        )),
    }
}

/// A string argument the prompt cannot do without.
pub(super) fn required_argument<'a>(
    arguments: Option<&'a JsonObject>,
    name: &str,
) -> Result<&'a str, ErrorData> {
    arguments
        .and_then(|arguments| arguments.get(name))
        .and_then(|value| value.as_str())
        .ok_or_else(|| {
            ErrorData::invalid_params(
                format!("the argument '{name}' (a string) is required"),
                None,
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arguments(value: serde_json::Value) -> JsonObject {
        value.as_object().unwrap().clone()
    }

    fn text_of(result: &GetPromptResult) -> String {
        result.messages[0].content.as_text().unwrap().text.clone()
    }

    #[test]
    fn explain_time_zone_mentions_the_offset() {
        let result = get(
            "explain_time_zone",
            Some(&arguments(serde_json::json!({"zone": "Asia/Kolkata"}))),
        )
        .unwrap();
        assert!(text_of(&result).contains("(now +05:30, daylight saving time not in effect)"));
    }

    #[test]
    fn check_calculation_includes_the_answer() {
        let result = get(
            "check_calculation",
            Some(&arguments(
                serde_json::json!({"expression": "2 * (3 + 4) ^ 2"}),
            )),
        )
        .unwrap();
        assert!(
            text_of(&result).contains("the result is 98."),
            "{}",
            text_of(&result)
        );
    }

    #[test]
    fn mistakes_are_invalid_params() {
        let missing = get("explain_time_zone", None).unwrap_err();
        assert_eq!(
            missing.message,
            "the argument 'zone' (a string) is required"
        );
        let unknown = get("nope", None).unwrap_err();
        assert!(unknown.message.starts_with("unknown prompt 'nope'"));
        let bad_zone = get(
            "explain_time_zone",
            Some(&arguments(serde_json::json!({"zone": "Nowhere"}))),
        )
        .unwrap_err();
        assert!(bad_zone.message.starts_with("unknown time zone 'Nowhere'"));
    }
}
