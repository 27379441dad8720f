//! Logic nodes: condition, switch, split, set, delay.

use sha2::{Digest, Sha256};
use spool_flows::config::{Delay, Set, Split, Switch};
use spool_flows::fields;
use spool_flows::values::Input;

use crate::model::{Millis, SECOND, WaitKind};
use crate::{Ctx, Failure, Step};

pub(crate) fn condition(ctx: &mut Ctx<'_>) -> Result<Step, Failure> {
    let holds = ctx.eval_bool(&fields::EXPRESSION)?;
    Ok(Step::Next(if holds { "true" } else { "false" }.into()))
}

pub(crate) fn switch(ctx: &mut Ctx<'_>, switch: &Switch) -> Result<Step, Failure> {
    for (i, case) in switch.cases.iter().enumerate() {
        if ctx.eval_bool(&fields::case_when(i))? {
            return Ok(Step::Next(case.port.clone()));
        }
    }
    Ok(Step::Next("default".into()))
}

/// The same contact always lands in the same branch of the same split node.
pub(crate) fn split(ctx: &mut Ctx<'_>, split: &Split) -> Step {
    let total: u64 = split
        .branches
        .iter()
        .map(|branch| u64::from(branch.weight))
        .sum();
    let digest = Sha256::new()
        .chain_update(ctx.contact.id.as_bytes())
        .chain_update([0])
        .chain_update(ctx.flow.flow().id.as_bytes())
        .chain_update([0])
        .chain_update(ctx.node_id().as_bytes())
        .finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    let mut point = u64::from_be_bytes(bytes) % total.max(1);
    for branch in &split.branches {
        let weight = u64::from(branch.weight);
        if point < weight {
            return Step::Next(branch.port.clone());
        }
        point -= weight;
    }
    Step::Next(
        split
            .branches
            .last()
            .map(|branch| branch.port.clone())
            .unwrap_or_default(),
    )
}

pub(crate) fn set(ctx: &mut Ctx<'_>, set: &Set) -> Result<Step, Failure> {
    for (i, assignment) in set.assignments.iter().enumerate() {
        let value = match &assignment.value {
            Input::Value(value) => value.clone(),
            Input::Expr(_) => ctx.eval_json(&fields::assignment_value(i))?,
        };
        // Later assignments see earlier ones, as a person reading the list top-down expects.
        ctx.set_var(&assignment.variable, value);
    }
    Ok(Step::Next("next".into()))
}

pub(crate) fn delay(ctx: &mut Ctx<'_>, delay: &Delay) -> Result<Step, Failure> {
    let deadline: Millis = match (&delay.duration, &delay.until) {
        (Some(duration), _) => ctx.now + duration.as_secs() as Millis * SECOND,
        (None, Some(_)) => {
            let until = ctx.eval_json(&fields::UNTIL)?;
            let seconds = until.as_f64().ok_or_else(|| {
                Failure::new(
                    "invalid_time",
                    format!("`until` gave {until}, not a time in seconds"),
                )
            })?;
            (seconds * SECOND as f64) as Millis
        }
        (None, None) => ctx.now,
    };
    if deadline <= ctx.now {
        return Ok(Step::Next("next".into()));
    }
    Ok(Step::Wait {
        kind: WaitKind::Timer,
        deadline: Some(deadline),
    })
}
