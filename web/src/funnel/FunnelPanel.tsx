// Funnel mode on the flow page: pick a published version and a period, and see how many
// contacts reached each step and which way they went — drawn on the canvas (ways out widened
// by traffic and labelled, a card of counts under each step), told in words (the biggest
// drop-offs), as a table, and as a CSV download. The numbers are read again every ~10 s.

import { useCallback, useEffect, useMemo, useState } from "react";
import { useReactFlow } from "@xyflow/react";
import { ApiFailure, messageOf } from "../api/errors";
import { useCatalog } from "../canvas/Canvas";
import { clearOverlay, showOverlay } from "../canvas/overlay";
import { useDocument } from "../document";
import { useVersions } from "../publish/api";
import { Dialog, ErrorNote } from "../ui/Dialog";
import { RANGE_LABELS, REFRESH_MS, rangeProblem, useFunnel, type RangeChoice } from "./api";
import { csvName, download, funnelCsv } from "./csv";
import {
  dropOffs,
  outcomeOf,
  overlayOf,
  percent,
  totalsWords,
  type Funnel,
  type StepNamer,
} from "./funnel";
import { FunnelCards } from "./FunnelCards";
import { FunnelTable } from "./FunnelTable";
import "./funnel.css";
import { WaitingHere } from "./WaitingHere";

interface Props {
  workspace: string;
  flowId: string;
  onClose: () => void;
}

