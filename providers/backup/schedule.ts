/**
 * The backup schedule (handbook 15.5.1 says "a periodical dump"; issue 7: a cron file or a systemd timer).
 * croner parses and evaluates the expression; this file adds what croner cannot know: which of its
 * extensions Debian's cron (Vixie cron) does not understand, how long the schedule can stay silent (the
 * default drift age), and the translation to systemd's `OnCalendar=`.
 *
 * Days: Debian's cron (Vixie cron) runs on a day when day-of-month OR day-of-week matches if both fields
 * are restricted, but ANDs them as soon as either field starts with "*" — a step like every third day
 * included (its DOM_STAR flag is set by the leading "*"). croner 9 decides on the exact text "*" instead, so this file always
 * tells croner which rule to use (`legacyMode`) and walks days with cron's rule itself.
 *
 * Times: cron and systemd read the schedule in the node's local time. The gap computations below run in
 * UTC, which gives the same gaps except across a daylight-saving change (an hour at most, inside the
 * 2-hour grace of `defaultMaxAgeHours`).
 */
import { Cron, CronPattern } from "croner";

/** The nicknames Debian's cron accepts, as the 5-field expressions they stand for. */
export const CRON_NICKNAMES: Readonly<Record<string, string>> = {
  "@hourly": "0 * * * *",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@weekly": "0 0 * * 0",
  "@monthly": "0 0 1 * *",
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
};

/** Month and weekday names cron accepts; removed before looking for croner's letter extensions. */
const NAMES = /jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat/gi;

const FIELD_NAMES = ["minute", "hour", "day-of-month", "month", "day-of-week"] as const;

/** Hours added to the schedule's longest gap for the default drift age: the run's own duration, jitter. */
export const MAX_AGE_GRACE_HOURS = 2;

/** The expression as five space-separated fields (nicknames expanded, whitespace collapsed). */
export function normalizeSchedule(expression: string): string {
  const trimmed = expression.trim();
  return CRON_NICKNAMES[trimmed.toLowerCase()] ?? trimmed.split(/\s+/).join(" ");
}

/**
 * Why `expression` is not a schedule Debian's cron runs, or `undefined` when it is one. The reason says
 * what to write instead.
 */
export function scheduleProblem(expression: string): string | undefined {
  const trimmed = expression.trim();
  const example = `e.g. "30 3 * * *" (daily at 03:30) or "@daily"`;
  if (trimmed === "") {
    return `must be a cron expression (minute hour day-of-month month day-of-week), ${example}, got an empty string`;
  }
  if (trimmed.startsWith("@")) {
    if (trimmed.toLowerCase() === "@reboot") {
      return `"@reboot" is not a periodic schedule; use a cron expression, ${example}`;
    }
    if (CRON_NICKNAMES[trimmed.toLowerCase()] === undefined) {
      return `unknown nickname "${trimmed}"; allowed: ${Object.keys(CRON_NICKNAMES).join(", ")}`;
    }
    return undefined;
  }
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5) {
    const hint = fields.length === 6 ? " (a seconds field is a croner extension cron does not have)" : "";
    return `must have exactly 5 fields (${FIELD_NAMES.join(" ")})${hint}, got ${fields.length}: "${trimmed}"`;
  }
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    if (/[LW#?]/i.test(field.replace(NAMES, ""))) {
      return (
        `${FIELD_NAMES[i]} field "${field}" uses a croner extension (L, W, # or ?) that Debian's cron ` +
        `does not understand; use plain numbers, ranges (1-5), lists (1,15) and steps (*/10)`
      );
    }
    for (const part of field.split(",")) {
      if (/^[0-9a-z]+\/\d+$/i.test(part)) {
        return (
          `${FIELD_NAMES[i]} field "${field}": a step needs a range before it in Debian's cron; ` +
          `write "*/${part.split("/")[1]}" or "${part.split("/")[0]}-<last>/${part.split("/")[1]}"`
        );
      }
    }
  }
  try {
    // Parsing alone validates values and ranges (e.g. "Invalid value for minute: 61").
    new CronPattern(trimmed);
  } catch (err) {
    return `is not a valid cron expression: ${(err as Error).message.replace(/^CronPattern: /, "")}`;
  }
  if (walkDays(trimmed).matchingDays === 0) {
    return `never fires (no date matches "${trimmed}", e.g. February 30th); pick a date that exists`;
  }
  return undefined;
}

