import { describe, expect, test } from "vitest";
import { columnSamples, guessDelimiter, records } from "./csv";

describe("reading the start of a CSV file", () => {
  test("quotes, doubled quotes, line breaks in quotes, CRLF and a byte-order mark", () => {
    const text =
      '\uFEFFphone,name,notes\r\n+351912345678,"Silva, Ana","said ""hi""\ntwice"\r\n\r\n+5511,Bruno,\r\n';
    expect(records(text, "comma")).toEqual([
      ["phone", "name", "notes"],
      ["+351912345678", "Silva, Ana", 'said "hi"\ntwice'],
      ["+5511", "Bruno", ""],
    ]);
  });

  test("three values per column, skipping blank cells", () => {
    const text = "phone;city\n1;\n2;Lisbon\n3;Porto\n4;Faro\n5;Braga\n";
    expect(columnSamples(text, "semicolon", 2)).toEqual([
      ["1", "2", "3"],
      ["Lisbon", "Porto", "Faro"],
    ]);
  });

  test("a column with no values has no samples", () => {
    expect(columnSamples("a\tb\n1\t\n", "tab", 2)).toEqual([["1"], []]);
  });

  test("the delimiter is the most frequent one of the first line", () => {
    expect(guessDelimiter("phone;name;city\n1,2;x;y")).toBe("semicolon");
    expect(guessDelimiter("phone\tname")).toBe("tab");
    expect(guessDelimiter("phone,name")).toBe("comma");
  });
});
