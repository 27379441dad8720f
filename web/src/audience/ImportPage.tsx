// Importing a file of contacts, as a wizard: choose a CSV file (uploaded at once), match its
// columns (samples read here from the file), check (the server's dry run: what would be
// added, updated, skipped and why), import (a progress bar), done. The address names the
// upload (`/contacts/import/imp_…`) so a reload comes back to the same step.

import { useQueryClient } from "@tanstack/react-query";
import { useId, useState, type DragEvent } from "react";
import { ApiFailure, messageOf } from "../api/errors";
import { AppLink } from "../contacts/links";
import { navigate } from "../lib/router";
import { useTitle } from "../lib/title";
import { ErrorNote } from "../ui/Dialog";
import { dryRun, importKey, startImport, upload, useImport, type ImportPlan } from "./api";
import { columnSamples, delimiterOf } from "./csv";
import type { ColumnChoice, ColumnKind, ImportReport, ImportView, Rejection } from "./types";
import {
  choiceOf,
  columnBody,
  COLUMN_KINDS,
  contactsWord,
  COUNTRIES,
  fileSize,
  nameFromHeader,
  number,
  placeProblems,
  type MappingProblem,
  type Placed,
} from "./words";
import "./audience.css";

/** What the browser keeps of an upload (samples, size, the dry run's row count), per import. */
interface Kept {
  size: number;
  samples: string[][];
  rows?: number;
}

const keptKey = (id: string) => `spool.import.${id}`;

function readKept(id: string): Kept | null {
  try {
    const text = sessionStorage.getItem(keptKey(id));
    return text ? (JSON.parse(text) as Kept) : null;
  } catch {
    return null;
  }
}

function keep(id: string, kept: Kept): void {
  try {
    sessionStorage.setItem(keptKey(id), JSON.stringify(kept));
  } catch {
    // Storage full or refused: the samples are a help, not a need.
  }
}

const STEPS = ["Choose a file", "Match your columns", "Check", "Import"];

function Steps({ current }: { current: number }) {
  return (
    <ol className="wizard-steps" aria-label="Steps">
      {STEPS.map((label, index) => (
        <li
          key={label}
          className={index === current ? "current" : index < current ? "past" : undefined}
          aria-current={index === current ? "step" : undefined}
        >
          <span className="wizard-number">{index < current ? "✓" : index + 1}</span> {label}
        </li>
      ))}
    </ol>
  );
}

export function ImportPage({ workspace, id }: { workspace: string; id?: string | undefined }) {
  useTitle("Import contacts");
  return (
    <main className="page audience-page import-page">
      <p className="audience-back">
        <AppLink to="/contacts">← All contacts</AppLink>
      </p>
      <h1>Import contacts</h1>
      {id === undefined ? (
        <ChooseFile workspace={workspace} />
      ) : (
        <Uploaded workspace={workspace} id={id} />
      )}
    </main>
  );
}

