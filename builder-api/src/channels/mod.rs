//! The workspaces' WhatsApp channels as the rest of the server meets them: a channel's
//! configuration with its secrets opened, found by id (the webhook URL), by Meta's phone
//! number id (statuses, inbound routing) or as a workspace's default (journeys the business
//! starts), and paused or resumed when Meta rejects or accepts its token again.
//!
//! What is read is kept for [`KEPT_FOR`], so a busy webhook does not cost a query and a
//! decryption per request. A change made through this process is seen at once
//! ([`WhatsAppChannels::forget`]); one made through another process, after [`KEPT_FOR`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, Select, Set, TransactionTrait,
};
use serde_json::json;
use spool_runtime::clock::Clock;
use spool_whatsapp::client::{ChannelAuth, PhoneNumber};
use tracing::warn;

use crate::audit;
use crate::db::channel;
use crate::sealed::{OpenError, SecretKey};

/// The Graph API version a new channel talks to unless told otherwise (the version Meta's
/// documentation used when this was written; callable until mid-2028).
pub const DEFAULT_API_VERSION: &str = "v25.0";
/// Messages per second Meta accepts from a number until it raises the number's throughput.
pub const DEFAULT_THROUGHPUT_PER_SECOND: u32 = 80;
/// Unique contacts a new WhatsApp business may reach with business-initiated messages in a
/// rolling 24 h: the first step of Meta's ladder.
pub const DEFAULT_MESSAGING_LIMIT: u64 = 250;
/// How long a channel read from the database is used.
const KEPT_FOR: Duration = Duration::from_secs(10);
/// Who the audit log says paused or resumed a channel when Spool did it by itself.
const SPOOL_ACTOR: &str = "spool";

/// The public path Meta calls for a channel's webhooks.
pub fn webhook_path(channel_id: &str) -> String {
    format!("/webhooks/whatsapp/{channel_id}")
}

/// The secrets a channel keeps sealed, each bound to its column and channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sealed {
    AccessToken,
    AppSecret,
    VerifyToken,
}

impl Sealed {
    pub const ALL: [Sealed; 3] = [Sealed::AccessToken, Sealed::AppSecret, Sealed::VerifyToken];

    pub fn as_str(self) -> &'static str {
        match self {
            Sealed::AccessToken => "access_token",
            Sealed::AppSecret => "app_secret",
            Sealed::VerifyToken => "verify_token",
        }
    }

    /// The associated data a value is sealed with: a value moved to another channel or
    /// column does not open.
    fn context(self, channel_id: &str) -> String {
        format!("whatsapp_channel:{channel_id}:{}", self.as_str())
    }

    fn stored(self, row: &channel::Model) -> &str {
        match self {
            Sealed::AccessToken => &row.access_token,
            Sealed::AppSecret => &row.app_secret,
            Sealed::VerifyToken => &row.verify_token,
        }
    }
}

/// A channel as the sender and the webhook use it, its secrets in clear. `Debug` hides them.
#[derive(Clone, PartialEq, Eq)]
pub struct ChannelConfig {
    pub id: String,
    pub workspace_id: String,
    pub display_name: String,
    pub phone_number_id: String,
    pub waba_id: String,
    /// `Authorization: Bearer …` on every Graph API request.
    pub access_token: String,
    /// The key of the `X-Hub-Signature-256` HMAC on Meta's webhook POSTs.
    pub app_secret: String,
    /// What Meta's webhook verification GET must carry as `hub.verify_token`.
    pub verify_token: String,
    pub api_version: String,
    pub throughput_per_second: u32,
    pub messaging_limit: u64,
    /// Marketing templates go through `/marketing_messages` rather than `/messages`.
    pub marketing_messages_api: bool,
    pub is_default: bool,
    /// Why sending is paused; `None` while the channel sends.
    pub paused_reason: Option<String>,
    pub quality_rating: Option<String>,
}

impl ChannelConfig {
    /// What the Cloud API client needs to act for this number.
    pub fn auth(&self) -> ChannelAuth {
        ChannelAuth {
            phone_number_id: self.phone_number_id.clone(),
            token: self.access_token.clone(),
            api_version: self.api_version.clone(),
            marketing_messages: self.marketing_messages_api,
        }
    }

