// Every contact of the workspace: a table with search, quick filters (tag, consent, when
// they last wrote), more conditions, four orders and "Load more"; rows can be tagged or
// untagged in bulk, the whole match too; the filters export as CSV or save as a segment.

import { useInfiniteQuery } from "@tanstack/react-query";
import { useEffect, useId, useMemo, useState, type FormEvent } from "react";
import { messageOf } from "../api/errors";
import { AppLink, contactPath } from "../contacts/links";
import { navigate } from "../lib/router";
import { useTitle } from "../lib/title";
import { Dialog, ErrorNote } from "../ui/Dialog";
import {
  directoryKey,
  exportHref,
  searchPage,
  useBulk,
  usePreview,
  useSeenTags,
  useSegmentActions,
  type BulkTags,
} from "./api";
import { blankDraft, checkAll, exportParams, sentence, type Draft } from "./conditions";
import { ConditionEditor } from "./ConditionEditor";
import { useSettled } from "./settle";
import type { Audience, Condition, DirectoryEntry, Sort } from "./types";
import { ago, contactsWord, number } from "./words";
import "./audience.css";

const SORTS: { sort: Sort; label: string }[] = [
  { sort: "last_inbound", label: "Last message first" },
  { sort: "name", label: "Name (A to Z)" },
  { sort: "created", label: "Newest contacts first" },
  { sort: "phone", label: "Number" },
];

const WROTE: { days: string; label: string }[] = [
  { days: "", label: "Any time" },
  { days: "1", label: "In the last 24 hours" },
  { days: "7", label: "In the last 7 days" },
  { days: "30", label: "In the last 30 days" },
  { days: "90", label: "In the last 90 days" },
];

interface Quick {
  q: string;
  tag: string;
  consent: "" | "given" | "none";
  wrote: string;
}

const NO_FILTERS: Quick = { q: "", tag: "", consent: "", wrote: "" };

/** The quick filters and the complete extra conditions, as one audience. */
export function audienceOf(quick: Quick, extra: readonly Condition[]): Audience {
  const all: Condition[] = [];
  if (quick.q.trim() !== "") all.push({ kind: "search", text: quick.q.trim() });
  if (quick.tag !== "") all.push({ kind: "tag", tag: quick.tag });
  if (quick.consent !== "")
    all.push({ kind: "marketing_consent", given: quick.consent === "given" });
  if (quick.wrote !== "") all.push({ kind: "wrote_within", days: Number(quick.wrote) });
  return { all: [...all, ...extra] };
}

function digitsOf(phone: string): string {
  return phone.replace(/^\+/, "");
}

function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

type TagTarget = { phones: string[] } | { audience: Audience; count: number };

