//! Printing results and failures: text for people, `--json` for scripts.

use mcpproxy_daemon::client::ClientError;
use mcpproxy_daemon::protocol::{ApiError, ErrorBody, ErrorCode};
use serde::Serialize;

#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
}

impl Output {
    /// Prints `value` as JSON, or the text `human` renders from it.
    pub fn print<T: Serialize>(
        &self,
        value: &T,
        human: impl FnOnce(&T) -> String,
    ) -> Result<(), Failure> {
        if self.json {
            let text = serde_json::to_string_pretty(value)
                .map_err(|e| Failure::new(1, format!("cannot encode the result: {e}")))?;
            println!("{text}");
        } else {
            let text = human(value);
            if !text.is_empty() {
                println!("{}", text.trim_end());
            }
        }
        Ok(())
    }
}

/// A command's failure: what to say and which exit code to end with.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub code: u8,
    pub message: String,
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn maybe_hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    /// Prints to stderr, or as `{"error": ...}` on stdout under `--json`.
    pub fn print(&self, json: bool) {
        if json {
            let body = ErrorBody {
                error: ApiError {
                    code: match self.code {
                        4 => ErrorCode::ConfigInvalid,
                        5 => ErrorCode::Forbidden,
                        3 | 2 => ErrorCode::Conflict,
                        _ => ErrorCode::Internal,
                    },
                    message: self.message.clone(),
                    hint: self.hint.clone(),
                },
            };
            if let Ok(text) = serde_json::to_string_pretty(&body) {
                println!("{text}");
            }
            return;
        }
        if self.message.starts_with("error:") {
            eprintln!("{}", self.message.trim_end());
        } else {
            eprintln!("error: {}", self.message.trim_end());
        }
        if let Some(hint) = &self.hint {
            eprintln!("hint: {hint}");
        }
    }
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Self {
        let hint = error.hint();
        Failure::new(1, error.to_string()).maybe_hint(hint)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure::new(1, format!("{error:#}"))
    }
}