    pub fn webhook_path(&self) -> String {
        webhook_path(&self.id)
    }

    pub fn is_paused(&self) -> bool {
        self.paused_reason.is_some()
    }
}

impl std::fmt::Debug for ChannelConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelConfig")
            .field("id", &self.id)
            .field("workspace_id", &self.workspace_id)
            .field("display_name", &self.display_name)
            .field("phone_number_id", &self.phone_number_id)
            .field("waba_id", &self.waba_id)
            .field("access_token", &"(hidden)")
            .field("app_secret", &"(hidden)")
            .field("verify_token", &"(hidden)")
            .field("api_version", &self.api_version)
            .field("throughput_per_second", &self.throughput_per_second)
            .field("messaging_limit", &self.messaging_limit)
            .field("marketing_messages_api", &self.marketing_messages_api)
            .field("is_default", &self.is_default)
            .field("paused_reason", &self.paused_reason)
            .field("quality_rating", &self.quality_rating)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the WhatsApp channels cannot be read: {0}")]
    Database(#[from] DbErr),
    #[error(
        "no secret key is set, and WhatsApp channels keep their tokens encrypted: set SPOOL_SECRET_KEY (make one with `openssl rand -hex 32`)"
    )]
    NoKey,
    #[error("the {field} of WhatsApp channel {channel} cannot be read: {source}")]
    Unreadable {
        channel: String,
        field: &'static str,
        source: OpenError,
    },
}

/// Why `spool serve` refuses to start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the WhatsApp channels cannot be read: {0}")]
    Database(#[from] DbErr),
    #[error(
        "{count} WhatsApp channel(s) are stored with encrypted tokens, and no secret key is set: set SPOOL_SECRET_KEY (or `secret_key` in the config file) to the key they were stored with"
    )]
    KeyMissing { count: u64 },
    #[error(
        "the secrets of WhatsApp channel(s) {channels} do not decrypt with this SPOOL_SECRET_KEY: the key changed since they were stored (set the key they were stored with), or the stored values were altered"
    )]
    WrongKey { channels: String },
}

type Found = Option<Arc<ChannelConfig>>;

/// What was read, by the three ways a channel is looked up.
#[derive(Debug, Default)]
struct Kept {
    by_id: HashMap<String, (Found, Instant)>,
    by_phone_number_id: HashMap<String, (Found, Instant)>,
    default_for: HashMap<String, (Found, Instant)>,
}

/// The registry of channels, shared by the API, the webhook and the sender.
#[derive(Debug)]
pub struct WhatsAppChannels {
    db: DatabaseConnection,
    key: Option<SecretKey>,
    clock: Arc<dyn Clock>,
    kept: Mutex<Kept>,
}

fn fresh(entry: Option<&(Found, Instant)>) -> Option<Found> {
    entry
        .filter(|(_, read_at)| read_at.elapsed() < KEPT_FOR)
        .map(|(found, _)| found.clone())
}

