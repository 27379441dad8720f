// Durations as the flow format writes them ("90s", "30m", "1h 30m", "2d") and as people
// read and type them: an amount and a unit ("90 minutes"), or words ("1 hour 30 minutes").

export type Unit = "s" | "m" | "h" | "d";

export const UNITS: { unit: Unit; seconds: number; one: string; many: string }[] = [
  { unit: "d", seconds: 86_400, one: "day", many: "days" },
  { unit: "h", seconds: 3_600, one: "hour", many: "hours" },
  { unit: "m", seconds: 60, one: "minute", many: "minutes" },
  { unit: "s", seconds: 1, one: "second", many: "seconds" },
];

const ALIASES: Record<string, Unit> = {
  s: "s",
  sec: "s",
  secs: "s",
  second: "s",
  seconds: "s",
  m: "m",
  min: "m",
  mins: "m",
  minute: "m",
  minutes: "m",
  h: "h",
  hr: "h",
  hrs: "h",
  hour: "h",
  hours: "h",
  d: "d",
  day: "d",
  days: "d",
};

/** Seconds in a duration text ("1h 30m", "2 days", "90s"); undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const parts = [
    ...text
      .trim()
      .toLowerCase()
      .matchAll(/(\d+)\s*([a-z]+)/g),
  ];
  const rest = text
    .trim()
    .toLowerCase()
    .replace(/(\d+)\s*([a-z]+)/g, "")
    .trim();
  if (parts.length === 0 || rest !== "") return undefined;
  let seconds = 0;
  for (const [, amount, word] of parts) {
    const unit = ALIASES[word ?? ""];
    if (!unit) return undefined;
    seconds += Number(amount) * (UNITS.find((u) => u.unit === unit)?.seconds ?? 0);
  }
  return seconds > 0 ? seconds : undefined;
}

/** The largest unit that measures `seconds` exactly: 5400 → 90 minutes. */
export function amountAndUnit(seconds: number): { amount: number; unit: Unit } {
  const fit = UNITS.find((u) => seconds % u.seconds === 0) ?? UNITS[3]!;
  return { amount: seconds / fit.seconds, unit: fit.unit };
}

/** As the flow format writes it: 5400 → "90m". */
export function formatDuration(seconds: number): string {
  const { amount, unit } = amountAndUnit(seconds);
  return `${amount}${unit}`;
}

/** In words: 5400 → "1 hour 30 minutes", 86400 → "1 day". */
export function durationInWords(seconds: number): string {
  const words: string[] = [];
  let rest = seconds;
  for (const u of UNITS) {
    const amount = Math.floor(rest / u.seconds);
    if (amount > 0) words.push(`${amount} ${amount === 1 ? u.one : u.many}`);
    rest %= u.seconds;
  }
  return words.join(" ") || "0 seconds";
}
