//! `config.toml`: the model, loading with located errors, comment-keeping edits, and import
//! from other MCP clients' config files.

mod edit;
pub mod import;
mod load;
mod locate;
mod model;
mod spec;

pub use edit::{ConfigFile, DEFAULT_CONFIG, EditError, ServerFlag, write_atomically};
pub use load::{
    ConfigError, ExpandError, InvalidConfig, LoadedConfig, SecretSource, check_header,
    check_listen, check_server_name, check_url, expand, load, load_private, parse,
    parse_unexpanded, parse_with, parse_with_env, use_secrets,
};
pub use locate::{LocatedProblem, nearest};
pub use model::{
    ActivityConfig, Builtin, Config, DEFAULT_LISTEN, KeyChord, KeyList, KeyName, Limits,
    MAX_DURATION, MAX_DURATION_TEXT, MAX_MCP_SESSIONS, OAuthConfig, Routing, ServerConfig,
    ThemeName, TransportSetting, TuiCommand, TuiConfig,
};
pub use spec::SpecError;
