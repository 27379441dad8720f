//! A message a person writes to the contact from the inbox. It goes through the outbox like a
//! journey's (the channel's limits, statuses, the conversation history) and obeys the same
//! WhatsApp rules, judged when it is applied, not when it was typed: free-form only inside
//! the 24-hour window, Marketing templates only with an opt-in and within the cap. A message
//! the rules refuse is not sent and a `message.refused` notice says why.
//!
//! It belongs to no run (`run_id` is [`OPERATOR_RUN`]), so its statuses never move the run
//! in the handoff: a failed operator message must not send the journey out of `error`.

use spool_flows::config::TemplateCategory;
use spool_nodes::{Failure, Millis, Outbound, OutboundBody};

use super::{Engine, Transition, notices};
use crate::state::ContactState;

/// The `run_id` of messages written in the inbox (runs are `r1`, `r2`…, never this).
pub const OPERATOR_RUN: &str = "op";
/// The `node_id` of messages written in the inbox.
pub const OPERATOR_NODE: &str = "inbox";

impl Engine {
    pub(super) fn operator_message(
        &self,
        state: &mut ContactState,
        key: &str,
        author: &str,
        body: &OutboundBody,
        now: Millis,
        tx: &mut Transition,
    ) {
        if let Err(reason) = self.allowed(state, body, now) {
            tx.notices.push(notices::refused_notice(
                state, key, author, body, &reason, now,
            ));
            return;
        }
        let contact = &mut state.contact;
        if matches!(
            body,
            OutboundBody::Template {
                category: TemplateCategory::Marketing,
                ..
            }
        ) {
            contact.marketing_sent_at.push(now);
        }
        tx.outbox.push(Outbound {
            key: key.to_owned(),
            contact_id: contact.id.clone(),
            to: contact.phone.clone(),
            to_user_id: if contact.phone.is_empty() {
                contact.bsuid.clone()
            } else {
                None
            },
            channel: contact.channel.clone(),
            run_id: OPERATOR_RUN.to_owned(),
            node_id: OPERATOR_NODE.to_owned(),
            body: body.clone(),
            window_closed: !contact.window_open(now),
            author: Some(author.to_owned()),
        });
    }

    /// Whether WhatsApp's rules let `body` go to the contact now.
    fn allowed(
        &self,
        state: &mut ContactState,
        body: &OutboundBody,
        now: Millis,
    ) -> Result<(), Failure> {
        let contact = &mut state.contact;
        let OutboundBody::Template { category, .. } = body else {
            if contact.window_open(now) {
                return Ok(());
            }
            return Err(Failure::new(
                "window_closed",
                "more than 24 hours since the contact last wrote: only templates can be sent",
            ));
        };
        if *category != TemplateCategory::Marketing {
            return Ok(());
        }
        if !contact.opted_in() {
            return Err(Failure::new(
                "no_opt_in",
                "the contact has not agreed to Marketing messages",
            ));
        }
        let policy = &self.config.policy;
        let since = now - policy.marketing_cap_window;
        contact.marketing_sent_at.retain(|at| *at > since);
        if contact.marketing_sent_at.len() >= policy.marketing_cap as usize {
            return Err(Failure::new(
                "marketing_cap_reached",
                format!(
                    "the contact already had {} Marketing message(s) in the cap's window",
                    contact.marketing_sent_at.len()
                ),
            ));
        }
        Ok(())
    }
}
