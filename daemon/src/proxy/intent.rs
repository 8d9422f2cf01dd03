//! Intents as `/mcp/call` sees them: which `call_tool_*` variant a tool needs (see
//! [`Intent::required_by`]). A call may declare a stronger intent than needed, never a
//! weaker one.

pub use crate::protocol::Intent;
use crate::protocol::{CallVariant, ToolHints};

impl Intent {
    pub fn from_tool_name(name: &str) -> Option<Self> {
        match name {
            "call_tool_read" => Some(Self::Read),
            "call_tool_write" => Some(Self::Write),
            "call_tool_destructive" => Some(Self::Destructive),
            _ => None,
        }
    }

    pub fn variant(self) -> CallVariant {
        match self {
            Self::Read => CallVariant::Read,
            Self::Write => CallVariant::Write,
            Self::Destructive => CallVariant::Destructive,
        }
    }

    /// Refuses a declared intent weaker than the tool needs, naming the right variant.
    pub fn allows(self, id: &str, hints: &ToolHints) -> Result<(), String> {
        let needed = Self::required_by(hints);
        if self >= needed {
            Ok(())
        } else {
            Err(format!(
                "{id} {} so it must be called with {}, not {}",
                match needed {
                    Intent::Write => "changes state",
                    _ => "may destroy data (it is not marked read-only or non-destructive)",
                },
                needed.call_tool(),
                self.call_tool(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hints(read_only: Option<bool>, destructive: Option<bool>) -> ToolHints {
        ToolHints {
            read_only,
            destructive,
            ..ToolHints::default()
        }
    }

    #[test]
    fn follows_the_spec_defaults() {
        assert_eq!(Intent::required_by(&hints(Some(true), None)), Intent::Read);
        assert_eq!(
            Intent::required_by(&hints(None, Some(false))),
            Intent::Write
        );
        assert_eq!(
            Intent::required_by(&hints(Some(false), Some(false))),
            Intent::Write
        );
        assert_eq!(Intent::required_by(&hints(None, None)), Intent::Destructive);
        assert_eq!(
            Intent::required_by(&hints(Some(false), Some(true))),
            Intent::Destructive
        );
    }

    #[test]
    fn stronger_is_allowed_weaker_is_refused_with_the_right_variant() {
        let write = hints(None, Some(false));
        assert!(Intent::Destructive.allows("a:b", &write).is_ok());
        assert!(Intent::Write.allows("a:b", &write).is_ok());
        let refused = Intent::Read.allows("a:b", &write).unwrap_err();
        assert!(refused.contains("call_tool_write"), "{refused}");
    }
}
