//! What a channel request may hold: the request types, their checks (every problem, per
//! field, at once), and the fingerprints shown instead of secrets.

use actix_web::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::channels::DEFAULT_API_VERSION;
use crate::error::{ApiError, Code};

/// A channel to connect: a WhatsApp Business phone number in Meta's Cloud API.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    /// How people in Spool call it, e.g. "Loja Exemplo (Brazil)".
    pub display_name: String,
    /// Meta's id of the phone number (WhatsApp Manager → API Setup), not the number itself.
    pub phone_number_id: String,
    /// The WhatsApp Business Account id.
    pub waba_id: String,
    /// A permanent (system user) access token with `whatsapp_business_messaging`.
    pub access_token: String,
    /// The Meta app's secret (App Dashboard → Basic settings): checks webhook signatures.
    pub app_secret: String,
    /// The verify token typed into the app's webhook settings.
    pub verify_token: String,
    /// The Graph API version, `v25.0` unless given.
    #[serde(default)]
    pub api_version: Option<String>,
    /// Messages per second Meta accepts from the number: 80 unless given.
    #[serde(default)]
    pub throughput_per_second: Option<i64>,
    /// Unique contacts business-initiated messages may reach in a rolling 24 h: 250 unless
    /// given.
    #[serde(default)]
    pub messaging_limit: Option<i64>,
    /// Send Marketing templates through the Marketing Messages API: false unless given.
    #[serde(default)]
    pub marketing_messages_api: Option<bool>,
}

/// What to change; what is absent stays as it is. A token or secret is replaced only when
/// given, and a new access token lets a paused channel send again.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelChange {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub phone_number_id: Option<String>,
    #[serde(default)]
    pub waba_id: Option<String>,
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub app_secret: Option<String>,
    #[serde(default)]
    pub verify_token: Option<String>,
    #[serde(default)]
    pub api_version: Option<String>,
    #[serde(default)]
    pub throughput_per_second: Option<i64>,
    #[serde(default)]
    pub messaging_limit: Option<i64>,
    #[serde(default)]
    pub marketing_messages_api: Option<bool>,
}

/// Enough of a secret to recognise it, never to use it. The last 4 characters let a person
/// match it against the token they see in Meta's dashboard; the first 8 hex digits of its
/// SHA-256 tell apart two values with the same ending and show when a value changed. A value
/// shorter than 16 characters (a verify token someone typed) shows only the hash: 4 of its
/// characters would give away too much of it.
pub(super) fn fingerprint(secret: &str) -> String {
    let digest = hex::encode(Sha256::digest(secret.as_bytes()));
    let hash = digest.get(..8).unwrap_or_default();
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 16 {
        return format!("sha256:{hash}");
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("…{tail} sha256:{hash}")
}

/// What is wrong with each field, by field name; empty when everything is acceptable.
#[derive(Debug, Default)]
struct Problems(Map<String, Value>);

impl Problems {
    fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| Value::String(message.into()));
    }

    fn text(&mut self, field: &str, value: Option<&String>, max: usize, what: &str) {
        if let Some(value) = value
            && (value.trim().is_empty() || value.chars().count() > max)
        {
            self.add(
                field,
                format!("`{field}` is {what} (1 to {max} characters)."),
            );
        }
    }

    fn id(&mut self, field: &str, value: Option<&String>, what: &str) {
        if let Some(value) = value
            && (value.is_empty() || value.len() > 32 || !value.bytes().all(|b| b.is_ascii_digit()))
        {
            self.add(
                field,
                format!("`{field}` is {what}: Meta's numeric id (digits only), not {value:?}."),
            );
        }
    }

    fn secret(&mut self, field: &str, value: Option<&String>, what: &str) {
        if let Some(value) = value
            && (value.is_empty()
                || value.len() > 4096
                || value.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            self.add(
                field,
                format!("`{field}` is {what}, without spaces (up to 4096 characters)."),
            );
        }
    }

    fn range(&mut self, field: &str, value: Option<i64>, range: std::ops::RangeInclusive<i64>) {
        if let Some(value) = value
            && !range.contains(&value)
        {
            self.add(
                field,
                format!(
                    "`{field}` is from {} to {}; {value} is not.",
                    range.start(),
                    range.end()
                ),
            );
        }
    }

    fn into_error(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            return Ok(());
        }
        let mut messages = self.0.values().filter_map(Value::as_str);
        let first = messages.next().unwrap_or_default().to_owned();
        let more = self.0.len() - 1;
        let message = if more == 0 {
            first
        } else {
            format!("{first} ({more} more in `details.fields`)")
        };
        let mut error = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Code::InvalidChannel,
            message,
        );
        error.details = json!({ "fields": self.0 });
        Err(error)
    }
}

