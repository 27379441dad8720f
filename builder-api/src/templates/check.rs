//! The publish-time check of `send_template` nodes against the templates Meta has: the
//! template exists in the node's language, Meta approved it, files it under the node's
//! category, and takes as many values as the node gives. Each problem names the node and
//! the field to fix. Accounts never synced (or no channel at all) refuse nothing: a warning
//! says the templates could not be checked.

use std::collections::BTreeMap;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use spool_flows::config::{SendTemplate, TemplateButton, TemplateCategory};
use spool_flows::{Code, Diagnostic, Flow, NodeKind};
use spool_nodes::templates::normalise_language;
use spool_whatsapp::inbound::template_category;
use spool_whatsapp::templates::TemplateParameters;

use crate::db::{channel, template, template_sync};

/// One translation as kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kept {
    pub name: String,
    pub language: String,
    pub status: String,
    /// As Meta writes it: `MARKETING`.
    pub category: String,
    pub parameters: Vec<TemplateParameters>,
}

/// A WhatsApp Business Account the workspace's channels send through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// How a person knows it: its channels' names.
    pub label: String,
    /// Its templates were read from Meta at least once.
    pub synced: bool,
    pub templates: Vec<Kept>,
}

/// The accounts of `workspace`'s channels (the default one first) with their templates.
pub async fn accounts<C: ConnectionTrait>(db: &C, workspace: &str) -> Result<Vec<Account>, DbErr> {
    let channels = channel::Entity::find()
        .filter(channel::Column::WorkspaceId.eq(workspace))
        .order_by_desc(channel::Column::IsDefault)
        .order_by_asc(channel::Column::CreatedAt)
        .all(db)
        .await?;
    let mut names: Vec<(String, Vec<String>)> = Vec::new();
    for row in channels {
        match names.iter_mut().find(|(waba, _)| *waba == row.waba_id) {
            Some((_, labels)) => labels.push(row.display_name),
            None => names.push((row.waba_id, vec![row.display_name])),
        }
    }
    let mut accounts = Vec::with_capacity(names.len());
    for (waba, labels) in names {
        let synced = template_sync::Entity::find_by_id(waba.clone())
            .one(db)
            .await?
            .is_some_and(|sync| sync.synced_at.is_some());
        let templates = template::Entity::find()
            .filter(template::Column::WabaId.eq(&waba))
            .all(db)
            .await?
            .into_iter()
            .map(|row| Kept {
                parameters: serde_json::from_str(&row.parameters).unwrap_or_default(),
                name: row.name,
                language: row.language,
                status: row.status,
                category: row.category,
            })
            .collect();
        let label = labels
            .iter()
            .map(|label| format!("'{label}'"))
            .collect::<Vec<_>>()
            .join(" and ");
        accounts.push(Account {
            label: format!("the WhatsApp number {label}"),
            synced,
            templates,
        });
    }
    Ok(accounts)
}

/// Every problem of `flow`'s template sends on `accounts`.
pub fn check(flow: &Flow, accounts: &[Account]) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for node in &flow.nodes {
        let NodeKind::SendTemplate(send) = &node.kind else {
            continue;
        };
        if accounts.is_empty() {
            found.push(
                Diagnostic::warning(
                    Code::TemplatesNotChecked,
                    format!(
                        "Template '{}' could not be checked: no WhatsApp number is connected to the workspace.",
                        send.name
                    ),
                )
                .on_node(&node.id)
                .on_field("config.name"),
            );
        }
        for account in accounts {
            found.extend(
                check_send(send, account)
                    .into_iter()
                    .map(|diagnostic| diagnostic.on_node(&node.id)),
            );
        }
    }
    found
}

