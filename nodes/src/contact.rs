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
    // `pt-BR` as WhatsApp spells it; an empty value (an unknown answer) leaves it as it was.
    if let Some(locale) = ctx.render(&fields::LOCALE)?
        && !locale.trim().is_empty()
    {
        ctx.contact.locale = Some(crate::templates::normalise_language(&locale));
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::model::DAY;
    use crate::testing::{Journey, NOW, next};

    #[test]
    fn tag_adds_and_removes_tags_and_later_expressions_see_them() {
        let mut journey = Journey::new(
            json!([
                { "id": "vip", "type": "tag", "config": { "add": ["vip", "buyer"], "remove": ["lead"] } },
                { "id": "check", "type": "condition", "config": { "expression": "contact.tags.contains(\"vip\")" } },
            ]),
            &[("vip", "next", "check")],
        );
        journey.contact.tags.insert("lead".into());
        assert_eq!(journey.enter("vip"), next("next"));
        assert_eq!(
            journey
                .contact
                .tags
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            vec!["buyer", "vip"]
        );
        assert_eq!(journey.enter("check"), next("true"));
    }

    #[test]
    fn update_sets_properties_name_and_opt_in() {
        let mut journey = Journey::new(
            json!([{ "id": "profile", "type": "update_contact", "config": {
                "properties": { "city": { "value": "Lisbon" }, "budget": { "expr": "vars.budget * 2" } },
                "name": "{{ vars.first }} Silva",
                "marketing_opt_in": true,
            } }]),
            &[],
        );
        journey.run.vars.insert("budget".into(), json!(400));
        journey.run.vars.insert("first".into(), json!("Ana"));
        assert_eq!(journey.enter("profile"), next("next"));
        assert_eq!(journey.contact.properties["city"], "Lisbon");
        assert_eq!(journey.contact.properties["budget"], 800);
        assert_eq!(journey.contact.name.as_deref(), Some("Ana Silva"));
        assert_eq!(journey.contact.marketing_opt_in_at, Some(NOW));
    }

    #[test]
    fn update_sets_the_locale_as_whatsapp_spells_it_and_later_expressions_see_it() {
        let mut journey = Journey::new(
            json!([
                { "id": "language", "type": "update_contact", "config": { "locale": "{{ vars.answer }}" } },
                { "id": "check", "type": "condition", "config": { "expression": "contact.locale == \"pt_BR\"" } },
            ]),
            &[("language", "next", "check")],
        );
        journey.run.vars.insert("answer".into(), json!("pt-BR"));
        assert_eq!(journey.enter("language"), next("next"));
        assert_eq!(journey.contact.locale.as_deref(), Some("pt_BR"));
        assert_eq!(journey.enter("check"), next("true"));
    }

    #[test]
    fn an_opt_in_keeps_its_first_date_and_an_opt_out_clears_it() {
        let opt_in = |value: bool| {
            Journey::new(
                json!([{ "id": "consent", "type": "update_contact", "config": { "marketing_opt_in": value } }]),
                &[],
            )
        };
        let mut journey = opt_in(true);
        journey.contact.marketing_opt_in_at = Some(NOW - 10 * DAY);
        journey.enter("consent");
        assert_eq!(journey.contact.marketing_opt_in_at, Some(NOW - 10 * DAY));

        let mut journey = opt_in(false);
        journey.contact.marketing_opt_in_at = Some(NOW - 10 * DAY);
        assert_eq!(journey.enter("consent"), next("next"));
        assert_eq!(journey.contact.marketing_opt_in_at, None);
    }
}
