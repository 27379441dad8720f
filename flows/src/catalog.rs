//! What each node type is: its name, label, category, ports, and how it behaves in time.
//!
//! The editor's palette, the validator and the interpreter all read this one table.

use std::fmt;

use schemars::JsonSchema;
use serde::Serialize;

use crate::config::NodeKind;

/// A node type without its configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeType {
    InboundMessage,
    CtwaReferral,
    Webhook,
    Event,
    Broadcast,
    Condition,
    Switch,
    Split,
    Set,
    Delay,
    WaitForReply,
    GotoFlow,
    End,
    SendText,
    SendMedia,
    SendButtons,
    SendList,
    SendTemplate,
    Tag,
    UpdateContact,
    HttpRequest,
    AiAgent,
    Handoff,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Trigger,
    Logic,
    Messaging,
    Contact,
    Integration,
}

/// What an unconnected port means, which decides whether the validator warns about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PortRole {
    /// The normal way on: left unconnected, contacts taking it end their journey there.
    Main,
    /// A way on that is fine to leave unconnected (the journey just ends).
    Optional,
    /// Taken when the node fails; unconnected, the run ends as failed with the reason.
    Error,
    /// Taken when a wait runs out; unconnected, the node waits with no deadline.
    Timeout,
}

/// One output port of a node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Port {
    pub name: String,
    pub role: PortRole,
}

impl Port {
    fn fixed(name: &str, role: PortRole) -> Self {
        Self {
            name: name.to_owned(),
            role,
        }
    }
}

/// Ports whose names a node type declares itself, so a button, case or branch may not take them.
pub const RESERVED_PORT_NAMES: &[&str] = &["error", "timeout", "other", "default"];

struct Entry {
    node_type: NodeType,
    name: &'static str,
    label: &'static str,
    category: Category,
    description: &'static str,
}

const fn entry(
    node_type: NodeType,
    name: &'static str,
    label: &'static str,
    category: Category,
    description: &'static str,
) -> Entry {
    Entry {
        node_type,
        name,
        label,
        category,
        description,
    }
}

#[rustfmt::skip]
const ENTRIES: &[Entry] = &[
    entry(NodeType::InboundMessage, "inbound_message", "Message received", Category::Trigger, "Starts when a contact sends a message: any message, a keyword, a pattern, or a template button tap."),
    entry(NodeType::CtwaReferral, "ctwa_referral", "Ad click", Category::Trigger, "Starts when a contact writes after tapping a Click-to-WhatsApp ad."),
    entry(NodeType::Webhook, "webhook", "Webhook", Category::Trigger, "Starts when another system (a shop, a CRM) sends JSON to this journey's URL."),
    entry(NodeType::Event, "event", "Contact event", Category::Trigger, "Starts when a contact gets or loses a tag, or opts in or out."),
    entry(NodeType::Broadcast, "broadcast", "Broadcast", Category::Trigger, "Starts for every contact a campaign sends to: its audience, now or at its time (Campaigns)."),
    entry(NodeType::Condition, "condition", "Condition", Category::Logic, "Goes one way if a rule holds, the other way if not."),
    entry(NodeType::Switch, "switch", "Switch", Category::Logic, "Goes the way of the first rule that holds, or the default way."),
    entry(NodeType::Split, "split", "A/B split", Category::Logic, "Sends contacts down branches by weight; a contact always gets the same branch."),
    entry(NodeType::Set, "set", "Set variables", Category::Logic, "Remembers values for later steps, computed or fixed."),
    entry(NodeType::Delay, "delay", "Delay", Category::Logic, "Pauses the journey for a while, or until a given time."),
    entry(NodeType::WaitForReply, "wait_for_reply", "Wait for reply", Category::Logic, "Waits for the contact's answer, checks it, and asks again if it is not valid."),
    entry(NodeType::GotoFlow, "goto_flow", "Go to journey", Category::Logic, "Moves the contact to another published journey."),
    entry(NodeType::End, "end", "End", Category::Logic, "Ends the journey."),
    entry(NodeType::SendText, "send_text", "Send text", Category::Messaging, "Sends a text message (only within 24 hours of the contact's last message)."),
    entry(NodeType::SendMedia, "send_media", "Send media", Category::Messaging, "Sends an image, video, audio clip, document or sticker."),
    entry(NodeType::SendButtons, "send_buttons", "Send buttons", Category::Messaging, "Sends a message with up to 3 reply buttons and goes on by the button tapped."),
    entry(NodeType::SendList, "send_list", "Send list", Category::Messaging, "Sends a list of up to 10 choices and goes on by the choice picked."),
    entry(NodeType::SendTemplate, "send_template", "Send template", Category::Messaging, "Sends an approved template, the only kind of message allowed after 24 hours of silence."),
    entry(NodeType::Tag, "tag", "Tag contact", Category::Contact, "Adds or removes tags on the contact."),
    entry(NodeType::UpdateContact, "update_contact", "Update contact", Category::Contact, "Changes the contact's properties, name, marketing consent or locale."),
    entry(NodeType::HttpRequest, "http_request", "HTTP request", Category::Integration, "Calls another system (a CRM, a shop) and keeps parts of its answer."),
    entry(NodeType::AiAgent, "ai_agent", "AI agent", Category::Integration, "Lets an AI model talk with the contact until it is done or asks for a human."),
    entry(NodeType::Handoff, "handoff", "Human handoff", Category::Integration, "Hands the conversation to a team; goes on when an operator closes it."),
];

