//! Reading the directory: a page of contacts matching an audience, in a chosen order, with
//! a cursor to the next page (stable while contacts change: it names the last row's place,
//! not an offset), how many match, and a sample.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{
    ColumnTrait, Condition as Where, ConnectionTrait, DbErr, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use spool_nodes::Millis;
use utoipa::ToSchema;

use super::Audience;
use crate::db::{contact_directory, contact_property, contact_tag};

/// The order of a list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Who wrote last first (never last).
    #[default]
    LastInbound,
    /// By name, A to Z (no name last).
    Name,
    /// Newest contacts first.
    Created,
    /// By number.
    Phone,
}

/// Where the next page starts: the last row's sort value and id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    sort: Sort,
    value: Value,
    id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Whether the cursor was given by a list in this order.
    pub fn sorts_by(&self, sort: Sort) -> bool {
        self.sort == sort
    }

    /// `None` for text that is not a cursor this list gave.
    pub fn decode(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// One contact as lists show it.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct DirectoryEntry {
    /// E.164 with `+`; null for a contact WhatsApp names only by BSUID.
    pub phone: Option<String>,
    pub bsuid: Option<String>,
    pub name: Option<String>,
    pub tags: Vec<String>,
    #[schema(value_type = Object)]
    pub properties: Map<String, Value>,
    pub marketing_opt_in: bool,
    /// When Marketing consent was given (ms since the epoch).
    pub marketing_opt_in_at: Option<Millis>,
    /// When the contact last wrote (ms since the epoch); null if never.
    pub last_inbound_at: Option<Millis>,
    pub channel: Option<String>,
    pub timezone: Option<String>,
    pub locale: Option<String>,
    /// The Click-to-WhatsApp ad of their first tap, and of their latest.
    pub first_ad: Option<String>,
    pub last_ad: Option<String>,
    /// When Spool first met the contact (ms since the epoch).
    pub created_at: Millis,
    /// The runtime's id of the contact (`<workspace>/wa:<digits>`): not shown to people.
    #[serde(skip)]
    pub contact_id: String,
}

/// A page of contacts.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page {
    pub contacts: Vec<DirectoryEntry>,
    /// Give it as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

fn sort_value(sort: Sort, row: &contact_directory::Model) -> Value {
    match sort {
        Sort::LastInbound => Value::from(row.last_inbound_at),
        Sort::Created => Value::from(row.created_at),
        Sort::Name => Value::from(row.name_key.clone()),
        Sort::Phone => Value::from(row.phone.clone()),
    }
}

/// The rows after `cursor` in `sort`'s order.
fn after(cursor: &Cursor) -> Option<Where> {
    use contact_directory::Column as C;
    let id = cursor.id.clone();
    let (column, descending) = match cursor.sort {
        Sort::LastInbound => (C::LastInboundAt, true),
        Sort::Created => (C::CreatedAt, true),
        Sort::Name => (C::NameKey, false),
        Sort::Phone => (C::Phone, false),
    };
    let value: sea_orm::Value = match &cursor.value {
        Value::Number(number) => number.as_i64()?.into(),
        Value::String(text) => text.clone().into(),
        _ => return None,
    };
    let (beyond, tie) = if descending {
        (column.lt(value.clone()), C::ContactId.lt(id))
    } else {
        (column.gt(value.clone()), C::ContactId.gt(id))
    };
    Some(
        Where::any()
            .add(beyond)
            .add(Where::all().add(column.eq(value)).add(tie)),
    )
}

/// A page of the contacts of `workspace` matching `audience`. `Err(None)`-like: a cursor
/// from another order is refused by the caller (see [`Cursor::decode`]); here it must match.
pub async fn page(
    db: &impl ConnectionTrait,
    workspace: &str,
    audience: &Audience,
    sort: Sort,
    cursor: Option<&Cursor>,
    limit: u64,
    now: Millis,
) -> Result<Page, DbErr> {
    use contact_directory::Column as C;
    let mut query = contact_directory::Entity::find().filter(audience.filter(workspace, now));
    if let Some(cursor) = cursor.filter(|cursor| cursor.sort == sort)
        && let Some(after) = after(cursor)
    {
        query = query.filter(after);
    }
    let (column, order) = match sort {
        Sort::LastInbound => (C::LastInboundAt, Order::Desc),
        Sort::Created => (C::CreatedAt, Order::Desc),
        Sort::Name => (C::NameKey, Order::Asc),
        Sort::Phone => (C::Phone, Order::Asc),
    };
    let mut rows = query
        .order_by(column, order.clone())
        .order_by(C::ContactId, order)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = match rows.last() {
        Some(last) if more => Some(
            Cursor {
                sort,
                value: sort_value(sort, last),
                id: last.contact_id.clone(),
            }
            .encode(),
        ),
        _ => None,
    };
    Ok(Page {
        contacts: entries(db, rows).await?,
        next_cursor,
    })
}

