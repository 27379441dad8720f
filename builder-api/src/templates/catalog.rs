//! The templates as sends read them: an in-memory copy of `whatsapp_templates`, by WABA,
//! with which WABA each channel and each workspace's default channel belongs to. Reads are
//! synchronous and never wait for the database; the copy is reloaded after every sync and
//! webhook change made by this process, and every minute for those of others.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use spool_nodes::templates::Translation;
use spool_nodes::{Contact, TemplateCatalog, TemplateFacts};
use spool_runtime::ScopedId;

use crate::db::{channel, template, template_sync};

/// One translation, as much as a send needs of it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Known {
    language: String,
    status: String,
    category: String,
}

#[derive(Debug, Default)]
struct Snapshot {
    /// Channel id → its WABA.
    channels: HashMap<String, String>,
    /// Workspace → the WABA of its default channel.
    defaults: HashMap<String, String>,
    /// WABAs synced at least once → template name → translations.
    wabas: HashMap<String, HashMap<String, Vec<Known>>>,
}

/// The server's [`TemplateCatalog`].
#[derive(Debug, Default)]
pub struct Catalog {
    snapshot: RwLock<Snapshot>,
}

impl Catalog {
    /// Reads the channels and templates again.
    pub async fn reload(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        let mut snapshot = Snapshot::default();
        for row in channel::Entity::find().all(db).await? {
            if row.is_default {
                snapshot
                    .defaults
                    .insert(row.workspace_id.clone(), row.waba_id.clone());
            }
            snapshot.channels.insert(row.id, row.waba_id);
        }
        let synced = template_sync::Entity::find()
            .filter(template_sync::Column::SyncedAt.is_not_null())
            .all(db)
            .await?;
        for sync in synced {
            snapshot.wabas.entry(sync.waba_id).or_default();
        }
        for row in template::Entity::find().all(db).await? {
            // Rows of a WABA never synced whole would make every other template look missing.
            if let Some(names) = snapshot.wabas.get_mut(&row.waba_id) {
                names.entry(row.name).or_default().push(Known {
                    language: row.language,
                    status: row.status,
                    category: row.category,
                });
            }
        }
        *self
            .snapshot
            .write()
            .unwrap_or_else(PoisonError::into_inner) = snapshot;
        Ok(())
    }
}

impl TemplateCatalog for Catalog {
    fn template(&self, contact: &Contact, name: &str) -> Option<TemplateFacts> {
        let snapshot = self.snapshot.read().unwrap_or_else(PoisonError::into_inner);
        let waba = match &contact.channel {
            Some(channel) => snapshot.channels.get(channel),
            None => snapshot.defaults.get(ScopedId::scope_of(&contact.id)),
        }?;
        let names = snapshot.wabas.get(waba)?;
        let approved = names
            .get(name)
            .into_iter()
            .flatten()
            .filter(|known| known.status == "APPROVED")
            .map(|known| Translation {
                language: known.language.clone(),
                category: spool_whatsapp::inbound::template_category(&known.category),
            })
            .collect();
        Some(TemplateFacts { approved })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(language: &str, status: &str, category: &str) -> Known {
        Known {
            language: language.into(),
            status: status.into(),
            category: category.into(),
        }
    }

    /// Workspace `acme`: channel `ch_a` (the default) on account `waba1`, synced; channel
    /// `ch_b` on `waba2`, never synced.
    fn catalog() -> Catalog {
        let mut snapshot = Snapshot::default();
        snapshot.channels.insert("ch_a".into(), "waba1".into());
        snapshot.channels.insert("ch_b".into(), "waba2".into());
        snapshot.defaults.insert("acme".into(), "waba1".into());
        let mut names = HashMap::new();
        names.insert(
            "cart_reminder".to_owned(),
            vec![
                known("en_US", "APPROVED", "MARKETING"),
                known("pt_BR", "PAUSED", "MARKETING"),
            ],
        );
        snapshot.wabas.insert("waba1".into(), names);
        Catalog {
            snapshot: RwLock::new(snapshot),
        }
    }

    fn contact(channel: Option<&str>) -> Contact {
        let mut contact = Contact::new("acme/wa:5511987654321", "5511987654321");
        contact.channel = channel.map(str::to_owned);
        contact
    }

    #[test]
    fn a_send_learns_the_approved_translations_and_their_category_now() {
        let facts = catalog()
            .template(&contact(Some("ch_a")), "cart_reminder")
            .expect("known");
        assert_eq!(
            facts.approved,
            [Translation {
                language: "en_US".into(),
                category: Some(spool_nodes::TemplateCategory::Marketing),
            }],
            "a paused translation is not offered"
        );
        // A contact who never wrote is reached through the workspace's default channel.
        assert_eq!(
            catalog().template(&contact(None), "cart_reminder"),
            Some(facts)
        );
    }

    #[test]
    fn a_template_missing_from_a_synced_account_has_no_translation_to_send() {
        let facts = catalog().template(&contact(Some("ch_a")), "autumn_sale");
        assert_eq!(facts, Some(TemplateFacts::default()));
    }

    #[test]
    fn nothing_is_known_of_an_account_never_synced_or_a_channel_gone() {
        assert_eq!(
            catalog().template(&contact(Some("ch_b")), "cart_reminder"),
            None
        );
        assert_eq!(
            catalog().template(&contact(Some("ch_gone")), "cart_reminder"),
            None
        );
        let stranger = Contact::new("other/wa:1", "1");
        assert_eq!(catalog().template(&stranger, "cart_reminder"), None);
    }
}
