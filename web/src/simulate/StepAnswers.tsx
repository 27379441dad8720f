// In the test setup, each step that calls another system: call it for real, answer in its
// place (a status and a body for an HTTP request, the words for an AI agent), or make the
// call fail so the journey's "error" way can be tried.

import {
  answerField,
  type AnswerChoice,
  type AnswerField,
  type CallingStep,
  type StepAnswer,
} from "./answers";
import { Choice, FieldProblem, Row } from "./FormParts";

interface Props {
  steps: readonly CallingStep[];
  answers: Record<string, StepAnswer>;
  onChange: (stepId: string, answer: StepAnswer) => void;
  problem?: { field: string; message: string };
  /** A step as the canvas names it. */
  stepName: (stepId: string) => string;
}

export function StepAnswers({ steps, answers, onChange, problem, stepName }: Props) {
  const anyReal = steps.some((step) => (answers[step.id]?.choice ?? "real") === "real");
  return (
    <fieldset className="sim-answers">
      <legend>Steps that call other services</legend>
      <p className="muted">
        For each, choose whether the test calls the service or uses an answer you write here.
        {anyReal &&
          " A real call really happens: point it at a test service if it would change something."}
      </p>
      {steps.map((step) => {
        const answer = answers[step.id];
        if (!answer) return null;
        return (
          <StepAnswerChoice
            key={step.id}
            step={step}
            answer={answer}
            name={stepName(step.id)}
            onChange={(next) => onChange(step.id, next)}
            problemFor={(field) => (problem?.field === field ? problem.message : undefined)}
          />
        );
      })}
    </fieldset>
  );
}

function StepAnswerChoice({
  step,
  answer,
  name,
  onChange,
  problemFor,
}: {
  step: CallingStep;
  answer: StepAnswer;
  name: string;
  onChange: (answer: StepAnswer) => void;
  problemFor: (field: AnswerField) => string | undefined;
}) {
  const set = <K extends keyof StepAnswer>(key: K, value: StepAnswer[K]) =>
    onChange({ ...answer, [key]: value });
  const choose = (choice: AnswerChoice) => set("choice", choice);
  const field = (part: Parameters<typeof answerField>[1]) => answerField(step.id, part);
  const http = step.kind === "http";

  return (
    <fieldset className={`sim-answer answer-${answer.choice}`}>
      <legend>{name}</legend>
      {step.target && <p className="sim-answer-target">{step.target}</p>}
      <div className="sim-answer-choices">
        <Choice
          name={`answer-${step.id}`}
          checked={answer.choice === "real"}
          onChange={() => choose("real")}
        >
          Call the real service
        </Choice>
        <Choice
          name={`answer-${step.id}`}
          checked={answer.choice === "stub"}
          onChange={() => choose("stub")}
        >
          Use this answer
        </Choice>
        <Choice
          name={`answer-${step.id}`}
          checked={answer.choice === "fail"}
          onChange={() => choose("fail")}
        >
          Make it fail
        </Choice>
      </div>
      {answer.choice === "stub" && http && (
        <div className="sim-indent">
          <Row label="Status" hint="200 means it worked; 201 created; 404 not found; 500 failed.">
            {(id) => (
              <input
                id={id}
                className="sim-status"
                inputMode="numeric"
                aria-invalid={problemFor(field("status")) !== undefined}
                value={answer.status}
                onChange={(e) => set("status", e.target.value)}
              />
            )}
          </Row>
          <FieldProblem message={problemFor(field("status"))} />
          <Row
            label="Response body (JSON)"
            hint="What the service sends back; the step keeps it for the next steps."
          >
            {(id) => (
              <textarea
                id={id}
                className="code"
                rows={4}
                spellCheck={false}
                aria-invalid={problemFor(field("body")) !== undefined}
                value={answer.body}
                onChange={(e) => set("body", e.target.value)}
              />
            )}
          </Row>
          <FieldProblem message={problemFor(field("body"))} />
        </div>
      )}
      {answer.choice === "stub" && !http && (
        <div className="sim-indent">
          <Row label="The AI answers">
            {(id) => (
              <textarea
                id={id}
                rows={3}
                aria-invalid={problemFor(field("reply")) !== undefined}
                value={answer.reply}
                onChange={(e) => set("reply", e.target.value)}
              />
            )}
          </Row>
          <FieldProblem message={problemFor(field("reply"))} />
        </div>
      )}
      {answer.choice === "fail" && (
        <div className="sim-indent">
          <Row label="Why it fails" hint="The journey goes on by the step's “error” way.">
            {(id) => (
              <input
                id={id}
                aria-invalid={problemFor(field("error")) !== undefined}
                value={answer.error}
                onChange={(e) => set("error", e.target.value)}
              />
            )}
          </Row>
          <FieldProblem message={problemFor(field("error"))} />
        </div>
      )}
    </fieldset>
  );
}