/// How many contacts of `workspace` match `audience` now.
pub async fn count(
    db: &impl ConnectionTrait,
    workspace: &str,
    audience: &Audience,
    now: Millis,
) -> Result<u64, DbErr> {
    contact_directory::Entity::find()
        .filter(audience.filter(workspace, now))
        .count(db)
        .await
}

/// Every contact who matches now: runtime id and number digits (for bulk changes and
/// broadcasts; callers count first).
pub async fn members(
    db: &impl ConnectionTrait,
    workspace: &str,
    audience: &Audience,
    now: Millis,
) -> Result<Vec<(String, String)>, DbErr> {
    use contact_directory::Column as C;
    contact_directory::Entity::find()
        .select_only()
        .column(C::ContactId)
        .column(C::Phone)
        .filter(audience.filter(workspace, now))
        .order_by_asc(C::ContactId)
        .into_tuple()
        .all(db)
        .await
}

/// Every contact who matches now, with tags and properties (for an export), by number.
pub async fn everyone(
    db: &impl ConnectionTrait,
    workspace: &str,
    audience: &Audience,
    now: Millis,
) -> Result<Vec<DirectoryEntry>, DbErr> {
    let rows = contact_directory::Entity::find()
        .filter(audience.filter(workspace, now))
        .order_by_asc(contact_directory::Column::Phone)
        .all(db)
        .await?;
    let mut all = Vec::with_capacity(rows.len());
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        // Within the databases' limit of values per statement.
        let chunk: Vec<_> = rows.by_ref().take(500).collect();
        all.extend(entries(db, chunk).await?);
    }
    Ok(all)
}

/// Up to `limit` contacts who match, those who wrote last first.
pub async fn sample(
    db: &impl ConnectionTrait,
    workspace: &str,
    audience: &Audience,
    now: Millis,
    limit: u64,
) -> Result<Vec<DirectoryEntry>, DbErr> {
    Ok(
        page(db, workspace, audience, Sort::LastInbound, None, limit, now)
            .await?
            .contacts,
    )
}

/// The rows with their tags and properties (two queries for the whole page).
async fn entries(
    db: &impl ConnectionTrait,
    rows: Vec<contact_directory::Model>,
) -> Result<Vec<DirectoryEntry>, DbErr> {
    let ids: Vec<String> = rows.iter().map(|row| row.contact_id.clone()).collect();
    let mut tags: HashMap<String, Vec<String>> = HashMap::new();
    for tag in contact_tag::Entity::find()
        .filter(contact_tag::Column::ContactId.is_in(ids.clone()))
        .order_by_asc(contact_tag::Column::Tag)
        .all(db)
        .await?
    {
        tags.entry(tag.contact_id).or_default().push(tag.tag);
    }
    let mut properties: HashMap<String, Map<String, Value>> = HashMap::new();
    for property in contact_property::Entity::find()
        .filter(contact_property::Column::ContactId.is_in(ids))
        .order_by_asc(contact_property::Column::Name)
        .all(db)
        .await?
    {
        let value = serde_json::from_str(&property.value).unwrap_or(Value::Null);
        properties
            .entry(property.contact_id)
            .or_default()
            .insert(property.name, value);
    }
    Ok(rows
        .into_iter()
        .map(|row| DirectoryEntry {
            phone: (!row.phone.is_empty()).then(|| format!("+{}", row.phone)),
            bsuid: row.bsuid,
            name: row.name,
            tags: tags.remove(&row.contact_id).unwrap_or_default(),
            properties: properties.remove(&row.contact_id).unwrap_or_default(),
            marketing_opt_in: row.marketing_opt_in_at.is_some(),
            marketing_opt_in_at: row.marketing_opt_in_at,
            last_inbound_at: (row.last_inbound_at > 0).then_some(row.last_inbound_at),
            channel: row.channel,
            timezone: row.timezone,
            locale: row.locale,
            first_ad: row.first_ad,
            last_ad: row.last_ad,
            created_at: row.created_at,
            contact_id: row.contact_id,
        })
        .collect())
}