function ChooseFile({ workspace }: { workspace: string }) {
  const inputId = useId();
  const [file, setFile] = useState<{ name: string; size: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [over, setOver] = useState(false);

  const take = async (chosen: File | undefined) => {
    if (!chosen) return;
    setError(null);
    setFile({ name: chosen.name, size: chosen.size });
    if (!/\.(csv|txt|tsv)$/i.test(chosen.name) && chosen.type !== "text/csv") {
      setError(
        "This does not look like a CSV file. In your spreadsheet choose “Save as” → “CSV UTF-8”, then choose that file.",
      );
      return;
    }
    setBusy(true);
    try {
      const text = await chosen.text();
      const view = await upload(workspace, { name: chosen.name, text });
      const samples = columnSamples(text, delimiterOf(view.delimiter, text), view.headers.length);
      keep(view.id, { size: chosen.size, samples });
      navigate(`/contacts/import/${view.id}`);
    } catch (e) {
      setError(`This file cannot be imported. ${messageOf(e)}`);
      setBusy(false);
    }
  };

  const drop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    void take(event.dataTransfer.files[0]);
  };

  return (
    <>
      <Steps current={0} />
      <section className="card import-card">
        <h2>Choose a file</h2>
        <p>
          A CSV file with one contact per line and a first line that names the columns (phone, name,
          email…). From Excel or Google Sheets, save or download the sheet as “CSV UTF-8”.
        </p>
        <div
          className={over ? "drop-zone over" : "drop-zone"}
          onDragOver={(e) => {
            e.preventDefault();
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={drop}
        >
          <p>Drop the file here, or</p>
          <label htmlFor={inputId} className="button primary">
            Choose a CSV file
          </label>
          <input
            id={inputId}
            className="visually-hidden"
            type="file"
            accept=".csv,.txt,.tsv,text/csv"
            aria-label="CSV file"
            disabled={busy}
            onChange={(e) => void take(e.target.files?.[0])}
          />
          {file && (
            <p className="drop-file" role="status">
              {file.name} · {fileSize(file.size)}
              {busy && " · uploading…"}
            </p>
          )}
        </div>
        <ErrorNote error={error} />
        <p className="muted">
          Nothing is imported yet: next you match the columns and see what the import would do.
        </p>
      </section>
    </>
  );
}

function Uploaded({ workspace, id }: { workspace: string; id: string }) {
  const view = useImport(workspace, id);
  const state = view.data?.state;

  if (view.isLoading) return <p className="loading">Loading the import…</p>;
  if (view.error || !view.data) {
    const missing = view.error instanceof ApiFailure && view.error.status === 404;
    return (
      <>
        <ErrorNote
          error={
            missing
              ? "This import does not exist in this workspace. Start a new one."
              : `The import could not be read. ${messageOf(view.error)}`
          }
        />
        <AppLink to="/contacts/import" className="button">
          Import a file
        </AppLink>
      </>
    );
  }
  if (state === "uploaded") return <MatchColumns workspace={workspace} view={view.data} />;
  return <Progress view={view.data} />;
}

function MatchColumns({ workspace, view }: { workspace: string; view: ImportView }) {
  const queryClient = useQueryClient();
  const kept = readKept(view.id);
  const [choices, setChoices] = useState<ColumnChoice[]>(() =>
    view.headers.map((header, i) => {
      const choice = choiceOf(view.suggested[i]);
      if ((choice.kind === "property" || choice.kind === "tag") && !choice.name) {
        return { ...choice, name: nameFromHeader(header) };
      }
      return choice;
    }),
  );
  const [country, setCountry] = useState("");
  const [basis, setBasis] = useState("");
  const [basisProblem, setBasisProblem] = useState<string | null>(null);
  const [placed, setPlaced] = useState<Placed[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [busy, setBusy] = useState(false);

  const hasConsent = choices.some((c) => c.kind === "marketing_consent");
  const changed = () => {
    setReport(null);
    setPlaced([]);
    setError(null);
  };
  const plan = (): ImportPlan => ({
    columns: choices.map(columnBody),
    default_country: country === "" ? null : country,
    consent_basis: hasConsent ? basis.trim() : null,
  });
  const failed = (e: unknown) => {
    const problems = (e instanceof ApiFailure ? (e.details as { problems?: unknown } | null) : null)
      ?.problems;
    if (Array.isArray(problems)) {
      const found = placeProblems(problems as MappingProblem[]);
      setPlaced(found);
      setError(
        found.some((p) => p.column === undefined && !p.country)
          ? null
          : "Some columns need fixing: see the notes next to them.",
      );
    } else setError(messageOf(e));
  };
  const check = async () => {
    changed();
    if (hasConsent && basis.trim() === "") {
      setBasisProblem("Say how these people agreed, e.g. “ticked the WhatsApp box at checkout”.");
      return;
    }
    setBusy(true);
    try {
      setReport(await dryRun(workspace, view.id, plan()));
    } catch (e) {
      failed(e);
    } finally {
      setBusy(false);
    }
  };
  const start = async () => {
    if (!report) return;
    setBusy(true);
    setError(null);
    try {
      keep(view.id, { size: kept?.size ?? 0, samples: kept?.samples ?? [], rows: report.rows });
      await startImport(workspace, view.id, plan());
      await queryClient.invalidateQueries({ queryKey: importKey(workspace, view.id) });
    } catch (e) {
      failed(e);
      setBusy(false);
    }
  };
  const general = placed.filter((p) => p.column === undefined && !p.country);
  const countryProblem = placed.find((p) => p.country)?.message;

  return (
    <>
      <Steps current={report ? 2 : 1} />
      <section className="card import-card">
        <h2>Match your columns</h2>
        <p>
          <strong>{view.file_name}</strong>
          {kept && kept.size > 0 && ` · ${fileSize(kept.size)}`} · {view.headers.length}{" "}
          {view.headers.length === 1 ? "column" : "columns"}. Say what each column holds; Spool
          guessed from the headers.
        </p>
        {general.map((p) => (
          <ErrorNote key={p.message} error={p.message} />
        ))}
        <table className="flow-table match-table">
          <thead>
            <tr>
              <th>Column in your file</th>
              <th>Examples</th>
              <th>What it holds</th>
            </tr>
          </thead>
          <tbody>
            {view.headers.map((header, index) => (
              <MatchRow
                key={`${index}-${header}`}
                header={header}
                samples={kept?.samples[index]}
                choice={choices[index] ?? { kind: "ignore" }}
                problems={placed.filter((p) => p.column === header)}
                onChange={(choice) => {
                  setChoices(choices.map((c, i) => (i === index ? choice : c)));
                  changed();
                }}
              />
            ))}
          </tbody>
        </table>
        {!kept && (
          <p className="muted">
            Examples from the file are shown only in the browser it was chosen in.
          </p>
        )}

        <div className="import-options">
          <div className="field">
            <label htmlFor="import-country">
              Country of numbers written without a country code
            </label>
            <select
              id="import-country"
              value={country}
              aria-invalid={countryProblem !== undefined}
              onChange={(e) => {
                setCountry(e.target.value);
                changed();
              }}
            >
              <option value="">None: every number starts with its country code</option>
              {COUNTRIES.map((c) => (
                <option key={c.code} value={c.code}>
                  {c.name}
                </option>
              ))}
            </select>
            <small>A number like 912 345 678 is read as a number of this country.</small>
            {countryProblem && <p className="field-problem">{countryProblem}</p>}
          </div>
          {hasConsent ? (
            <div className="field">
              <label htmlFor="import-basis">How did these people agree to receive offers?</label>
              <input
                id="import-basis"
                value={basis}
                placeholder="e.g. ticked the WhatsApp box at checkout"
                aria-invalid={basisProblem !== null}
                onChange={(e) => {
                  setBasis(e.target.value);
                  setBasisProblem(null);
                  changed();
                }}
              />
              <small>
                Kept with each contact's consent, as the proof you may be asked for. Only people
                whose consent cell says yes get Marketing messages.
              </small>
              {basisProblem && <p className="field-problem">{basisProblem}</p>}
            </div>
          ) : (
            <p className="notice import-consent-note">
              No column says whether people agreed to receive offers, so nobody in this file will
              get Marketing messages (offers, promotions). If your file has such a column, choose
              “Marketing consent (yes/no)” for it.
            </p>
          )}
        </div>
        <ErrorNote error={error} />
        <div className="actions">
          <button
            type="button"
            className={report ? "button" : "button primary"}
            disabled={busy}
            onClick={() => void check()}
          >
            {busy && !report ? "Checking…" : report ? "Check again" : "Check"}
          </button>
        </div>
      </section>
      {report && <DryRun report={report} busy={busy} onStart={() => void start()} />}
    </>
  );
}

function MatchRow({
  header,
  samples,
  choice,
  problems,
  onChange,
}: {
  header: string;
  samples: string[] | undefined;
  choice: ColumnChoice;
  problems: Placed[];
  onChange: (choice: ColumnChoice) => void;
}) {
  const id = useId();
  const named = choice.kind === "property" || choice.kind === "tag";
  return (
    <tr>
      <th scope="row" className="match-header">
        <label htmlFor={id}>{header || "(no header)"}</label>
      </th>
      <td>
        <div className="match-samples">
          {samples && samples.length > 0 ? (
            samples.map((s, i) => (
              <span key={i} className="sample">
                {s}
              </span>
            ))
          ) : (
            <span className="muted">{samples ? "empty" : ""}</span>
          )}
        </div>
      </td>
      <td>
        <div className="match-choice">
          <select
            id={id}
            value={choice.kind}
            aria-invalid={problems.length > 0}
            onChange={(e) => {
              const kind = e.target.value as ColumnKind;
              onChange(
                kind === "property" || kind === "tag"
                  ? { kind, name: choice.name ?? nameFromHeader(header) }
                  : { kind },
              );
            }}
          >
            {COLUMN_KINDS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label}
              </option>
            ))}
          </select>
          {named && (
            <input
              aria-label={choice.kind === "tag" ? `Tag for ${header}` : `Field name for ${header}`}
              placeholder={choice.kind === "tag" ? "tag added on yes" : "field name"}
              value={choice.name ?? ""}
              onChange={(e) => onChange({ ...choice, name: e.target.value })}
            />
          )}
        </div>
        {choice.kind === "tag" && <small className="muted">Rows that say yes get this tag.</small>}
        {problems.map((p) => (
          <p key={p.message} className="field-problem">
            {p.message}
          </p>
        ))}
      </td>
    </tr>
  );
}

