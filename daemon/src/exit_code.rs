//! How mcpproxy's commands end. Scripts rely on these numbers (they are MCPProxy's), so they
//! live in one table that the daemon's start-up errors and every CLI command share.

use crate::protocol::ErrorCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitCode {
    Success,
    /// Anything else that went wrong.
    Error,
    /// The TCP address is taken by another program.
    PortInUse,
    /// Another daemon holds the data dir.
    Locked,
    /// The config file is invalid.
    ConfigInvalid,
    /// A file or directory may not be used (another user's, or not private enough).
    PermissionDenied,
}

impl ExitCode {
    pub const ALL: [Self; 6] = [
        Self::Success,
        Self::Error,
        Self::PortInUse,
        Self::Locked,
        Self::ConfigInvalid,
        Self::PermissionDenied,
    ];

    /// The process exit status.
    pub const fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Error => 1,
            Self::PortInUse => 2,
            Self::Locked => 3,
            Self::ConfigInvalid => 4,
            Self::PermissionDenied => 5,
        }
    }

    /// The exit code a process ended with, as one of ours (an unknown one is an error).
    pub fn from_status(code: Option<i32>) -> Self {
        Self::ALL
            .into_iter()
            .find(|c| Some(i32::from(c.code())) == code)
            .unwrap_or(Self::Error)
    }

    /// The control-API error code that says the same under `--json`.
    pub fn error_code(self) -> ErrorCode {
        match self {
            Self::Success | Self::Error => ErrorCode::Internal,
            Self::PortInUse | Self::Locked => ErrorCode::Conflict,
            Self::ConfigInvalid => ErrorCode::ConfigInvalid,
            Self::PermissionDenied => ErrorCode::Forbidden,
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        Self::from(code.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_back_to_their_codes() {
        for code in ExitCode::ALL {
            assert_eq!(ExitCode::from_status(Some(i32::from(code.code()))), code);
        }
        assert_eq!(ExitCode::from_status(Some(77)), ExitCode::Error);
        assert_eq!(ExitCode::from_status(None), ExitCode::Error);
    }
}
