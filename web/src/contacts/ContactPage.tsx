// A contact's page: who they are (name, number, language), their tags and properties, their
// Marketing consent, whether the 24-hour window is open, the ad that brought them, and their
// journeys in progress and finished. Editors change the profile; admins may erase it all.

import { useState } from "react";
import { ApiFailure, messageOf } from "../api/errors";
import { useCatalog } from "../canvas/Canvas";
import { useFlowList } from "../flows/api";
import { useTitle } from "../lib/title";
import { roleIn, useSession } from "../session/store";
import { Dialog, ErrorNote } from "../ui/Dialog";
import { useContact, useContactActions } from "./api";
import { ConsentEdit, NameEdit, PropertiesEdit, TagsEdit, type Send } from "./ContactEdits";
import { AppLink, runPath, useSearches } from "./links";
import { usePendingChange, useSettles, type PendingChange } from "./pending";
import type { Contact, ContactRun } from "./types";
import { statusWords, touchWords, versionWords, waitWords, when, whereWords } from "./words";
import "./contacts.css";

interface Props {
  workspace: string;
  /** The number as the address has it: digits, with or without `+`. */
  phone: string;
}

export function shownNumber(phone: string): string {
  return phone.startsWith("+") ? phone : `+${phone}`;
}

export function ContactPage({ workspace, phone }: Props) {
  const role = useSession((s) => roleIn(s.session, workspace));
  // Erased in this look-up; a new search for the number reads it again.
  const searches = useSearches((s) => s.count);
  const [erasedAt, setErasedAt] = useState<number | null>(null);
  const erased = erasedAt === searches;
  const pending = usePendingChange<Contact>();
  const contact = useContact(workspace, phone, {
    poll: pending.waiting,
    lookup: searches,
    enabled: !erased,
  });
  useSettles(pending, contact.data);
  useTitle(contact.data?.name ?? shownNumber(phone));

  if (erased) {
    return (
      <main className="page contact-page">
        <BackToFlows />
        <h1>Contact erased</h1>
        <p role="status">
          Nothing about {shownNumber(phone)} is kept any more: profile, runs and timers are gone. If
          this person writes again, they start as a new contact.
        </p>
      </main>
    );
  }
  if (contact.isLoading) return <p className="loading">Loading the contact…</p>;
  if (contact.error || !contact.data) {
    const missing = contact.error instanceof ApiFailure && contact.error.status === 404;
    return (
      <main className="page contact-page">
        <BackToFlows />
        <h1>{shownNumber(phone)}</h1>
        {missing ? (
          <p className="contact-empty" role="status">
            No contact with this number. Spool has not met {shownNumber(phone)} in this workspace
            (or the contact was erased). Check the number and its country code.
          </p>
        ) : (
          <ErrorNote error={`This contact could not be read. ${messageOf(contact.error)}`} />
        )}
      </main>
    );
  }
  return (
    <ContactView
      workspace={workspace}
      contact={contact.data}
      role={role}
      pending={pending}
      onErased={() => setErasedAt(searches)}
    />
  );
}

function BackToFlows() {
  return (
    <p className="contact-back">
      <AppLink to="/">← All flows</AppLink>
    </p>
  );
}

interface ViewProps {
  workspace: string;
  contact: Contact;
  role: string | undefined;
  pending: PendingChange<Contact>;
  onErased: () => void;
}

