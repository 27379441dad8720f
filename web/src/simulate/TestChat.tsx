// The test chat: a WhatsApp-like phone beside the canvas where the builder plays the contact
// against the real engine (docs/simulator.md). It runs the draft as the editor holds it
// (saved first) or a published version, shows what the flow would send, moves the virtual
// clock on so delays and reply timeouts play at once, and draws where the contact is and
// the ways it went on the canvas through the overlay seam (cleared when the chat closes).
// Two shortcuts: start at a chosen step with variables set, and answer HTTP and AI steps
// from the form instead of calling out.

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useReactFlow } from "@xyflow/react";
import { api, ok } from "../api/client";
import { messageOf } from "../api/errors";
import { useCatalog } from "../canvas/Canvas";
import { clearOverlay, showOverlay } from "../canvas/overlay";
import { flushSave, getDocument, select, useDocumentStore } from "../document";
import type { FlowDoc } from "../document/types";
import { callingSteps } from "./answers";
import {
  closeHandoff,
  endSimulation,
  fastForward,
  say,
  startSimulation,
  type Say,
  type StartFrom,
  type Stub,
} from "./api";
import { ChatBubble, type ChatActions } from "./Bubbles";
import { Composer } from "./Composer";
import {
  activeRuns,
  chatItemOf,
  clockTime,
  overlayOf,
  transcriptOf,
  windowOf,
  withStep,
  type StepView,
  type Transcript,
} from "./model";
import { SetupForm } from "./SetupForm";
import { useStickToEnd } from "./stickToEnd";
import {
  buildRequest,
  fieldValue,
  initialSetup,
  startSteps,
  type Problem,
  type Setup,
} from "./setup";
import { TraceList } from "./TraceList";
import "./simulate.css";

interface Props {
  workspace: string;
  flowId: string;
  onClose: () => void;
  /** A step to test from: the setup opens with "From a step" and this step chosen. */
  from?: string;
}

interface Running {
  id: string;
  transcript: Transcript;
  /** The ad the contact's first message comes from, until it is sent. */
  referral?: { source_id: string; headline: string };
  /** The step the test started at, when it skipped the trigger. */
  start?: StartFrom;
  /** The answers written for calling steps, by step id. */
  stubs: Record<string, Stub>;
}