impl NodeType {
    pub const ALL: [NodeType; 23] = [
        NodeType::InboundMessage,
        NodeType::CtwaReferral,
        NodeType::Webhook,
        NodeType::Event,
        NodeType::Broadcast,
        NodeType::Condition,
        NodeType::Switch,
        NodeType::Split,
        NodeType::Set,
        NodeType::Delay,
        NodeType::WaitForReply,
        NodeType::GotoFlow,
        NodeType::End,
        NodeType::SendText,
        NodeType::SendMedia,
        NodeType::SendButtons,
        NodeType::SendList,
        NodeType::SendTemplate,
        NodeType::Tag,
        NodeType::UpdateContact,
        NodeType::HttpRequest,
        NodeType::AiAgent,
        NodeType::Handoff,
    ];

    fn entry(self) -> &'static Entry {
        // ENTRIES is in the same order as the enum; the test below keeps it so.
        &ENTRIES[self as usize]
    }

    /// The name used in the flow document's `type` field.
    pub fn name(self) -> &'static str {
        self.entry().name
    }

    pub fn label(self) -> &'static str {
        self.entry().label
    }

    pub fn category(self) -> Category {
        self.entry().category
    }

    pub fn description(self) -> &'static str {
        self.entry().description
    }

    pub fn from_name(name: &str) -> Option<NodeType> {
        ENTRIES
            .iter()
            .find(|entry| entry.name == name)
            .map(|entry| entry.node_type)
    }

    /// The known type name closest to a misspelt one, if any is close.
    pub fn closest_name(name: &str) -> Option<&'static str> {
        ENTRIES
            .iter()
            .map(|entry| (strsim::damerau_levenshtein(name, entry.name), entry.name))
            .filter(|(distance, _)| *distance <= 3)
            .min_by_key(|(distance, _)| *distance)
            .map(|(_, name)| name)
    }

    pub fn is_trigger(self) -> bool {
        self.category() == Category::Trigger
    }

    /// Whether the node suspends the run until an inbound message, a timer or an operator.
    /// A loop must pass through one of these, or it would spin without end.
    pub fn waits(self) -> bool {
        matches!(
            self,
            NodeType::Delay
                | NodeType::WaitForReply
                | NodeType::SendButtons
                | NodeType::SendList
                | NodeType::AiAgent
                | NodeType::Handoff
        )
    }

    /// Whether the node sends a free-form (non-template) message, which WhatsApp only
    /// delivers within 24 hours of the contact's last message.
    pub fn sends_free_form(self) -> bool {
        matches!(
            self,
            NodeType::SendText
                | NodeType::SendMedia
                | NodeType::SendButtons
                | NodeType::SendList
                | NodeType::AiAgent
        )
    }

    /// The ports every node of this type has, whatever its configuration.
    pub fn fixed_ports(self) -> Vec<Port> {
        use PortRole::{Error, Main, Optional, Timeout};
        let ports: &[(&str, PortRole)] = match self {
            NodeType::InboundMessage
            | NodeType::CtwaReferral
            | NodeType::Webhook
            | NodeType::Event
            | NodeType::Broadcast => &[("next", Main)],
            NodeType::Condition => &[("true", Main), ("false", Main), ("error", Error)],
            NodeType::Switch => &[("default", Main), ("error", Error)],
            NodeType::Split => &[],
            NodeType::Set | NodeType::Delay => &[("next", Main), ("error", Error)],
            NodeType::WaitForReply => {
                &[("reply", Main), ("invalid", Optional), ("timeout", Timeout)]
            }
            NodeType::GotoFlow => &[("error", Error)],
            NodeType::End => &[],
            NodeType::SendText
            | NodeType::SendMedia
            | NodeType::SendTemplate
            | NodeType::UpdateContact => &[("next", Optional), ("error", Error)],
            NodeType::SendButtons | NodeType::SendList => {
                &[("other", Optional), ("timeout", Timeout), ("error", Error)]
            }
            NodeType::Tag => &[("next", Optional)],
            NodeType::HttpRequest => &[("ok", Main), ("error", Error)],
            NodeType::AiAgent => &[("done", Main), ("handoff", Optional), ("error", Error)],
            NodeType::Handoff => &[("resolved", Optional), ("timeout", Optional)],
        };
        ports
            .iter()
            .map(|(name, role)| Port::fixed(name, *role))
            .collect()
    }
}

