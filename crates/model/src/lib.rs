//! Plain domain types shared by every duluan stage.
//!
//! `duluan-model` takes nothing in and does no I/O: it defines the vocabulary the stages use to talk
//! to each other — sources, items, flags with their matched spans, sentiment, alerts and their
//! triage states, users and roles — plus the stable identifiers derived from them. Every other
//! crate depends on it; it depends on no other duluan crate.

mod alert;
mod ids;
mod item;
mod search;
mod source;
mod user;

pub use alert::{
    Alert, AlertLabels, AlertState, AuditEntry, AuditEvent, Notification, NotificationState, Priority, ReasonCode,
    Silence, SilenceMatchers, Verdict,
};
pub use ids::{ItemId, StoryId, content_hash, item_id_for_url};
pub use item::{ClaimMatch, CompactString, Field, Flag, Item, Label, Sentiment, SentimentTerm, Severity, Span};
pub use search::{NewSavedSearch, SavedSearch};
pub use source::{Source, SourceKind};
pub use user::{Role, User};

/// Error for values that fail to parse from their textual form.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown {kind} `{value}` (expected one of: {expected})")]
pub struct ParseEnumError {
    /// What was being parsed, e.g. "severity".
    pub kind: &'static str,
    /// The rejected input.
    pub value: String,
    /// The accepted spellings.
    pub expected: &'static str,
}

/// Declares a string-backed enum with `as_str`, `FromStr`, `Display` and serde in lowercase.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal, { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable textual form used in files, the API and the store.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::ParseEnumError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::ParseEnumError {
                        kind: $kind,
                        value: s.to_string(),
                        expected: concat!($($text, " "),+),
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;
