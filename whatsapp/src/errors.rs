//! Meta's error answers, sorted by what the caller does next: try again later, give up on
//! this message, wait a day for this contact, or pause the channel until its token is fixed.
//!
//! Meta says to branch on `error.code` (not the title or the HTTP status); the HTTP status
//! decides only for codes this table does not know. Each class comes with a sentence a
//! person understands, used in the API and the docs.

use std::time::Duration;

use serde_json::Value;

use crate::inbound::MetaError;

/// Why a call to Meta did not succeed, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendFailure {
    /// Worth trying again: a rate limit, a timeout, a temporary problem at Meta.
    #[error("{reason}")]
    Retry {
        code: Option<i64>,
        reason: String,
        /// How long to wait first, when Meta or the error's nature says.
        after: Option<Duration>,
    },
    /// Will never be accepted as it is: fix the message, the template or the contact.
    #[error("{reason}")]
    Permanent {
        code: Option<i64>,
        reason: String,
        /// Meta's own words.
        title: String,
        /// `error_data.details`.
        details: Option<String>,
    },
    /// Meta's per-user marketing limit (131049): try this contact again no sooner than 24 h
    /// later; retrying sooner makes Meta block longer.
    #[error("{reason}")]
    PerUserMarketingCap {
        reason: String,
        details: Option<String>,
    },
    /// The access token is expired, revoked or lacks a permission: pause the channel.
    #[error("{reason}")]
    TokenRejected {
        code: Option<i64>,
        reason: String,
        details: Option<String>,
    },
}

impl SendFailure {
    /// Meta's error code, when the answer had one.
    pub fn code(&self) -> Option<i64> {
        match self {
            SendFailure::Retry { code, .. }
            | SendFailure::Permanent { code, .. }
            | SendFailure::TokenRejected { code, .. } => *code,
            SendFailure::PerUserMarketingCap { .. } => Some(PER_USER_MARKETING_CAP),
        }
    }

    /// The sentence for a person.
    pub fn reason(&self) -> &str {
        match self {
            SendFailure::Retry { reason, .. }
            | SendFailure::Permanent { reason, .. }
            | SendFailure::PerUserMarketingCap { reason, .. }
            | SendFailure::TokenRejected { reason, .. } => reason,
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, SendFailure::Retry { .. })
    }

    /// A call that never got an answer (timeout, refused connection): Meta may or may not
    /// have sent the message, so the caller retries cautiously.
    pub fn unreachable(what: &str) -> Self {
        SendFailure::Retry {
            code: None,
            reason: format!("Meta could not be reached ({what}); trying again later"),
            after: None,
        }
    }
}

const PER_USER_MARKETING_CAP: i64 = 131_049;

/// What to do about an error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Retry(Option<u64>),
    Permanent,
    MarketingCap,
    Token,
}

const WINDOW_CLOSED: &str = "the 24-hour window is closed: the contact last wrote more than 24 hours ago, so send a template";
const TOKEN: &str = "the access token was rejected by Meta (expired, revoked, or missing a permission); sends on this channel are paused until it is replaced";
const TEMPORARY: &str = "Meta had a temporary problem; trying again later";
const ACCOUNT_RESTRICTED: &str = "Meta restricted this account (a policy violation, a locked account or a country restriction); an administrator must look at it in WhatsApp Manager";
const PARAMETER_FORMAT: &str = "a template parameter does not have the format the template defines (text, currency, date, media)";

