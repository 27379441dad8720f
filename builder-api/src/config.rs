//! `spool serve`'s settings: defaults, then an optional TOML file, then `SPOOL_*`
//! environment variables, then command-line flags, each overriding the one before.

use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::sealed::{KeyError, SecretKey};

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on; port 0 picks a free one.
    pub bind: String,
    /// Where flows, versions and users live; also the embedded store's database when no
    /// Redis is configured. A SQLite file in the working directory by default.
    pub database_url: String,
    /// Redis for contact and run state in production; the embedded store when absent.
    pub redis_url: Option<String>,
    /// What every Redis key starts with, so several Spools can share one Redis.
    pub redis_prefix: String,
    /// How contacts are spread over workers; fixed once chosen.
    pub partitions: u16,
    /// The first administrator, created on the first start with an empty database.
    pub admin_email: String,
    /// Their password; a random one is generated and printed when absent. Read once, on that
    /// first start only.
    pub admin_password: Option<String>,
    /// The largest request body accepted, in bytes (webhooks, flow documents).
    pub body_limit: usize,
    /// The key that encrypts channel tokens and secrets at rest (`SPOOL_SECRET_KEY`): 32
    /// random bytes as 64 hex characters or base64. Needed once a channel exists; an empty
    /// value counts as none.
    pub secret_key: Option<String>,
    /// Lets every workspace's `http_request` nodes and event subscriptions reach private,
    /// loopback and link-local addresses, whatever its own network settings say: for a Spool
    /// on a private network calling systems there, or local development. Off by default.
    pub allow_private_targets: bool,
    /// The pause before an event delivery that failed is tried again, in ms; doubled after
    /// each failure up to an hour, for at least a day.
    pub events_first_retry_ms: u64,
    /// Where Meta's Graph API is (`https://graph.facebook.com`); a local stand-in in tests.
    pub whatsapp_api_url: String,
    /// Serves the editor from this directory (`web/dist`) instead of the copy built into the
    /// binary: for working on the editor, a `npm run build` then shows without recompiling.
    pub editor_dir: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for Config {
    /// Everything but the password and the key, which only say whether they are set.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |value: &Option<String>| value.as_ref().map(|_| "(set)");
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("database_url", &self.database_url)
            .field("redis_url", &self.redis_url)
            .field("redis_prefix", &self.redis_prefix)
            .field("partitions", &self.partitions)
            .field("admin_email", &self.admin_email)
            .field("admin_password", &set(&self.admin_password))
            .field("body_limit", &self.body_limit)
            .field("secret_key", &set(&self.secret_key))
            .field("allow_private_targets", &self.allow_private_targets)
            .field("events_first_retry_ms", &self.events_first_retry_ms)
            .field("whatsapp_api_url", &self.whatsapp_api_url)
            .field("editor_dir", &self.editor_dir)
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            database_url: "sqlite://spool.sqlite?mode=rwc".into(),
            redis_url: None,
            redis_prefix: "spool".into(),
            partitions: 16,
            admin_email: "admin@spool.local".into(),
            admin_password: None,
            body_limit: 1024 * 1024,
            secret_key: None,
            allow_private_targets: false,
            events_first_retry_ms: 10_000,
            whatsapp_api_url: "https://graph.facebook.com".into(),
            editor_dir: None,
        }
    }
}

/// Settings given on the command line; `None` leaves the layers below in force.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partitions: Option<u16>,
}

#[derive(Debug, thiserror::Error)]
#[error("the settings cannot be read: {0}")]
pub struct ConfigError(#[from] Box<figment::Error>);

impl Config {
    /// Layers the settings: defaults < `file` < `SPOOL_*` variables < `flags`.
    pub fn load(file: Option<&Path>, flags: &Overrides) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            figment = figment.merge(Toml::file_exact(file));
        }
        figment
            // SPOOL_LOG is the log filter, SPOOL_TEST_* belong to the test suite.
            .merge(
                // Keys keep the variable's case here (`LOG`), hence the uncased comparisons.
                Env::prefixed("SPOOL_").filter(|key| {
                    let key = key.as_str().to_ascii_lowercase();
                    key != "log" && !key.starts_with("test_")
                }),
            )
            .merge(Serialized::defaults(flags))
            .extract()
            .map_err(|err| ConfigError(Box::new(err)))
    }

    /// The key for secrets at rest, read and checked; `None` when not set (or set empty).
    pub fn secret_key(&self) -> Result<Option<SecretKey>, KeyError> {
        match self.secret_key.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => SecretKey::parse(text).map(Some),
        }
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closure type, not ours
mod tests {
    use super::*;

    #[test]
    fn flags_beat_environment_beat_file_beat_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "spool.toml",
                "bind = \"0.0.0.0:9000\"\npartitions = 4\nredis_url = \"redis://file\"",
            )?;
            jail.set_env("SPOOL_REDIS_URL", "redis://env");
            let flags = Overrides {
                partitions: Some(8),
                ..Overrides::default()
            };
            let config = Config::load(Some(Path::new("spool.toml")), &flags)
                .map_err(|err| err.to_string())?;
            assert_eq!(config.bind, "0.0.0.0:9000");
            assert_eq!(config.redis_url.as_deref(), Some("redis://env"));
            assert_eq!(config.partitions, 8);
            assert_eq!(config.database_url, Config::default().database_url);
            Ok(())
        });
    }

    #[test]
    fn the_secret_key_comes_from_the_environment_and_is_checked() {
        figment::Jail::expect_with(|jail| {
            let none = Config::load(None, &Overrides::default()).map_err(|err| err.to_string())?;
            assert!(matches!(none.secret_key(), Ok(None)));
            jail.set_env("SPOOL_SECRET_KEY", "ab".repeat(32));
            let config =
                Config::load(None, &Overrides::default()).map_err(|err| err.to_string())?;
            assert!(matches!(config.secret_key(), Ok(Some(_))));
            assert!(!format!("{config:?}").contains("abab"), "{config:?}");
            jail.set_env("SPOOL_SECRET_KEY", "ab".repeat(16));
            let short = Config::load(None, &Overrides::default()).map_err(|err| err.to_string())?;
            assert_eq!(
                short.secret_key().map(|_| ()),
                Err(KeyError::WrongLength { found: 16 })
            );
            Ok(())
        });
    }

    #[test]
    fn a_misspelt_setting_is_an_error_not_ignored() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("spool.toml", "redis_ulr = \"redis://x\"")?;
            let err = Config::load(Some(Path::new("spool.toml")), &Overrides::default())
                .expect_err("unknown key");
            assert!(err.to_string().contains("redis_ulr"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn the_log_filter_and_test_settings_are_not_serve_settings() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("SPOOL_LOG", "warn");
            jail.set_env("SPOOL_TEST_POSTGRES_URL", "postgres://elsewhere");
            let config =
                Config::load(None, &Overrides::default()).map_err(|err| err.to_string())?;
            assert_eq!(config, Config::default());
            Ok(())
        });
    }
}
