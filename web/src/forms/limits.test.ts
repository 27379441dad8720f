import { describe, expect, it } from "vitest";
import { counterOf, fixedLength, limitMarks } from "./limits";
import { sendButtons, sendList } from "./fixtures";

const rows = (n: number, from: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `r${from + i}`, title: `Row ${from + i}` }));

describe("WhatsApp's interactive limits, as the form is typed in", () => {
  it("flag a button title over 20 characters and a fourth button", () => {
    const config = {
      text: "Pick one",
      buttons: [
        { id: "a", title: "Yes please" },
        { id: "b", title: "Tell me more about the offer" },
        { id: "c", title: "No" },
        { id: "d", title: "Later" },
      ],
    };
    const marks = limitMarks(sendButtons, config, sendButtons, "config");
    expect(marks.map((m) => m.field)).toEqual(["config.buttons", "config.buttons[1].title"]);
    expect(marks[0]!.message).toBe("4 here; WhatsApp shows at most 3.");
    expect(marks[1]!.message).toBe("28 characters; WhatsApp shows at most 20 here.");
  });

  it("count the rows of every section of a list together", () => {
    const config = {
      text: "Menu",
      button: "See the menu",
      sections: [
        { title: "Pizza", rows: rows(6, 0) },
        { title: "Pasta", rows: rows(5, 6) },
      ],
    };
    const marks = limitMarks(sendList, config, sendList, "config");
    expect(marks).toEqual([
      { field: "config.sections", message: "11 rows in all; WhatsApp shows at most 10 in a list." },
    ]);
    config.sections[1]!.rows.pop();
    expect(limitMarks(sendList, config, sendList, "config")).toEqual([]);
  });

  it("do not count placeholders, whose length is not known until sending", () => {
    expect(fixedLength("Hi {{ contact.name }}!", true)).toBe(4);
    expect(fixedLength("Hi {{ contact.name }}!", false)).toBe(22);
    const header = { text: "x", buttons: [], header: `${"a".repeat(59)}{{ vars.long_name }}` };
    expect(limitMarks(sendButtons, header, sendButtons, "config")).toEqual([]);
    header.header = "a".repeat(61);
    expect(limitMarks(sendButtons, header, sendButtons, "config")).toEqual([
      { field: "config.header", message: "61 characters; WhatsApp shows at most 60 here." },
    ]);
  });

  it("give a limited field a counter", () => {
    const title = sendButtons.$defs!.Button!.properties!.title!;
    expect(counterOf("Yes", title, sendButtons)).toEqual({ used: 3, max: 20, over: false });
    expect(counterOf("x".repeat(21), title, sendButtons)?.over).toBe(true);
    expect(counterOf("Yes", { type: "string" }, sendButtons)).toBeUndefined();
  });
});
