//! Contact nodes: tag, update_contact.

use spool_flows::config::{Tag, UpdateContact};
use spool_flows::fields;
use spool_flows::values::Input;

use crate::{Ctx, Failure, Step};

pub(crate) fn tag(ctx: &mut Ctx<'_>, tag: &Tag) -> Step {
    for name in &tag.add {
        ctx.contact.tags.insert(name.clone());
    }
    for name in &tag.remove {
        ctx.contact.tags.remove(name);
    }
    ctx.inputs.set_contact(ctx.contact);
    Step::Next("next".into())
}

pub(crate) fn update(ctx: &mut Ctx<'_>, update: &UpdateContact) -> Result<Step, Failure> {
    for (name, value) in &update.properties {
        let value = match value {
            Input::Value(value) => value.clone(),
            Input::Expr(_) => ctx.eval_json(&fields::property(name))?,
        };
        ctx.contact.properties.insert(name.clone(), value);
    }
    if let Some(name) = ctx.render(&fields::NAME)? {
        ctx.contact.name = Some(name);
    }
    match update.marketing_opt_in {
        Some(true) if ctx.contact.marketing_opt_in_at.is_none() => {
            ctx.contact.marketing_opt_in_at = Some(ctx.now)
        }
        Some(false) => ctx.contact.marketing_opt_in_at = None,
        _ => {}
    }
    ctx.inputs.set_contact(ctx.contact);
    Ok(Step::Next("next".into()))
}
