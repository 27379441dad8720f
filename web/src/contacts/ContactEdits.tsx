// The contact's editable facts: its name, tags, properties and Marketing consent. Each edit
// is one PATCH; the page says when the change is sent and when it shows. People whose role
// cannot change contacts read the same facts, with the reason instead of the controls.

import { useState, type FormEvent } from "react";
import type { Contact, ContactChange } from "./types";
import { typedValue, valueWords, when } from "./words";

/** Sends one change: `words` say it for people, `applied` tells when the contact shows it. */
export type Send = (change: ContactChange, words: string, applied: (c: Contact) => boolean) => void;

interface Props {
  contact: Contact;
  /** Why this person cannot change the contact; undefined when they can. */
  readOnly?: string;
  busy: boolean;
  send: Send;
}

export function NameEdit({ contact, readOnly, busy, send }: Props) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(contact.name ?? "");
  if (!editing) {
    return (
      <p className="contact-name-line">
        <span>{contact.name ?? <span className="muted">No name known</span>}</span>
        {!readOnly && (
          <button
            type="button"
            className="button small quiet"
            onClick={() => (setName(contact.name ?? ""), setEditing(true))}
          >
            Change name
          </button>
        )}
      </p>
    );
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const next = name.trim();
    if (next === "" || next === contact.name) return setEditing(false);
    send({ name: next }, `name “${next}”`, (c) => c.name === next);
    setEditing(false);
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} autoFocus />
      </label>
      <button type="submit" className="button small primary" disabled={busy}>
        Save name
      </button>
      <button type="button" className="button small" onClick={() => setEditing(false)}>
        Cancel
      </button>
    </form>
  );
}

export function TagsEdit({ contact, readOnly, busy, send }: Props) {
  const [tag, setTag] = useState("");
  const add = (e: FormEvent) => {
    e.preventDefault();
    const next = tag.trim();
    if (next === "") return;
    if (contact.tags.includes(next)) return setTag("");
    send({ add_tags: [next] }, `tag “${next}” added`, (c) => c.tags.includes(next));
    setTag("");
  };
  return (
    <>
      {contact.tags.length === 0 ? (
        <p className="muted">No tags.</p>
      ) : (
        <ul className="tag-list" aria-label="Tags">
          {contact.tags.map((t) => (
            <li key={t} className="tag">
              <span>{t}</span>
              {!readOnly && (
                <button
                  type="button"
                  className="tag-remove"
                  aria-label={`Remove tag ${t}`}
                  title={`Remove tag ${t}`}
                  disabled={busy}
                  onClick={() =>
                    send({ remove_tags: [t] }, `tag “${t}” removed`, (c) => !c.tags.includes(t))
                  }
                >
                  ×
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {!readOnly && (
        <form className="inline-form" onSubmit={add}>
          <label>
            New tag
            <input value={tag} onChange={(e) => setTag(e.target.value)} maxLength={64} />
          </label>
          <button type="submit" className="button small" disabled={busy || tag.trim() === ""}>
            Add tag
          </button>
        </form>
      )}
      {!readOnly && (
        <p className="muted contact-hint">
          Adding a tag starts the journeys that listen for it (a “tag added” trigger).
        </p>
      )}
    </>
  );
}

export function PropertiesEdit({ contact, readOnly, busy, send }: Props) {
  const [key, setKey] = useState("");
  const [value, setValue] = useState("");
  const entries = Object.entries(contact.properties);
  const save = (e: FormEvent) => {
    e.preventDefault();
    const name = key.trim();
    if (name === "") return;
    const typed = typedValue(value);
    const same = JSON.stringify(typed);
    send(
      { properties: { [name]: typed } },
      `property “${name}” set to ${valueWords(typed)}`,
      (c) => JSON.stringify(c.properties[name]) === same,
    );
    setKey("");
    setValue("");
  };
  return (
    <>
      {entries.length === 0 ? (
        <p className="muted">No properties.</p>
      ) : (
        <table className="contact-table">
          <thead>
            <tr>
              <th scope="col">Property</th>
              <th scope="col">Value</th>
              {!readOnly && (
                <th scope="col">
                  <span className="visually-hidden">Change</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {entries.map(([name, v]) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td>{valueWords(v)}</td>
                {!readOnly && (
                  <td>
                    <button
                      type="button"
                      className="button small quiet"
                      aria-label={`Change ${name}`}
                      onClick={() => (setKey(name), setValue(valueWords(v)))}
                    >
                      Change
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {!readOnly && (
        <form className="inline-form" onSubmit={save}>
          <label>
            Property
            <input value={key} onChange={(e) => setKey(e.target.value)} maxLength={64} />
          </label>
          <label>
            Value
            <input value={value} onChange={(e) => setValue(e.target.value)} />
          </label>
          <button type="submit" className="button small" disabled={busy || key.trim() === ""}>
            Set property
          </button>
        </form>
      )}
      {!readOnly && (
        <p className="muted contact-hint">
          Numbers, true and false are kept as such; anything else as text.
        </p>
      )}
    </>
  );
}

export function ConsentEdit({ contact, readOnly, busy, send }: Props) {
  const given = contact.marketing_opt_in;
  return (
    <>
      <p>
        <strong>
          {given ? "✓ Agreed to Marketing messages" : "✗ No consent to Marketing messages"}
        </strong>
        {given && contact.marketing_opt_in_at && <> since {when(contact.marketing_opt_in_at)}</>}
      </p>
      {!readOnly && (
        <button
          type="button"
          className="button small"
          disabled={busy}
          onClick={() =>
            send(
              { marketing_opt_in: !given },
              given ? "Marketing consent withdrawn" : "Marketing consent recorded",
              (c) => c.marketing_opt_in === !given,
            )
          }
        >
          {given ? "Withdraw consent" : "Record consent"}
        </button>
      )}
      {!readOnly && !given && (
        <p className="muted contact-hint">
          Record consent only when the contact agreed to Marketing messages.
        </p>
      )}
    </>
  );
}
