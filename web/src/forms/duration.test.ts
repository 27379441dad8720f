import { describe, expect, it } from "vitest";
import { amountAndUnit, durationInWords, formatDuration, parseDuration } from "./duration";

describe("durations", () => {
  it("read the way the flow format and people write them", () => {
    expect(parseDuration("1d")).toBe(86_400);
    expect(parseDuration("1h 30m")).toBe(5_400);
    expect(parseDuration("90s")).toBe(90);
    expect(parseDuration("2 days")).toBe(172_800);
    expect(parseDuration("3 hours 15 minutes")).toBe(11_700);
  });

  it("refuse what is not a duration", () => {
    expect(parseDuration("")).toBeUndefined();
    expect(parseDuration("soon")).toBeUndefined();
    expect(parseDuration("3 fortnights")).toBeUndefined();
    expect(parseDuration("0m")).toBeUndefined();
    expect(parseDuration("1h and more")).toBeUndefined();
  });

  it("show as an amount of the largest unit that fits, and in words", () => {
    expect(amountAndUnit(5_400)).toEqual({ amount: 90, unit: "m" });
    expect(amountAndUnit(86_400)).toEqual({ amount: 1, unit: "d" });
    expect(formatDuration(5_400)).toBe("90m");
    expect(formatDuration(3 * 86_400)).toBe("3d");
    expect(durationInWords(5_400)).toBe("1 hour 30 minutes");
    expect(durationInWords(86_400)).toBe("1 day");
    expect(durationInWords(3_600_000)).toBe("41 days 16 hours");
  });
});
