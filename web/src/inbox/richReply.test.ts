// WhatsApp's limits on what a reply carries besides its text, as the composer checks them
// before sending: quick-reply buttons (at most 3, 1 to 20 characters, all different) and a
// file by its public https link, and the body each send makes.

import { describe, expect, it } from "vitest";
import type { FlowListItem } from "../flows/api";
import { liveJourneys } from "./moveTo";
import {
  attachmentPreview,
  attachmentProblem,
  buttonProblems,
  replyBody,
  titleCounter,
  type Attachment,
} from "./richReply";

const file = (over: Partial<Attachment>): Attachment => ({
  kind: "image",
  url: "https://shop.example/receipts/r-17.png",
  caption: "",
  ...over,
});

const flow = (id: string, name: string, published: number | null): FlowListItem => ({
  id,
  name,
  revision: 1,
  published_version: published,
  created_at: "2026-11-01T00:00:00Z",
  updated_at: "2026-11-01T00:00:00Z",
  updated_by: "ana@shop.test",
  unpublished_changes: false,
});

describe("quick-reply buttons", () => {
  it("lets short, different titles go", () => {
    expect(buttonProblems(["Yes please", "No", "Call me"])).toEqual([null, null, null]);
  });

  it("counts a title's characters as WhatsApp does, emoji as one", () => {
    expect(titleCounter("  Yes 👍 ")).toBe("5 / 20");
    expect(buttonProblems(["👍".repeat(20)])).toEqual([null]);
  });

  it("flags a title over 20 characters, and an empty one, naming the button", () => {
    expect(buttonProblems(["Yes", "A much too long button title", " "])).toEqual([
      null,
      "Button 2 is too long: at most 20 characters.",
      "Button 3 has no title: give it one, or remove it.",
    ]);
  });

  it("flags a title that repeats one before it, not the first one", () => {
    expect(buttonProblems(["Yes", "No", " Yes"])).toEqual([
      null,
      null,
      "Button 3 says the same as button 1: the contact could not tell them apart.",
    ]);
    // WhatsApp tells "yes" from "Yes".
    expect(buttonProblems(["Yes", "yes"])).toEqual([null, null]);
  });
});

describe("a file by its link", () => {
  it("needs a whole public https link", () => {
    expect(attachmentProblem(file({ url: " " }))).toBe("Paste the link to the file.");
    for (const url of ["http://shop.example/r.png", "shop.example/r.png", "https://"]) {
      expect(attachmentProblem(file({ url }))).toBe(
        "WhatsApp fetches the file from a public link starting with https://.",
      );
    }
    expect(attachmentProblem(file({}))).toBeNull();
  });

  it("takes a caption of up to 1,024 characters", () => {
    expect(attachmentProblem(file({ caption: "x".repeat(1024) }))).toBeNull();
    expect(attachmentProblem(file({ caption: "x".repeat(1025) }))).toBe(
      "The caption is too long: at most 1,024 characters.",
    );
  });

  it("previews what the contact gets in one line", () => {
    expect(attachmentPreview(file({ caption: " Your receipt " }))).toBe(
      "[image] Your receipt · r-17.png",
    );
    expect(attachmentPreview(file({ kind: "video", url: "https://shop.example/" }))).toBe(
      "[video]",
    );
    // WhatsApp sends no caption with an audio file.
    expect(
      attachmentPreview(file({ kind: "audio", url: "https://s.example/hi.ogg", caption: "Hi" })),
    ).toBe("[audio] · hi.ogg");
  });
});

describe("what a send carries", () => {
  it("sends the text alone, or with its buttons trimmed", () => {
    expect(replyBody(" Hello ", null, null)).toEqual({ text: "Hello" });
    expect(replyBody("Refund?", [" Yes please ", "No"], null)).toEqual({
      text: "Refund?",
      buttons: ["Yes please", "No"],
    });
  });

  it("sends the file instead of the text when one is attached", () => {
    const receipt: Attachment = {
      kind: "image",
      url: " https://shop.example/r.png ",
      caption: " Your receipt ",
    };
    expect(replyBody("kept for later", ["Yes"], receipt)).toEqual({
      media: { kind: "image", url: "https://shop.example/r.png", caption: "Your receipt" },
    });
  });

  it("names a document after its file, and leaves an empty caption out", () => {
    const invoice: Attachment = {
      kind: "document",
      url: "https://shop.example/files/Invoice%20A-17.pdf",
      caption: "",
    };
    expect(replyBody("", null, invoice)).toEqual({
      media: {
        kind: "document",
        url: "https://shop.example/files/Invoice%20A-17.pdf",
        filename: "Invoice A-17.pdf",
      },
    });
  });
});

describe("the journeys a contact can be sent to", () => {
  it("offers the live ones other than the current journey, by name", () => {
    const flows = [
      flow("survey", "Survey", 2),
      flow("help", "Help desk", 1),
      flow("draft", "A draft", null),
      flow("cart", "Abandoned cart", 3),
    ];
    expect(liveJourneys(flows, "help")).toEqual([
      { id: "cart", name: "Abandoned cart" },
      { id: "survey", name: "Survey" },
    ]);
  });
});
