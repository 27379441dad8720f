//! Who a list, a segment or a broadcast is for: conditions on the directory that all hold
//! (tags, properties, consent, when the contact last wrote, steps reached, the ad they came
//! from, their business number), turned into SQL that runs the same on SQLite and
//! PostgreSQL. Evaluated when asked: a segment's members are whoever matches now.

use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition as Where};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use spool_nodes::{DAY, Millis};
use utoipa::ToSchema;

use super::observer::comparable;
use crate::db::{contact_directory, contact_property, contact_reached, contact_tag};

/// Conditions that must all hold. No condition: every contact.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    #[serde(default)]
    pub all: Vec<Condition>,
}

/// One condition on a contact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// Has the tag.
    Tag { tag: String },
    /// Does not have the tag.
    NotTag { tag: String },
    /// A property tested against a value (numbers compare as numbers: RFM-style
    /// properties such as `orders` or `total_spent` work with `greater_than`).
    Property {
        name: String,
        test: PropertyTest,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schema(value_type = Option<Object>)]
        value: Option<Value>,
    },
    /// Marketing consent on record (`true`), or not (`false`).
    MarketingConsent { given: bool },
    /// Wrote within the last `days` days (their 24-hour window may still be open).
    WroteWithin { days: u32 },
    /// Has not written for `days` days, or never.
    SilentFor { days: u32 },
    /// Reached the step `node_id` of the journey `flow_id` at least once (any step of it
    /// without `node_id`).
    Reached {
        flow_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node_id: Option<String>,
    },
    /// Came from the Click-to-WhatsApp ad `ad_id` (WhatsApp's `source_id`), first or latest.
    FromAd { ad_id: String },
    /// Last wrote to this business number (channel id).
    Channel { channel: String },
    /// The name or number contains the text.
    Search { text: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PropertyTest {
    Equals,
    NotEquals,
    Contains,
    GreaterThan,
    LessThan,
    Exists,
    Missing,
}

/// Why an audience cannot be used, in words.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("condition {index}: {reason}")]
pub struct Invalid {
    /// 1-based, as people count.
    pub index: usize,
    pub reason: String,
}

const MAX_CONDITIONS: usize = 30;
const MAX_DAYS: u32 = 3_650;

impl Audience {
    /// Checks each condition's values (not whether a flow or tag exists: an audience may
    /// be saved before either does).
    pub fn check(&self) -> Result<(), Invalid> {
        if self.all.len() > MAX_CONDITIONS {
            return Err(Invalid {
                index: MAX_CONDITIONS + 1,
                reason: format!("an audience has at most {MAX_CONDITIONS} conditions"),
            });
        }
        for (index, condition) in self.all.iter().enumerate() {
            condition.check().map_err(|reason| Invalid {
                index: index + 1,
                reason,
            })?;
        }
        Ok(())
    }

    /// The SQL condition on `contact_directory` for contacts of `workspace` who match, at
    /// `now`.
    pub fn filter(&self, workspace: &str, now: Millis) -> Where {
        self.all.iter().fold(
            Where::all().add(contact_directory::Column::WorkspaceId.eq(workspace)),
            |all, condition| all.add(condition.filter(workspace, now)),
        )
    }
}

fn blank(text: &str) -> bool {
    text.trim().is_empty()
}

impl Condition {
    fn check(&self) -> Result<(), String> {
        match self {
            Condition::Tag { tag } | Condition::NotTag { tag } if blank(tag) => {
                Err("the tag is empty".into())
            }
            Condition::Property { name, .. } if blank(name) => {
                Err("the property's name is empty".into())
            }
            Condition::Property { test, value, name } => match (test, value) {
                (PropertyTest::Exists | PropertyTest::Missing, _) => Ok(()),
                (PropertyTest::GreaterThan | PropertyTest::LessThan, Some(value))
                    if number(value).is_some() =>
                {
                    Ok(())
                }
                (PropertyTest::GreaterThan | PropertyTest::LessThan, _) => Err(format!(
                    "comparing {name:?} as greater or less needs a number as `value`"
                )),
                (_, None | Some(Value::Null)) => {
                    Err(format!("testing {name:?} needs a `value` to compare with"))
                }
                _ => Ok(()),
            },
            Condition::WroteWithin { days } | Condition::SilentFor { days }
                if !(1..=MAX_DAYS).contains(days) =>
            {
                Err(format!("`days` is 1 to {MAX_DAYS}, not {days}"))
            }
            Condition::Reached { flow_id, .. } if blank(flow_id) => {
                Err("the journey (`flow_id`) is empty".into())
            }
            Condition::FromAd { ad_id } if blank(ad_id) => Err("the ad id is empty".into()),
            Condition::Channel { channel } if blank(channel) => {
                Err("the number (`channel`) is empty".into())
            }
            Condition::Search { text } if blank(text) => Err("the search text is empty".into()),
            _ => Ok(()),
        }
    }

    fn filter(&self, workspace: &str, now: Millis) -> Where {
        use contact_directory::Column as C;
        match self {
            Condition::Tag { tag } => {
                Where::all().add(C::ContactId.in_subquery(tagged(workspace, tag)))
            }
            Condition::NotTag { tag } => {
                Where::all().add(C::ContactId.not_in_subquery(tagged(workspace, tag)))
            }
            Condition::Property { name, test, value } => property(workspace, name, *test, value),
            Condition::MarketingConsent { given: true } => {
                Where::all().add(C::MarketingOptInAt.is_not_null())
            }
            Condition::MarketingConsent { given: false } => {
                Where::all().add(C::MarketingOptInAt.is_null())
            }
            Condition::WroteWithin { days } => {
                Where::all().add(C::LastInboundAt.gte(now - Millis::from(*days) * DAY))
            }
            Condition::SilentFor { days } => {
                Where::all().add(C::LastInboundAt.lt(now - Millis::from(*days) * DAY))
            }
            Condition::Reached { flow_id, node_id } => {
                use contact_reached::Column as R;
                let mut steps = Query::select();
                steps
                    .column(R::ContactId)
                    .from(contact_reached::Entity)
                    .and_where(R::WorkspaceId.eq(workspace))
                    .and_where(R::FlowId.eq(flow_id.as_str()));
                if let Some(node_id) = node_id {
                    steps.and_where(R::NodeId.eq(node_id.as_str()));
                }
                Where::all().add(C::ContactId.in_subquery(steps))
            }
            Condition::FromAd { ad_id } => Where::any()
                .add(C::FirstAd.eq(ad_id.as_str()))
                .add(C::LastAd.eq(ad_id.as_str())),
            Condition::Channel { channel } => Where::all().add(C::Channel.eq(channel.as_str())),
            Condition::Search { text } => {
                let text = text.trim();
                let digits: String = text.chars().filter(char::is_ascii_digit).collect();
                let mut any = Where::any().add(C::NameKey.like(containing(&text.to_lowercase())));
                if !digits.is_empty() {
                    any = any.add(C::Phone.like(containing(&digits)));
                }
                any
            }
        }
    }
}

fn tagged(workspace: &str, tag: &str) -> SelectStatement {
    use contact_tag::Column as T;
    Query::select()
        .column(T::ContactId)
        .from(contact_tag::Entity)
        .and_where(T::WorkspaceId.eq(workspace))
        .and_where(T::Tag.eq(tag))
        .to_owned()
}

fn number(value: &Value) -> Option<f64> {
    comparable(value).1
}

/// `%text%` for LIKE, with LIKE's own characters taken as they are.
fn containing(text: &str) -> sea_orm::sea_query::LikeExpr {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    sea_orm::sea_query::LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

fn property(workspace: &str, name: &str, test: PropertyTest, value: &Option<Value>) -> Where {
    use contact_directory::Column as C;
    use contact_property::Column as P;
    let mut having = Query::select();
    having
        .column(P::ContactId)
        .from(contact_property::Entity)
        .and_where(P::WorkspaceId.eq(workspace))
        .and_where(P::Name.eq(name));
    let value = value.as_ref().unwrap_or(&Value::Null);
    let (text, number) = comparable(value);
    match test {
        PropertyTest::Exists => {}
        PropertyTest::Missing => return Where::all().add(C::ContactId.not_in_subquery(having)),
        PropertyTest::Equals | PropertyTest::NotEquals => {
            // A number equals its own digits however it was written ("42", 42, 42.0).
            match number {
                Some(number) => having.and_where(P::NumberValue.eq(number)),
                None => having.and_where(P::TextValue.eq(text)),
            };
            if test == PropertyTest::NotEquals {
                return Where::all().add(C::ContactId.not_in_subquery(having));
            }
        }
        PropertyTest::Contains => {
            having.and_where(P::TextValue.like(containing(&text)));
        }
        PropertyTest::GreaterThan => {
            having.and_where(P::NumberValue.gt(number.unwrap_or(f64::MAX)));
        }
        PropertyTest::LessThan => {
            having.and_where(P::NumberValue.lt(number.unwrap_or(f64::MIN)));
        }
    }
    Where::all().add(C::ContactId.in_subquery(having))
}
