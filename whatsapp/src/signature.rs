//! Who may talk to the webhook: Meta signs every POST with the app secret
//! (`X-Hub-Signature-256: sha256=<hex>`), and proves a subscription with a GET handshake that
//! echoes a challenge when the verify token matches.

use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

const PREFIX: &str = "sha256=";
/// A SHA-256 digest in hex.
const HEX_DIGEST_LEN: usize = 64;
/// Meta's challenges are numbers of about ten digits; a bound keeps the echo from carrying
/// anything else back to whoever asked.
const MAX_CHALLENGE_LEN: usize = 128;

/// Why a webhook POST is not Meta's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request has no X-Hub-Signature-256 header")]
    Missing,
    #[error(
        "the X-Hub-Signature-256 header is not `sha256=` and 64 hex characters, as Meta sends it"
    )]
    Malformed,
    #[error(
        "the X-Hub-Signature-256 signature does not match the body: the app secret differs, or the body was changed on the way"
    )]
    Mismatch,
    #[error("no app secret is configured, so no signature can be checked")]
    NoSecret,
}

/// The value of the `X-Hub-Signature-256` header Meta would send with this body.
pub fn sign(app_secret: &str, body: &[u8]) -> String {
    format!(
        "{PREFIX}{}",
        hex::encode(mac(app_secret, body).finalize().into_bytes())
    )
}

/// Checks the `X-Hub-Signature-256` header against the body's bytes exactly as they arrived.
/// Hash them before any parsing: Meta signs its own escaping of non-ASCII text (`\u00e4`),
/// which re-serialised JSON does not reproduce. The comparison takes constant time.
pub fn verify(
    app_secret: &str,
    raw_body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    if app_secret.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let header = header.ok_or(SignatureError::Missing)?.trim();
    let digest = header
        .strip_prefix(PREFIX)
        .filter(|digest| digest.len() == HEX_DIGEST_LEN)
        .ok_or(SignatureError::Malformed)?;
    let expected = hex::decode(digest).map_err(|_| SignatureError::Malformed)?;
    mac(app_secret, raw_body)
        .verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

fn mac(app_secret: &str, body: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length, so this cannot fail; an empty key is refused earlier.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(app_secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(body);
    mac
}

/// The query of Meta's GET subscription handshake
/// (`?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…`); deserialises from the query
/// string directly.
#[derive(Clone, Default, Deserialize)]
pub struct HandshakeQuery {
    #[serde(rename = "hub.mode", default)]
    pub mode: Option<String>,
    #[serde(rename = "hub.verify_token", default)]
    pub verify_token: Option<String>,
    #[serde(rename = "hub.challenge", default)]
    pub challenge: Option<String>,
}

impl std::fmt::Debug for HandshakeQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandshakeQuery")
            .field("mode", &self.mode)
            .field(
                "verify_token",
                &self.verify_token.as_ref().map(|_| "<redacted>"),
            )
            .field("challenge", &self.challenge)
            .finish()
    }
}

/// Why a GET handshake is refused (answer it with 403).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    #[error("hub.mode is not `subscribe`")]
    NotSubscribe,
    #[error("hub.verify_token does not match the verify token configured for this channel")]
    WrongToken,
    #[error("hub.challenge is missing, or is not the short number Meta sends")]
    BadChallenge,
    #[error("no verify token is configured, so no subscription can be confirmed")]
    NoToken,
}

/// Answers Meta's subscription handshake: the challenge to echo as the plain-text body of a
/// 200, when the mode is `subscribe` and the verify token matches (compared in constant time).
pub fn handshake(
    query: &HandshakeQuery,
    expected_verify_token: &str,
) -> Result<String, HandshakeError> {
    if expected_verify_token.is_empty() {
        return Err(HandshakeError::NoToken);
    }
    if query.mode.as_deref() != Some("subscribe") {
        return Err(HandshakeError::NotSubscribe);
    }
    let given = query.verify_token.as_deref().unwrap_or_default();
    if !bool::from(given.as_bytes().ct_eq(expected_verify_token.as_bytes())) {
        return Err(HandshakeError::WrongToken);
    }
    let challenge = query.challenge.as_deref().unwrap_or_default();
    let plain = !challenge.is_empty()
        && challenge.len() <= MAX_CHALLENGE_LEN
        && challenge
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.'));
    if !plain {
        return Err(HandshakeError::BadChallenge);
    }
    Ok(challenge.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(mode: &str, token: &str, challenge: &str) -> HandshakeQuery {
        HandshakeQuery {
            mode: Some(mode.into()),
            verify_token: Some(token.into()),
            challenge: Some(challenge.into()),
        }
    }

    #[test]
    fn a_matching_handshake_echoes_the_challenge() {
        let answer = handshake(&query("subscribe", "t0ken", "1158201444"), "t0ken");
        assert_eq!(answer, Ok("1158201444".into()));
    }

    #[test]
    fn handshakes_with_the_wrong_mode_token_or_challenge_are_refused() {
        use HandshakeError::*;
        let cases = [
            (query("unsubscribe", "t0ken", "1"), NotSubscribe),
            (query("subscribe", "t0ke", "1"), WrongToken),
            (query("subscribe", "", "1"), WrongToken),
            (query("subscribe", "t0ken", ""), BadChallenge),
            (query("subscribe", "t0ken", "<script>"), BadChallenge),
            (query("subscribe", "t0ken", &"9".repeat(129)), BadChallenge),
            (HandshakeQuery::default(), NotSubscribe),
        ];
        for (query, expected) in cases {
            assert_eq!(handshake(&query, "t0ken"), Err(expected), "{query:?}");
        }
        assert_eq!(
            handshake(&query("subscribe", "", "1"), ""),
            Err(HandshakeError::NoToken)
        );
    }

    #[test]
    fn the_query_reads_from_meta_s_parameter_names() {
        let query: HandshakeQuery = serde_json::from_value(serde_json::json!({
            "hub.mode": "subscribe", "hub.verify_token": "t0ken", "hub.challenge": "42"
        }))
        .expect("reads");
        assert_eq!(handshake(&query, "t0ken"), Ok("42".into()));
        assert!(
            !format!("{query:?}").contains("t0ken"),
            "the token stays out of logs"
        );
    }

    #[test]
    fn malformed_or_missing_headers_are_told_apart_from_mismatches() {
        let body = br#"{"object":"whatsapp_business_account"}"#;
        let good = sign("s3cret", body);
        assert_eq!(verify("s3cret", body, Some(&good)), Ok(()));
        assert_eq!(verify("s3cret", body, None), Err(SignatureError::Missing));
        assert_eq!(
            verify("s3cret", body, Some("sha1=abc")),
            Err(SignatureError::Malformed)
        );
        let upper = good.to_uppercase().replace("SHA256=", "sha256=");
        // Hex digits in either case decode to the same bytes.
        assert_eq!(verify("s3cret", body, Some(&upper)), Ok(()));
        let not_hex = format!("sha256={}", "z".repeat(64));
        assert_eq!(
            verify("s3cret", body, Some(&not_hex)),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify("other", body, Some(&good)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify("", body, Some(&good)), Err(SignatureError::NoSecret));
    }
}