/// Meta's codes a runtime must handle (`shared/whatsapp-cloud-api.md` §4), what to do about
/// each, and what to tell a person.
fn known(code: i64) -> Option<(Class, &'static str)> {
    use Class::*;
    Some(match code {
        131_047 | 470 => (Permanent, WINDOW_CLOSED),
        131_026 => (
            Permanent,
            "the message could not be delivered: the number is not on WhatsApp, or its owner has not accepted WhatsApp's current terms or uses an old app",
        ),
        131_048 => (
            Permanent,
            "Meta restricted sends from this number after blocks or spam reports; pause bulk sends and check the number's quality",
        ),
        131_056 => (
            Retry(Some(6)),
            "too many messages to this contact in a short time (about one every 6 seconds is allowed); trying again shortly",
        ),
        130_429 => (
            Retry(None),
            "this number reached its throughput limit (messages per second); trying again shortly",
        ),
        PER_USER_MARKETING_CAP => (
            MarketingCap,
            "Meta held this marketing message back to keep the contact's engagement healthy (per-user marketing limit); try this contact again no sooner than 24 hours later",
        ),
        131_050 => (
            Permanent,
            "the contact stopped marketing messages from this business",
        ),
        131_064 => (
            Permanent,
            "this number's messaging is limited because of template category violations; review the templates' categories",
        ),
        131_063 => (
            Permanent,
            "marketing templates are turned off for the Cloud API on this account; send them through the Marketing Messages API",
        ),
        131_057 => (
            Retry(Some(60)),
            "the WhatsApp Business Account is in maintenance (for example a throughput upgrade); trying again in a minute",
        ),
        130_472 => (
            Permanent,
            "the contact is in a Meta marketing experiment group, and the message was withheld on purpose",
        ),
        130_403 => (Permanent, "the business has blocked this contact"),
        131_042 => (
            Permanent,
            "the WhatsApp Business Account has a payment problem; every send fails until an administrator fixes the payment method",
        ),
        131_045 | 133_010 => (
            Permanent,
            "the phone number is not registered with the Cloud API, or its registration has a problem",
        ),
        131_051 => (Permanent, "WhatsApp does not support this message type"),
        131_052 => (Permanent, "the contact's media could not be downloaded"),
        131_053 => (
            Permanent,
            "the media could not be uploaded to WhatsApp: check the file's address, size and type",
        ),
        131_008 => (
            Permanent,
            "a required parameter is missing from the message",
        ),
        131_009 => (
            Permanent,
            "a parameter value is not valid (too long, badly formatted or not allowed)",
        ),
        100 => (
            Permanent,
            "the message has an unknown or invalid field, or a value that is too long",
        ),
        131_021 => (Permanent, "the recipient is the business's own number"),
        131_030 => (
            Permanent,
            "the recipient is not on this test number's list of allowed recipients",
        ),
        131_037 => (
            Permanent,
            "this number needs an approved display name before it can send",
        ),
        131_062 => (
            Permanent,
            "authentication templates cannot be sent to a WhatsApp user id; send them to the phone number",
        ),
        131_000 | 1 | 2 | 131_016 | 133_004 | 135_000 => (Retry(None), TEMPORARY),
        0 | 3 | 10 | 190 | 200..=299 | 131_005 => (Token, TOKEN),
        4 => (
            Retry(Some(60)),
            "the app made too many calls to Meta (app rate limit); trying again later",
        ),
        80_007 => (
            Retry(Some(60)),
            "the WhatsApp Business Account reached its rate limit for calls to Meta; trying again later",
        ),
        133_016 => (
            Retry(Some(60)),
            "too many registration attempts for this number; trying again later",
        ),
        368 | 131_031 | 130_497 => (Permanent, ACCOUNT_RESTRICTED),
        132_000 => (
            Permanent,
            "the template got a different number of parameters than it has placeholders",
        ),
        132_001 => (
            Permanent,
            "the template does not exist in this language, or is not approved",
        ),
        132_005 => (
            Permanent,
            "the template's text is too long once the parameters are filled in",
        ),
        132_007 => (
            Permanent,
            "the template's content breaks WhatsApp's policies",
        ),
        132_008 | 132_012 | 132_018 => (Permanent, PARAMETER_FORMAT),
        132_015 => (
            Permanent,
            "the template is paused because of low quality; use another one until it is edited and approved",
        ),
        132_016 => (
            Permanent,
            "the template was disabled for good after repeated pauses; create a new one",
        ),
        132_068 => (Permanent, "this WhatsApp Flow is blocked"),
        132_069 => (
            Permanent,
            "this WhatsApp Flow is throttled (at most 10 messages an hour)",
        ),
        _ => return None,
    })
}

/// The sentence for a known error code (for failed statuses shown to people).
pub fn describe(code: i64) -> Option<&'static str> {
    known(code).map(|(_, sentence)| sentence)
}

