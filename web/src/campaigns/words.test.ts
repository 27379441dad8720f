import { describe, expect, it } from "vitest";
import { ApiFailure } from "../api/errors";
import { hasBroadcast } from "./api";
import { campaignBody, partOf } from "./NewCampaignPage";
import type { Preflight, Progress } from "./types";
import {
  bands,
  limitShares,
  limitWords,
  pastedNumbers,
  pauseWords,
  progressWords,
  reasonWords,
  recipientStateWords,
  sentCount,
  skippedLines,
  stateLook,
  zonedInstant,
} from "./words";

const progress = (counts: Record<string, number>, total: number): Progress => ({
  counts,
  total,
  per_minute: 0,
  eta: null,
});

const preflight = (over: Partial<Preflight> = {}): Preflight => ({
  audience: 320,
  suppressed: 5,
  no_opt_in: 15,
  recipients: 300,
  outside_window: 300,
  marketing: true,
  limit: { limit: 250, reached: 60, waiting: 10, remaining: 180 },
  days_needed: 2,
  fits: false,
  ...over,
});

describe("state words", () => {
  it("names each campaign state with a colour", () => {
    expect(stateLook("sending")).toMatchObject({ label: "Sending", tone: "green" });
    expect(stateLook("paused")).toMatchObject({ label: "Paused", tone: "amber" });
    expect(stateLook("cancelled")).toMatchObject({ label: "Cancelled", tone: "red" });
    expect(stateLook("scheduled")).toMatchObject({ label: "Scheduled", tone: "blue" });
  });

  it("names recipient states for people", () => {
    expect(recipientStateWords("queued")).toBe("Waiting");
    expect(recipientStateWords("handed")).toBe("Starting");
    expect(recipientStateWords("pending")).toBe("Sent to WhatsApp");
    expect(recipientStateWords("finished")).toBe("Journey ended without a message");
  });

  it("explains skips and WhatsApp's failure codes", () => {
    expect(reasonWords("skipped", "no_opt_in")).toBe("hasn't agreed to offers");
    expect(reasonWords("skipped", "suppressed")).toBe("asked not to be contacted, or was erased");
    expect(reasonWords("failed", "131049")).toBe(
      "WhatsApp limits how many offers one person gets — tried again a day later (WhatsApp code 131049)",
    );
    expect(reasonWords("failed", "weird_thing")).toBe("weird thing");
    expect(reasonWords("sent", null)).toBe("");
  });

  it("says who paused or cancelled", () => {
    expect(pauseWords("paused by user:ana@shop.test")).toBe("Paused by ana@shop.test.");
    expect(pauseWords("cancelled by user:ana@shop.test")).toBe("Cancelled by ana@shop.test.");
    expect(pauseWords("WhatsApp paused the template spring_sale")).toBe(
      "WhatsApp paused the template spring_sale.",
    );
    expect(pauseWords(null)).toBe("");
  });
});

describe("progress maths", () => {
  it("counts messages that reached WhatsApp as sent", () => {
    const p = progress(
      { pending: 2, sent: 10, delivered: 300, read: 400, replied: 100, failed: 3 },
      1000,
    );
    expect(sentCount(p)).toBe(812);
    expect(progressWords({ state: "sending", progress: p })).toBe("812 of 1,000 sent");
  });

  it("says what a campaign with nobody counted yet is doing", () => {
    expect(progressWords({ state: "draft", progress: progress({}, 0) })).toBe("Not sent yet");
    expect(progressWords({ state: "scheduled", progress: progress({}, 0) })).toBe(
      "Waiting for its time",
    );
    expect(progressWords({ state: "cancelled", progress: progress({}, 0) })).toBe("Nothing sent");
    expect(progressWords({ state: "paused", progress: progress({}, 0) })).toBe("Not started yet");
  });

  it("splits everyone into the bar's bands, adding up to 100%", () => {
    const p = progress(
      {
        queued: 10,
        handed: 10,
        pending: 5,
        sent: 15,
        delivered: 20,
        read: 20,
        replied: 10,
        failed: 5,
        skipped: 5,
      },
      100,
    );
    const all = bands(p);
    expect(all.map((b) => [b.key, b.count])).toEqual([
      ["replied", 10],
      ["read", 20],
      ["delivered", 20],
      ["sent", 20],
      ["ended", 0],
      ["failed", 5],
      ["skipped", 5],
      ["waiting", 20],
    ]);
    expect(all.reduce((sum, b) => sum + b.percent, 0)).toBeCloseTo(100);
  });

  it("has empty bands when there is nobody", () => {
    expect(bands(progress({}, 0)).every((b) => b.percent === 0)).toBe(true);
  });
});

