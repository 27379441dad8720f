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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::HOUR;
    use crate::testing::{Journey, NOW, failure_code, next};

    fn with_vars(nodes: serde_json::Value, vars: serde_json::Value) -> Journey {
        let mut journey = Journey::new(nodes, &[]);
        if let serde_json::Value::Object(vars) = vars {
            journey.run.vars = vars;
        }
        journey
    }

    #[test]
    fn a_condition_leaves_through_true_or_false() {
        let nodes = json!([{ "id": "big", "type": "condition", "config": { "expression": "vars.total > 100" } }]);
        assert_eq!(
            with_vars(nodes.clone(), json!({ "total": 250 })).enter("big"),
            next("true")
        );
        assert_eq!(
            with_vars(nodes, json!({ "total": 20 })).enter("big"),
            next("false")
        );
    }

    #[test]
    fn a_condition_that_cannot_be_evaluated_fails_the_step() {
        let nodes = json!([{ "id": "many", "type": "condition", "config": { "expression": "vars.items.len() > 2" } }]);
        let step = with_vars(nodes, json!({ "items": 3 })).enter("many");
        assert_eq!(failure_code(&step), "expression_failed");
    }

    #[test]
    fn a_switch_takes_the_first_case_that_holds_else_default() {
        let nodes = json!([{ "id": "tier", "type": "switch", "config": { "cases": [
            { "port": "gold", "when": "vars.spent >= 1000" },
            { "port": "silver", "when": "vars.spent >= 100" },
        ] } }]);
        assert_eq!(
            with_vars(nodes.clone(), json!({ "spent": 5000 })).enter("tier"),
            next("gold")
        );
        assert_eq!(
            with_vars(nodes.clone(), json!({ "spent": 150 })).enter("tier"),
            next("silver")
        );
        assert_eq!(
            with_vars(nodes, json!({ "spent": 5 })).enter("tier"),
            next("default")
        );
    }

    #[test]
    fn a_split_sends_a_contact_the_same_way_every_time_and_never_down_a_zero_branch() {
        let nodes = json!([{ "id": "ab", "type": "split", "config": { "branches": [
            { "port": "a", "weight": 50 }, { "port": "b", "weight": 50 }, { "port": "never", "weight": 0 },
        ] } }]);
        let mut seen = std::collections::BTreeSet::new();
        for contact in 0..40 {
            let mut journey = Journey::new(nodes.clone(), &[]);
            journey.contact.id = format!("wa:3519100000{contact:02}");
            let first = journey.enter("ab");
            assert_eq!(
                journey.enter("ab"),
                first,
                "the same contact changed branch"
            );
            let Step::Next(port) = first else {
                panic!("a split always goes on: {first:?}");
            };
            seen.insert(port);
        }
        assert_eq!(seen, ["a".to_owned(), "b".to_owned()].into());
    }

    #[test]
    fn set_stores_values_in_order_so_later_ones_see_earlier_ones() {
        let mut journey = Journey::new(
            json!([{ "id": "remember", "type": "set", "config": { "assignments": [
                { "variable": "price", "value": { "value": 40 } },
                { "variable": "total", "value": { "expr": "vars.price * 2" } },
            ] } }]),
            &[],
        );
        assert_eq!(journey.enter("remember"), next("next"));
        assert_eq!(journey.run.vars["price"], 40);
        assert_eq!(journey.run.vars["total"], 80);
    }

    #[test]
    fn a_delay_waits_on_a_timer_until_its_time() {
        let mut journey = Journey::new(
            json!([{ "id": "later", "type": "delay", "config": { "for": "2h" } }]),
            &[],
        );
        assert_eq!(
            journey.enter("later"),
            Step::Wait {
                kind: WaitKind::Timer,
                deadline: Some(NOW + 2 * HOUR)
            }
        );
    }

    #[test]
    fn a_delay_until_a_past_time_goes_straight_on_and_a_non_time_fails() {
        let until = |expression: &str| {
            Journey::new(
                json!([{ "id": "later", "type": "delay", "config": { "until": expression } }]),
                &[],
            )
        };
        assert_eq!(until("now - 60").enter("later"), next("next"));
        assert_eq!(
            until("now + 3600").enter("later"),
            Step::Wait {
                kind: WaitKind::Timer,
                deadline: Some(NOW + HOUR)
            }
        );
        assert_eq!(
            failure_code(&until("\"tomorrow\"").enter("later")),
            "invalid_time"
        );
    }
}
