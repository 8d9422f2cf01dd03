//! A server definition as a client sends it ([`ServerSpec`], durations as text) turned into
//! the config model, and back. Mistakes name the key, as the config loader does.

use std::time::Duration;

use super::model::{Builtin, ServerConfig, TransportSetting};
use crate::protocol::ServerSpec;

/// One wrong key of a [`ServerSpec`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("server.{key}: {message}")]
pub struct SpecError {
    pub key: &'static str,
    pub message: String,
}

impl TryFrom<&ServerSpec> for ServerConfig {
    type Error = SpecError;

    fn try_from(spec: &ServerSpec) -> Result<Self, SpecError> {
        let defaults = Self::default();
        let builtin = match spec.builtin.as_deref() {
            None => None,
            Some("demo") => Some(Builtin::Demo),
            Some(other) => {
                return Err(SpecError {
                    key: "builtin",
                    message: format!("unknown builtin \"{other}\": the one built in is \"demo\""),
                });
            }
        };
        let transport = match spec.transport.as_deref() {
            None => TransportSetting::Auto,
            Some(name) => name.parse().map_err(|message| SpecError {
                key: "transport",
                message,
            })?,
        };
        let duration = |key: &'static str, text: &Option<String>, default: Duration| match text {
            None => Ok(default),
            Some(text) => humantime::parse_duration(text).map_err(|e| SpecError {
                key,
                message: format!(
                    "\"{text}\" is not a duration ({e}); write e.g. \"30s\" or \"2m\""
                ),
            }),
        };
        Ok(Self {
            builtin,
            command: spec.command.clone(),
            args: spec.args.clone(),
            env: spec.env.clone(),
            cwd: spec.cwd.clone(),
            url: spec.url.clone(),
            transport,
            headers: spec.headers.clone(),
            // Added servers log in with discovery and registration; a client id is set in
            // the config file.
            oauth: None,
            enabled: spec.enabled.unwrap_or(true),
            quarantined: false,
            disabled_tools: Vec::new(),
            block_secrets: spec.block_secrets.unwrap_or(false),
            connect_timeout: duration(
                "connect_timeout",
                &spec.connect_timeout,
                defaults.connect_timeout,
            )?,
            call_timeout: duration("call_timeout", &spec.call_timeout, defaults.call_timeout)?,
            shutdown_grace: duration(
                "shutdown_grace",
                &spec.shutdown_grace,
                defaults.shutdown_grace,
            )?,
            kill_grace: duration("kill_grace", &spec.kill_grace, defaults.kill_grace)?,
            ping_interval: duration("ping_interval", &spec.ping_interval, defaults.ping_interval)?,
        })
    }
}

impl From<&ServerConfig> for ServerSpec {
    fn from(config: &ServerConfig) -> Self {
        let defaults = ServerConfig::default();
        let duration = |value: Duration, default: Duration| {
            (value != default).then(|| humantime::format_duration(value).to_string())
        };
        Self {
            builtin: config.builtin.map(|Builtin::Demo| "demo".to_owned()),
            command: config.command.clone(),
            args: config.args.clone(),
            env: config.env.clone(),
            cwd: config.cwd.clone(),
            url: config.url.clone(),
            transport: (config.transport != TransportSetting::Auto)
                .then(|| config.transport.as_str().to_owned()),
            headers: config.headers.clone(),
            enabled: (!config.enabled).then_some(false),
            block_secrets: config.block_secrets.then_some(true),
            connect_timeout: duration(config.connect_timeout, defaults.connect_timeout),
            call_timeout: duration(config.call_timeout, defaults.call_timeout),
            shutdown_grace: duration(config.shutdown_grace, defaults.shutdown_grace),
            kill_grace: duration(config.kill_grace, defaults.kill_grace),
            ping_interval: duration(config.ping_interval, defaults.ping_interval),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_round_trips_through_the_config_model() {
        let spec = ServerSpec {
            command: Some("uvx".into()),
            args: vec!["mcp-server-time".into()],
            transport: Some("stdio".into()),
            call_timeout: Some("5m".into()),
            enabled: Some(false),
            ..ServerSpec::default()
        };
        let config = ServerConfig::try_from(&spec).unwrap();
        assert_eq!(config.call_timeout, Duration::from_secs(300));
        assert_eq!(ServerSpec::from(&config), spec);
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let spec = ServerSpec {
            call_timeout: Some("soon".into()),
            ..ServerSpec::default()
        };
        let error = ServerConfig::try_from(&spec).unwrap_err();
        assert_eq!(error.key, "call_timeout");
        assert!(
            error
                .to_string()
                .starts_with("server.call_timeout: \"soon\"")
        );
    }
}