/// Meta's ceiling: no number is allowed more than 1,000 messages per second.
const MAX_THROUGHPUT: i64 = 1000;

fn is_api_version(version: &str) -> bool {
    let Some((major, minor)) = version
        .strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
    else {
        return false;
    };
    let digits =
        |part: &str| (1..=3).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
    digits(major) && digits(minor)
}

pub(super) fn check(change: &ChannelChange) -> Result<(), ApiError> {
    let mut problems = Problems::default();
    problems.text(
        "display_name",
        change.display_name.as_ref(),
        100,
        "the channel's name as people in Spool see it",
    );
    problems.id(
        "phone_number_id",
        change.phone_number_id.as_ref(),
        "the phone number's id in WhatsApp Manager → API Setup",
    );
    problems.id(
        "waba_id",
        change.waba_id.as_ref(),
        "the WhatsApp Business Account id",
    );
    problems.secret(
        "access_token",
        change.access_token.as_ref(),
        "the system user's permanent access token",
    );
    problems.secret(
        "app_secret",
        change.app_secret.as_ref(),
        "the Meta app's secret (App Dashboard → Basic settings)",
    );
    problems.secret(
        "verify_token",
        change.verify_token.as_ref(),
        "the verify token you type into the app's webhook settings",
    );
    if let Some(version) = &change.api_version
        && !is_api_version(version)
    {
        problems.add(
            "api_version",
            format!("`api_version` is a Graph API version such as {DEFAULT_API_VERSION}; {version:?} is not."),
        );
    }
    problems.range(
        "throughput_per_second",
        change.throughput_per_second,
        1..=MAX_THROUGHPUT,
    );
    problems.range("messaging_limit", change.messaging_limit, 1..=i64::MAX);
    problems.into_error()
}

impl From<&NewChannel> for ChannelChange {
    fn from(new: &NewChannel) -> Self {
        Self {
            display_name: Some(new.display_name.clone()),
            phone_number_id: Some(new.phone_number_id.clone()),
            waba_id: Some(new.waba_id.clone()),
            access_token: Some(new.access_token.clone()),
            app_secret: Some(new.app_secret.clone()),
            verify_token: Some(new.verify_token.clone()),
            api_version: new.api_version.clone(),
            throughput_per_second: new.throughput_per_second,
            messaging_limit: new.messaging_limit,
            marketing_messages_api: new.marketing_messages_api,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_shows_the_end_and_a_hash_never_the_token() {
        let token = "EAAGm0PX4ZCpsBAKZBl7x9QzZDZD";
        let shown = fingerprint(token);
        assert!(shown.starts_with("…ZDZD sha256:"), "{shown}");
        assert_eq!(shown.len(), "…ZDZD sha256:".len() + 8);
        assert_ne!(fingerprint("EAAGm0PX4ZCpsBAKZBl7y9QzZDZD"), shown);
    }

    #[test]
    fn a_short_secret_shows_only_its_hash() {
        assert!(fingerprint("tok3n").starts_with("sha256:"));
        assert!(!fingerprint("tok3n").contains("k3n"));
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let err = check(&ChannelChange {
            phone_number_id: Some("+55 11 98765".into()),
            access_token: Some("has space".into()),
            api_version: Some("25".into()),
            throughput_per_second: Some(0),
            ..ChannelChange::default()
        })
        .expect_err("refused");
        assert_eq!(err.code, Code::InvalidChannel);
        let fields = err.details["fields"].as_object().expect("fields");
        let mut named: Vec<&str> = fields.keys().map(String::as_str).collect();
        named.sort_unstable();
        assert_eq!(
            named,
            [
                "access_token",
                "api_version",
                "phone_number_id",
                "throughput_per_second"
            ]
        );
        assert!(
            !err.to_string().contains("has space"),
            "a refused token is not echoed back: {err}"
        );
    }

    #[test]
    fn graph_api_versions_look_like_v25_0() {
        assert!(is_api_version("v25.0"));
        assert!(is_api_version("v26.1"));
        assert!(!is_api_version("25.0"));
        assert!(!is_api_version("v25"));
        assert!(!is_api_version("v25.0/"));
    }
}
