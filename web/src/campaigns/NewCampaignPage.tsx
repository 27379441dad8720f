// Making a campaign: a form in steps (name, journey, audience, when, the daily limit), saved
// as a draft, then the draft's pre-flight and the button that sends or schedules it. Changing
// the campaign after the draft was made cancels that draft; the form keeps what was typed.

import { useId, useMemo, useState, type FormEvent, type ReactNode } from "react";
import { ApiFailure, messageOf } from "../api/errors";
import { AppLink } from "../contacts/links";
import { phoneDigits } from "../contacts/words";
import { navigate } from "../lib/router";
import { useTitle } from "../lib/title";
import { ErrorNote } from "../ui/Dialog";
import { useCampaignActions, useJourneys, useSegments } from "./api";
import { PreflightPanel } from "./PreflightPanel";
import type { Campaign, NewCampaign } from "./types";
import {
  browserZone,
  count,
  isTimeOfDay,
  pastedNumbers,
  shortTime,
  timeZones,
  zonedInstant,
} from "./words";
import "./campaigns.css";

type Part = "name" | "journey" | "audience" | "when" | "form";
type Problems = Partial<Record<Part, string>>;

interface Form {
  name: string;
  journey: string;
  audience: "segment" | "phones";
  segment: string;
  phones: string;
  when: "now" | "later";
  at: string;
  zone: string;
  localTime: boolean;
  quiet: boolean;
  quietStart: string;
  quietEnd: string;
  split: boolean;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** Tomorrow at 10:00, as a datetime-local input writes it. */
function tomorrowMorning(): string {
  const day = new Date(Date.now() + 24 * 3600 * 1000);
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}T10:00`;
}

/** The API's body for the form, or the problems to fix first (each for its part). */
export function campaignBody(form: Form, now: number = Date.now()): NewCampaign | Problems {
  const problems: Problems = {};
  const name = form.name.trim();
  if (name === "") problems.name = "Give the campaign a name, e.g. “Spring sale”.";
  else if (name.length > 100) problems.name = "A campaign's name is at most 100 characters.";
  if (form.journey === "") problems.journey = "Choose the journey the campaign sends.";
  let phones: string[] | undefined;
  if (form.audience === "segment" && form.segment === "") {
    problems.audience = "Choose the segment to send to.";
  }
  if (form.audience === "phones") {
    const typed = pastedNumbers(form.phones);
    if (typed.length === 0) problems.audience = "Paste at least one WhatsApp number.";
    const wrong: string[] = [];
    phones = [];
    for (const number of typed) {
      const checked = phoneDigits(number);
      if ("digits" in checked) phones.push(`+${checked.digits}`);
      else wrong.push(number);
    }
    if (wrong.length > 0) {
      problems.audience = `${wrong.length === 1 ? "This is not a WhatsApp number" : "These are not WhatsApp numbers"} with a country code: ${wrong.slice(0, 5).join(", ")}${wrong.length > 5 ? "…" : ""}. Write them as +49 151 1234 5678.`;
    }
  }
  let sendAt: string | undefined;
  if (form.when === "later") {
    const instant = zonedInstant(form.at, form.zone);
    if (!instant) problems.when = "Choose the date and the time to send it.";
    else if (!form.localTime && Date.parse(instant) < now) {
      problems.when = "This time has passed: choose one in the future, or send it now.";
    } else sendAt = instant;
  }
  if (form.quiet && !(isTimeOfDay(form.quietStart) && isTimeOfDay(form.quietEnd))) {
    problems.when = "Give quiet hours as two times of day, e.g. 21:00 to 08:00.";
  }
  if (Object.keys(problems).length > 0) return problems;
  return {
    name,
    flow_id: form.journey,
    ...(form.audience === "segment" ? { segment_id: form.segment } : { phones }),
    ...(sendAt ? { send_at: sendAt } : {}),
    local_time: form.when === "later" && form.localTime,
    timezone: form.zone,
    quiet_hours: form.quiet ? { start: form.quietStart, end: form.quietEnd } : null,
    split_over_days: form.split,
  };
}

/** Which part of the form a refusal of the server is about. */
export function partOf(failure: unknown): Part {
  if (!(failure instanceof ApiFailure)) return "form";
  const text = failure.message.toLowerCase();
  if (failure.code === "invalid_name" || failure.code === "name_taken") return "name";
  if (failure.code === "not_published" || text.includes("broadcast")) return "journey";
  if (
    failure.code === "invalid_audience" ||
    failure.code === "invalid_phone" ||
    failure.code === "not_found" ||
    text.includes("segment")
  )
    return "audience";
  if (/send_at|timezone|quiet/.test(text)) return "when";
  return "form";
}

export function NewCampaignPage({ workspace }: { workspace: string }) {
  useTitle("New campaign");
  const journeys = useJourneys(workspace);
  const segments = useSegments(workspace);
  const actions = useCampaignActions(workspace);
  const zones = useMemo(() => timeZones(browserZone()), []);
  const [form, setForm] = useState<Form>(() => ({
    name: "",
    journey: "",
    audience: "segment",
    segment: "",
    phones: "",
    when: "now",
    at: tomorrowMorning(),
    zone: browserZone(),
    localTime: false,
    quiet: false,
    quietStart: "21:00",
    quietEnd: "08:00",
    split: false,
  }));
  const [problems, setProblems] = useState<Problems>({});
  const [draft, setDraft] = useState<Campaign | null>(null);
  const set = <K extends keyof Form>(key: K, value: Form[K]) =>
    setForm((old) => ({ ...old, [key]: value }));

  const usable = (journeys.data ?? []).filter((j) => j.broadcast);
  const otherLive = (journeys.data ?? []).length - usable.length;

  async function create(event: FormEvent) {
    event.preventDefault();
    const body = campaignBody(form);
    if (!("flow_id" in body)) {
      setProblems(body);
      return;
    }
    setProblems({});
    try {
      setDraft(await actions.create.mutateAsync(body));
    } catch (failure) {
      setProblems({ [partOf(failure)]: messageOf(failure) });
    }
  }

  async function change() {
    if (!draft) return;
    setProblems({});
    try {
      await actions.cancel.mutateAsync(draft.id);
      setDraft(null);
    } catch (failure) {
      setProblems({ form: `The draft could not be reopened. ${messageOf(failure)}` });
    }
  }

  const segment = segments.data?.find((s) => s.id === form.segment);
  return (
    <main className="page cmp-page">
      <p className="cmp-back">
        <AppLink to="/campaigns">← All campaigns</AppLink>
      </p>
      <h1>New campaign</h1>
      <p className="muted">
        A campaign sends a journey to many people at once. Spool checks it against WhatsApp's limits
        and your contacts' consent before anything goes out.
      </p>
      <form className="cmp-form" onSubmit={create} noValidate>
        <fieldset disabled={draft !== null} className="cmp-steps">
          <Step number={1} title="Name" problem={problems.name}>
            {(id) => (
              <>
                <label htmlFor={id}>Campaign name</label>
                <input
                  id={id}
                  value={form.name}
                  maxLength={100}
                  placeholder="Spring sale"
                  onChange={(e) => set("name", e.target.value)}
                />
                <small>Only your team sees it.</small>
              </>
            )}
          </Step>

          <Step number={2} title="Journey" problem={problems.journey}>
            {(id) => (
              <>
                <label htmlFor={id}>Journey to send</label>
                {journeys.isPending && <p className="muted">Loading your journeys…</p>}
                {journeys.isError && (
                  <ErrorNote
                    error={`The journeys could not be loaded. ${messageOf(journeys.error)}`}
                  />
                )}
                {journeys.isSuccess && usable.length === 0 ? (
                  <p className="cmp-none" id={id}>
                    No published journey can be sent as a campaign yet. Open a flow, start it with
                    the <strong>Broadcast</strong> trigger, send an approved template as its first
                    message, and publish it. <AppLink to="/">Go to the flows</AppLink>
                  </p>
                ) : (
                  journeys.isSuccess && (
                    <>
                      <select
                        id={id}
                        value={form.journey}
                        onChange={(e) => set("journey", e.target.value)}
                      >
                        <option value="">Choose a journey…</option>
                        {usable.map((journey) => (
                          <option key={journey.id} value={journey.id}>
                            {journey.name}
                          </option>
                        ))}
                      </select>
                      <small>
                        Published journeys that start with a Broadcast trigger.
                        {otherLive > 0 &&
                          ` ${count(otherLive)} other published ${otherLive === 1 ? "journey starts" : "journeys start"} another way and cannot be sent as a campaign.`}
                      </small>
                    </>
                  )
                )}
              </>
            )}
          </Step>

          <Step number={3} title="Audience" problem={problems.audience}>
            {(id) => (
              <>
                <div className="cmp-radios" role="radiogroup" aria-label="Who gets it">
                  <label>
                    <input
                      type="radio"
                      name="audience"
                      checked={form.audience === "segment"}
                      onChange={() => set("audience", "segment")}
                    />
                    A segment
                  </label>
                  <label>
                    <input
                      type="radio"
                      name="audience"
                      checked={form.audience === "phones"}
                      onChange={() => set("audience", "phones")}
                    />
                    Paste numbers
                  </label>
                </div>
                {form.audience === "segment" ? (
                  <>
                    <label htmlFor={id}>Segment</label>
                    <select
                      id={id}
                      value={form.segment}
                      onChange={(e) => set("segment", e.target.value)}
                    >
                      <option value="">
                        {segments.isPending ? "Loading segments…" : "Choose a segment…"}
                      </option>
                      {(segments.data ?? []).map((s) => (
                        <option key={s.id} value={s.id}>
                          {s.name} ({count(s.count)} {s.count === 1 ? "contact" : "contacts"})
                        </option>
                      ))}
                    </select>
                    <small>
                      {segment
                        ? `${count(segment.count)} ${segment.count === 1 ? "contact matches" : "contacts match"} it now; the pre-flight shows who of them can get it.`
                        : segments.isSuccess && segments.data.length === 0
                          ? "No segments yet. "
                          : "Saved groups of contacts, e.g. everyone tagged “vip”. "}
                      {!segment && <AppLink to="/segments">Make a segment</AppLink>}
                    </small>
                    {segments.isError && (
                      <ErrorNote
                        error={`The segments could not be loaded. ${messageOf(segments.error)}`}
                      />
                    )}
                  </>
                ) : (
                  <>
                    <label htmlFor={id}>WhatsApp numbers</label>
                    <textarea
                      id={id}
                      rows={5}
                      value={form.phones}
                      placeholder={"+49 151 1234 5678\n+351 912 345 678"}
                      onChange={(e) => set("phones", e.target.value)}
                    />
                    <small>
                      One a line (or separated by commas), each with its country code.{" "}
                      {pastedNumbers(form.phones).length > 0 &&
                        `${count(pastedNumbers(form.phones).length)} numbers.`}
                    </small>
                  </>
                )}
              </>
            )}
          </Step>

          <Step number={4} title="When" problem={problems.when}>
            {(id) => (
              <>
                <div className="cmp-radios" role="radiogroup" aria-label="When to send">
                  <label>
                    <input
                      type="radio"
                      name="when"
                      checked={form.when === "now"}
                      onChange={() => set("when", "now")}
                    />
                    As soon as I send it
                  </label>
                  <label>
                    <input
                      type="radio"
                      name="when"
                      checked={form.when === "later"}
                      onChange={() => set("when", "later")}
                    />
                    At a date and time
                  </label>
                </div>
                {form.when === "later" && (
                  <div className="cmp-row">
                    <div className="cmp-labelled">
                      <label htmlFor={id}>Date and time</label>
                      <input
                        id={id}
                        type="datetime-local"
                        value={form.at}
                        onChange={(e) => set("at", e.target.value)}
                      />
                    </div>
                    <div className="cmp-labelled">
                      <label htmlFor={`${id}-zone`}>Time zone</label>
                      <select
                        id={`${id}-zone`}
                        value={form.zone}
                        onChange={(e) => set("zone", e.target.value)}
                      >
                        {zones.map((zone) => (
                          <option key={zone} value={zone}>
                            {zone.replaceAll("_", " ")}
                          </option>
                        ))}
                      </select>
                    </div>
                  </div>
                )}
                {form.when === "later" && (
                  <Check
                    checked={form.localTime}
                    onChange={(checked) => set("localTime", checked)}
                    label="In each person's own time zone"
                    hint={`Everyone gets it at this time of day where they live; people whose time zone is not known get it in ${form.zone.replaceAll("_", " ")}.`}
                  />
                )}
                <Check
                  checked={form.quiet}
                  onChange={(checked) => set("quiet", checked)}
                  label="Quiet hours: send nobody anything at night"
                />
                {form.quiet && (
                  <div className="cmp-row">
                    <div className="cmp-labelled">
                      <label htmlFor={`${id}-from`}>From</label>
                      <input
                        id={`${id}-from`}
                        type="time"
                        value={form.quietStart}
                        onChange={(e) => set("quietStart", e.target.value)}
                      />
                    </div>
                    <div className="cmp-labelled">
                      <label htmlFor={`${id}-to`}>To</label>
                      <input
                        id={`${id}-to`}
                        type="time"
                        value={form.quietEnd}
                        onChange={(e) => set("quietEnd", e.target.value)}
                      />
                    </div>
                    <small>Messages due in these hours wait until they end.</small>
                  </div>
                )}
              </>
            )}
          </Step>

          <Step number={5} title="WhatsApp's daily limit">
            {() => (
              <Check
                checked={form.split}
                onChange={(checked) => set("split", checked)}
                label="Spread over several days if WhatsApp's daily limit is reached"
                hint="WhatsApp limits how many new people a number may start conversations with each day. Without this, a campaign that does not fit is not sent."
              />
            )}
          </Step>
        </fieldset>
        <ErrorNote error={problems.form} />
        {draft === null && (
          <div className="actions">
            <button
              type="submit"
              className="button primary"
              disabled={actions.create.isPending || journeys.isPending}
            >
              {actions.create.isPending ? "Creating…" : "Create draft"}
            </button>
          </div>
        )}
      </form>
      {draft && (
        <>
          <p className="notice" role="status">
            Draft “{draft.name}” saved
            {draft.send_at ? ` to send ${shortTime(draft.send_at)}` : ""}. Nothing is sent until you
            press the button below.
          </p>
          <PreflightPanel
            key={draft.id}
            workspace={workspace}
            campaign={draft}
            onStarted={(campaign) => navigate(`/campaigns/${campaign.id}`)}
            onChange={() => void change()}
          />
        </>
      )}
    </main>
  );
}

function Step({
  number,
  title,
  problem,
  children,
}: {
  number: number;
  title: string;
  problem?: string | undefined;
  children: (id: string) => ReactNode;
}) {
  const id = useId();
  return (
    <section className={problem ? "cmp-step has-problem" : "cmp-step"} aria-label={title}>
      <h2>
        <span className="cmp-step-number" aria-hidden="true">
          {number}
        </span>
        {title}
      </h2>
      <div className="cmp-step-body">
        {children(id)}
        <ErrorNote error={problem} />
      </div>
    </section>
  );
}

function Check({
  checked,
  onChange,
  label,
  hint,
}: {
  checked: boolean;
  onChange: (checked: boolean) => void;
  label: string;
  hint?: string;
}) {
  const id = useId();
  return (
    <div className="cmp-check">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        onChange={(e) => onChange(e.target.checked)}
        aria-describedby={hint ? `${id}-hint` : undefined}
      />
      <label htmlFor={id}>{label}</label>
      {hint && <small id={`${id}-hint`}>{hint}</small>}
    </div>
  );
}