fn check_send(send: &SendTemplate, account: &Account) -> Vec<Diagnostic> {
    let on = &account.label;
    if !account.synced {
        return vec![
            Diagnostic::warning(
                Code::TemplatesNotChecked,
                format!(
                    "Template '{}' could not be checked: the templates of {on} were never read from Meta. Sync them (POST …/channels/{{id}}/templates/sync) to have them checked.",
                    send.name
                ),
            )
            .on_field("config.name"),
        ];
    }
    let translations: Vec<&Kept> = account
        .templates
        .iter()
        .filter(|kept| kept.name == send.name)
        .collect();
    if translations.is_empty() {
        return vec![
            Diagnostic::error(
                Code::TemplateMissing,
                format!(
                    "There is no template '{}' on {on}. Check the name, or sync the templates if it was created in the last minutes.",
                    send.name
                ),
            )
            .on_field("config.name"),
        ];
    }
    let language = normalise_language(&send.language);
    let Some(kept) = translations.iter().find(|kept| kept.language == language) else {
        let mut languages: Vec<&str> = translations.iter().map(|t| t.language.as_str()).collect();
        languages.sort_unstable();
        return vec![
            Diagnostic::error(
                Code::TemplateMissing,
                format!(
                    "Template '{}' has no '{language}' translation on {on}; it has {}.",
                    send.name,
                    languages.join(", ")
                ),
            )
            .on_field("config.language"),
        ];
    };
    let mut found = Vec::new();
    if kept.status != "APPROVED" {
        found.push(
            Diagnostic::error(
                Code::TemplateNotApproved,
                format!(
                    "Template '{}' ({language}) cannot be sent: {} (status {}).",
                    send.name,
                    status_words(&kept.status),
                    kept.status
                ),
            )
            .on_field("config.name"),
        );
    }
    if let Some(category) = template_category(&kept.category)
        && category != send.category
    {
        found.push(
            Diagnostic::error(
                Code::TemplateCategoryMismatch,
                format!(
                    "Meta files '{}' as {}, this node says {}. Set the node's category to {}: {}",
                    send.name,
                    category_words(category),
                    category_words(send.category),
                    category_words(category),
                    category_consequence(category)
                ),
            )
            .on_field("config.category"),
        );
    }
    found.extend(parameter_counts(send, kept));
    found
}

fn status_words(status: &str) -> &'static str {
    match status {
        "PENDING" => "Meta is still reviewing it",
        "REJECTED" => "Meta rejected it",
        "PAUSED" => "Meta paused it for low quality",
        "DISABLED" => "Meta disabled it after repeated pauses",
        "IN_APPEAL" => "its rejection is under appeal",
        "DELETED" | "PENDING_DELETION" => "it was deleted",
        "ARCHIVED" => "it is archived",
        "LIMIT_EXCEEDED" | "LOCKED" => "Meta does not let it be sent now",
        _ => "Meta has not approved it",
    }
}

fn category_words(category: TemplateCategory) -> &'static str {
    match category {
        TemplateCategory::Marketing => "Marketing",
        TemplateCategory::Utility => "Utility",
        TemplateCategory::Authentication => "Authentication",
    }
}

fn category_consequence(category: TemplateCategory) -> &'static str {
    match category {
        TemplateCategory::Marketing => {
            "it goes only to contacts who opted in to Marketing, counts toward their Marketing cap and is charged as Marketing."
        }
        TemplateCategory::Utility => "it is charged as Utility.",
        TemplateCategory::Authentication => "it is charged as Authentication.",
    }
}

fn values(count: usize) -> String {
    match count {
        1 => "1 value".into(),
        n => format!("{n} values"),
    }
}

/// Headers and bodies take as many values as their placeholders; a link button with a
/// placeholder in its URL takes one value, at its position among the buttons.
fn parameter_counts(send: &SendTemplate, kept: &Kept) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let takes = |component: &str| {
        kept.parameters
            .iter()
            .find(|part| part.component == component)
            .map_or(0, |part| part.count)
    };
    for (part, field, given) in [
        ("header", "config.header", send.header.len()),
        ("body", "config.body", send.body.len()),
    ] {
        let expected = takes(part);
        if expected != given {
            found.push(
                Diagnostic::error(
                    Code::TemplateParameterCount,
                    format!(
                        "Template '{}' takes {} in its {part}; this node gives {given}.",
                        send.name,
                        values(expected),
                    ),
                )
                .on_field(field),
            );
        }
    }
    let links: BTreeMap<usize, usize> = kept
        .parameters
        .iter()
        .filter(|part| part.component == "button")
        .filter_map(|part| Some((part.index?, part.count)))
        .collect();
    for (index, button) in send.buttons.iter().enumerate() {
        let is_link = matches!(button, TemplateButton::Url { .. });
        if is_link && !links.contains_key(&index) {
            found.push(
                Diagnostic::error(
                    Code::TemplateParameterCount,
                    format!(
                        "Button {} of template '{}' takes no value; remove this link value.",
                        index + 1,
                        send.name
                    ),
                )
                .on_field(format!("config.buttons[{index}]")),
            );
        }
    }
    for index in links.keys() {
        let given = matches!(send.buttons.get(*index), Some(TemplateButton::Url { .. }));
        if !given {
            found.push(
                Diagnostic::error(
                    Code::TemplateParameterCount,
                    format!(
                        "Button {} of template '{}' is a link that takes a value; give it as a `url` button at position {}.",
                        index + 1,
                        send.name,
                        index + 1
                    ),
                )
                .on_field("config.buttons"),
            );
        }
    }
    found
}

#[cfg(test)]
mod tests;
