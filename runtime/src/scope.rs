//! Ids inside a workspace: what the runtime calls a contact or a flow.
//!
//! The runtime keeps contacts and flows of every workspace side by side, so their ids carry
//! the workspace in front: `<workspace>/<id>` (`acme/wa:4915112345678`, `acme/cart`), or the
//! bare id in the empty scope (a flow file simulated on its own). That text is what Redis and
//! the database store, so its form is fixed; this type is the one place that builds it and
//! reads it back.

use std::fmt;

/// An id inside a scope (a workspace), in its stored form `<scope>/<id>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopedId {
    text: String,
    /// Where the local id starts in `text` (0 in the empty scope).
    local: usize,
}

impl ScopedId {
    /// `id` inside `scope` (unchanged in the empty scope).
    pub fn new(scope: &str, id: &str) -> Self {
        if scope.is_empty() {
            Self {
                text: id.to_owned(),
                local: 0,
            }
        } else {
            Self {
                text: format!("{scope}/{id}"),
                local: scope.len() + 1,
            }
        }
    }

    /// An id read back from its stored form: the scope is what comes before the first `/`.
    pub fn parse(text: impl Into<String>) -> Self {
        let text = text.into();
        let local = text.find('/').map_or(0, |slash| slash + 1);
        Self { text, local }
    }

    /// The scope of a stored id, without copying it: what comes before its first `/`, or
    /// `""` for an id without one. A contact's events only ever start flows of its scope.
    pub fn scope_of(text: &str) -> &str {
        text.split_once('/').map_or("", |(scope, _)| scope)
    }

    /// The id as its scope knows it, from a stored id (the whole id in the empty scope).
    pub fn local_of(text: &str) -> &str {
        text.split_once('/').map_or(text, |(_, local)| local)
    }

    pub fn scope(&self) -> &str {
        self.text[..self.local].strip_suffix('/').unwrap_or("")
    }

    /// The id as its scope knows it (a flow's id in its workspace, `wa:…` for a contact).
    pub fn local(&self) -> &str {
        &self.text[self.local..]
    }

    /// The stored form.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The same local id in this id's scope (a flow naming another of its workspace).
    #[cfg(test)]
    pub fn sibling(&self, id: &str) -> Self {
        Self::new(self.scope(), id)
    }
}

impl fmt::Display for ScopedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl From<ScopedId> for String {
    fn from(id: ScopedId) -> Self {
        id.text
    }
}

impl AsRef<str> for ScopedId {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_form_is_scope_slash_id() {
        let contact = ScopedId::new("acme", "wa:4915112345678");
        assert_eq!(contact.as_str(), "acme/wa:4915112345678");
        assert_eq!(contact.scope(), "acme");
        assert_eq!(contact.local(), "wa:4915112345678");
        assert_eq!(ScopedId::parse(contact.to_string()), contact);
        assert_eq!(contact.sibling("cart").as_str(), "acme/cart");
    }

    #[test]
    fn the_empty_scope_leaves_ids_as_they_are() {
        let flow = ScopedId::new("", "cart");
        assert_eq!(flow.as_str(), "cart");
        assert_eq!(flow.scope(), "");
        assert_eq!(flow.local(), "cart");
        assert_eq!(ScopedId::parse("cart"), flow);
        assert_eq!(ScopedId::scope_of("wa:4915112345678"), "");
        assert_eq!(ScopedId::local_of("wa:4915112345678"), "wa:4915112345678");
    }

    #[test]
    fn the_scope_ends_at_the_first_slash() {
        let odd = ScopedId::new("acme", "a/b");
        assert_eq!(ScopedId::scope_of(odd.as_str()), "acme");
        assert_eq!(ScopedId::local_of(odd.as_str()), "a/b");
        assert_eq!(ScopedId::parse(odd.as_str()).local(), "a/b");
    }
}
