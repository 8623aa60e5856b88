//! The verification token: the key events are signed with. It never prints:
//! [`Secret`] has no `Display`, its `Debug` shows `Secret(<redacted>)`, and
//! it cannot be serialized; the value is read only through
//! [`Secret::expose`], where a reader of the code can see it happen.
//!
//! ```
//! use webhooks::Secret;
//!
//! let token = Secret::new("secret_abc");
//! assert_eq!(format!("{token:?}"), "Secret(<redacted>)");
//! assert!(token.matches(&Secret::new("secret_abc")));
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;
use subtle::ConstantTimeEq;

/// A secret string (a webhook verification token).
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

/// Why a secret file could not be used. The messages name the file, never
/// its content.
#[derive(Debug, thiserror::Error)]
pub enum SecretFileError {
    /// The file could not be read.
    #[error("cannot read the webhook secret file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file holds nothing but whitespace.
    #[error("the webhook secret file {path} is empty")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The file holds more than one line of text.
    #[error("the webhook secret file {path} holds more than one line; it must hold only the token")]
    SeveralLines {
        /// The file.
        path: PathBuf,
    },
}

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// Reads a secret from a file holding only the token (surrounding
    /// whitespace and a final newline are ignored), as `--webhook-secret-file`
    /// gives it.
    pub fn read_file(path: &Path) -> Result<Secret, SecretFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| SecretFileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let token = text.trim();
        if token.is_empty() {
            return Err(SecretFileError::Empty {
                path: path.to_path_buf(),
            });
        }
        if token.lines().count() > 1 {
            return Err(SecretFileError::SeveralLines {
                path: path.to_path_buf(),
            });
        }
        Ok(Secret(token.to_string()))
    }

    /// The secret value. Use it only to compute or store, never to print.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether two secrets are equal, compared in constant time (for a given length).
    pub fn matches(&self, other: &Secret) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_file_is_trimmed_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "  secret_xyz\n").unwrap();
        assert_eq!(Secret::read_file(&path).unwrap().expose(), "secret_xyz");

        std::fs::write(&path, " \n").unwrap();
        let err = Secret::read_file(&path).unwrap_err();
        assert!(matches!(err, SecretFileError::Empty { .. }));

        std::fs::write(&path, "secret_a\nsecret_b\n").unwrap();
        let err = Secret::read_file(&path).unwrap_err().to_string();
        assert!(err.contains("more than one line") && !err.contains("secret_a"));

        let missing = Secret::read_file(&dir.path().join("nope")).unwrap_err();
        assert!(matches!(missing, SecretFileError::Read { .. }));
    }

    #[test]
    fn secrets_compare_by_value() {
        assert!(Secret::new("a").matches(&Secret::new("a")));
        assert!(!Secret::new("a").matches(&Secret::new("b")));
        assert!(!Secret::new("a").matches(&Secret::new("ab")));
    }
}
