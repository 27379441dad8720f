import { describe, expect, test } from "vitest";
import { ago, choiceOf, columnBody, fileSize, nameFromHeader, placeProblems } from "./words";

describe("contacts words", () => {
  const now = Date.UTC(2026, 4, 10, 12, 0, 0);
  test("times ago", () => {
    expect(ago(null, now)).toBe("Never wrote");
    expect(ago(now - 20_000, now)).toBe("Just now");
    expect(ago(now - 60_000, now)).toBe("1 minute ago");
    expect(ago(now - 3 * 3_600_000 - 5, now)).toBe("3 hours ago");
    expect(ago(now - 2 * 86_400_000, now)).toBe("2 days ago");
    expect(ago(Date.UTC(2026, 0, 5), now)).toBe("5 Jan 2026");
  });

  test("file sizes", () => {
    expect(fileSize(820)).toBe("820 bytes");
    expect(fileSize(12_400)).toBe("12.4 KB");
    expect(fileSize(3_100_000)).toBe("3.1 MB");
  });

  test("columns: the server's guesses and what is sent back", () => {
    expect(choiceOf({ kind: "property", name: "city" })).toEqual({
      kind: "property",
      name: "city",
    });
    expect(choiceOf({ kind: "something_new" })).toEqual({ kind: "ignore" });
    expect(columnBody({ kind: "phone", name: "x" })).toEqual({ kind: "phone" });
    expect(columnBody({ kind: "tag", name: " vip " })).toEqual({ kind: "tag", name: "vip" });
    expect(nameFromHeader(" Favourite Shop! ")).toBe("favourite_shop");
  });

  test("the server's column problems land next to their columns", () => {
    expect(
      placeProblems([
        { code: "no_phone" },
        { code: "repeated", label: "Phone", columns: ["Mobile", "Phone"] },
        { code: "tag_name", column: "VIP" },
        { code: "unknown_default_country", value: "XX" },
      ]),
    ).toEqual([
      { message: "Choose the column that holds the WhatsApp numbers." },
      { column: "Mobile", message: "Only one column can be “Phone”; “Mobile”, “Phone” all are." },
      { column: "Phone", message: "Only one column can be “Phone”; “Mobile”, “Phone” all are." },
      {
        column: "VIP",
        message: "Give the tag 1 to 64 characters, without commas, semicolons or |.",
      },
      { country: true, message: "Choose a country from the list." },
    ]);
  });
});
