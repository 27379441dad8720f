//! The HTTP calls to Meta's Graph API: sending a message, reading a phone number's standing,
//! the app's webhook subscription and the account's templates, and a [`CloudApi::check`]
//! that turns those into sentences for whoever sets a channel up.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use spool_nodes::{OutboundBody, TemplateCategory};

use crate::errors::{SendFailure, classify};
use crate::outbound::SendRequest;
use crate::templates::Template;

pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";
/// Meta's September 2026 examples use v25.0; a version stays callable for about two years.
pub const DEFAULT_API_VERSION: &str = "v25.0";
const FIELDS_OF_PHONE_NUMBER: &str = "display_phone_number,verified_name,quality_rating,throughput,whatsapp_business_manager_messaging_limit";
const FIELDS_OF_TEMPLATE: &str = "id,name,language,status,category,components,parameter_format";
/// A bound on template pages, so a cursor that never ends cannot loop forever (100 per page).
const MAX_TEMPLATE_PAGES: usize = 100;

/// Where the Graph API is and how long a call may take.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// `https://graph.facebook.com`; tests point it at a local server.
    pub base_url: String,
    pub timeout: Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.into(),
            timeout: Duration::from_secs(20),
        }
    }
}

/// What a channel sends with: its number, its token, and how.
#[derive(Clone)]
pub struct ChannelAuth {
    pub phone_number_id: String,
    pub token: String,
    /// e.g. `v25.0`.
    pub api_version: String,
    /// Send Marketing templates through the Marketing Messages API
    /// (`/marketing_messages`) rather than `/messages`.
    pub marketing_messages: bool,
}

impl std::fmt::Debug for ChannelAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelAuth")
            .field("phone_number_id", &self.phone_number_id)
            .field("token", &"<redacted>")
            .field("api_version", &self.api_version)
            .field("marketing_messages", &self.marketing_messages)
            .finish()
    }
}

/// A message Meta accepted (not yet delivered: statuses tell that later).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    /// Meta's id for the message: the join key for its statuses.
    pub wamid: String,
    /// `accepted`, or `held_for_quality_assessment` when Meta paces a template (pending,
    /// not delivered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_status: Option<String>,
}

/// A phone number's standing, as Meta reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneNumber {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_name: Option<String>,
    /// `GREEN`, `YELLOW`, `RED` or `UNKNOWN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality_rating: Option<String>,
    /// `throughput.level`, e.g. `STANDARD` (80 messages a second) or `HIGH`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<String>,
    /// The portfolio's limit of contacts reached outside the 24-hour window, e.g. `TIER_250`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messaging_limit: Option<String>,
}

/// What `TIER_UNLIMITED` is counted as: more contacts than any portfolio reaches in a day.
pub const UNLIMITED_CONTACTS: i64 = 1_000_000_000;

impl PhoneNumber {
    /// The messaging limit as a number of contacts a day (`TIER_250` → 250, `TIER_2K` →
    /// 2,000, `TIER_UNLIMITED` → [`UNLIMITED_CONTACTS`]); `None` when Meta said nothing
    /// readable.
    pub fn messaging_limit_contacts(&self) -> Option<i64> {
        let tier = self.messaging_limit.as_deref()?.strip_prefix("TIER_")?;
        if tier.eq_ignore_ascii_case("UNLIMITED") {
            return Some(UNLIMITED_CONTACTS);
        }
        let (digits, scale) = match tier.strip_suffix(['K', 'k']) {
            Some(digits) => (digits, 1_000),
            None => match tier.strip_suffix(['M', 'm']) {
                Some(digits) => (digits, 1_000_000),
                None => (tier, 1),
            },
        };
        digits.parse::<i64>().ok().map(|count| count * scale)
    }

    /// The throughput level as messages a second: `STANDARD` is 80, `HIGH` 1,000 (Meta's
    /// documented levels); `None` for a level Spool does not know.
    pub fn throughput_per_second(&self) -> Option<i64> {
        match self.throughput.as_deref()? {
            "STANDARD" => Some(80),
            "HIGH" => Some(1_000),
            _ => None,
        }
    }
}

/// An app subscribed to a WhatsApp Business Account's webhooks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscribedApp {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What [`CloudApi::check`] found: problems in words (none means all is well) and the facts
/// it learnt.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckReport {
    pub problems: Vec<String>,
    pub facts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<PhoneNumber>,
}