export function ContactView({ workspace, contact, role, pending, onErased }: ViewProps) {
  const digits = contact.wa_id;
  const actions = useContactActions(workspace, digits);
  const [error, setError] = useState<string | null>(null);
  const [erasing, setErasing] = useState(false);
  const canEdit = role === "editor" || role === "admin";
  const readOnly = canEdit
    ? undefined
    : "Your role in this workspace (viewer) lets you see contacts, not change them.";

  const send: Send = (change, words, applied) => {
    setError(null);
    actions.change.mutate(change, {
      onSuccess: () => pending.start(words, applied),
      onError: (failure) => setError(messageOf(failure)),
    });
  };
  const editProps = { contact, readOnly, busy: actions.change.isPending || pending.waiting, send };

  return (
    <main className="page contact-page">
      <BackToFlows />
      <div className="page-head">
        <div>
          <h1>{contact.name ?? contact.phone}</h1>
          <p className="muted">
            Contact {contact.phone}
            {contact.last_inbound_at
              ? ` · last wrote ${when(contact.last_inbound_at)}`
              : " · has not written yet"}
          </p>
        </div>
      </div>
      {readOnly && <p className="notice">{readOnly}</p>}
      {pending.message && (
        <p className="notice" role="status">
          {pending.message}
        </p>
      )}
      <ErrorNote error={error} />

      <div className="contact-grid">
        <section className="card contact-card" aria-labelledby="contact-profile">
          <h2 id="contact-profile">Profile</h2>
          <NameEdit {...editProps} />
          <dl className="contact-facts">
            <dt>WhatsApp number</dt>
            <dd>{contact.phone}</dd>
            <dt>Language</dt>
            <dd>{contact.locale ?? <span className="muted">Not known</span>}</dd>
            <dt>Time zone</dt>
            <dd>{contact.timezone ?? <span className="muted">Not known</span>}</dd>
          </dl>
        </section>

        <section className="card contact-card" aria-labelledby="contact-window">
          <h2 id="contact-window">24-hour window</h2>
          <WindowWords contact={contact} />
          <h2 id="contact-consent" className="contact-subhead">
            Marketing consent
          </h2>
          <ConsentEdit {...editProps} />
        </section>

        <section className="card contact-card" aria-labelledby="contact-tags">
          <h2 id="contact-tags">Tags</h2>
          <TagsEdit {...editProps} />
        </section>

        <section className="card contact-card" aria-labelledby="contact-properties">
          <h2 id="contact-properties">Properties</h2>
          <PropertiesEdit {...editProps} />
        </section>

        {(contact.first_touch || contact.last_touch) && (
          <section className="card contact-card" aria-labelledby="contact-ads">
            <h2 id="contact-ads">Came from an ad</h2>
            <dl className="contact-facts">
              {contact.first_touch && (
                <>
                  <dt>First ad</dt>
                  <dd>{touchWords(contact.first_touch)}</dd>
                </>
              )}
              {contact.last_touch && (
                <>
                  <dt>Latest ad</dt>
                  <dd>{touchWords(contact.last_touch)}</dd>
                </>
              )}
              {contact.free_entry_until && (
                <>
                  <dt>Free entry point</dt>
                  <dd>
                    Messages free of charge until {when(contact.free_entry_until)} (72 hours after
                    the ad)
                  </dd>
                </>
              )}
            </dl>
          </section>
        )}
      </div>

      <RunsSection
        workspace={workspace}
        digits={digits}
        title="Journeys in progress"
        runs={contact.runs}
        empty="No journey in progress."
      />
      <RunsSection
        workspace={workspace}
        digits={digits}
        title="Finished journeys"
        runs={contact.finished_runs}
        empty="No finished journey kept."
      />
      {contact.queued.length > 0 && (
        <section className="contact-section" aria-labelledby="contact-queued">
          <h2 id="contact-queued">Waiting to start</h2>
          <p>
            These journeys start when the current conversation ends: {contact.queued.join(", ")}.
          </p>
        </section>
      )}

      <section className="contact-section contact-danger" aria-labelledby="contact-erase">
        <h2 id="contact-erase">Erase this contact</h2>
        <p className="muted">
          Deletes everything Spool keeps about {contact.phone}, for good (for a GDPR erasure
          request).
        </p>
        <button
          type="button"
          className="button danger"
          disabled={role !== "admin"}
          onClick={() => setErasing(true)}
        >
          Erase contact…
        </button>
        {role !== "admin" && (
          <p className="muted contact-hint">Only an admin of this workspace can erase a contact.</p>
        )}
      </section>

      {erasing && (
        <EraseDialog
          contact={contact}
          busy={actions.erase.isPending}
          error={actions.erase.error ? messageOf(actions.erase.error) : null}
          onCancel={() => (actions.erase.reset(), setErasing(false))}
          onErase={() => actions.erase.mutate(undefined, { onSuccess: onErased })}
        />
      )}
    </main>
  );
}

function WindowWords({ contact }: { contact: Contact }) {
  const { open, closes_at } = contact.window;
  if (open) {
    return (
      <p>
        <strong>Open</strong> until {when(closes_at)}: any message may be sent until then.
      </p>
    );
  }
  return (
    <p>
      <strong>Closed</strong>
      {closes_at ? ` since ${when(closes_at)}` : " (the contact has not written yet)"}: only
      approved templates reach the contact until they write again.
    </p>
  );
}

function RunsSection({
  workspace,
  digits,
  title,
  runs,
  empty,
}: {
  workspace: string;
  digits: string;
  title: string;
  runs: ContactRun[];
  empty: string;
}) {
  const catalog = useCatalog();
  const flows = useFlowList(workspace);
  const typeLabel = (type: string) => catalog.data?.find((e) => e.type === type)?.label ?? type;
  const flowName = (id: string) => flows.data?.find((f) => f.id === id)?.name ?? id;
  const id = `runs-${title.replaceAll(" ", "-").toLowerCase()}`;
  return (
    <section className="contact-section" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {runs.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <table className="contact-table runs-table">
          <thead>
            <tr>
              <th scope="col">Journey</th>
              <th scope="col">Status</th>
              <th scope="col">Where</th>
              <th scope="col">Started</th>
              <th scope="col">
                <span className="visually-hidden">Open</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <tr key={run.id}>
                <td>
                  {flowName(run.flow_id)} <span className="muted">({versionWords(run)})</span>
                </td>
                <td>
                  {statusWords(run.status)}
                  {run.reason && <span className="muted"> — {run.reason}</span>}
                </td>
                <td>
                  {whereWords(run, typeLabel)}
                  {run.waiting && <div className="muted">{waitWords(run.waiting)}</div>}
                </td>
                <td>{when(run.started_at)}</td>
                <td>
                  <AppLink
                    to={runPath(digits, run.id)}
                    aria-label={`Open the run of ${flowName(run.flow_id)} started ${when(run.started_at)}`}
                  >
                    Open run
                  </AppLink>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function EraseDialog({
  contact,
  busy,
  error,
  onCancel,
  onErase,
}: {
  contact: Contact;
  busy: boolean;
  error: string | null;
  onCancel: () => void;
  onErase: () => void;
}) {
  const active = contact.runs.length;
  const finished = contact.finished_runs.length;
  return (
    <Dialog title={`Erase ${contact.name ?? contact.phone}?`} onClose={onCancel}>
      <p>This deletes at once, for good:</p>
      <ul className="erase-list">
        <li>the profile: name, tags, properties, language, time zone and Marketing consent;</li>
        <li>
          its journeys ({active} in progress, {finished} finished) and their timers;
        </li>
        <li>messages from the contact not handled yet, and messages to it not sent yet;</li>
        <li>the identifiers linked to the contact: the number {contact.phone} and any BSUID.</li>
      </ul>
      <p>
        It cannot be undone. If this person writes again, they start as a new contact. The audit log
        records that a contact was erased, under a pseudonym, never the number.
      </p>
      <ErrorNote error={error} />
      <div className="actions">
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="button danger-solid" disabled={busy} onClick={onErase}>
          {busy ? "Erasing…" : "Erase for good"}
        </button>
      </div>
    </Dialog>
  );
}