export function ContactsPage({ workspace }: { workspace: string }) {
  useTitle("Contacts");
  const now = useNow();
  const [quick, setQuick] = useState<Quick>(NO_FILTERS);
  const [drafts, setDrafts] = useState<Draft[]>([]);
  const [moreOpen, setMoreOpen] = useState(false);
  const [sort, setSort] = useState<Sort>("last_inbound");
  const [tagging, setTagging] = useState<{ mode: "add" | "remove"; target: TagTarget } | null>(
    null,
  );
  const [savingSegment, setSavingSegment] = useState(false);
  const [done, setDone] = useState<string | null>(null);

  const checked = useMemo(() => checkAll(drafts), [drafts]);
  const audience = useSettled(audienceOf(quick, checked.conditions));
  const filtered = audience.all.length > 0;
  const seenTags = useSeenTags(workspace).data ?? [];
  const tags = quick.tag && !seenTags.includes(quick.tag) ? [...seenTags, quick.tag] : seenTags;

  const list = useInfiniteQuery({
    queryKey: [...directoryKey(workspace), "list", audience, sort],
    queryFn: ({ pageParam }) => searchPage(workspace, audience, sort, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor ?? null,
  });
  const total = usePreview(workspace, audience);
  const contacts = useMemo(() => list.data?.pages.flatMap((p) => p.contacts) ?? [], [list.data]);
  const shownPhones = contacts.flatMap((c) => (c.phone ? [c.phone] : []));
  const count = total.data?.count;

  // A new filter shows other rows: only the selected rows still shown count.
  const [chosen, setSelected] = useState<Set<string>>(new Set());
  const selected = new Set(shownPhones.filter((p) => chosen.has(p)));

  const { params, left } = exportParams(audience.all);
  const toggle = (phone: string) =>
    setSelected(() => {
      const next = new Set(selected);
      if (next.has(phone)) next.delete(phone);
      else next.add(phone);
      return next;
    });
  const allShownSelected = shownPhones.length > 0 && shownPhones.every((p) => selected.has(p));

  return (
    <main className="page audience-page contacts-list-page">
      <div className="page-head">
        <div>
          <h1>Contacts</h1>
          <p className="muted">Everyone who wrote to your WhatsApp numbers, or was imported.</p>
        </div>
        <div className="head-actions">
          <AppLink to="/segments" className="button">
            Segments
          </AppLink>
          <a
            className="button"
            href={exportHref(workspace, params)}
            download="contacts.csv"
            title={
              left.length > 0
                ? `The file leaves out these filters: ${left.map((c) => sentence(c)).join("; ")}`
                : "A CSV file of the contacts these filters show"
            }
          >
            Export
          </a>
          <AppLink to="/contacts/import" className="button primary">
            Import contacts
          </AppLink>
        </div>
      </div>

      <section className="card contacts-filters" aria-label="Filters">
        <div className="filter-row">
          <label className="filter">
            <span>Search</span>
            <input
              aria-label="Search"
              type="search"
              placeholder="Name or number"
              value={quick.q}
              onChange={(e) => setQuick({ ...quick, q: e.target.value })}
            />
          </label>
          <label className="filter">
            <span>Tag</span>
            <select
              aria-label="Tag"
              value={quick.tag}
              onChange={(e) => setQuick({ ...quick, tag: e.target.value })}
            >
              <option value="">Any tag</option>
              {tags.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <label className="filter">
            <span>Offers</span>
            <select
              aria-label="Offers"
              value={quick.consent}
              onChange={(e) => setQuick({ ...quick, consent: e.target.value as Quick["consent"] })}
            >
              <option value="">Anyone</option>
              <option value="given">Agreed to offers</option>
              <option value="none">No consent</option>
            </select>
          </label>
          <label className="filter">
            <span>Last wrote</span>
            <select
              aria-label="Last wrote"
              value={quick.wrote}
              onChange={(e) => setQuick({ ...quick, wrote: e.target.value })}
            >
              {WROTE.map((w) => (
                <option key={w.days} value={w.days}>
                  {w.label}
                </option>
              ))}
            </select>
          </label>
          <label className="filter">
            <span>Order</span>
            <select
              aria-label="Order"
              value={sort}
              onChange={(e) => setSort(e.target.value as Sort)}
            >
              {SORTS.map((s) => (
                <option key={s.sort} value={s.sort}>
                  {s.label}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="button small more-filters"
            aria-expanded={moreOpen}
            onClick={() => {
              setMoreOpen(!moreOpen);
              if (!moreOpen && drafts.length === 0) setDrafts([blankDraft()]);
            }}
          >
            {moreOpen ? "Hide more filters" : "More filters"}
            {drafts.length > 0 && ` (${drafts.length})`}
          </button>
        </div>
        {moreOpen && (
          <div className="more-filters-panel">
            <ConditionEditor
              workspace={workspace}
              drafts={drafts}
              onChange={setDrafts}
              problems={checked.problems}
              tags={seenTags}
              addLabel="Add a filter"
            />
          </div>
        )}
        {filtered && (
          <div className="filter-foot">
            <button
              type="button"
              className="button quiet small"
              onClick={() => {
                setQuick(NO_FILTERS);
                setDrafts([]);
              }}
            >
              Clear filters
            </button>
            <button type="button" className="button small" onClick={() => setSavingSegment(true)}>
              Save these filters as a segment
            </button>
          </div>
        )}
      </section>

      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}

      <div className="contacts-bar">
        <p className="contacts-count" aria-live="polite">
          {count === undefined
            ? list.isLoading
              ? "Loading…"
              : ""
            : count === 0
              ? filtered
                ? "No contacts match these filters"
                : ""
              : `Showing ${number(contacts.length)} of ${contactsWord(count)}`}
        </p>
        {selected.size > 0 ? (
          <div className="bulk-actions" role="group" aria-label="Selected contacts">
            <strong>{number(selected.size)} selected</strong>
            <button
              type="button"
              className="button small"
              onClick={() => setTagging({ mode: "add", target: { phones: [...selected] } })}
            >
              Add tag…
            </button>
            <button
              type="button"
              className="button small"
              onClick={() => setTagging({ mode: "remove", target: { phones: [...selected] } })}
            >
              Remove tag…
            </button>
            <button
              type="button"
              className="button quiet small"
              onClick={() => setSelected(new Set())}
            >
              Clear selection
            </button>
          </div>
        ) : (
          count !== undefined &&
          count > 0 && (
            <button
              type="button"
              className="button small"
              onClick={() => setTagging({ mode: "add", target: { audience, count } })}
            >
              Tag all {number(count)} matching…
            </button>
          )
        )}
      </div>

      <ErrorNote
        error={list.error ? `The contacts could not be read. ${messageOf(list.error)}` : null}
      />

      {count === 0 && !filtered && contacts.length === 0 ? (
        <div className="card audience-empty">
          <h2>No contacts yet</h2>
          <p>
            Contacts appear here by themselves when people write to your WhatsApp number. To bring
            the customers you already have, import a spreadsheet (a CSV file with a column of phone
            numbers).
          </p>
          <AppLink to="/contacts/import" className="button primary">
            Import contacts
          </AppLink>
        </div>
      ) : (
        contacts.length > 0 && (
          <table className="flow-table contacts-table">
            <thead>
              <tr>
                <th className="col-check">
                  <input
                    type="checkbox"
                    aria-label="Select all shown"
                    checked={allShownSelected}
                    onChange={() =>
                      setSelected(allShownSelected ? new Set() : new Set(shownPhones))
                    }
                  />
                </th>
                <th>Name</th>
                <th className="col-number">Number</th>
                <th>Tags</th>
                <th className="col-consent">Offers</th>
                <th className="col-last">Last message</th>
                <th className="col-ad">Came from ad</th>
              </tr>
            </thead>
            <tbody>
              {contacts.map((c, index) => (
                <ContactRow
                  key={c.phone ?? c.bsuid ?? index}
                  contact={c}
                  now={now}
                  selected={c.phone !== null && c.phone !== undefined && selected.has(c.phone)}
                  onToggle={toggle}
                />
              ))}
            </tbody>
          </table>
        )
      )}
      {list.hasNextPage && (
        <p className="load-more">
          <button
            type="button"
            className="button"
            disabled={list.isFetchingNextPage}
            onClick={() => void list.fetchNextPage()}
          >
            {list.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </p>
      )}

      {tagging && (
        <TagDialog
          workspace={workspace}
          mode={tagging.mode}
          target={tagging.target}
          tags={seenTags}
          onClose={() => setTagging(null)}
          onDone={(message) => {
            setTagging(null);
            setSelected(new Set());
            setDone(message);
          }}
        />
      )}
      {savingSegment && (
        <SaveSegmentDialog
          workspace={workspace}
          audience={audience}
          onClose={() => setSavingSegment(false)}
        />
      )}
    </main>
  );
}

function ContactRow({
  contact,
  now,
  selected,
  onToggle,
}: {
  contact: DirectoryEntry;
  now: number;
  selected: boolean;
  onToggle: (phone: string) => void;
}) {
  const phone = contact.phone;
  const to = phone ? contactPath(digitsOf(phone)) : null;
  const label = contact.name?.trim() || "No name";
  const ad = contact.last_ad ?? contact.first_ad;
  return (
    <tr
      className={to ? "contact-row" : undefined}
      aria-selected={selected}
      onClick={(event) => {
        if (!to || (event.target as HTMLElement).closest("a, input, button")) return;
        navigate(to);
      }}
    >
      <td className="col-check">
        {phone && (
          <input
            type="checkbox"
            aria-label={`Select ${contact.name ?? phone}`}
            checked={selected}
            onChange={() => onToggle(phone)}
          />
        )}
      </td>
      <td className="flow-name">
        {to ? (
          <AppLink to={to} className={contact.name ? undefined : "muted"}>
            {label}
          </AppLink>
        ) : (
          label
        )}
      </td>
      <td className="col-number">{phone ?? "Hidden by WhatsApp"}</td>
      <td>
        <span className="chips">
          {contact.tags.map((t) => (
            <span key={t} className="chip">
              {t}
            </span>
          ))}
        </span>
      </td>
      <td className="col-consent">
        {contact.marketing_opt_in ? (
          <span className="consent yes">Agreed to offers</span>
        ) : (
          <span className="consent no">No consent</span>
        )}
      </td>
      <td className="col-last">{ago(contact.last_inbound_at, now)}</td>
      <td className="col-ad">{ad ? `Ad ${ad}` : <span className="muted">—</span>}</td>
    </tr>
  );
}

function TagDialog({
  workspace,
  mode,
  target,
  tags,
  onClose,
  onDone,
}: {
  workspace: string;
  mode: "add" | "remove";
  target: TagTarget;
  tags: readonly string[];
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  const id = useId();
  const bulk = useBulk(workspace);
  const [tag, setTag] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const who =
    "phones" in target ? contactsWord(target.phones.length) : `all ${contactsWord(target.count)}`;
  const title =
    mode === "add"
      ? "phones" in target
        ? `Add a tag to ${who}`
        : `Tag ${who} matching`
      : `Remove a tag from ${who}`;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const name = tag.trim();
    if (name === "") {
      setProblem("Type the tag, e.g. vip.");
      return;
    }
    if (name.length > 64 || /[,;|]/.test(name)) {
      setProblem("A tag has 1 to 64 characters, without commas, semicolons or |.");
      return;
    }
    const change: BulkTags =
      "phones" in target ? { phones: target.phones } : { audience: target.audience };
    if (mode === "add") change.add_tags = [name];
    else change.remove_tags = [name];
    bulk.mutate(change, {
      onSuccess: (result) => {
        const changed = contactsWord(result.changed);
        const unknown =
          result.unknown.length > 0
            ? ` ${contactsWord(result.unknown.length)} could not be found (erased meanwhile?).`
            : "";
        onDone(
          mode === "add"
            ? `Added the tag “${name}” to ${changed}. The table shows it in a moment.${unknown}`
            : `Removed the tag “${name}” from ${changed}. The table shows it in a moment.${unknown}`,
        );
      },
    });
  };
  return (
    <Dialog title={title} onClose={onClose}>
      <form className="stack" onSubmit={submit}>
        <div className="field">
          <label htmlFor={id}>Tag</label>
          <input
            id={id}
            list={`${id}-tags`}
            value={tag}
            autoFocus
            aria-invalid={problem !== null}
            onChange={(e) => {
              setTag(e.target.value);
              setProblem(null);
            }}
          />
          <datalist id={`${id}-tags`}>
            {tags.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
          {problem && <p className="field-problem">{problem}</p>}
          {mode === "add" && (
            <small>Journeys that start when this tag is added start for each of them.</small>
          )}
        </div>
        <ErrorNote error={bulk.error ? messageOf(bulk.error) : null} />
        <div className="actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={bulk.isPending}>
            {mode === "add" ? "Add tag" : "Remove tag"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function SaveSegmentDialog({
  workspace,
  audience,
  onClose,
}: {
  workspace: string;
  audience: Audience;
  onClose: () => void;
}) {
  const { create } = useSegmentActions(workspace);
  const [name, setName] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <Dialog title="Save these filters as a segment" onClose={onClose}>
      <form
        className="stack"
        onSubmit={(event) => {
          event.preventDefault();
          if (name.trim() === "") {
            setProblem("Give the segment a name, e.g. “Customers in Lisbon”.");
            return;
          }
          create.mutate(
            { name: name.trim(), description: null, audience },
            {
              onSuccess: (segment) => navigate(`/segments/${segment.id}`),
              onError: (error) => setProblem(messageOf(error)),
            },
          );
        }}
      >
        <ul className="segment-summary">
          {audience.all.map((c, i) => (
            <li key={i}>{sentence(c)}</li>
          ))}
        </ul>
        <div className="field">
          <label htmlFor="save-segment-name">Segment name</label>
          <input
            id="save-segment-name"
            value={name}
            autoFocus
            onChange={(e) => {
              setName(e.target.value);
              setProblem(null);
            }}
          />
          {problem && <p className="field-problem">{problem}</p>}
        </div>
        <div className="actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={create.isPending}>
            Save segment
          </button>
        </div>
      </form>
    </Dialog>
  );
}
