// How each step that calls another system (an HTTP request, an AI agent) answers in a test:
// the real service, an answer the builder writes (a stub), or a failure. Pure, so the form's
// rules (a status that is not one, a body that is not JSON) are tested without a browser.

import type { FlowDoc } from "../document/types";
import type { Stub } from "./api";
import { parseJson } from "./fields";

export type AnswerChoice = "real" | "stub" | "fail";

/** One calling step's answer, as the setup form holds it (texts as typed). */
export interface StepAnswer {
  kind: "http" | "ai";
  choice: AnswerChoice;
  /** HTTP: the status code, as typed. */
  status: string;
  /** HTTP: the response body, JSON as typed (empty: no body). */
  body: string;
  /** AI: what the model says. */
  reply: string;
  /** Either: why the call fails. */
  error: string;
}

export type AnswerPart = "status" | "body" | "reply" | "error";

/** The form field of one step's answer, to show a problem beside it. */
export type AnswerField = `answers.${string}.${AnswerPart}`;

export const answerField = (stepId: string, part: AnswerPart): AnswerField =>
  `answers.${stepId}.${part}`;

export interface CallingStep {
  id: string;
  kind: "http" | "ai";
  /** `POST https://crm.example.com/api/leads`, or the AI's model, when the step says. */
  target?: string;
}

/** Steps that reach out to other systems, in the order the flow lists them. */
export function callingSteps(doc: FlowDoc | undefined): CallingStep[] {
  return (doc?.nodes ?? []).flatMap((node): CallingStep[] => {
    const config = node.config ?? {};
    if (node.type === "http_request") {
      const method = typeof config.method === "string" ? config.method : "GET";
      const url = typeof config.url === "string" ? config.url : undefined;
      return [{ id: node.id, kind: "http", target: url ? `${method} ${url}` : undefined }];
    }
    if (node.type === "ai_agent") {
      const model = typeof config.model === "string" ? config.model : undefined;
      return [{ id: node.id, kind: "ai", target: model }];
    }
    return [];
  });
}

/** Every calling step calls the real service until the builder says otherwise. */
export function initialAnswers(doc: FlowDoc | undefined): Record<string, StepAnswer> {
  return Object.fromEntries(
    callingSteps(doc).map((step) => [
      step.id,
      {
        kind: step.kind,
        choice: "real",
        status: "200",
        body: "{\n  \n}",
        reply: "",
        error: "The service did not answer.",
      } satisfies StepAnswer,
    ]),
  );
}

export type BuiltStubs =
  { ok: true; stubs: Record<string, Stub> } | { ok: false; field: AnswerField; message: string };

/** The stubs to send (steps that call the real service have none), or the first problem. */
export function stubsOf(answers: Record<string, StepAnswer>): BuiltStubs {
  const stubs: Record<string, Stub> = {};
  for (const [id, answer] of Object.entries(answers)) {
    if (answer.choice === "real") continue;
    if (answer.choice === "fail") {
      const error = answer.error.trim();
      if (error === "") {
        return {
          ok: false,
          field: answerField(id, "error"),
          message: "Say why the call fails (the contact never sees it).",
        };
      }
      stubs[id] = { error };
      continue;
    }
    if (answer.kind === "ai") {
      const reply = answer.reply.trim();
      if (reply === "") {
        return {
          ok: false,
          field: answerField(id, "reply"),
          message: "Write what the AI answers.",
        };
      }
      stubs[id] = { reply };
      continue;
    }
    const status = Number(answer.status.trim());
    if (answer.status.trim() === "" || !Number.isInteger(status) || status < 100 || status > 599) {
      return {
        ok: false,
        field: answerField(id, "status"),
        message: "The status is a number from 100 to 599 (200 means it worked).",
      };
    }
    if (answer.body.trim() === "") {
      stubs[id] = { status };
      continue;
    }
    const body = parseJson(answer.body, { what: "The response body" }, "any");
    if (!body.ok) return { ok: false, field: answerField(id, "body"), message: body.message };
    // The server takes any JSON as a body; the generated type says object.
    stubs[id] = { status, body: body.value as Record<string, unknown> };
  }
  return { ok: true, stubs };
}
