//! Notifications about consent and templates rather than messages: marketing opt-outs
//! (`user_preferences`) and a template's status, category and quality.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use spool_nodes::identity::Bsuid;
use spool_nodes::{Millis, TemplateCategory};

use super::{
    Notification, Place, bsuid_of, list, normalise_language, phone_number_id, string_of, text_of,
    timestamp_ms, unreadable,
};

/// A contact stopped or resumed a category of messages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserPreference {
    pub phone_number_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Bsuid>,
    pub category: PreferenceCategory,
    pub value: PreferenceValue,
    pub timestamp_ms: Millis,
    /// Meta's words, e.g. "User requested to stop marketing messages".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PreferenceCategory {
    /// `marketing_messages`.
    Marketing,
    Other(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PreferenceValue {
    Stop,
    Resume,
    /// `signup` (a sign-up link) and anything newer.
    Other(String),
}

/// A template's review or lifecycle event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateStatus {
    pub waba_id: String,
    pub template_id: String,
    pub name: String,
    /// As sends spell it (`en_US`).
    pub language: String,
    /// `APPROVED`, `REJECTED`, `PAUSED`, `DISABLED`, `FLAGGED`, `REINSTATED`, …
    pub event: String,
    /// Why, e.g. `INCORRECT_CATEGORY`; absent or `NONE` when there is no reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `other_info.title`, e.g. `FIRST_PAUSE`, `UNPAUSE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Meta moved a template to another category: sends must follow the new one (consent, the
/// marketing endpoint, cost).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateCategoryChange {
    pub waba_id: String,
    pub template_id: String,
    pub name: String,
    pub language: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_category: Option<String>,
    /// The category in force, as Meta writes it (`MARKETING`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_category: Option<String>,
    /// Meta's suggestion during a review window, when it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correct_category: Option<String>,
}

impl TemplateCategoryChange {
    /// The new category as Spool knows categories, when it is one of them.
    pub fn new_category(&self) -> Option<TemplateCategory> {
        self.new_category.as_deref().and_then(category)
    }
}

/// A Meta category name (`MARKETING`, `utility`) as Spool's.
pub fn category(name: &str) -> Option<TemplateCategory> {
    match name.to_ascii_lowercase().as_str() {
        "marketing" => Some(TemplateCategory::Marketing),
        "utility" => Some(TemplateCategory::Utility),
        "authentication" => Some(TemplateCategory::Authentication),
        _ => None,
    }
}

/// A template's quality rating changed (`GREEN`, `YELLOW`, `RED`, `UNKNOWN`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateQuality {
    pub waba_id: String,
    pub template_id: String,
    pub name: String,
    pub language: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_quality: Option<String>,
    pub new_quality: String,
}

pub(super) fn read_user_preferences(at: &Place, value: &Value, out: &mut Vec<Notification>) {
    let phone_number_id = phone_number_id(value).unwrap_or_default();
    for (i, raw) in list(value, "user_preferences").iter().enumerate() {
        out.push(match user_preference(&phone_number_id, raw) {
            Ok(preference) => Notification::UserPreference(preference),
            Err(reason) => unreadable(at.describe("user preference", i, &reason), raw),
        });
    }
}

fn user_preference(phone_number_id: &str, raw: &Value) -> Result<UserPreference, String> {
    let wa_id = text_of(raw, "wa_id");
    let user_id = bsuid_of(raw, "user_id");
    if wa_id.is_none() && user_id.is_none() {
        return Err("it names no contact: neither `wa_id` nor `user_id`".into());
    }
    let category = match text_of(raw, "category")
        .ok_or("it has no `category`")?
        .as_str()
    {
        "marketing_messages" | "marketing" => PreferenceCategory::Marketing,
        other => PreferenceCategory::Other(other.to_owned()),
    };
    let value = match text_of(raw, "value").ok_or("it has no `value`")?.as_str() {
        "stop" => PreferenceValue::Stop,
        "resume" => PreferenceValue::Resume,
        other => PreferenceValue::Other(other.to_owned()),
    };
    Ok(UserPreference {
        phone_number_id: phone_number_id.to_owned(),
        wa_id,
        user_id,
        category,
        value,
        timestamp_ms: timestamp_ms(raw.get("timestamp"))
            .ok_or("it has no `timestamp` in Unix seconds")?,
        detail: text_of(raw, "detail"),
    })
}

/// The id, name and language every template notification carries.
struct TemplateNames {
    template_id: String,
    name: String,
    language: String,
}

fn template_names(value: &Value) -> Result<TemplateNames, String> {
    Ok(TemplateNames {
        template_id: string_of(value.get("message_template_id"))
            .ok_or("it has no `message_template_id`")?,
        name: text_of(value, "message_template_name").ok_or("it has no `message_template_name`")?,
        language: normalise_language(
            &text_of(value, "message_template_language").unwrap_or_default(),
        ),
    })
}

/// Reads a template notification, or says why it cannot be read.
fn template_notification(
    at: &Place,
    field: &str,
    value: &Value,
    read: impl FnOnce(TemplateNames) -> Result<Notification, String>,
) -> Notification {
    match template_names(value).and_then(read) {
        Ok(notification) => notification,
        Err(reason) => unreadable(
            format!(
                "entry {}, change {} (`{field}`): {reason}",
                at.entry, at.change
            ),
            value,
        ),
    }
}

pub(super) fn read_template_status(at: &Place, waba_id: &str, value: &Value) -> Notification {
    template_notification(at, "message_template_status_update", value, |names| {
        Ok(Notification::TemplateStatus(TemplateStatus {
            waba_id: waba_id.to_owned(),
            template_id: names.template_id,
            name: names.name,
            language: names.language,
            event: text_of(value, "event").ok_or("it has no `event`")?,
            reason: text_of(value, "reason").filter(|reason| reason != "NONE"),
            detail: value
                .pointer("/other_info/title")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }))
    })
}

pub(super) fn read_template_category(at: &Place, waba_id: &str, value: &Value) -> Notification {
    template_notification(at, "template_category_update", value, |names| {
        Ok(Notification::TemplateCategory(TemplateCategoryChange {
            waba_id: waba_id.to_owned(),
            template_id: names.template_id,
            name: names.name,
            language: names.language,
            previous_category: text_of(value, "previous_category"),
            new_category: text_of(value, "new_category"),
            correct_category: text_of(value, "correct_category"),
        }))
    })
}

pub(super) fn read_template_quality(at: &Place, waba_id: &str, value: &Value) -> Notification {
    template_notification(at, "message_template_quality_update", value, |names| {
        Ok(Notification::TemplateQuality(TemplateQuality {
            waba_id: waba_id.to_owned(),
            template_id: names.template_id,
            name: names.name,
            language: names.language,
            previous_quality: text_of(value, "previous_quality_score"),
            new_quality: text_of(value, "new_quality_score")
                .ok_or("it has no `new_quality_score`")?,
        }))
    })
}