function DryRun({
  report,
  busy,
  onStart,
}: {
  report: ImportReport;
  busy: boolean;
  onStart: () => void;
}) {
  const skipped = report.rejected + report.duplicates + report.suppressed;
  const rejections = report.rejections as unknown as Rejection[];
  return (
    <section className="card import-card" aria-label="What the import would do">
      <h2>Check</h2>
      <p>
        Spool read {number(report.rows)} {report.rows === 1 ? "row" : "rows"} of the file. Nothing
        is imported yet.
      </p>
      <div className="big-numbers">
        <Big value={report.new_contacts} label="will be added" note="new contacts" />
        <Big value={report.existing_contacts} label="will be updated" note="contacts Spool knows" />
        <Big value={skipped} label="will be skipped" note="rows not imported" warn={skipped > 0} />
      </div>
      <ul className="dry-run-notes">
        {report.duplicates > 0 && (
          <li>
            {report.duplicates === 1 ? "1 row repeats" : `${number(report.duplicates)} rows repeat`}{" "}
            a number that came earlier in the file: only the first row with a number is imported.
          </li>
        )}
        {report.suppressed > 0 && (
          <li>
            {report.suppressed === 1 ? "1 number is" : `${number(report.suppressed)} numbers are`}{" "}
            on the do-not-contact list (the person asked to be erased or objected), so{" "}
            {report.suppressed === 1 ? "it is" : "they are"} never imported.
          </li>
        )}
        {report.rejected > 0 && (
          <li>
            {report.rejected === 1 ? "1 row has" : `${number(report.rejected)} rows have`} a problem
            and {report.rejected === 1 ? "is" : "are"} left out (below). Fix{" "}
            {report.rejected === 1 ? "it" : "them"} in your file and import it again if you want{" "}
            {report.rejected === 1 ? "it" : "them"}.
          </li>
        )}
        <li>
          Offers: {number(report.consent_given)} agreed, {number(report.consent_refused)} refused,{" "}
          {number(report.consent_not_stated)} not stated (no Marketing messages for them).
        </li>
      </ul>
      {rejections.length > 0 && (
        <>
          <h3>Rows left out</h3>
          <table className="flow-table rejections-table">
            <thead>
              <tr>
                <th className="col-line">Line</th>
                <th>Column</th>
                <th>Value</th>
                <th>Why</th>
              </tr>
            </thead>
            <tbody>
              {rejections.map((r) => (
                <tr key={`${r.line}-${r.column ?? ""}`}>
                  <td className="col-line">{r.line}</td>
                  <td>{r.column ?? "—"}</td>
                  <td>{r.value ?? "—"}</td>
                  <td>{r.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {report.rejected > rejections.length && (
            <p className="muted">
              The first {rejections.length} of {number(report.rejected)} are shown.
            </p>
          )}
        </>
      )}
      <div className="actions">
        <button
          type="button"
          className="button primary"
          disabled={busy || report.accepted === 0}
          onClick={onStart}
        >
          {report.accepted === 0 ? "Nothing to import" : `Import ${contactsWord(report.accepted)}`}
        </button>
      </div>
    </section>
  );
}

function Big({
  value,
  label,
  note,
  warn = false,
}: {
  value: number;
  label: string;
  note: string;
  warn?: boolean;
}) {
  return (
    <div className={warn ? "big warn" : "big"}>
      <span className="big-value">{number(value)}</span>
      <span className="big-label">{label}</span>
      <span className="muted">{note}</span>
    </div>
  );
}

function Progress({ view }: { view: ImportView }) {
  const kept = readKept(view.id);
  const rows = kept?.rows ?? view.report?.rows ?? 0;
  const report = view.report;
  if (view.state === "failed") {
    return (
      <>
        <Steps current={3} />
        <section className="card import-card">
          <h2>The import stopped</h2>
          <ErrorNote error={view.error ?? "Spool could not finish this import."} />
          {report && (
            <p>
              {contactsWord(report.new_contacts + report.existing_contacts)} were saved before it
              stopped.
            </p>
          )}
          <AppLink to="/contacts/import" className="button">
            Import a file
          </AppLink>
        </section>
      </>
    );
  }
  if (view.state !== "done") {
    const share = rows > 0 ? Math.min(1, view.processed / rows) : 0;
    return (
      <>
        <Steps current={3} />
        <section className="card import-card">
          <h2>Importing {view.file_name}…</h2>
          <progress
            className="import-progress"
            max={rows || 1}
            value={Math.min(view.processed, rows || 1)}
            aria-label="Import progress"
          />
          <p role="status">
            {rows > 0
              ? `${number(view.processed)} of ${number(rows)} rows (${Math.round(share * 100)}%)`
              : `${number(view.processed)} rows so far`}
          </p>
          <p className="muted">You can leave this page: the import goes on.</p>
        </section>
      </>
    );
  }
  return (
    <>
      <Steps current={4} />
      <section className="card import-card" aria-label="Import finished">
        <h2>✓ Import finished</h2>
        {report && (
          <div className="big-numbers">
            <Big value={report.new_contacts} label="added" note="new contacts" />
            <Big value={report.existing_contacts} label="updated" note="contacts Spool knew" />
            <Big
              value={report.rejected + report.duplicates + report.suppressed}
              label="skipped"
              note="rows not imported"
            />
          </div>
        )}
        <p className="muted">New contacts show in the list within a few seconds.</p>
        <div className="actions import-done-actions">
          <AppLink to="/contacts/import" className="button">
            Import another file
          </AppLink>
          <AppLink to="/contacts" className="button primary">
            See the contacts
          </AppLink>
        </div>
      </section>
    </>
  );
}
