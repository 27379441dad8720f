//! What a `send_template` node learns, at send time, about the template it names: the
//! category Meta files it under *now* (Meta recategorises templates, and the opt-in gate,
//! the marketing cap and the endpoint must follow), and the translations that are APPROVED,
//! among which the contact's language is picked.
//!
//! The runtime holds a [`TemplateCatalog`]; the server's reads a cache of the templates it
//! synced from Meta, the simulator and tests use [`NoCatalog`], which knows nothing, so a
//! node's own category and language go out as written.

use crate::model::{Contact, TemplateCategory};

/// What is known of one template on the channel a contact is reached through.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TemplateFacts {
    /// The translations that are APPROVED. Empty when the template does not exist or no
    /// translation may be sent.
    pub approved: Vec<Translation>,
}

/// One APPROVED translation of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Translation {
    /// As sends spell it: `en_US`, `pt_BR`, `pt`.
    pub language: String,
    /// Meta's category now; `None` when Meta said one Spool does not know.
    pub category: Option<TemplateCategory>,
}

impl TemplateFacts {
    /// The APPROVED translation in `language`.
    pub fn translation(&self, language: &str) -> Option<&Translation> {
        self.approved
            .iter()
            .find(|translation| translation.language == language)
    }

    pub fn languages(&self) -> Vec<String> {
        self.approved
            .iter()
            .map(|translation| translation.language.clone())
            .collect()
    }
}

/// Answers, synchronously, what a template is now. Implementations keep a cache: a send
/// must never wait for Meta.
pub trait TemplateCatalog: Send + Sync {
    /// The facts of template `name` on the channel `contact` is reached through (the one
    /// they wrote to, else their workspace's default). `None` when nothing is known there:
    /// no channel, or its templates were never read; the node's own word then goes.
    fn template(&self, contact: &Contact, name: &str) -> Option<TemplateFacts>;
}

/// A catalog that knows nothing: nodes send what they say.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoCatalog;

impl TemplateCatalog for NoCatalog {
    fn template(&self, _contact: &Contact, _name: &str) -> Option<TemplateFacts> {
        None
    }
}

/// A language code as sends spell it: `pt-BR` is `pt_BR`.
pub fn normalise_language(code: &str) -> String {
    code.trim().replace('-', "_")
}

/// The translation to send: the contact's locale, else its language without the region,
/// else the node's language (the flow's default), whichever is APPROVED first. `None` when
/// none of them is.
pub fn pick_language(
    locale: Option<&str>,
    node_language: &str,
    approved: &[String],
) -> Option<String> {
    languages_tried(locale, node_language)
        .into_iter()
        .find(|code| approved.contains(code))
}

/// The languages a send would try, in order, for saying what was tried when none is
/// approved.
pub fn languages_tried(locale: Option<&str>, node_language: &str) -> Vec<String> {
    let mut tried: Vec<String> = Vec::new();
    if let Some(locale) = locale.map(normalise_language).filter(|l| !l.is_empty()) {
        if let Some((language, _)) = locale.split_once('_') {
            let language = language.to_owned();
            tried.push(locale);
            tried.push(language);
        } else {
            tried.push(locale);
        }
    }
    let node = normalise_language(node_language);
    if !tried.contains(&node) {
        tried.push(node);
    }
    tried
}

#[cfg(test)]
mod tests {
    use super::*;

    fn approved(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|code| (*code).to_owned()).collect()
    }

    #[test]
    fn the_contacts_own_locale_wins_when_it_is_approved() {
        let languages = approved(&["en", "pt", "pt_BR"]);
        assert_eq!(
            pick_language(Some("pt_BR"), "en", &languages).as_deref(),
            Some("pt_BR")
        );
        assert_eq!(
            pick_language(Some("pt-BR"), "en", &languages).as_deref(),
            Some("pt_BR"),
            "a locale written with a hyphen is the same locale"
        );
    }

    #[test]
    fn without_the_regional_translation_the_bare_language_is_used() {
        assert_eq!(
            pick_language(Some("pt_BR"), "en", &approved(&["en", "pt"])).as_deref(),
            Some("pt")
        );
    }

    #[test]
    fn otherwise_the_nodes_language_is_used() {
        assert_eq!(
            pick_language(Some("de_DE"), "en_US", &approved(&["en_US", "pt_BR"])).as_deref(),
            Some("en_US")
        );
        assert_eq!(
            pick_language(None, "en_US", &approved(&["en_US"])).as_deref(),
            Some("en_US")
        );
    }

    #[test]
    fn a_translation_that_is_not_approved_is_never_picked() {
        assert_eq!(pick_language(Some("pt_BR"), "en", &approved(&[])), None);
        assert_eq!(pick_language(Some("pt_BR"), "en", &approved(&["es"])), None);
        assert_eq!(
            languages_tried(Some("pt_BR"), "en"),
            ["pt_BR", "pt", "en"].map(String::from)
        );
        assert_eq!(languages_tried(Some("en"), "en"), ["en"].map(String::from));
    }
}
