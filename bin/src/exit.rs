//! Exit codes: what a scheduler (cron, Airflow, Kubernetes) can act on.

use std::process::ExitCode;

/// How a command ended, as a process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Everything found was written.
    Success,
    /// An unexpected error (I/O, a bug); the message says what.
    Error,
    /// Bad flags or configuration; nothing was sent.
    Usage,
    /// Notion refused the token (401).
    Unauthorized,
    /// The token works but nothing is shared with the integration.
    NothingShared,
    /// Some pages failed; everything else was written.
    PartialFailure,
    /// Notion could not be reached (connection refused, DNS, TLS, timeouts).
    Unreachable,
    /// Another run holds the output directory.
    Busy,
    /// Notion asked to wait longer than the configured cap: the state is
    /// saved, retry later.
    Throttled,
    /// `selftest`: something uploaded did not come back as written.
    NotFaithful,
    /// Stopped by Ctrl-C or SIGTERM; pages already read were stored.
    Interrupted,
}

impl Outcome {
    /// The numeric exit code.
    pub fn code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::Error => 1,
            Outcome::Usage => 2,
            Outcome::Unauthorized => 3,
            Outcome::NothingShared => 4,
            Outcome::PartialFailure => 5,
            Outcome::Unreachable => 6,
            Outcome::Busy => 7,
            Outcome::Throttled => 8,
            Outcome::NotFaithful => 9,
            Outcome::Interrupted => 130,
        }
    }

    /// Every outcome, in code order (for the README's table test).
    pub const ALL: [Outcome; 11] = [
        Outcome::Success,
        Outcome::Error,
        Outcome::Usage,
        Outcome::Unauthorized,
        Outcome::NothingShared,
        Outcome::PartialFailure,
        Outcome::Unreachable,
        Outcome::Busy,
        Outcome::Throttled,
        Outcome::NotFaithful,
        Outcome::Interrupted,
    ];
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> ExitCode {
        ExitCode::from(outcome.code())
    }
}
