//! Secrets kept in the database encrypted at rest: a channel's access token, app secret and
//! verify token are sealed with the server's key (`SPOOL_SECRET_KEY`) before they are written,
//! and opened when the server needs them.
//!
//! A sealed value is one text column, `v1:<base64(nonce || ciphertext || tag)>`, made with
//! XChaCha20-Poly1305 and a random 24-byte nonce per value. The extended nonce is why XChaCha
//! rather than ChaCha20-Poly1305: random 12-byte nonces risk a repeat (which breaks the cipher)
//! after billions of values under one key; 24 random bytes never do, so no counter has to be
//! kept anywhere. `v1:` names the scheme so a later one can be told apart and values moved.
//!
//! Each value is bound to what it is (the associated data, e.g. `channel:ch_1:access_token`):
//! a sealed value copied into another column or row does not open there.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use rand::RngExt as _;

/// What starts every value sealed by this version of the scheme.
pub const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// The key's length in bytes.
pub const KEY_LEN: usize = 32;

/// Whether a stored value was sealed (rather than stored as it is, before sealing existed).
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(PREFIX)
}

/// The server's key for secrets at rest. Its `Debug` never shows it.
#[derive(Clone)]
pub struct SecretKey {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

/// Why `SPOOL_SECRET_KEY` cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error(
        "SPOOL_SECRET_KEY is {found} bytes long; it must be {KEY_LEN} random bytes, written as 64 hex characters or in base64 (make one with `openssl rand -hex 32`)"
    )]
    WrongLength { found: usize },
    #[error(
        "SPOOL_SECRET_KEY is neither hex nor base64; it must be {KEY_LEN} random bytes, written as 64 hex characters or in base64 (make one with `openssl rand -hex 32`)"
    )]
    Unreadable,
}

/// Why a sealed value cannot be opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpenError {
    #[error("it is not a value sealed by Spool (it does not start with `{PREFIX}` and base64)")]
    NotSealed,
    /// The tag does not match: the key is not the one the value was sealed with, or the value
    /// was altered or moved. The two cannot be told apart, by design.
    #[error(
        "it does not decrypt with this SPOOL_SECRET_KEY: the key changed since it was stored, or the stored value was altered"
    )]
    WrongKeyOrAltered,
}

