//! Keeping secrets out of text: a [`Redactor`] holds the secrets a run knows
//! (the integration token, and whatever else the caller adds) and replaces
//! every occurrence of them in a text with `[REDACTED]`.
//!
//! The client scrubs every answer it receives with one, so a server that
//! echoes the `Authorization` header never gets the token into an error, a
//! log line or a page; a runner can use the same for its own logs and state.
//!
//! ```
//! use notion_source::secrets::Redactor;
//!
//! let redactor = Redactor::new(["secret_abc123", "hook_s3cr3t_value"]);
//! assert_eq!(
//!     redactor.redact("Bearer secret_abc123 is invalid"),
//!     "Bearer [REDACTED] is invalid"
//! );
//! assert_eq!(redactor.redact("nothing to hide"), "nothing to hide");
//! ```

use std::borrow::Cow;
use std::fmt;

/// What a secret becomes.
pub const REDACTED: &str = "[REDACTED]";

/// Secrets shorter than this are not redacted: they would match ordinary
/// words (every real token is far longer).
pub const MIN_SECRET_LEN: usize = 8;

/// A set of secrets to scrub from text. Cheap to clone; never shows the
/// secrets in `Debug`.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Longest first, so a secret that contains another is replaced whole.
    secrets: Vec<String>,
}

impl Redactor {
    /// A redactor for `secrets`; empty and too short ones (below
    /// [`MIN_SECRET_LEN`] bytes) are ignored.
    pub fn new<S: Into<String>>(secrets: impl IntoIterator<Item = S>) -> Redactor {
        let mut redactor = Redactor::default();
        for secret in secrets {
            redactor.add(secret);
        }
        redactor
    }

    /// Adds a secret (ignored when shorter than [`MIN_SECRET_LEN`] bytes).
    pub fn add(&mut self, secret: impl Into<String>) {
        let secret = secret.into();
        if secret.len() < MIN_SECRET_LEN || self.secrets.contains(&secret) {
            return;
        }
        self.secrets.push(secret);
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// How many secrets it scrubs.
    pub fn len(&self) -> usize {
        self.secrets.len()
    }

    /// Whether it scrubs nothing.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `text` with every secret replaced by [`REDACTED`]; borrowed when
    /// there was nothing to replace.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.redact_bytes(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            // Secrets are whole strings, so replacing them keeps UTF-8 valid.
            Cow::Owned(bytes) => Cow::Owned(
                String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            ),
        }
    }

    /// `bytes` with every secret replaced by [`REDACTED`]; borrowed when
    /// there was nothing to replace.
    pub fn redact_bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        let mut current: Cow<'a, [u8]> = Cow::Borrowed(bytes);
        for secret in &self.secrets {
            let finder = memchr::memmem::Finder::new(secret.as_bytes());
            if finder.find(&current).is_none() {
                continue;
            }
            let mut out = Vec::with_capacity(current.len());
            let mut rest: &[u8] = &current;
            while let Some(at) = finder.find(rest) {
                out.extend_from_slice(&rest[..at]);
                out.extend_from_slice(REDACTED.as_bytes());
                rest = &rest[at + secret.len()..];
            }
            out.extend_from_slice(rest);
            current = Cow::Owned(out);
        }
        current
    }

    /// `text` redacted in place (no allocation when nothing matches).
    pub fn redact_in_place(&self, text: &mut String) {
        if let Cow::Owned(clean) = self.redact(text) {
            *text = clean;
        }
    }

    /// A writer that redacts every buffer before passing it to `inner`:
    /// for log output (`tracing_subscriber::fmt` writes each event in one
    /// call, so a secret is never split between two buffers).
    pub fn writer<W: std::io::Write>(&self, inner: W) -> RedactingWriter<W> {
        RedactingWriter {
            redactor: self.clone(),
            inner,
        }
    }
}

/// An [`std::io::Write`] that scrubs secrets from each buffer written
/// through it (see [`Redactor::writer`]).
#[derive(Debug)]
pub struct RedactingWriter<W> {
    redactor: Redactor,
    inner: W,
}

impl<W: std::io::Write> std::io::Write for RedactingWriter<W> {
    /// Writes the whole buffer, redacted, and reports it all written.
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write_all(&self.redactor.redact_bytes(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} secret(s))", self.secrets.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_occurrence_of_every_secret_goes() {
        let r = Redactor::new(["secret_token_1", "another-secret"]);
        let text = "a secret_token_1 b secret_token_1another-secret c";
        assert_eq!(r.redact(text), "a [REDACTED] b [REDACTED][REDACTED] c");
        assert!(matches!(r.redact("clean"), Cow::Borrowed(_)));
        assert_eq!(format!("{r:?}"), "Redactor(2 secret(s))");
    }

    #[test]
    fn short_and_empty_secrets_are_ignored_and_longest_wins() {
        let r = Redactor::new(["", "t", "secret_x1", "secret_x1_longer"]);
        assert_eq!(r.len(), 2);
        assert_eq!(r.redact("t secret_x1_longer"), "t [REDACTED]");
    }

    #[test]
    fn the_writer_redacts_what_goes_through_it() {
        use std::io::Write;
        let r = Redactor::new(["secret_in_logs"]);
        let mut out = Vec::new();
        let mut writer = r.writer(&mut out);
        writer.write_all(b"token=secret_in_logs ok\n").unwrap();
        writer.flush().unwrap();
        assert_eq!(out, b"token=[REDACTED] ok\n");
    }

    proptest! {
        #[test]
        fn no_secret_survives(prefix in ".{0,20}", suffix in ".{0,20}", secret in "[a-z_0-9]{8,30}") {
            let r = Redactor::new([secret.clone()]);
            let text = format!("{prefix}{secret}{suffix}{secret}");
            let clean = r.redact(&text);
            prop_assert!(!clean.contains(&secret));
        }
    }
}
