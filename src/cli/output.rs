//! Printing results and failures: text for people, `--json` for scripts.

use mcpproxy_daemon::client::ClientError;
use mcpproxy_daemon::client::attach::AttachError;
use mcpproxy_daemon::exit_code::ExitCode;
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
                .map_err(|e| Failure::error(format!("cannot encode the result: {e}")))?;
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

/// A command's failure: what to say, the exit code to end with, and (under `--json`) the
/// control-API error code that names it.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub code: ExitCode,
    /// The daemon's own error code when the failure came from it.
    pub error_code: Option<ErrorCode>,
    pub message: String,
    pub hint: Option<String>,
    /// Under `--json` the command already printed its answer (a tool result that is an
    /// error, say): one JSON document on stdout, not two.
    pub answered_as_json: bool,
}

impl Failure {
    pub fn new(code: ExitCode, message: impl Into<String>) -> Self {
        Self {
            code,
            error_code: None,
            message: message.into(),
            hint: None,
            answered_as_json: false,
        }
    }

    /// A failure with the general exit code 1.
    pub fn error(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Error, message)
    }

    /// A bad command line or argument: exit code 1, `bad_request` under `--json`.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::error(message).coded(ErrorCode::BadRequest)
    }

    pub fn coded(mut self, error_code: ErrorCode) -> Self {
        self.error_code = Some(error_code);
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn maybe_hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    /// The command printed its answer under `--json` already; only the exit code is left.
    pub fn answered_as_json(mut self) -> Self {
        self.answered_as_json = true;
        self
    }

    /// Prints to stderr, or as `{"error": ...}` on stdout under `--json`.
    pub fn print(&self, json: bool) {
        if json && self.answered_as_json {
            return;
        }
        if json {
            let body = ErrorBody {
                error: ApiError {
                    code: self.error_code.unwrap_or_else(|| self.code.error_code()),
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
        let failure = Failure::error(error.to_string()).maybe_hint(hint);
        match &error {
            ClientError::Api { error, .. } => failure.coded(error.code),
            ClientError::NotRunning { .. } | ClientError::Connect { .. } => {
                failure.coded(ErrorCode::UpstreamUnavailable)
            }
            _ => failure,
        }
    }
}

impl From<AttachError> for Failure {
    fn from(error: AttachError) -> Self {
        match error {
            AttachError::Client(error) => error.into(),
            error => {
                let failure =
                    Failure::new(error.exit_code(), error.to_string()).maybe_hint(error.hint());
                match error {
                    AttachError::NotRunning { .. } => failure.coded(ErrorCode::UpstreamUnavailable),
                    AttachError::ProtocolMismatch { .. } => failure.coded(ErrorCode::Conflict),
                    _ => failure,
                }
            }
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure::error(format!("{error:#}"))
    }
}