impl SecretKey {
    /// Reads a key written as 64 hex characters or as base64 (standard or URL-safe, padded
    /// or not) of exactly [`KEY_LEN`] bytes.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let is_hex = !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_hexdigit());
        let bytes = if is_hex && text.len().is_multiple_of(2) {
            hex::decode(text).map_err(|_| KeyError::Unreadable)?
        } else {
            [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
                .iter()
                .find_map(|engine| engine.decode(text).ok())
                .ok_or(KeyError::Unreadable)?
        };
        Self::from_bytes(&bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let cipher = XChaCha20Poly1305::new_from_slice(bytes)
            .map_err(|_| KeyError::WrongLength { found: bytes.len() })?;
        Ok(Self { cipher })
    }

    /// Seals `plaintext` as what `context` says it is (the same `context` opens it).
    pub fn seal(&self, context: &str, plaintext: &str) -> String {
        let nonce: [u8; NONCE_LEN] = rand::rng().random();
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: context.as_bytes(),
        };
        // Encryption only fails for messages longer than the cipher's counter allows
        // (256 GiB); a secret is never near that.
        let sealed = self
            .cipher
            .encrypt(&nonce.into(), payload)
            .unwrap_or_default();
        let mut bytes = Vec::with_capacity(NONCE_LEN + sealed.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        format!("{PREFIX}{}", STANDARD.encode(bytes))
    }

    /// Opens a value sealed as `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Result<String, OpenError> {
        let bytes = sealed
            .strip_prefix(PREFIX)
            .and_then(|encoded| STANDARD.decode(encoded).ok())
            .filter(|bytes| bytes.len() >= NONCE_LEN + TAG_LEN)
            .ok_or(OpenError::NotSealed)?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| OpenError::NotSealed)?;
        let payload = Payload {
            msg: ciphertext,
            aad: context.as_bytes(),
        };
        let plaintext = self
            .cipher
            .decrypt(&nonce.into(), payload)
            .map_err(|_| OpenError::WrongKeyOrAltered)?;
        String::from_utf8(plaintext).map_err(|_| OpenError::WrongKeyOrAltered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    fn key() -> SecretKey {
        SecretKey::parse(HEX_KEY).expect("a valid key")
    }

    #[test]
    fn a_sealed_value_opens_to_what_was_sealed() {
        let sealed = key().seal("channel:ch_1:access_token", "EAAG-token-ü");
        assert!(sealed.starts_with("v1:"), "{sealed}");
        assert!(!sealed.contains("EAAG"), "{sealed}");
        assert_eq!(
            key().open("channel:ch_1:access_token", &sealed),
            Ok("EAAG-token-ü".to_owned())
        );
    }

    #[test]
    fn the_same_value_sealed_twice_differs() {
        let first = key().seal("c", "same");
        let second = key().seal("c", "same");
        assert_ne!(first, second, "each value has its own nonce");
    }

    #[test]
    fn an_altered_value_is_detected() {
        let sealed = key().seal("c", "EAAG-token");
        let mut bytes = STANDARD
            .decode(sealed.trim_start_matches(PREFIX))
            .expect("base64");
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let altered = format!("{PREFIX}{}", STANDARD.encode(&bytes));
        assert_eq!(key().open("c", &altered), Err(OpenError::WrongKeyOrAltered));
    }

    #[test]
    fn another_key_does_not_open_it() {
        let sealed = key().seal("c", "EAAG-token");
        let other = SecretKey::from_bytes(&[7; KEY_LEN]).expect("a key");
        assert_eq!(other.open("c", &sealed), Err(OpenError::WrongKeyOrAltered));
    }

    #[test]
    fn a_value_moved_to_another_column_does_not_open() {
        let sealed = key().seal("channel:ch_1:access_token", "EAAG-token");
        assert_eq!(
            key().open("channel:ch_2:access_token", &sealed),
            Err(OpenError::WrongKeyOrAltered)
        );
        assert_eq!(
            key().open("channel:ch_1:app_secret", &sealed),
            Err(OpenError::WrongKeyOrAltered)
        );
    }

    #[test]
    fn a_value_in_clear_is_not_taken_for_a_sealed_one() {
        assert_eq!(key().open("c", "EAAG-token"), Err(OpenError::NotSealed));
        assert_eq!(key().open("c", "v1:AAAA"), Err(OpenError::NotSealed));
    }

    #[test]
    fn keys_are_read_as_hex_or_base64() {
        let from_base64 = SecretKey::parse(&STANDARD.encode([0x42; KEY_LEN])).expect("base64");
        let from_hex = SecretKey::parse(&hex::encode([0x42; KEY_LEN])).expect("hex");
        let sealed = from_base64.seal("c", "x");
        assert_eq!(from_hex.open("c", &sealed), Ok("x".to_owned()));
        assert!(SecretKey::parse(&URL_SAFE_NO_PAD.encode([0xfb; KEY_LEN])).is_ok());
    }

    #[test]
    fn a_key_of_the_wrong_length_is_refused_with_its_length() {
        let short = SecretKey::parse(&hex::encode([1; 16])).expect_err("too short");
        assert_eq!(short, KeyError::WrongLength { found: 16 });
        assert!(
            short.to_string().contains("openssl rand -hex 32"),
            "{short}"
        );
        assert_eq!(
            SecretKey::parse("not a key!").expect_err("unreadable"),
            KeyError::Unreadable
        );
    }

    #[test]
    fn debug_never_shows_the_key() {
        assert_eq!(format!("{:?}", key()), "SecretKey(..)");
    }
}