function when(at: string | number): string {
  return new Date(at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** A `datetime-local` value for an instant, in the browser's time zone. */
function localInput(at: number): string {
  const d = new Date(at - new Date(at).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

/** What the API counts without a version: the live one, else the latest published. */
function defaultVersionLabel(versions: readonly { version: number; live: boolean }[] | undefined) {
  const live = versions?.find((v) => v.live);
  if (live) return `Live version (${live.version})`;
  const latest = versions?.[0];
  return latest ? `Latest version (${latest.version}, not live)` : "Live version";
}

function hasTraffic(funnel: Funnel): boolean {
  return funnel.nodes.some((node) => node.entered > 0);
}

export function FunnelPanel({ workspace, flowId, onClose }: Props) {
  const catalog = useCatalog();
  const versions = useVersions(workspace, flowId);
  const [version, setVersion] = useState<number | undefined>(undefined);
  const [choice, setChoice] = useState<RangeChoice>({ kind: "7d" });
  const [chosen, setChosen] = useState<string | null>(null);
  const flow = useReactFlow();
  /** Shows a step's numbers, and brings it into view when asked from the panel. */
  const showStep = useCallback(
    (nodeId: string | null) => {
      setChosen(nodeId);
      if (nodeId)
        void flow.fitView({ nodes: [{ id: nodeId }], maxZoom: 1, minZoom: 0.8, duration: 0 });
    },
    [flow],
  );
  const [table, setTable] = useState(false);
  const funnel = useFunnel(workspace, flowId, version, choice, (versions.data?.length ?? 0) > 0);
  const data = funnel.data;

  const typeLabel = useMemo(() => {
    const labels = new Map((catalog.data ?? []).map((entry) => [entry.type, entry.label]));
    return (type: string) => labels.get(type) ?? type;
  }, [catalog.data]);
  const name: StepNamer = useMemo(
    () => (nodeId, type) => `${typeLabel(type)} “${nodeId}”`,
    [typeLabel],
  );

  // The canvas shows the numbers while the funnel is open, and forgets them when it closes.
  const overlay = useMemo(() => (data && hasTraffic(data) ? overlayOf(data) : null), [data]);
  useEffect(() => {
    if (overlay) showOverlay(overlay);
    else clearOverlay();
  }, [overlay]);
  useEffect(() => clearOverlay, []);

  const neverPublished =
    (versions.data && versions.data.length === 0) ||
    (funnel.error instanceof ApiFailure && funnel.error.status === 404);
  const problem = rangeProblem(choice);

  return (
    <section className="side-section funnel-panel" aria-label="Funnel">
      <div className="funnel-head">
        <h2>Funnel</h2>
        <button type="button" className="button small quiet" onClick={onClose}>
          Close funnel
        </button>
      </div>
      <div className="funnel-controls">
        <label>
          Version
          <select
            value={version ?? ""}
            onChange={(e) => setVersion(e.target.value === "" ? undefined : Number(e.target.value))}
          >
            <option value="">{defaultVersionLabel(versions.data)}</option>
            {(versions.data ?? []).map((v) => (
              <option key={v.version} value={v.version}>
                Version {v.version}
                {v.live ? " (live)" : ""} · {when(v.published_at)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Period
          <select
            value={choice.kind}
            onChange={(e) => {
              const kind = e.target.value as RangeChoice["kind"];
              const now = Date.now();
              setChoice(
                kind === "custom"
                  ? { kind, from: localInput(now - 7 * 86_400_000), to: localInput(now) }
                  : { kind },
              );
            }}
          >
            {(Object.keys(RANGE_LABELS) as RangeChoice["kind"][]).map((kind) => (
              <option key={kind} value={kind}>
                {RANGE_LABELS[kind]}
              </option>
            ))}
          </select>
        </label>
        {choice.kind === "custom" && (
          <div className="funnel-custom">
            <label>
              From
              <input
                type="datetime-local"
                value={choice.from}
                onChange={(e) => setChoice({ ...choice, from: e.target.value })}
              />
            </label>
            <label>
              To
              <input
                type="datetime-local"
                value={choice.to}
                onChange={(e) => setChoice({ ...choice, to: e.target.value })}
              />
            </label>
          </div>
        )}
      </div>
      <ErrorNote error={problem} />

      {neverPublished ? (
        <p className="funnel-empty" role="status">
          This journey has never been published, so no contact has gone through it yet. Publish it,
          and the funnel fills in as contacts go through.
        </p>
      ) : funnel.error ? (
        <ErrorNote error={`The numbers could not be read. ${messageOf(funnel.error)}`} />
      ) : versions.error ? (
        <ErrorNote error={`The versions could not be read. ${messageOf(versions.error)}`} />
      ) : !data ? (
        !problem && <p className="muted">Counting…</p>
      ) : (
        <FunnelNumbers
          workspace={workspace}
          flowId={flowId}
          funnel={data}
          name={name}
          chosen={chosen}
          onChoose={showStep}
          updatedAt={funnel.dataUpdatedAt}
          onTable={() => setTable(true)}
          onCsv={() => download(csvName(data), funnelCsv(data, typeLabel))}
        />
      )}
      {data && overlay && <FunnelCards funnel={data} chosen={chosen} onChoose={setChosen} />}
      {table && data && (
        <Dialog title={`Funnel of version ${data.version}`} onClose={() => setTable(false)} wide>
          <p className="muted">
            {when(data.counted.from)} to {when(data.counted.to)} · {totalsWords(data)}
          </p>
          <FunnelTable funnel={data} name={name} />
          <div className="actions">
            <button
              type="button"
              className="button"
              onClick={() => download(csvName(data), funnelCsv(data, typeLabel))}
            >
              Download CSV
            </button>
            <button type="button" className="button primary" onClick={() => setTable(false)}>
              Close
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}

interface NumbersProps {
  workspace: string;
  flowId: string;
  funnel: Funnel;
  name: StepNamer;
  chosen: string | null;
  onChoose: (nodeId: string | null) => void;
  updatedAt: number;
  onTable: () => void;
  onCsv: () => void;
}

function FunnelNumbers({
  workspace,
  flowId,
  funnel,
  name,
  chosen,
  onChoose,
  updatedAt,
  onTable,
  onCsv,
}: NumbersProps) {
  const drops = useMemo(() => dropOffs(funnel, name), [funnel, name]);
  const draft = useDocument();
  const draftIds = useMemo(() => new Set((draft?.nodes ?? []).map((n) => n.id)), [draft]);
  const counted = new Set(funnel.nodes.map((n) => n.node_id));
  const gone = funnel.nodes.filter((n) => draft && !draftIds.has(n.node_id)).map((n) => n.node_id);
  const added = [...draftIds].filter((id) => !counted.has(id));
  const step = funnel.nodes.find((n) => n.node_id === chosen);

  return (
    <div className="funnel-numbers">
      <p className="funnel-period muted">
        Version {funnel.version}, {when(funnel.counted.from)} to {when(funnel.counted.to)} (counted
        by whole hours).
      </p>
      {!hasTraffic(funnel) ? (
        <p className="funnel-empty" role="status">
          No contact has gone through version {funnel.version} in this period yet. The numbers
          appear here as contacts go through, and refresh every {REFRESH_MS / 1000} seconds.
        </p>
      ) : (
        <>
          <p className="funnel-totals" data-testid="funnel-totals">
            {totalsWords(funnel)}
          </p>
          <h3>Biggest drop-offs</h3>
          {drops.length === 0 ? (
            <p>Nobody dropped off: every contact who reached a step went on to the next.</p>
          ) : (
            <ul className="funnel-drops">
              {drops.map((drop) => (
                <li key={`${drop.nodeId}/${drop.kind}`}>
                  <button
                    type="button"
                    className="link-button"
                    onClick={() => onChoose(drop.nodeId)}
                  >
                    {drop.sentence}
                  </button>
                </li>
              ))}
            </ul>
          )}
          {step && (
            <div className="funnel-step" role="status">
              <h3>{name(step.node_id, step.type)}</h3>
              <StepDetail counts={step} />
              <WaitingHere workspace={workspace} flowId={flowId} nodeId={step.node_id} />
              <button type="button" className="button small quiet" onClick={() => onChoose(null)}>
                Close step
              </button>
            </div>
          )}
          {!step && (
            <p className="muted funnel-note">
              Choose a step's card on the canvas to see its numbers here.
            </p>
          )}
        </>
      )}
      <div className="funnel-actions">
        <button type="button" className="button small" onClick={onTable}>
          Show as a table
        </button>
        <button type="button" className="button small" onClick={onCsv}>
          Download CSV
        </button>
      </div>
      <p className="muted funnel-note">
        Updated {new Date(updatedAt).toLocaleTimeString()}; refreshes every {REFRESH_MS / 1000}{" "}
        seconds. A contact who went through twice counts twice.
      </p>
      {gone.length > 0 && (
        <p className="muted funnel-note">
          Steps of version {funnel.version} that the draft no longer has are in the table only:{" "}
          {gone.join(", ")}.
        </p>
      )}
      {added.length > 0 && (
        <p className="muted funnel-note">
          Steps added after version {funnel.version} have no numbers: {added.join(", ")}.
        </p>
      )}
    </div>
  );
}

/** The ways out people chose first; the error and timeout ways after them. */
const late = (port: string) => (port === "error" || port === "timeout" ? 1 : 0);

function StepDetail({ counts }: { counts: Funnel["nodes"][number] }) {
  const outcome = outcomeOf(counts);
  const ways = Object.entries(counts.left).toSorted(([a], [b]) => late(a) - late(b));
  return (
    <>
      <p>
        {outcome.reached} {outcome.reached === 1 ? "contact" : "contacts"} reached this step.
      </p>
      {ways.length > 0 && (
        <ul>
          {ways.map(([port, count]) => (
            <li key={port}>
              Left by “{port}”: {count} ({percent(count, outcome.reached)})
            </li>
          ))}
          {outcome.failed > 0 && <li>Failed here: {outcome.failed}</li>}
          {outcome.stayed > 0 && <li>Not gone on (waiting, or stopped): {outcome.stayed}</li>}
        </ul>
      )}
    </>
  );
}
