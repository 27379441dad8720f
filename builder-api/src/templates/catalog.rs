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