describe("pre-flight words", () => {
  it("puts the limit in one sentence", () => {
    expect(limitWords(preflight())).toBe(
      "WhatsApp lets this number start conversations with 250 new people a day; 180 left today; this campaign needs 300 → 2 days.",
    );
    expect(limitWords(preflight({ outside_window: 3, fits: true, days_needed: 1 }))).toBe(
      "WhatsApp lets this number start conversations with 250 new people a day; 180 left today; this campaign needs 3 → it fits today.",
    );
    expect(limitWords(preflight({ limit: null }))).toBeNull();
  });

  it("says who is skipped and why", () => {
    expect(skippedLines(preflight())).toEqual([
      "15 people haven't agreed to receive offers (the journey sends a Marketing template).",
      "5 people asked not to be contacted, or were erased.",
    ]);
    expect(skippedLines(preflight({ no_opt_in: 1, suppressed: 0 }))).toEqual([
      "1 person hasn't agreed to receive offers (the journey sends a Marketing template).",
    ]);
  });

  it("shares the limit bar between used today and this campaign", () => {
    expect(limitShares(preflight())).toEqual({ used: 28, needed: 72 });
    expect(limitShares(preflight({ outside_window: 25 }))).toEqual({ used: 28, needed: 10 });
  });
});

describe("times and numbers", () => {
  it("reads a date and time in a zone as the instant", () => {
    expect(zonedInstant("2026-12-05T09:00", "Europe/Berlin")).toBe("2026-12-05T08:00:00.000Z");
    expect(zonedInstant("2026-07-05T09:00", "Europe/Berlin")).toBe("2026-07-05T07:00:00.000Z");
    expect(zonedInstant("2026-12-05T09:00", "America/Sao_Paulo")).toBe("2026-12-05T12:00:00.000Z");
    expect(zonedInstant("2026-12-05T09:00", "UTC")).toBe("2026-12-05T09:00:00.000Z");
    expect(zonedInstant("", "UTC")).toBeNull();
  });

  it("takes pasted numbers one a line or separated by commas", () => {
    expect(pastedNumbers("+49 151 1234 5678\n+351-912-345-678, +49 151 1234 5678;\n\n")).toEqual([
      "+4915112345678",
      "+351912345678",
    ]);
  });

  it("finds the Broadcast trigger in a journey", () => {
    expect(hasBroadcast({ nodes: [{ type: "broadcast" }, { type: "end" }] })).toBe(true);
    expect(hasBroadcast({ nodes: [{ type: "inbound_message" }] })).toBe(false);
    expect(hasBroadcast(null)).toBe(false);
  });
});

describe("the new-campaign form", () => {
  const form = {
    name: "Spring sale",
    journey: "spring",
    audience: "segment" as const,
    segment: "seg_1",
    phones: "",
    when: "now" as const,
    at: "2026-12-05T09:00",
    zone: "Europe/Berlin",
    localTime: false,
    quiet: false,
    quietStart: "21:00",
    quietEnd: "08:00",
    split: true,
  };

  it("makes the API's body", () => {
    expect(campaignBody(form)).toEqual({
      name: "Spring sale",
      flow_id: "spring",
      segment_id: "seg_1",
      local_time: false,
      timezone: "Europe/Berlin",
      quiet_hours: null,
      split_over_days: true,
    });
    const later = campaignBody(
      { ...form, when: "later", localTime: true, quiet: true },
      Date.parse("2026-12-01T00:00:00Z"),
    );
    expect(later).toMatchObject({
      send_at: "2026-12-05T08:00:00.000Z",
      local_time: true,
      quiet_hours: { start: "21:00", end: "08:00" },
    });
  });

  it("says what to fix, next to each part", () => {
    expect(campaignBody({ ...form, name: " ", journey: "", segment: "" })).toEqual({
      name: "Give the campaign a name, e.g. “Spring sale”.",
      journey: "Choose the journey the campaign sends.",
      audience: "Choose the segment to send to.",
    });
    expect(
      campaignBody({ ...form, audience: "phones", phones: "+49 151 1234 5678\n0151 999" }),
    ).toEqual({
      audience:
        "This is not a WhatsApp number with a country code: 0151999. Write them as +49 151 1234 5678.",
    });
    expect(campaignBody({ ...form, when: "later" }, Date.parse("2027-01-01T00:00:00Z"))).toEqual({
      when: "This time has passed: choose one in the future, or send it now.",
    });
  });

  it("sends pasted numbers with their +", () => {
    expect(
      campaignBody({ ...form, audience: "phones", phones: "+49 151 1234 5678" }),
    ).toMatchObject({ phones: ["+4915112345678"] });
  });

  it("places the server's refusals next to the right part", () => {
    expect(partOf(new ApiFailure(400, "not_published", "Flow x is not published"))).toBe("journey");
    expect(partOf(new ApiFailure(400, "invalid_campaign", "Flow x has no broadcast trigger"))).toBe(
      "journey",
    );
    expect(partOf(new ApiFailure(400, "invalid_phone", '"12" is not a number'))).toBe("audience");
    expect(partOf(new ApiFailure(400, "invalid_name", "A campaign's name…"))).toBe("name");
    expect(partOf(new ApiFailure(400, "invalid_campaign", "Quiet hours are written…"))).toBe(
      "when",
    );
    expect(partOf(new TypeError("down"))).toBe("form");
  });
});
