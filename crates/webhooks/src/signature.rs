//! `X-Notion-Signature`: `sha256=<hex>`, the HMAC-SHA256 of the raw request
//! body keyed with the verification token. Verification hashes the bytes as
//! received (never re-serialized JSON) and compares in constant time.
//!
//! ```
//! use webhooks::{Secret, sign, verify};
//!
//! let token = Secret::new("secret_abc");
//! let body = br#"{"id":"e1"}"#;
//! let header = sign(&token, body);
//! assert!(header.starts_with("sha256="));
//! assert!(verify(&token, Some(&header), body).is_ok());
//! assert!(verify(&token, Some(&header), br#"{"id":"e2"}"#).is_err());
//! ```

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::secret::Secret;

/// The header Notion puts the signature in.
pub const SIGNATURE_HEADER: &str = "x-notion-signature";

/// The signature's prefix, naming the algorithm.
const PREFIX: &str = "sha256=";

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The request has no `X-Notion-Signature` header.
    #[error("no X-Notion-Signature header")]
    Missing,
    /// The header is not `sha256=` followed by 64 hex digits.
    #[error("the X-Notion-Signature header is not sha256=<64 hex digits>")]
    Malformed,
    /// The signature does not match the body.
    #[error("the signature does not match the body")]
    Mismatch,
}

/// The `X-Notion-Signature` value for `body` signed with `token`.
pub fn sign(token: &Secret, body: &[u8]) -> String {
    let tag = mac(token, body).finalize().into_bytes();
    format!("{PREFIX}{}", hex::encode(tag))
}

/// Checks an `X-Notion-Signature` value (`None` when the header is absent)
/// against the raw `body`, in constant time.
pub fn verify(token: &Secret, header: Option<&str>, body: &[u8]) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?.trim();
    let digits = header
        .strip_prefix(PREFIX)
        .ok_or(SignatureError::Malformed)?;
    let mut tag = [0u8; 32];
    hex::decode_to_slice(digits, &mut tag).map_err(|_| SignatureError::Malformed)?;
    mac(token, body)
        .verify_slice(&tag)
        .map_err(|_| SignatureError::Mismatch)
}

fn mac(token: &Secret, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(token.expose().as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(body);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test case 2: key "Jefe".
    #[test]
    fn matches_the_rfc_4231_vector() {
        let header = sign(&Secret::new("Jefe"), b"what do ya want for nothing?");
        assert_eq!(
            header,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn refuses_missing_malformed_and_forged_signatures() {
        let token = Secret::new("secret_abc");
        let body = b"{}";
        let good = sign(&token, body);
        assert_eq!(verify(&token, None, body), Err(SignatureError::Missing));
        for bad in [
            "",
            "sha256=",
            "sha1=00",
            &good[7..],
            "sha256=zz",
            &good[..70],
        ] {
            assert_eq!(
                verify(&token, Some(bad), body),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
        let forged = sign(&Secret::new("secret_other"), body);
        assert_eq!(
            verify(&token, Some(&forged), body),
            Err(SignatureError::Mismatch)
        );
        let upper = format!("sha256={}", good[7..].to_uppercase());
        assert_eq!(verify(&token, Some(&upper), body), Ok(()));
    }
}
