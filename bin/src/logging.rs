//! Logs to stderr with every secret the process has read (the integration
//! token) replaced by a placeholder, whatever a log line quotes: a request,
//! an error body, a URL; colour only on a terminal, never with `NO_COLOR`.

use std::io::Write;
use std::sync::{OnceLock, RwLock};

use notion_source::secrets::Redactor;

/// The secrets to keep out of logs, filled in once they are read.
static SECRETS: OnceLock<RwLock<Redactor>> = OnceLock::new();

fn secrets() -> &'static RwLock<Redactor> {
    SECRETS.get_or_init(|| RwLock::new(Redactor::new(Vec::<String>::new())))
}

/// Keeps `secret` out of every log line written from now on.
pub fn hide(secret: &str) {
    if let Ok(mut redactor) = secrets().write() {
        redactor.add(secret);
    }
}

/// Logs go to stderr: warnings by default, more with -v; `RUST_LOG` wins.
pub fn init(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info,notion_source=info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    // Colour only on a terminal, and never when NO_COLOR is set.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(|| RedactedStderr)
        .with_target(false)
        .init();
}

/// Stderr through the redactor. A log line is written in one call, so a
/// secret is never split across two writes.
struct RedactedStderr;

impl Write for RedactedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut stderr = std::io::stderr().lock();
        match secrets().read() {
            Ok(redactor) if !redactor.is_empty() => {
                stderr.write_all(&redactor.redact_bytes(buf))?;
            }
            _ => stderr.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_secrets_never_reach_the_log() {
        hide("ntn_very_secret_token_value");
        let redactor = secrets().read().unwrap();
        let line = b"GET /v1/users with Bearer ntn_very_secret_token_value failed\n";
        let written = redactor.redact_bytes(line);
        let text = String::from_utf8_lossy(&written);
        assert!(!text.contains("ntn_very_secret_token_value"), "{text}");
        assert!(text.contains("GET /v1/users"), "{text}");
    }
}