/// Sorts an HTTP error answer from the Graph API: its status, its body
/// (`{"error": {"code", "message", "error_data": {"details"}}}`) and a `Retry-After` header.
pub fn classify(http_status: u16, body: &[u8], retry_after: Option<Duration>) -> SendFailure {
    let error = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|body| body.get("error").cloned())
        .filter(Value::is_object);
    let (code, title, details) = match &error {
        Some(error) => {
            let meta = MetaError::read(error);
            let details = meta.details.clone().or_else(|| {
                // Outside WhatsApp's endpoints `error_data` is sometimes a plain string.
                error
                    .get("error_data")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            });
            let code = error.get("code").map(|_| meta.code);
            let title = if meta.message.is_empty() {
                meta.title
            } else {
                meta.message
            };
            (code, title, details)
        }
        None => (None, String::new(), None),
    };
    classify_parts(Some(http_status), code, title, details, retry_after)
}

/// Sorts an error Meta reported later, in a `failed` status or a webhook's `errors[]`.
pub fn classify_meta_error(error: &MetaError) -> SendFailure {
    let title = if error.title.is_empty() {
        error.message.clone()
    } else {
        error.title.clone()
    };
    // A missing code reads as 0, which is also Meta's code for an authentication failure;
    // a delivery report is never about the token, so 0 counts as no code here.
    let code = Some(error.code).filter(|code| *code != 0);
    classify_parts(None, code, title, error.details.clone(), None)
}