/**
 * How Debian's cron combines day-of-month and day-of-week: `or` when both are restricted and neither
 * starts with "*", `and` otherwise (a field that is exactly "*" matches every day, so `and` is then the
 * other field alone).
 */
export function dayRule(expression: string): "and" | "or" {
  const fields = normalizeSchedule(expression).split(" ");
  return fields[2].startsWith("*") || fields[4].startsWith("*") ? "and" : "or";
}

/** The next `count` run times after `from`, evaluated in UTC with cron's day rule. Assumes a valid expression. */
export function nextRuns(expression: string, from: Date, count: number): Date[] {
  const job = new Cron(normalizeSchedule(expression), {
    paused: true,
    timezone: "UTC",
    legacyMode: dayRule(expression) === "or",
  });
  try {
    return job.nextRuns(count, from);
  } finally {
    job.stop();
  }
}

interface DayWalk {
  /** Days matching in the eight years walked. */
  readonly matchingDays: number;
  /** The longest gap between two runs, in minutes (0 with fewer than two runs). */
  readonly longestMinutes: number;
  /** The times of day the schedule runs at, in minutes after midnight. */
  readonly times: readonly number[];
}

/**
 * Walks eight years of days from a fixed date (2025-01-01 UTC; a February 29th schedule is seen twice):
 * which days match by cron's day rule, and the longest silence between two runs. Fast even for a
 * schedule that fires every minute, since it goes day by day, not run by run.
 */
function walkDays(expression: string, windowDays = 8 * 366): DayWalk {
  const pattern = new CronPattern(normalizeSchedule(expression));
  const rule = dayRule(expression);
  const times: number[] = [];
  pattern.hour.forEach((hourSet, hour) => {
    pattern.minute.forEach((minuteSet, minute) => {
      if (hourSet && minuteSet) {
        times.push(hour * 60 + minute);
      }
    });
  });
  let longest = 0;
  for (let i = 1; i < times.length; i++) {
    longest = Math.max(longest, times[i] - times[i - 1]);
  }
  const start = Date.UTC(2025, 0, 1);
  let previousDay: number | undefined;
  let matchingDays = 0;
  for (let day = 0; times.length > 0 && day < windowDays; day++) {
    const date = new Date(start + day * 86_400_000);
    if (!pattern.month[date.getUTCMonth()]) {
      continue;
    }
    const domMatch = Boolean(pattern.day[date.getUTCDate() - 1]);
    const dowMatch = Boolean(pattern.dayOfWeek[date.getUTCDay()]);
    if (rule === "and" ? !(domMatch && dowMatch) : !(domMatch || dowMatch)) {
      continue;
    }
    matchingDays++;
    if (previousDay !== undefined) {
      longest = Math.max(longest, (day - previousDay) * 1440 - times[times.length - 1] + times[0]);
    }
    previousDay = day;
  }
  return { matchingDays, longestMinutes: matchingDays === 0 ? 0 : longest, times };
}

/**
 * The longest time, in hours, the schedule stays silent between two runs (by cron's day rule, over eight
 * years from a fixed date, so the answer does not depend on when it is asked). `Infinity` when the
 * schedule runs at most once in that time. `windowDays` shortens the walk (for tests).
 */
export function longestGapHours(expression: string, windowDays?: number): number {
  const walk = walkDays(expression, windowDays);
  if (walk.matchingDays === 0 || (walk.matchingDays === 1 && walk.times.length === 1)) {
    return Number.POSITIVE_INFINITY;
  }
  return walk.longestMinutes / 60;
}