impl WhatsAppChannels {
    pub fn new(db: DatabaseConnection, key: Option<SecretKey>, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            key,
            clock,
            kept: Mutex::default(),
        }
    }

    /// Whether a secret key is configured (channels cannot be created without one).
    pub fn has_key(&self) -> bool {
        self.key.is_some()
    }

    /// Seals a channel's secret for storing.
    pub fn seal(&self, channel_id: &str, field: Sealed, plaintext: &str) -> Result<String, Error> {
        let key = self.key.as_ref().ok_or(Error::NoKey)?;
        Ok(key.seal(&field.context(channel_id), plaintext))
    }

    /// Opens one of a stored channel's secrets.
    pub fn open(&self, row: &channel::Model, field: Sealed) -> Result<String, Error> {
        let key = self.key.as_ref().ok_or(Error::NoKey)?;
        key.open(&field.context(&row.id), field.stored(row))
            .map_err(|source| Error::Unreadable {
                channel: row.id.clone(),
                field: field.as_str(),
                source,
            })
    }

    /// A stored channel with its secrets opened.
    pub fn config(&self, row: channel::Model) -> Result<ChannelConfig, Error> {
        let access_token = self.open(&row, Sealed::AccessToken)?;
        let app_secret = self.open(&row, Sealed::AppSecret)?;
        let verify_token = self.open(&row, Sealed::VerifyToken)?;
        Ok(ChannelConfig {
            access_token,
            app_secret,
            verify_token,
            throughput_per_second: u32::try_from(row.throughput_per_second).unwrap_or(0),
            messaging_limit: u64::try_from(row.messaging_limit).unwrap_or(0),
            id: row.id,
            workspace_id: row.workspace_id,
            display_name: row.display_name,
            phone_number_id: row.phone_number_id,
            waba_id: row.waba_id,
            api_version: row.api_version,
            marketing_messages_api: row.marketing_messages_api,
            is_default: row.is_default,
            paused_reason: row.paused_reason,
            quality_rating: row.quality_rating,
        })
    }

    /// Drops everything kept, after a channel changed through this process.
    pub fn forget(&self) {
        *self.kept.lock().unwrap_or_else(PoisonError::into_inner) = Kept::default();
    }

    fn found(&self, row: Option<channel::Model>) -> Result<Found, Error> {
        match row {
            None => Ok(None),
            Some(row) => Ok(Some(Arc::new(self.config(row)?))),
        }
    }

    /// The channel whose webhook URL carries `id`.
    pub async fn by_id(&self, id: &str) -> Result<Found, Error> {
        let query = || channel::Entity::find_by_id(id.to_owned());
        self.kept_or_read(|kept| &mut kept.by_id, id, query).await
    }

    /// The channel of Meta's phone number id `phone_number_id`.
    pub async fn by_phone_number_id(&self, phone_number_id: &str) -> Result<Found, Error> {
        let query =
            || channel::Entity::find().filter(channel::Column::PhoneNumberId.eq(phone_number_id));
        self.kept_or_read(|kept| &mut kept.by_phone_number_id, phone_number_id, query)
            .await
    }

    /// The channel `workspace`'s journeys use when nothing names another.
    pub async fn default_for(&self, workspace: &str) -> Result<Found, Error> {
        let query = || {
            channel::Entity::find()
                .filter(channel::Column::WorkspaceId.eq(workspace))
                .filter(channel::Column::IsDefault.eq(true))
        };
        self.kept_or_read(|kept| &mut kept.default_for, workspace, query)
            .await
    }

    /// What `index` keeps under `key` while fresh, else what `query` reads, kept from now.
    /// The query is built only when read: building one costs more than the whole cache hit,
    /// and the webhook and the sender look a channel up for every message.
    async fn kept_or_read(
        &self,
        index: fn(&mut Kept) -> &mut HashMap<String, (Found, Instant)>,
        key: &str,
        query: impl FnOnce() -> Select<channel::Entity>,
    ) -> Result<Found, Error> {
        if let Some(found) = fresh(index(&mut self.lock()).get(key)) {
            return Ok(found);
        }
        let found = self.found(query().one(&self.db).await?)?;
        index(&mut self.lock()).insert(key.to_owned(), (found.clone(), Instant::now()));
        Ok(found)
    }

    /// Pauses the channel's sending, saying why (shown by the channel API and `/readyz`);
    /// false when there is no such channel or it is paused for this reason already.
    pub async fn pause(&self, id: &str, reason: &str) -> Result<bool, Error> {
        self.set_paused(id, Some(reason)).await
    }

    /// Lets the channel send again; false when there is no such channel or it was not paused.
    pub async fn resume(&self, id: &str) -> Result<bool, Error> {
        self.set_paused(id, None).await
    }

    async fn set_paused(&self, id: &str, reason: Option<&str>) -> Result<bool, Error> {
        let txn = self.db.begin().await?;
        let Some(row) = channel::Entity::find_by_id(id.to_owned()).one(&txn).await? else {
            return Ok(false);
        };
        if row.paused_reason.as_deref() == reason {
            return Ok(false);
        }
        let workspace = row.workspace_id.clone();
        let mut active = row.into_active_model();
        active.paused_reason = Set(reason.map(str::to_owned));
        active.update(&txn).await?;
        let (action, details) = match reason {
            Some(reason) => ("channel.paused", json!({ "reason": reason })),
            None => ("channel.resumed", json!({})),
        };
        audit::record(
            &txn,
            &workspace,
            SPOOL_ACTOR,
            action,
            &format!("channel:{id}"),
            details,
            self.clock.now(),
        )
        .await?;
        txn.commit().await?;
        match reason {
            Some(reason) => warn!(channel = %id, %reason, "WhatsApp channel paused"),
            None => tracing::info!(channel = %id, "WhatsApp channel resumed"),
        }
        self.forget();
        Ok(true)
    }

    /// Takes what Meta says of the number (quality, throughput, messaging limit) as the
    /// channel's settings; returns what changed, as `field: old → new` for people.
    pub async fn refresh_standing(
        &self,
        id: &str,
        number: &PhoneNumber,
    ) -> Result<Vec<String>, Error> {
        let txn = self.db.begin().await?;
        let Some(row) = channel::Entity::find_by_id(id.to_owned()).one(&txn).await? else {
            return Ok(Vec::new());
        };
        let mut changed = Vec::new();
        let workspace = row.workspace_id.clone();
        let mut active = row.clone().into_active_model();
        if let Some(limit) = number.messaging_limit_contacts()
            && limit != row.messaging_limit
        {
            changed.push(format!(
                "messaging_limit: {} → {limit}",
                row.messaging_limit
            ));
            active.messaging_limit = Set(limit);
        }
        if let Some(rate) = number.throughput_per_second()
            && let Ok(rate) = i32::try_from(rate)
            && rate != row.throughput_per_second
        {
            changed.push(format!(
                "throughput_per_second: {} → {rate}",
                row.throughput_per_second
            ));
            active.throughput_per_second = Set(rate);
        }
        if number.quality_rating.is_some() && number.quality_rating != row.quality_rating {
            changed.push(format!(
                "quality_rating: {} → {}",
                row.quality_rating.as_deref().unwrap_or("unknown"),
                number.quality_rating.as_deref().unwrap_or("unknown")
            ));
            active.quality_rating = Set(number.quality_rating.clone());
        }
        if changed.is_empty() {
            return Ok(changed);
        }
        active.update(&txn).await?;
        audit::record(
            &txn,
            &workspace,
            SPOOL_ACTOR,
            "channel.standing_refreshed",
            &format!("channel:{id}"),
            json!({ "changed": changed }),
            self.clock.now(),
        )
        .await?;
        txn.commit().await?;
        self.forget();
        Ok(changed)
    }

    /// The paused channels, `(id, reason)`, for `/readyz`.
    pub async fn paused(&self) -> Result<Vec<(String, String)>, Error> {
        let rows = channel::Entity::find()
            .filter(channel::Column::PausedReason.is_not_null())
            .order_by_asc(channel::Column::Id)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| row.paused_reason.map(|reason| (row.id, reason)))
            .collect())
    }

    /// Refuses to start when channels exist and their secrets cannot be opened: without the
    /// key nothing could be sent or received, and a server that seems to run but silently
    /// answers no webhook is worse than one that says why it will not start.
    pub async fn check_at_start(&self) -> Result<(), StartError> {
        let count = channel::Entity::find().count(&self.db).await?;
        if count == 0 {
            return Ok(());
        }
        if self.key.is_none() {
            return Err(StartError::KeyMissing { count });
        }
        let rows = channel::Entity::find()
            .order_by_asc(channel::Column::Id)
            .all(&self.db)
            .await?;
        let unreadable: Vec<String> = rows
            .into_iter()
            .filter_map(|row| {
                let named = format!(
                    "{} (\"{}\", workspace {})",
                    row.id, row.display_name, row.workspace_id
                );
                self.config(row).err().map(|_| named)
            })
            .collect();
        if unreadable.is_empty() {
            Ok(())
        } else {
            Err(StartError::WrongKey {
                channels: unreadable.join(", "),
            })
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests;
