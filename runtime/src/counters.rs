//! Funnel counts as the engine emits them and the stores keep them: per flow version, a
//! node and what happened there (entered, left by a port, failed), summed by the hour.

/// What a count is about within a flow version: a node, and what happened there.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountKey {
    pub node_id: String,
    /// `entered`, `port:<name>` or `failed`.
    pub key: String,
}

impl CountKey {
    pub fn new(node_id: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            node_id: node_id.into(),
            key: key.into(),
        }
    }

    /// Left the node through `port`.
    pub fn port(node_id: impl Into<String>, port: &str) -> Self {
        Self::new(node_id, format!("port:{port}"))
    }

    /// The port a `port:<name>` count is about.
    pub fn left_by(&self) -> Option<&str> {
        self.key.strip_prefix("port:")
    }

    /// As the stores keep it: `node|key` (a Redis hash field, a table column).
    pub fn encode(&self) -> String {
        format!("{}|{}", self.node_id, self.key)
    }

    /// The last `|` splits: keys (`entered`, `port:<port name>`, `failed`) never hold one,
    /// whatever a node id does.
    pub fn decode(text: &str) -> Option<Self> {
        let (node_id, key) = text.rsplit_once('|')?;
        Some(Self::new(node_id, key))
    }
}

/// One count for the funnel: something happened at a node of a flow version.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Counter {
    /// The version's hash.
    pub version: String,
    pub at: CountKey,
}

impl Counter {
    pub fn new(version: impl Into<String>, node_id: &str, key: &str) -> Self {
        Self {
            version: version.into(),
            at: CountKey::new(node_id, key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_back_as_they_were_kept_even_with_odd_node_ids() {
        for key in [
            CountKey::new("ask", "entered"),
            CountKey::port("ask|2", "yes"),
            CountKey::new("", "failed"),
        ] {
            assert_eq!(CountKey::decode(&key.encode()), Some(key));
        }
        assert_eq!(CountKey::port("ask", "yes").left_by(), Some("yes"));
        assert_eq!(CountKey::decode("no separator"), None);
    }
}