/**
 * The default `maxAgeHours`: the schedule's longest gap, rounded up to whole hours, plus
 * {@link MAX_AGE_GRACE_HOURS}. Daily at 03:30 → 26 h; every minute → 3 h; weekly → 170 h.
 */
export function defaultMaxAgeHours(expression: string): number {
  return Math.ceil(longestGapHours(expression)) + MAX_AGE_GRACE_HOURS;
}

const WEEKDAYS_MONDAY_FIRST: readonly [number, string][] = [
  [1, "Mon"],
  [2, "Tue"],
  [3, "Wed"],
  [4, "Thu"],
  [5, "Fri"],
  [6, "Sat"],
  [0, "Sun"],
];

/**
 * The systemd `OnCalendar=` value with the same run times as a valid cron expression, or a reason why
 * there is none: systemd always ANDs day-of-month and day-of-week, cron ORs them when both are restricted
 * and neither starts with "*".
 */
export function toOnCalendar(
  expression: string,
): { ok: true; value: string } | { ok: false; reason: string } {
  const pattern = new CronPattern(normalizeSchedule(expression));
  if (dayRule(expression) === "or") {
    return {
      ok: false,
      reason:
        "restricts both day-of-month and day-of-week: cron runs on either, a systemd timer only on both; " +
        'use scheduler "cron", or restrict only one of the two fields',
    };
  }
  const set = (flags: readonly number[]) =>
    flags.map((flag, index) => (flag ? index : -1)).filter((i) => i >= 0);
  const minutes = numericComponent(set(pattern.minute), 0, 59);
  const hours = numericComponent(set(pattern.hour), 0, 23);
  const days = numericComponent(
    set(pattern.day).map((i) => i + 1),
    1,
    31,
  );
  const months = numericComponent(
    set(pattern.month).map((i) => i + 1),
    1,
    12,
  );
  const weekdays = new Set(set(pattern.dayOfWeek).map((d) => d % 7));
  let weekdayPart = "";
  if (weekdays.size < 7) {
    const names = WEEKDAYS_MONDAY_FIRST.filter(([d]) => weekdays.has(d)).map(([, name]) => name);
    weekdayPart = `${compressWeekdays(names)} `;
  }
  return { ok: true, value: `${weekdayPart}*-${months}-${days} ${hours}:${minutes}:00` };
}

/** A sorted set of values in min..max as systemd writes it: `*`, `a/step`, `a..b`, or a list. */
function numericComponent(values: readonly number[], min: number, max: number): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  if (values.length === max - min + 1) {
    return "*";
  }
  if (values.length >= 3) {
    const step = values[1] - values[0];
    const progression = values.every((v, i) => i === 0 || v - values[i - 1] === step);
    if (progression && step > 1 && values[values.length - 1] + step > max) {
      return `${pad(values[0])}/${step}`;
    }
  }
  const parts: string[] = [];
  for (let i = 0; i < values.length;) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j] + 1) {
      j++;
    }
    if (j - i >= 2) {
      parts.push(`${pad(values[i])}..${pad(values[j])}`);
    } else {
      for (let k = i; k <= j; k++) {
        parts.push(pad(values[k]));
      }
    }
    i = j + 1;
  }
  return parts.join(",");
}

function compressWeekdays(names: readonly string[]): string {
  const order = WEEKDAYS_MONDAY_FIRST.map(([, name]) => name);
  const parts: string[] = [];
  for (let i = 0; i < names.length;) {
    let j = i;
    while (j + 1 < names.length && order.indexOf(names[j + 1]) === order.indexOf(names[j]) + 1) {
      j++;
    }
    parts.push(j - i >= 2 ? `${names[i]}..${names[j]}` : names.slice(i, j + 1).join(","));
    i = j + 1;
  }
  return parts.join(",");
}
