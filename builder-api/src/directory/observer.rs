//! Keeps the directory from the runtime's `contact.changed` notices: one upsert per chunk of
//! contacts, their tags and properties rewritten only when they changed, and the steps
//! reached added (the first time is kept).

use std::collections::BTreeMap;

use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set, TransactionTrait,
};
use serde_json::Value;
use spool_runtime::ScopedId;
use spool_runtime::notice::{Notice, NoticeKind, Observer};

use crate::db::{contact_directory, contact_property, contact_reached, contact_tag};

/// Rows per statement: SQLite takes at most 32,766 values in one.
const ROWS_PER_INSERT: usize = 500;

#[derive(Debug)]
pub struct Directory {
    db: DatabaseConnection,
}

impl Directory {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// What one batch changes, by contact (the latest notice of a contact wins).
#[derive(Default)]
struct Changes<'a> {
    rows: BTreeMap<&'a str, contact_directory::ActiveModel>,
    tags: BTreeMap<&'a str, Vec<contact_tag::ActiveModel>>,
    properties: BTreeMap<&'a str, Vec<contact_property::ActiveModel>>,
    reached: Vec<contact_reached::ActiveModel>,
}

fn text(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

fn ad(profile: &Value, touch: &str) -> Option<String> {
    text(&profile["attribution"][touch], "source_id")
}

/// A property's value as the directory compares it: its text in lower case, and its number.
pub(super) fn comparable(value: &Value) -> (String, Option<f64>) {
    match value {
        Value::String(text) => (text.to_lowercase(), text.trim().parse::<f64>().ok()),
        Value::Number(number) => (number.to_string(), number.as_f64()),
        Value::Bool(flag) => (flag.to_string(), None),
        Value::Null => (String::new(), None),
        other => (other.to_string().to_lowercase(), None),
    }
}

impl<'a> Changes<'a> {
    fn take(&mut self, notice: &'a Notice) {
        let contact_id = notice.contact_id.as_str();
        let workspace = ScopedId::scope_of(contact_id).to_owned();
        let profile = notice.data.get("profile").unwrap_or(&Value::Null);
        let name = text(profile, "name");
        self.rows.insert(
            contact_id,
            contact_directory::ActiveModel {
                contact_id: Set(contact_id.to_owned()),
                workspace_id: Set(workspace.clone()),
                phone: Set(text(profile, "phone").unwrap_or_default()),
                bsuid: Set(text(profile, "bsuid")),
                name_key: Set(name.as_deref().unwrap_or_default().to_lowercase()),
                name: Set(name),
                marketing_opt_in_at: Set(profile["marketing_opt_in_at"].as_i64()),
                last_inbound_at: Set(profile["last_inbound_at"].as_i64().unwrap_or(0)),
                timezone: Set(text(profile, "timezone")),
                locale: Set(text(profile, "locale")),
                channel: Set(text(profile, "channel")),
                first_ad: Set(ad(profile, "first_touch")),
                last_ad: Set(ad(profile, "last_touch")),
                created_at: Set(notice.at),
                updated_at: Set(notice.at),
            },
        );
        if notice.data.get("tags_changed") == Some(&Value::Bool(true)) {
            let tags = profile["tags"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            let rows = tags
                .iter()
                .filter_map(Value::as_str)
                .map(|tag| contact_tag::ActiveModel {
                    contact_id: Set(contact_id.to_owned()),
                    tag: Set(tag.to_owned()),
                    workspace_id: Set(workspace.clone()),
                })
                .collect();
            self.tags.insert(contact_id, rows);
        }
        if notice.data.get("properties_changed") == Some(&Value::Bool(true)) {
            let empty = serde_json::Map::new();
            let properties = profile["properties"].as_object().unwrap_or(&empty);
            let rows = properties
                .iter()
                .map(|(name, value)| {
                    let (text_value, number_value) = comparable(value);
                    contact_property::ActiveModel {
                        contact_id: Set(contact_id.to_owned()),
                        name: Set(name.clone()),
                        workspace_id: Set(workspace.clone()),
                        value: Set(value.to_string()),
                        text_value: Set(text_value),
                        number_value: Set(number_value),
                    }
                })
                .collect();
            self.properties.insert(contact_id, rows);
        }
        let reached = notice.data.get("reached").and_then(Value::as_array);
        for step in reached.map(Vec::as_slice).unwrap_or(&[]) {
            if let (Some(flow_id), Some(node_id)) = (text(step, "flow_id"), text(step, "node_id")) {
                self.reached.push(contact_reached::ActiveModel {
                    contact_id: Set(contact_id.to_owned()),
                    flow_id: Set(flow_id),
                    node_id: Set(node_id),
                    workspace_id: Set(workspace.clone()),
                    first_at: Set(notice.at),
                });
            }
        }
    }
}

#[async_trait]
impl Observer for Directory {
    async fn observe(&self, notices: &[Notice]) -> Result<(), spool_runtime::Error> {
        let mut changes = Changes::default();
        for notice in notices {
            if notice.kind == NoticeKind::ContactChanged {
                changes.take(notice);
            }
        }
        if changes.rows.is_empty() {
            return Ok(());
        }
        write(&self.db, changes)
            .await
            .map_err(|err| spool_runtime::Error::Observer(err.to_string()))
    }
}

async fn write(db: &DatabaseConnection, changes: Changes<'_>) -> Result<(), DbErr> {
    use contact_directory::Column as C;
    let txn = db.begin().await?;
    let rows: Vec<_> = changes.rows.into_values().collect();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        contact_directory::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::column(C::ContactId)
                    .update_columns([
                        C::Phone,
                        C::Bsuid,
                        C::Name,
                        C::NameKey,
                        C::MarketingOptInAt,
                        C::LastInboundAt,
                        C::Timezone,
                        C::Locale,
                        C::Channel,
                        C::FirstAd,
                        C::LastAd,
                        C::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    let retagged: Vec<&str> = changes.tags.keys().copied().collect();
    for ids in retagged.chunks(ROWS_PER_INSERT) {
        contact_tag::Entity::delete_many()
            .filter(contact_tag::Column::ContactId.is_in(ids.iter().copied()))
            .exec(&txn)
            .await?;
    }
    let tags: Vec<_> = changes.tags.into_values().flatten().collect();
    for chunk in tags.chunks(ROWS_PER_INSERT) {
        contact_tag::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    let reset: Vec<&str> = changes.properties.keys().copied().collect();
    for ids in reset.chunks(ROWS_PER_INSERT) {
        contact_property::Entity::delete_many()
            .filter(contact_property::Column::ContactId.is_in(ids.iter().copied()))
            .exec(&txn)
            .await?;
    }
    let properties: Vec<_> = changes.properties.into_values().flatten().collect();
    for chunk in properties.chunks(ROWS_PER_INSERT) {
        contact_property::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    for chunk in changes.reached.chunks(ROWS_PER_INSERT) {
        use contact_reached::Column as R;
        contact_reached::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([R::ContactId, R::FlowId, R::NodeId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await
}
