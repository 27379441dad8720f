import { describe, expect, it } from "vitest";
import type { FlowDoc } from "../document/types";
import { answerField, callingSteps } from "./answers";
import { buildRequest, fieldValue, initialSetup, startSteps, type Setup } from "./setup";

// The shape of the ad-lead example: a trigger, a switch, an HTTP call, an AI step.
const doc: FlowDoc = {
  schema: 1,
  id: "lead",
  name: "Lead",
  nodes: [
    { id: "ad_click", type: "ctwa_referral" },
    { id: "route_score", type: "switch" },
    {
      id: "create_crm_lead",
      type: "http_request",
      config: { method: "POST", url: "https://crm.example.com/api/leads" },
    },
    { id: "agent", type: "ai_agent", config: { model: "gpt-4o-mini" } },
    { id: "handoff_sales", type: "handoff" },
  ],
  edges: [],
};

/** The form as the builder left it, with one step's answer changed. */
function answering(id: string, change: Partial<Setup["answers"][string]>): Setup {
  const setup = initialSetup(doc);
  const answer = setup.answers[id]!;
  return { ...setup, answers: { ...setup.answers, [id]: { ...answer, ...change } } };
}

describe("starting from a step", () => {
  it("offers every step but the triggers, in the flow's order", () => {
    expect(startSteps(doc).map((step) => step.id)).toEqual([
      "route_score",
      "create_crm_lead",
      "agent",
      "handoff_sales",
    ]);
    // Opened to test from a step: that mode, that step; a trigger is no place to start.
    expect(initialSetup(doc, "route_score")).toMatchObject({
      mode: "step",
      startNode: "route_score",
    });
    expect(initialSetup(doc, "ad_click")).toMatchObject({ mode: "ad", startNode: "route_score" });
  });

  it("sends the step and its variables, and no payload or ad", () => {
    const built = buildRequest("lead", {
      ...initialSetup(doc, "route_score"),
      vars: "score = 80\nhot = true\n\ntiming = this_month",
      payload: '{"ignored": true}',
    });
    expect(built.ok).toBe(true);
    if (!built.ok) return;
    expect(built.request.start).toEqual({
      node: "route_score",
      vars: { score: 80, hot: true, timing: "this_month" },
    });
    expect(built.request.payload).toBeUndefined();
    expect(built.referral).toBeUndefined();
    expect(built.request.stubs).toBeUndefined();
  });

  it("takes the variables as JSON too, and says where either form is wrong", () => {
    const json = buildRequest("lead", {
      ...initialSetup(doc, "route_score"),
      vars: '{"score": 80, "need": {"kitchen": true}}',
    });
    expect(json.ok && json.request.start?.vars).toEqual({ score: 80, need: { kitchen: true } });
    const badJson = buildRequest("lead", {
      ...initialSetup(doc, "route_score"),
      vars: '{"score": 80,\n}',
    });
    expect(badJson).toMatchObject({ ok: false, field: "vars" });
    expect(!badJson.ok && badJson.message).toMatch(/^The variables are not valid JSON \(line 2\)/);
    const badLine = buildRequest("lead", {
      ...initialSetup(doc, "route_score"),
      vars: "score = 80\nscore 90",
    });
    expect(badLine).toMatchObject({
      ok: false,
      field: "vars",
      message: "Line 2 needs the form name = value (e.g. score = 80).",
    });
  });

  it("asks for a step when none is chosen", () => {
    const built = buildRequest("lead", { ...initialSetup(doc), mode: "step", startNode: "" });
    expect(built).toMatchObject({ ok: false, field: "startNode" });
  });
});

describe("answers for steps that call other services", () => {
  it("lists HTTP and AI steps with what they call; each calls for real at first", () => {
    expect(callingSteps(doc)).toEqual([
      { id: "create_crm_lead", kind: "http", target: "POST https://crm.example.com/api/leads" },
      { id: "agent", kind: "ai", target: "gpt-4o-mini" },
    ]);
    const built = buildRequest("lead", initialSetup(doc));
    expect(built.ok && built.request.stubs).toBeUndefined();
  });

  it("sends a status and a body, a reply, or a failure, by step", () => {
    const setup = answering("create_crm_lead", {
      choice: "stub",
      status: " 201 ",
      body: '{"id": "lead-9"}',
    });
    setup.answers.agent = { ...setup.answers.agent!, choice: "fail", error: " the API is down " };
    const built = buildRequest("lead", setup);
    expect(built.ok && built.request.stubs).toEqual({
      create_crm_lead: { status: 201, body: { id: "lead-9" } },
      agent: { error: "the API is down" },
    });
    const ai = buildRequest("lead", answering("agent", { choice: "stub", reply: "Tomorrow." }));
    expect(ai.ok && ai.request.stubs).toEqual({ agent: { reply: "Tomorrow." } });
    // Any JSON is a body; none at all is an answer without one.
    const list = buildRequest("lead", answering("create_crm_lead", { choice: "stub", body: "[]" }));
    expect(list.ok && list.request.stubs).toEqual({ create_crm_lead: { status: 200, body: [] } });
    const empty = buildRequest("lead", answering("create_crm_lead", { choice: "stub", body: " " }));
    expect(empty.ok && empty.request.stubs).toEqual({ create_crm_lead: { status: 200 } });
  });

  it("puts a body that is not JSON on that step's body field, with the line", () => {
    const built = buildRequest(
      "lead",
      answering("create_crm_lead", { choice: "stub", body: '{\n  "id": "lead-9",\n}' }),
    );
    expect(built).toMatchObject({ ok: false, field: answerField("create_crm_lead", "body") });
    expect(!built.ok && built.message).toMatch(/^The response body is not valid JSON \(line 3\)/);
  });

  it("refuses a status that is not one, an empty reply and a failure without words", () => {
    for (const status of ["", "42", "20x", "200.5"]) {
      const built = buildRequest("lead", answering("create_crm_lead", { choice: "stub", status }));
      expect(built).toMatchObject({ ok: false, field: "answers.create_crm_lead.status" });
    }
    expect(buildRequest("lead", answering("agent", { choice: "stub", reply: "  " }))).toMatchObject(
      { ok: false, field: "answers.agent.reply", message: "Write what the AI answers." },
    );
    expect(buildRequest("lead", answering("agent", { choice: "fail", error: "" }))).toMatchObject({
      ok: false,
      field: "answers.agent.error",
    });
  });
});

describe("a problem's field", () => {
  it("reads the field a problem is on, a step's answer included, to see it changed", () => {
    const setup = answering("create_crm_lead", { body: "{]" });
    expect(fieldValue(setup, "answers.create_crm_lead.body")).toBe("{]");
    expect(fieldValue(setup, "answers.gone.body")).toBeUndefined();
    expect(fieldValue({ ...setup, vars: "score = 80" }, "vars")).toBe("score = 80");
  });
});
