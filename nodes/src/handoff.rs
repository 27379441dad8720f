//! The handoff node: the run waits for a person. What the person needs to pick it up — the
//! team and the node's note, filled in with what the journey knows — is kept in the run's
//! scratch while it waits, so the runtime can tell the inbox (and events out) at once.

use serde_json::json;
use spool_flows::config::Handoff;
use spool_flows::fields;

use crate::model::{Millis, SECOND, WaitKind};
use crate::{Ctx, Step};

/// The key of the run's scratch that holds the handoff while the run waits.
pub const SCRATCH_KEY: &str = "handoff";

pub(crate) fn enter(ctx: &mut Ctx<'_>, handoff: &Handoff) -> Step {
    // A note that cannot be filled in must not keep the contact from a person: the person
    // gets the reason instead.
    let note = match ctx.render(&fields::NOTE) {
        Ok(note) => note,
        Err(failure) => Some(format!(
            "(The note could not be filled in: {})",
            failure.message
        )),
    };
    ctx.run.scratch = json!({ SCRATCH_KEY: { "team": handoff.team, "note": note } });
    Step::Wait {
        kind: WaitKind::Handoff,
        deadline: handoff
            .timeout
            .map(|timeout| ctx.now + timeout.as_secs() as Millis * SECOND),
    }
}

/// The person closed the conversation (`resolved`), or no one did in time (`timeout`).
pub(crate) fn leave(ctx: &mut Ctx<'_>, port: &str) -> Step {
    ctx.run.scratch = serde_json::Value::Null;
    Step::Next(port.into())
}
