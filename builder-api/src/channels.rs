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
    PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::json;
use spool_runtime::clock::Clock;
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
        let kept = fresh(self.lock().by_id.get(id));
        if let Some(found) = kept {
            return Ok(found);
        }
        let row = channel::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?;
        let found = self.found(row)?;
        self.lock()
            .by_id
            .insert(id.to_owned(), (found.clone(), Instant::now()));
        Ok(found)
    }

    /// The channel of Meta's phone number id `phone_number_id`.
    pub async fn by_phone_number_id(&self, phone_number_id: &str) -> Result<Found, Error> {
        let kept = fresh(self.lock().by_phone_number_id.get(phone_number_id));
        if let Some(found) = kept {
            return Ok(found);
        }
        let row = channel::Entity::find()
            .filter(channel::Column::PhoneNumberId.eq(phone_number_id))
            .one(&self.db)
            .await?;
        let found = self.found(row)?;
        self.lock()
            .by_phone_number_id
            .insert(phone_number_id.to_owned(), (found.clone(), Instant::now()));
        Ok(found)
    }

    /// The channel `workspace`'s journeys use when nothing names another.
    pub async fn default_for(&self, workspace: &str) -> Result<Found, Error> {
        let kept = fresh(self.lock().default_for.get(workspace));
        if let Some(found) = kept {
            return Ok(found);
        }
        let row = channel::Entity::find()
            .filter(channel::Column::WorkspaceId.eq(workspace))
            .filter(channel::Column::IsDefault.eq(true))
            .one(&self.db)
            .await?;
        let found = self.found(row)?;
        self.lock()
            .default_for
            .insert(workspace.to_owned(), (found.clone(), Instant::now()));
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
mod tests {
    use spool_runtime::clock::SystemClock;

    use super::*;

    /// A fresh SQLite database in a file of its own (an in-memory one dies with its
    /// connection, which the pool may close).
    async fn database() -> (DatabaseConnection, std::path::PathBuf) {
        let path = std::env::temp_dir().join(format!(
            "spool-channels-{}-{}.sqlite",
            std::process::id(),
            rand::random::<u64>()
        ));
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let db = crate::db::connect(&url).await.expect("a database");
        (db, path)
    }

    async fn store(channels: &WhatsAppChannels, id: &str, phone: &str, is_default: bool) {
        let seal = |field| channels.seal(id, field, "secret-value").expect("sealed");
        channel::ActiveModel {
            id: Set(id.to_owned()),
            workspace_id: Set("shop".to_owned()),
            display_name: Set(format!("Channel {id}")),
            phone_number_id: Set(phone.to_owned()),
            waba_id: Set("102290129340398".to_owned()),
            access_token: Set(seal(Sealed::AccessToken)),
            app_secret: Set(seal(Sealed::AppSecret)),
            verify_token: Set(seal(Sealed::VerifyToken)),
            api_version: Set(DEFAULT_API_VERSION.to_owned()),
            throughput_per_second: Set(80),
            messaging_limit: Set(250),
            marketing_messages_api: Set(false),
            is_default: Set(is_default),
            paused_reason: Set(None),
            quality_rating: Set(None),
            created_at: Set(0),
            created_by: Set("user:a@b.c".to_owned()),
            updated_at: Set(0),
            updated_by: Set("user:a@b.c".to_owned()),
        }
        .insert(&channels.db)
        .await
        .expect("stored");
    }

    fn registry(db: &DatabaseConnection, key: Option<[u8; 32]>) -> WhatsAppChannels {
        let key = key.map(|bytes| SecretKey::from_bytes(&bytes).expect("a key"));
        WhatsAppChannels::new(db.clone(), key, Arc::new(SystemClock))
    }

    #[tokio::test]
    async fn channels_are_found_by_id_number_and_default_with_secrets_opened() {
        let (db, path) = database().await;
        let channels = registry(&db, Some([5; 32]));
        store(&channels, "ch_a", "111", true).await;
        store(&channels, "ch_b", "222", false).await;

        let by_id = channels.by_id("ch_b").await.expect("read").expect("found");
        assert_eq!(by_id.phone_number_id, "222");
        assert_eq!(by_id.access_token, "secret-value");
        let by_number = channels.by_phone_number_id("111").await.expect("read");
        assert_eq!(
            by_number.map(|found| found.id.clone()).as_deref(),
            Some("ch_a")
        );
        let default = channels.default_for("shop").await.expect("read");
        assert_eq!(
            default.map(|found| found.id.clone()).as_deref(),
            Some("ch_a")
        );
        assert!(channels.by_id("ch_nope").await.expect("read").is_none());
        assert!(channels.default_for("other").await.expect("read").is_none());
        channels.check_at_start().await.expect("the key opens them");
        let _ = std::fs::remove_file(path);
    }

    #[tokio::test]
    async fn a_pause_is_seen_at_once_and_a_resume_clears_it() {
        let (db, path) = database().await;
        let channels = registry(&db, Some([5; 32]));
        store(&channels, "ch_a", "111", true).await;
        assert!(
            !channels
                .by_id("ch_a")
                .await
                .expect("read")
                .expect("found")
                .is_paused()
        );

        assert!(
            channels
                .pause("ch_a", "Meta rejected the token (190)")
                .await
                .expect("paused")
        );
        assert!(
            !channels
                .pause("ch_a", "Meta rejected the token (190)")
                .await
                .expect("paused"),
            "pausing again for the same reason changes nothing"
        );
        let paused = channels.by_id("ch_a").await.expect("read").expect("found");
        assert_eq!(
            paused.paused_reason.as_deref(),
            Some("Meta rejected the token (190)")
        );
        assert_eq!(
            channels.paused().await.expect("read"),
            [(
                "ch_a".to_owned(),
                "Meta rejected the token (190)".to_owned()
            )]
        );

        assert!(channels.resume("ch_a").await.expect("resumed"));
        assert!(
            !channels
                .by_id("ch_a")
                .await
                .expect("read")
                .expect("found")
                .is_paused()
        );
        assert!(channels.paused().await.expect("read").is_empty());
        assert!(
            !channels
                .pause("ch_nope", "x")
                .await
                .expect("nothing to pause")
        );
        let _ = std::fs::remove_file(path);
    }

    #[tokio::test]
    async fn start_is_refused_without_the_key_or_with_another() {
        let (db, path) = database().await;
        registry(&db, None)
            .check_at_start()
            .await
            .expect("no channel, no key needed");
        let channels = registry(&db, Some([5; 32]));
        store(&channels, "ch_a", "111", true).await;

        let missing = registry(&db, None)
            .check_at_start()
            .await
            .expect_err("no key");
        assert!(
            matches!(missing, StartError::KeyMissing { count: 1 }),
            "{missing}"
        );
        let other = registry(&db, Some([6; 32]));
        let wrong = other.check_at_start().await.expect_err("another key");
        assert!(
            wrong
                .to_string()
                .contains("ch_a (\"Channel ch_a\", workspace shop)"),
            "{wrong}"
        );
        let read = other.by_id("ch_a").await.expect_err("not opened");
        assert!(
            read.to_string()
                .contains("access_token of WhatsApp channel ch_a"),
            "{read}"
        );
        let _ = std::fs::remove_file(path);
    }

    fn config() -> ChannelConfig {
        ChannelConfig {
            id: "ch_0123456789abcdef".into(),
            workspace_id: "shop".into(),
            display_name: "Loja".into(),
            phone_number_id: "106540352242922".into(),
            waba_id: "102290129340398".into(),
            access_token: "EAAGsecret-token".into(),
            app_secret: "0f1e2d3c4b5a69788796a5b4c3d2e1f0".into(),
            verify_token: "verify-me-please".into(),
            api_version: DEFAULT_API_VERSION.into(),
            throughput_per_second: DEFAULT_THROUGHPUT_PER_SECOND,
            messaging_limit: DEFAULT_MESSAGING_LIMIT,
            marketing_messages_api: false,
            is_default: true,
            paused_reason: None,
            quality_rating: None,
        }
    }

    #[test]
    fn debug_hides_the_secrets() {
        let shown = format!("{:?}", config());
        for secret in ["EAAGsecret-token", "0f1e2d3c4b5a", "verify-me-please"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("106540352242922"), "{shown}");
    }

    #[test]
    fn the_webhook_path_carries_the_channel_id() {
        assert_eq!(
            config().webhook_path(),
            "/webhooks/whatsapp/ch_0123456789abcdef"
        );
    }

    #[test]
    fn a_secret_sealed_for_one_field_opens_only_there() {
        let key = SecretKey::from_bytes(&[3; 32]).expect("a key");
        let sealed = key.seal(&Sealed::AccessToken.context("ch_1"), "EAAG");
        assert!(
            key.open(&Sealed::AppSecret.context("ch_1"), &sealed)
                .is_err()
        );
        assert_eq!(
            key.open(&Sealed::AccessToken.context("ch_1"), &sealed),
            Ok("EAAG".to_owned())
        );
    }
}