impl CheckReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("the HTTP client for WhatsApp could not be built: {0}")]
pub struct ClientError(#[from] reqwest::Error);

/// Meta's Graph API, for WhatsApp.
#[derive(Clone, Debug)]
pub struct CloudApi {
    client: reqwest::Client,
    base_url: String,
}

impl CloudApi {
    pub fn new(config: &ApiConfig) -> Result<Self, ClientError> {
        // reqwest is built without a default TLS provider; ring is Spool's everywhere.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(concat!("spool/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(5).min(config.timeout))
            .timeout(config.timeout)
            .build()?;
        Ok(Self {
            client,
            base_url: config.base_url.trim_end_matches('/').to_owned(),
        })
    }

    fn url(&self, version: &str, path: &str) -> String {
        format!("{}/{}/{}", self.base_url, version.trim_matches('/'), path)
    }

    /// Sends one message: `POST /{version}/{phone-number-id}/messages`, or
    /// `/marketing_messages` for a Marketing template when the channel uses that API. A
    /// message WhatsApp would refuse (see [`SendRequest::check`]) is refused without a call.
    /// Meta documents no idempotency key: a retry after a timeout can deliver twice.
    pub async fn send(
        &self,
        auth: &ChannelAuth,
        request: &SendRequest<'_>,
    ) -> Result<Sent, SendFailure> {
        request.check()?;
        let marketing = matches!(
            request.body,
            OutboundBody::Template {
                category: TemplateCategory::Marketing,
                ..
            }
        );
        let endpoint = if marketing && auth.marketing_messages {
            "marketing_messages"
        } else {
            "messages"
        };
        let url = self.url(
            &auth.api_version,
            &format!("{}/{endpoint}", auth.phone_number_id),
        );
        tracing::debug!(phone_number_id = %auth.phone_number_id, endpoint, "sending a WhatsApp message");
        let answer = self
            .call(
                self.client
                    .post(url)
                    .bearer_auth(&auth.token)
                    .json(&request.to_json()),
            )
            .await?;
        let message = answer.pointer("/messages/0");
        let wamid = message
            .and_then(|message| message.get("id"))
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| SendFailure::Permanent {
                code: None,
                // Not retried: the message may well have gone out.
                reason: "Meta accepted the message but answered without its id, so its delivery cannot be followed".into(),
                title: String::new(),
                details: Some(answer.to_string()),
            })?;
        Ok(Sent {
            wamid: wamid.to_owned(),
            message_status: message
                .and_then(|message| message.get("message_status"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    /// The number's name, quality, throughput and messaging limit.
    pub async fn phone_number(&self, auth: &ChannelAuth) -> Result<PhoneNumber, SendFailure> {
        let url = with_query(
            &self.url(&auth.api_version, &auth.phone_number_id),
            &[("fields", FIELDS_OF_PHONE_NUMBER)],
        )?;
        let answer = self
            .call(self.client.get(url).bearer_auth(&auth.token))
            .await?;
        let text = |pointer: &str| {
            answer
                .pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        Ok(PhoneNumber {
            id: text("/id").unwrap_or_else(|| auth.phone_number_id.clone()),
            display_phone_number: text("/display_phone_number"),
            verified_name: text("/verified_name"),
            quality_rating: text("/quality_rating"),
            throughput: text("/throughput/level"),
            messaging_limit: text("/whatsapp_business_manager_messaging_limit"),
        })
    }

    /// The apps that receive this WhatsApp Business Account's webhooks.
    pub async fn subscribed_apps(
        &self,
        waba_id: &str,
        token: &str,
        api_version: &str,
    ) -> Result<Vec<SubscribedApp>, SendFailure> {
        let url = self.url(api_version, &format!("{waba_id}/subscribed_apps"));
        let answer = self.call(self.client.get(url).bearer_auth(token)).await?;
        let apps = answer
            .get("data")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        Ok(apps
            .iter()
            .map(|app| {
                // Newer answers nest the app under `whatsapp_business_api_data`.
                let app = app.get("whatsapp_business_api_data").unwrap_or(app);
                let text = |key: &str| app.get(key).and_then(Value::as_str).map(str::to_owned);
                SubscribedApp {
                    id: text("id"),
                    name: text("name"),
                }
            })
            .collect())
    }

    /// Every template translation of a WhatsApp Business Account, page after page. Reading
    /// templates counts toward a rate limit of 200 calls an hour: cache the answer.
    pub async fn templates(
        &self,
        waba_id: &str,
        token: &str,
        api_version: &str,
    ) -> Result<Vec<Template>, SendFailure> {
        let url = self.url(api_version, &format!("{waba_id}/message_templates"));
        let mut templates = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_TEMPLATE_PAGES {
            let mut query = vec![("fields", FIELDS_OF_TEMPLATE), ("limit", "100")];
            if let Some(after) = &after {
                query.push(("after", after.as_str()));
            }
            let page = self
                .call(
                    self.client
                        .get(with_query(&url, &query)?)
                        .bearer_auth(token),
                )
                .await?;
            let entries = page
                .get("data")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice);
            templates.extend(entries.iter().filter_map(Template::from_listing));
            // Follow the `after` cursor on our own base URL rather than `paging.next`, which
            // names Meta's host and may carry the token in its query.
            let next = page
                .pointer("/paging/next")
                .is_some_and(|next| !next.is_null());
            let cursor = page
                .pointer("/paging/cursors/after")
                .and_then(Value::as_str)
                .map(str::to_owned);
            match cursor {
                Some(cursor) if next && after.as_deref() != Some(&cursor) => after = Some(cursor),
                _ => return Ok(templates),
            }
        }
        tracing::warn!(
            waba_id,
            pages = MAX_TEMPLATE_PAGES,
            "stopped listing templates after too many pages"
        );
        Ok(templates)
    }

    /// Asks Meta about the channel's number and the account's webhook subscription, and says
    /// what is wrong in words a person can act on, or what is known when all is well.
    pub async fn check(&self, auth: &ChannelAuth, waba_id: &str) -> CheckReport {
        let mut report = CheckReport::default();
        match self.phone_number(auth).await {
            Ok(number) => {
                report.facts.extend(number_facts(&number));
                report.phone_number = Some(number);
            }
            Err(failure) => {
                report.problems.push(number_problem(auth, &failure));
                if matches!(failure, SendFailure::TokenRejected { .. }) {
                    // The same token would be refused again; one sentence says it.
                    return report;
                }
            }
        }
        match self.subscribed_apps(waba_id, &auth.token, &auth.api_version).await {
            Ok(apps) if apps.is_empty() => report.problems.push(format!(
                "the app is not subscribed to this WhatsApp Business Account's webhooks (account {waba_id}), so no messages or statuses will arrive: subscribe it in the App Dashboard (WhatsApp → Configuration) or with POST /{waba_id}/subscribed_apps"
            )),
            Ok(apps) => {
                let names: Vec<&str> = apps
                    .iter()
                    .map(|app| app.name.as_deref().or(app.id.as_deref()).unwrap_or("an app"))
                    .collect();
                report.facts.push(format!("webhooks go to: {}", names.join(", ")));
            }
            Err(SendFailure::TokenRejected { .. }) => report.problems.push(TOKEN_REJECTED.into()),
            Err(SendFailure::Retry { reason, .. }) => report.problems.push(format!(
                "Meta could not be asked about the webhook subscription right now: {reason}"
            )),
            Err(failure) => report.problems.push(format!(
                "no WhatsApp Business Account with id {waba_id} is reachable with this token ({failure}): check the account id and that the token's system user has access to it"
            )),
        }
        if report.is_ok() {
            report.facts.insert(0, "all good".into());
        }
        report
    }

    /// Sends a request and reads the answer, sorting any failure.
    async fn call(&self, request: reqwest::RequestBuilder) -> Result<Value, SendFailure> {
        let response = request.send().await.map_err(|err| transport(&err))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = response.bytes().await.map_err(|err| transport(&err))?;
        if !status.is_success() {
            let failure = classify(status.as_u16(), &body, retry_after);
            tracing::warn!(status = status.as_u16(), code = ?failure.code(), reason = %failure, "Meta refused a call");
            return Err(failure);
        }
        serde_json::from_slice(&body).map_err(|err| SendFailure::Permanent {
            code: None,
            reason: format!("Meta answered HTTP {status} with a body that is not JSON ({err})"),
            title: String::new(),
            details: None,
        })
    }
}

const TOKEN_REJECTED: &str = "the access token was rejected by Meta (expired or revoked, or it lacks the whatsapp_business_messaging and whatsapp_business_management permissions): create a new system-user token and save it in the channel";

/// A URL with its query encoded (reqwest's `query` needs a feature Spool does not build).
fn with_query(url: &str, query: &[(&str, &str)]) -> Result<reqwest::Url, SendFailure> {
    reqwest::Url::parse_with_params(url, query).map_err(|err| SendFailure::Permanent {
        code: None,
        reason: format!(
            "the Graph API address `{url}` is not a URL ({err}): check the configured base URL"
        ),
        title: String::new(),
        details: None,
    })
}

fn transport(err: &reqwest::Error) -> SendFailure {
    let what = if err.is_timeout() {
        "the call timed out"
    } else if err.is_connect() {
        "the connection failed"
    } else {
        "the call broke off"
    };
    tracing::warn!(error = %err, "a call to Meta got no answer");
    SendFailure::unreachable(what)
}

fn number_problem(auth: &ChannelAuth, failure: &SendFailure) -> String {
    match failure {
        SendFailure::TokenRejected { .. } => TOKEN_REJECTED.into(),
        SendFailure::Retry { reason, .. } => {
            format!("Meta could not be asked about the phone number right now: {reason}")
        }
        other => format!(
            "no phone number with id {} is reachable with this token ({other}): check the phone number id in WhatsApp Manager and that the token's system user has access to it",
            auth.phone_number_id
        ),
    }
}

fn number_facts(number: &PhoneNumber) -> Vec<String> {
    let mut facts = Vec::new();
    let display = number.display_phone_number.as_deref().unwrap_or(&number.id);
    facts.push(match &number.verified_name {
        Some(name) => format!("phone number {display} ({name})"),
        None => format!("phone number {display}"),
    });
    if let Some(quality) = &number.quality_rating {
        facts.push(format!("quality rating: {quality}"));
    }
    if let Some(throughput) = &number.throughput {
        facts.push(format!("throughput: {throughput}"));
    }
    if let Some(limit) = &number.messaging_limit {
        facts.push(format!("messaging limit: {limit}"));
    }
    facts
}
