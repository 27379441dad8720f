//! Contact: changes to the contact's tags and profile.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::values::{Input, Template};

/// Adds and removes tags on the contact.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tag {
    /// Tags to give the contact (a tag it has already is left as it is).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<String>,
    /// Tags to take off the contact.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<String>,
}

/// Changes the contact's profile: properties, name, marketing opt-in, locale.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateContact {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, Input>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Template>,
    /// Record (true) or withdraw (false) the contact's consent to Marketing messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketing_opt_in: Option<bool>,
    /// The language the contact reads, as WhatsApp spells locales (`pt_BR`, `en`): template
    /// sends pick that translation when Meta approved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Template>,
}