impl fmt::Display for NodeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl NodeKind {
    pub fn node_type(&self) -> NodeType {
        match self {
            NodeKind::InboundMessage(_) => NodeType::InboundMessage,
            NodeKind::CtwaReferral(_) => NodeType::CtwaReferral,
            NodeKind::Webhook(_) => NodeType::Webhook,
            NodeKind::Event(_) => NodeType::Event,
            NodeKind::Broadcast(_) => NodeType::Broadcast,
            NodeKind::Condition(_) => NodeType::Condition,
            NodeKind::Switch(_) => NodeType::Switch,
            NodeKind::Split(_) => NodeType::Split,
            NodeKind::Set(_) => NodeType::Set,
            NodeKind::Delay(_) => NodeType::Delay,
            NodeKind::WaitForReply(_) => NodeType::WaitForReply,
            NodeKind::GotoFlow(_) => NodeType::GotoFlow,
            NodeKind::End(_) => NodeType::End,
            NodeKind::SendText(_) => NodeType::SendText,
            NodeKind::SendMedia(_) => NodeType::SendMedia,
            NodeKind::SendButtons(_) => NodeType::SendButtons,
            NodeKind::SendList(_) => NodeType::SendList,
            NodeKind::SendTemplate(_) => NodeType::SendTemplate,
            NodeKind::Tag(_) => NodeType::Tag,
            NodeKind::UpdateContact(_) => NodeType::UpdateContact,
            NodeKind::HttpRequest(_) => NodeType::HttpRequest,
            NodeKind::AiAgent(_) => NodeType::AiAgent,
            NodeKind::Handoff(_) => NodeType::Handoff,
        }
    }