fn classify_parts(
    http_status: Option<u16>,
    code: Option<i64>,
    title: String,
    details: Option<String>,
    retry_after: Option<Duration>,
) -> SendFailure {
    if let Some((class, sentence)) = code.and_then(known) {
        let reason = sentence.to_owned();
        return match class {
            Class::Retry(seconds) => SendFailure::Retry {
                code,
                reason,
                after: retry_after.or(seconds.map(Duration::from_secs)),
            },
            Class::Permanent => SendFailure::Permanent {
                code,
                reason,
                title,
                details,
            },
            Class::MarketingCap => SendFailure::PerUserMarketingCap { reason, details },
            Class::Token => SendFailure::TokenRejected {
                code,
                reason,
                details,
            },
        };
    }
    // A code this table does not know: the HTTP status decides.
    let said = if title.is_empty() {
        String::new()
    } else {
        format!(": {title}")
    };
    let code_words = code.map_or(String::new(), |code| format!(", code {code}"));
    match http_status {
        Some(429) => SendFailure::Retry {
            code,
            reason: format!("Meta asked to slow down (HTTP 429{code_words}); trying again later"),
            after: retry_after,
        },
        Some(status @ 500..=599) => SendFailure::Retry {
            code,
            reason: format!(
                "Meta answered with a server error (HTTP {status}{code_words}){said}; trying again later"
            ),
            after: retry_after,
        },
        Some(401) if code.is_none() => SendFailure::TokenRejected {
            code,
            reason: TOKEN.to_owned(),
            details,
        },
        status => SendFailure::Permanent {
            code,
            reason: match status {
                Some(status) => {
                    format!("Meta refused the message (HTTP {status}{code_words}){said}")
                }
                None => match code {
                    Some(code) => format!("Meta could not deliver the message (code {code}){said}"),
                    None => format!("Meta could not deliver the message{said}"),
                },
            },
            title,
            details,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(code: i64) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({ "error": {
            "message": format!("(#{code}) something"), "type": "OAuthException", "code": code,
            "error_data": { "messaging_product": "whatsapp", "details": "more words" },
            "fbtrace_id": "A1b2"
        }}))
        .expect("serializes")
    }

    #[derive(Debug, PartialEq)]
    enum Expect {
        Retry(Option<u64>),
        Permanent,
        Cap,
        Token,
    }

    fn class_of(failure: &SendFailure) -> Expect {
        match failure {
            SendFailure::Retry { after, .. } => Expect::Retry(after.map(|after| after.as_secs())),
            SendFailure::Permanent { .. } => Expect::Permanent,
            SendFailure::PerUserMarketingCap { .. } => Expect::Cap,
            SendFailure::TokenRejected { .. } => Expect::Token,
        }
    }

    #[test]
    fn meta_s_codes_decide_what_happens_next() {
        use Expect::*;
        let table: &[(u16, i64, Expect)] = &[
            (400, 131_047, Permanent),
            (400, 131_026, Permanent),
            (400, 131_050, Permanent),
            (400, 132_000, Permanent),
            (404, 132_001, Permanent),
            (400, 132_012, Permanent),
            (400, 132_015, Permanent),
            (400, 132_016, Permanent),
            (400, 131_030, Permanent),
            (400, 131_051, Permanent),
            (400, 100, Permanent),
            (400, 131_008, Permanent),
            (400, 131_009, Permanent),
            (400, 131_062, Permanent),
            (400, 131_049, Cap),
            (401, 190, Token),
            (403, 10, Token),
            (403, 200, Token),
            (403, 299, Token),
            (400, 0, Token),
            (400, 131_005, Token),
            (429, 130_429, Retry(None)),
            (400, 131_056, Retry(Some(6))),
            (503, 131_057, Retry(Some(60))),
            (500, 131_000, Retry(None)),
            (500, 1, Retry(None)),
            (503, 2, Retry(None)),
            (400, 4, Retry(Some(60))),
            (400, 80_007, Retry(Some(60))),
            (400, 133_016, Retry(Some(60))),
            // Codes the table does not know: the HTTP status decides.
            (500, 999_999, Retry(None)),
            (429, 999_999, Retry(None)),
            (400, 999_999, Permanent),
        ];
        for (status, code, expected) in table {
            let failure = classify(*status, &answer(*code), None);
            assert_eq!(&class_of(&failure), expected, "HTTP {status}, code {code}");
            assert_eq!(failure.code(), Some(*code), "code {code}");
            assert!(!failure.reason().is_empty());
        }
    }

    #[test]
    fn answers_without_a_graph_error_are_sorted_by_http_status() {
        use Expect::*;
        for (status, body, expected) in [
            (502, &b"<html>Bad gateway</html>"[..], Retry(None)),
            (500, b"", Retry(None)),
            (429, b"{}", Retry(None)),
            (401, b"", Token),
            (400, b"not json", Permanent),
        ] {
            let failure = classify(status, body, None);
            assert_eq!(class_of(&failure), expected, "HTTP {status}");
            assert_eq!(failure.code(), None);
        }
    }

    #[test]
    fn retry_after_from_meta_wins_over_the_default_wait() {
        let failure = classify(429, &answer(131_056), Some(Duration::from_secs(30)));
        assert_eq!(class_of(&failure), Expect::Retry(Some(30)));
        let failure = classify(503, b"", Some(Duration::from_secs(5)));
        assert_eq!(class_of(&failure), Expect::Retry(Some(5)));
    }

    #[test]
    fn the_window_closing_is_said_in_words() {
        let failure = classify(400, &answer(131_047), None);
        assert!(
            failure
                .to_string()
                .starts_with("the 24-hour window is closed")
        );
        let SendFailure::Permanent { title, details, .. } = failure else {
            panic!("permanent");
        };
        assert_eq!(title, "(#131047) something");
        assert_eq!(details.as_deref(), Some("more words"));
        let failure = classify(400, &answer(424_242), None);
        assert_eq!(
            failure.reason(),
            "Meta refused the message (HTTP 400, code 424242): (#424242) something"
        );
    }

    #[test]
    fn errors_in_failed_statuses_are_sorted_the_same_way() {
        let cap = MetaError {
            code: 131_049,
            title: "This message was not delivered to maintain healthy ecosystem engagement."
                .into(),
            message: String::new(),
            details: None,
        };
        assert!(matches!(
            classify_meta_error(&cap),
            SendFailure::PerUserMarketingCap { .. }
        ));
        let unknown = MetaError {
            code: 777,
            ..MetaError::default()
        };
        assert_eq!(
            classify_meta_error(&unknown).reason(),
            "Meta could not deliver the message (code 777)"
        );
        let no_code = MetaError {
            title: "Something broke".into(),
            ..MetaError::default()
        };
        assert_eq!(
            classify_meta_error(&no_code).reason(),
            "Meta could not deliver the message: Something broke"
        );
        assert_eq!(describe(131_047), Some(WINDOW_CLOSED));
        assert_eq!(describe(777), None);
    }
}