export function TestChat({ workspace, flowId, onClose, from }: Props) {
  const doc = useMemo(() => (getDocument() as FlowDoc | null) ?? undefined, []);
  const [setup, setSetup] = useState<Setup>(() => initialSetup(doc, from));
  const [problem, setProblem] = useState<Problem>();
  const [running, setRunning] = useState<Running>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const flow = useReactFlow();
  const starts = useMemo(() => startSteps(doc).map((step) => step.id), [doc]);
  const calling = useMemo(() => callingSteps(doc), [doc]);
  // One step selected on the canvas, beside the chat, can be where the test starts.
  const selected = useDocumentStore((s) =>
    s.selection.nodes.length === 1 ? s.selection.nodes[0] : undefined,
  );
  const selectedStart = selected && starts.includes(selected) ? selected : undefined;
  // Steps named as the canvas and the problems list name them: id and kind of step.
  const catalog = useCatalog();
  const stepName = useCallback(
    (id: string) => {
      const type = doc?.nodes.find((node) => node.id === id)?.type;
      const label = catalog.data?.find((entry) => entry.type === type)?.label ?? type;
      return label ? `${id} (${label})` : id;
    },
    [doc, catalog.data],
  );

  const templates = useQuery({
    queryKey: ["templates", workspace],
    queryFn: () =>
      ok(
        api.GET("/api/v1/workspaces/{workspace}/templates", {
          params: { path: { workspace }, query: { status: "APPROVED" } },
        }),
      ),
    staleTime: 60_000,
  });

  // The canvas shows where the contact is, and follows it when it moves to another step;
  // nothing is left drawn once the chat closes.
  const followed = useRef<string>(undefined);
  useEffect(() => {
    if (!running) {
      clearOverlay();
      followed.current = undefined;
      return;
    }
    const overlay = overlayOf(running.transcript.trace, running.transcript.state);
    showOverlay(overlay);
    const current = [...overlay.nodes].find(([, mark]) => mark === "current")?.[0];
    if (current && current !== followed.current) {
      followed.current = current;
      void flow.fitView({ nodes: [{ id: current }], maxZoom: 0.8, minZoom: 0.6, duration: 0 });
    }
  }, [running, flow]);
  useEffect(() => () => clearOverlay(), []);
  // A simulation lives on the server until it is ended (or expires after an hour unused).
  const simulationId = running?.id;
  useEffect(() => {
    if (!simulationId) return;
    return () => endSimulation(workspace, simulationId);
  }, [workspace, simulationId]);

  // A problem stays beside its field until that field is changed.
  const change = (next: Setup) => {
    if (problem && fieldValue(next, problem.field) !== fieldValue(setup, problem.field)) {
      setProblem(undefined);
    }
    setSetup(next);
  };

  const start = async () => {
    const built = buildRequest(flowId, setup);
    if (!built.ok) {
      setProblem({ field: built.field, message: built.message });
      return;
    }
    setProblem(undefined);
    setError(undefined);
    setBusy(true);
    try {
      // The draft is tested as the editor holds it: saved first.
      if (setup.source === "draft") await flushSave();
      const view = await startSimulation(workspace, built.request);
      setRunning({
        id: view.id,
        transcript: transcriptOf(view),
        referral: built.referral,
        start: built.request.start ?? undefined,
        stubs: built.request.stubs ?? {},
      });
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  const act = useCallback(
    async (call: (id: string) => Promise<StepView>, after?: () => void) => {
      if (!running) return;
      setBusy(true);
      setError(undefined);
      try {
        const step = await call(running.id);
        setRunning((r) => (r ? { ...r, transcript: withStep(r.transcript, step) } : r));
        after?.();
      } catch (e) {
        setError(messageOf(e));
      } finally {
        setBusy(false);
      }
    },
    [running],
  );

  const send = useCallback(
    (body: Say) => {
      const referral = running?.referral;
      return act(
        (id) => say(workspace, id, referral ? { ...body, referral } : body),
        () => setRunning((r) => (r ? { ...r, referral: undefined } : r)),
      );
    },
    [act, running?.referral, workspace],
  );

  const showStep = useCallback(
    (nodeId: string) => {
      if (!getDocument()?.nodes.some((n) => n.id === nodeId)) return;
      select({ nodes: [nodeId], notes: [], edges: [] });
      void flow.fitView({ nodes: [{ id: nodeId }], maxZoom: 1, minZoom: 0.6, duration: 0 });
    },
    [flow],
  );

  const restart = () => {
    setRunning(undefined);
    setError(undefined);
  };

  return (
    <section className="test-chat" aria-label="Test chat">
      <header className="sim-head">
        <h2>Test chat</h2>
        {running && (
          <button type="button" className="button small quiet" onClick={restart}>
            New test
          </button>
        )}
        <button type="button" className="button small" onClick={onClose}>
          Close test
        </button>
      </header>
      {error && (
        <p className="sim-error" role="alert">
          {error}
        </p>
      )}
      {!running ? (
        <div className="sim-scroll">
          <SetupForm
            workspace={workspace}
            flowId={flowId}
            setup={setup}
            onChange={change}
            onStart={() => void start()}
            starting={busy}
            problem={problem}
            startSteps={starts}
            callingSteps={calling}
            selectedStep={selectedStart}
            stepName={stepName}
          />
        </div>
      ) : (
        <Session
          running={running}
          busy={busy}
          templates={templates.data?.templates}
          onSend={(body) => void send(body)}
          onFastForward={(body) => void act((id) => fastForward(workspace, id, body))}
          onCloseHandoff={() => void act((id) => closeHandoff(workspace, id))}
          onSelect={showStep}
          stepName={stepName}
        />
      )}
    </section>
  );
}

function Session({
  running,
  busy,
  templates,
  onSend,
  onFastForward,
  onCloseHandoff,
  onSelect,
  stepName,
}: {
  running: Running;
  busy: boolean;
  templates: Parameters<typeof ChatBubble>[0]["templates"];
  onSend: (body: Say) => void;
  onFastForward: (body: { by: string } | { next_timer: true }) => void;
  onCloseHandoff: () => void;
  onSelect: (nodeId: string) => void;
  stepName: (stepId: string) => string;
}) {
  const { transcript, referral } = running;
  const { state } = transcript;
  const window = windowOf(state);
  const nextTimer = state.timers[0];
  const live = activeRuns(state);
  const inHandoff = live.some((run) => run.status === "handoff");
  const [amount, setAmount] = useState("1");
  const [unit, setUnit] = useState("h");
  const scroller = useStickToEnd<HTMLDivElement>(transcript.entries.length);

  const actions: ChatActions = {
    busy,
    tap: (id) => onSend({ button: id }),
    pick: (id) => onSend({ list_reply: id }),
  };
  const items = transcript.entries.map(chatItemOf);
  const contact = state.contact;
  const by = Number(amount);

  return (
    <div className="sim-session">
      <div className="sim-bar">
        <div className="sim-clock">
          <span title="The simulation's clock (UTC)">Clock: {clockTime(state.now)}</span>
          <span className={`window-pill window-${window.state}`}>{window.words}</span>
        </div>
        <div className="sim-skip">
          <button
            type="button"
            className="button small"
            disabled={busy || !nextTimer}
            onClick={() => onFastForward({ next_timer: true })}
            title={
              nextTimer
                ? `${nextTimer.node_id}: ${timerInWords(nextTimer.what)} in ${nextTimer.due_in}`
                : "No timer is waiting"
            }
          >
            Skip to the next timer
            {nextTimer ? ` (${nextTimer.due_in})` : ""}
          </button>
          <form
            className="sim-skip-by"
            onSubmit={(e) => {
              e.preventDefault();
              if (by > 0) onFastForward({ by: `${by}${unit}` });
            }}
          >
            <label>
              <span className="visually-hidden">Skip ahead by</span>
              <input
                type="number"
                min={1}
                value={amount}
                onChange={(e) => setAmount(e.target.value)}
                aria-label="Skip ahead by"
              />
            </label>
            <select value={unit} onChange={(e) => setUnit(e.target.value)} aria-label="Unit">
              <option value="m">minutes</option>
              <option value="h">hours</option>
              <option value="d">days</option>
            </select>
            <button type="submit" className="button small" disabled={busy || !(by > 0)}>
              Skip ahead
            </button>
          </form>
        </div>
        {inHandoff && (
          <button
            type="button"
            className="button small primary"
            disabled={busy}
            onClick={onCloseHandoff}
          >
            The operator closes the conversation
          </button>
        )}
      </div>
      <ShortcutsUsed start={running.start} stubs={running.stubs} stepName={stepName} />
      <div className="phone">
        <div className="phone-top">
          <span className="phone-avatar" aria-hidden="true">
            {(contact.name ?? "?").slice(0, 1).toUpperCase()}
          </span>
          <span>
            <strong>{contact.name ?? contact.phone}</strong>
            <small>
              {contact.phone}
              {contact.marketing_opt_in ? " · opted in" : " · no Marketing opt-in"}
            </small>
          </span>
        </div>
        <div className="chat-scroll" ref={scroller} aria-live="polite" aria-label="Conversation">
          {items.length === 0 && <p className="chat-note">Nothing yet: write as the contact.</p>}
          {items.map((item) => (
            <ChatBubble key={item.entry.seq} item={item} actions={actions} templates={templates} />
          ))}
          {live.length === 0 && items.length > 0 && (
            <p className="chat-note chat-ended">
              The journey has ended for this contact. Start a new test to try again.
            </p>
          )}
        </div>
        {referral && (
          <p className="sim-referral">
            Your next message comes from the ad “{referral.headline || referral.source_id}”.
          </p>
        )}
        <Composer busy={busy} onSend={onSend} />
      </div>
      <TraceList
        trace={transcript.trace}
        onSelect={onSelect}
        stubbed={new Set(Object.keys(running.stubs))}
      />
    </div>
  );
}

/** What this test does differently from a real contact: where it started, what is faked. */
function ShortcutsUsed({
  start,
  stubs,
  stepName,
}: {
  start?: StartFrom;
  stubs: Record<string, Stub>;
  stepName: (stepId: string) => string;
}) {
  const answered = Object.entries(stubs);
  if (!start && answered.length === 0) return null;
  const vars = Object.entries(start?.vars ?? {});
  return (
    <ul className="sim-shortcuts" aria-label="This test's shortcuts">
      {start && (
        <li>
          Started at <strong>{stepName(start.node)}</strong>
          {vars.length > 0 &&
            `, with ${vars.map(([name, value]) => `${name} = ${JSON.stringify(value)}`).join(", ")}`}
        </li>
      )}
      {answered.map(([id, stub]) => (
        <li key={id}>
          <span className="stub-mark">Test answer</span> <strong>{stepName(id)}</strong>{" "}
          {stubInWords(stub)}
        </li>
      ))}
    </ul>
  );
}

function stubInWords(stub: Stub): string {
  if (stub.error) return `fails: ${stub.error}`;
  if (stub.reply) return `answers “${stub.reply}”`;
  return `answers ${stub.status ?? 200}`;
}

function timerInWords(what: string): string {
  if (what === "delay") return "the delay ends";
  if (what === "reply_timeout") return "the wait for a reply times out";
  if (what === "handoff_timeout") return "the handoff times out";
  if (what === "quiet_hours") return "quiet hours end";
  if (what === "typing_pause") return "the contact stops typing";
  return what.replace(/_/g, " ");
}