    /// The ports whose names come from the configuration (buttons, list rows, switch cases,
    /// split branches), with the config field that declares each one.
    pub fn configured_ports(&self) -> Vec<(String, String)> {
        match self {
            NodeKind::Switch(switch) => switch
                .cases
                .iter()
                .enumerate()
                .map(|(i, case)| (case.port.clone(), format!("config.cases[{i}].port")))
                .collect(),
            NodeKind::Split(split) => split
                .branches
                .iter()
                .enumerate()
                .map(|(i, branch)| (branch.port.clone(), format!("config.branches[{i}].port")))
                .collect(),
            NodeKind::SendButtons(send) => send
                .buttons
                .iter()
                .enumerate()
                .map(|(i, button)| (button.id.clone(), format!("config.buttons[{i}].id")))
                .collect(),
            NodeKind::SendList(send) => send
                .sections
                .iter()
                .enumerate()
                .flat_map(|(s, section)| {
                    section.rows.iter().enumerate().map(move |(r, row)| {
                        (row.id.clone(), format!("config.sections[{s}].rows[{r}].id"))
                    })
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Every output port of this node, each name once: the configured ones first (in the
    /// editor's order), then the fixed ones. A configured name that is empty, reserved, taken
    /// by a fixed port or by an earlier choice gives no port of its own; validation reports it.
    pub fn ports(&self) -> Vec<Port> {
        let fixed = self.node_type().fixed_ports();
        let mut ports: Vec<Port> = Vec::with_capacity(fixed.len() + 4);
        for (name, _) in self.configured_ports() {
            let taken = name.trim().is_empty()
                || RESERVED_PORT_NAMES.contains(&name.as_str())
                || fixed.iter().any(|port| port.name == name)
                || ports.iter().any(|port| port.name == name);
            if !taken {
                ports.push(Port {
                    name,
                    role: PortRole::Main,
                });
            }
        }
        ports.extend(fixed);
        ports
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_table_follows_the_enum_order() {
        for node_type in NodeType::ALL {
            assert_eq!(node_type.entry().node_type, node_type);
            assert_eq!(NodeType::from_name(node_type.name()), Some(node_type));
        }
        assert_eq!(ENTRIES.len(), NodeType::ALL.len());
    }

    #[test]
    fn type_names_match_the_document_tags() {
        for node_type in NodeType::ALL {
            let tag = serde_json::to_value(node_type).expect("serializes");
            assert_eq!(tag, serde_json::Value::String(node_type.name().to_owned()));
        }
    }

    #[test]
    fn every_type_has_a_catalog_entry_with_a_config_schema() {
        let catalog = catalog();
        assert_eq!(catalog.len(), NodeType::ALL.len());
        for entry in catalog {
            let schema = entry.config_schema.to_string();
            assert!(schema.contains("\"type\""), "{}: {schema}", entry.node_type);
        }
        let send_buttons = config_schema(NodeType::SendButtons).to_string();
        assert!(send_buttons.contains("buttons") && send_buttons.contains("timeout"));
    }

    #[test]
    fn misspelt_type_names_get_a_suggestion() {
        assert_eq!(NodeType::closest_name("send_txt"), Some("send_text"));
        assert_eq!(
            NodeType::closest_name("wait_for_replies"),
            Some("wait_for_reply")
        );
        assert_eq!(NodeType::closest_name("banana_split_sundae"), None);
    }
}

/// The JSON Schema of a node type's `config`: what the editor builds its form from.
pub fn config_schema(node_type: NodeType) -> serde_json::Value {
    use crate::config::*;
    let schema = match node_type {
        NodeType::InboundMessage => schemars::schema_for!(InboundMessage),
        NodeType::CtwaReferral => schemars::schema_for!(CtwaReferral),
        NodeType::Webhook => schemars::schema_for!(Webhook),
        NodeType::Event => schemars::schema_for!(Event),
        NodeType::Broadcast => schemars::schema_for!(Broadcast),
        NodeType::Condition => schemars::schema_for!(Condition),
        NodeType::Switch => schemars::schema_for!(Switch),
        NodeType::Split => schemars::schema_for!(Split),
        NodeType::Set => schemars::schema_for!(Set),
        NodeType::Delay => schemars::schema_for!(Delay),
        NodeType::WaitForReply => schemars::schema_for!(WaitForReply),
        NodeType::GotoFlow => schemars::schema_for!(GotoFlow),
        NodeType::End => schemars::schema_for!(End),
        NodeType::SendText => schemars::schema_for!(SendText),
        NodeType::SendMedia => schemars::schema_for!(SendMedia),
        NodeType::SendButtons => schemars::schema_for!(SendButtons),
        NodeType::SendList => schemars::schema_for!(SendList),
        NodeType::SendTemplate => schemars::schema_for!(SendTemplate),
        NodeType::Tag => schemars::schema_for!(Tag),
        NodeType::UpdateContact => schemars::schema_for!(UpdateContact),
        NodeType::HttpRequest => schemars::schema_for!(HttpRequest),
        NodeType::AiAgent => schemars::schema_for!(AiAgent),
        NodeType::Handoff => schemars::schema_for!(Handoff),
    };
    serde_json::to_value(schema).unwrap_or_default()
}

/// One entry of the editor's palette.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct CatalogEntry {
    #[serde(rename = "type")]
    pub node_type: NodeType,
    pub label: &'static str,
    pub category: Category,
    pub description: &'static str,
    /// Ports every node of this type has; buttons, rows, cases and branches add their own.
    pub ports: Vec<Port>,
    /// Whether the node waits (for the contact, a timer or an operator).
    pub waits: bool,
    /// Whether the node sends a free-form message (only within the 24-hour window).
    pub sends_free_form: bool,
    /// JSON Schema of the node's `config`.
    pub config_schema: serde_json::Value,
}

/// Every node type, for the editor's palette and property forms.
pub fn catalog() -> Vec<CatalogEntry> {
    NodeType::ALL
        .iter()
        .map(|&node_type| CatalogEntry {
            node_type,
            label: node_type.label(),
            category: node_type.category(),
            description: node_type.description(),
            ports: node_type.fixed_ports(),
            waits: node_type.waits(),
            sends_free_form: node_type.sends_free_form(),
            config_schema: config_schema(node_type),
        })
        .collect()
}
