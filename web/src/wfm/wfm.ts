// Workforce management pages: shared wire shapes and time helpers. Weeks start on
// Monday 00:00 UTC and are planned in 30-minute intervals (336 a week).

export const INTERVAL_MIN = 30;
export const SLOTS = (7 * 24 * 60) / INTERVAL_MIN;
export const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

export interface WindowIn {
  weekday: number;
  start: string;
  end: string;
}

export interface Preferences {
  /** The offset in force now (the zone decides; kept for older clients). */
  utc_offset_min?: number;
  /** An IANA zone such as `America/New_York` (or `UTC-05:00`, from before zones). */
  time_zone?: string | null;
  time_zone_abbreviation?: string;
  windows: WindowIn[];
  min_week_hours: number;
  max_week_hours: number;
  peak_max_week_hours?: number | null;
  days_off?: number[];
  saved?: boolean;
  peak_weeks?: string[];
}

export interface ShiftBreak {
  kind: 'break' | 'lunch';
  start: string;
  end: string;
}

export interface ShiftOut {
  id: string;
  agent_id: string;
  agent_name?: string | null;
  start: string;
  end: string;
  start_index: number;
  len: number;
  breaks: ShiftBreak[];
  paid_hours: number;
  source: string;
  /** The zone the `local_*` times are in: the viewer's (mine, or the planning zone). */
  time_zone?: string;
  zone_abbreviation?: string;
  local_start?: string;
  local_end?: string;
  /** On the planner's schedule: the agent's own zone. */
  agent_time_zone?: string;
  /** Put up for a colleague to take over (it stays mine until someone does). */
  up_for_swap?: boolean;
  schedule_id?: string;
  week?: string;
}

export interface OpenShift {
  schedule_id: string;
  week: string;
  start_index: number;
  len: number;
  start: string;
  end: string;
  hours: number;
  shift_id?: string;
  position?: 'before' | 'after';
}

export interface ScheduleOut {
  id: string;
  /** Bumped by every change; publishing names the version seen. */
  version?: number;
  week: string;
  status: 'draft' | 'published' | 'superseded';
  peak: boolean;
  generated_at: string;
  published_at?: string | null;
  start: string;
  interval_min: number;
  requirement: number[];
  coverage: number[];
  shortfall: number;
  overstaffing: number;
  lower_bound: number;
  shifts: ShiftOut[];
  hours: { agent_id: string; agent_name: string; hours: number }[];
  unmet_minimum: string[];
  without_preferences: string[];
  open_shifts: OpenShift[];
  /** The zone planners read the schedule in. */
  planning_zone?: string;
}

export interface Plan {
  week: string;
  start: string;
  interval_min: number;
  peak: boolean;
  source: string;
  requirement: number[];
  forecast?: number[] | null;
  /** How the forecast method did one day ahead on the last open days of the history. */
  accuracy?: ForecastAccuracy | null;
}

export interface ForecastAccuracy {
  days: number;
  wape: number;
  mape: number;
  bias: number;
  baseline_wape: number;
  range_coverage: number;
}

/** The forecast's track record in one line, against the seasonal-naive baseline. */
export function accuracyLine(a: ForecastAccuracy): string {
  const better = a.wape < a.baseline_wape ? 'better than' : 'no better than';
  const bias = a.bias >= 0 ? `+${percent(a.bias)}` : `−${percent(-a.bias)}`;
  return (
    `Backtest over the last ${a.days} open days: ${percent(a.wape)} weighted error (WAPE), ${better} ` +
    `repeating last week (${percent(a.baseline_wape)}); bias ${bias}; ${percent(a.range_coverage, 0)} of actuals inside the 80 % range.`
  );
}

export interface Series {
  week: string;
  start: string;
  interval_min: number;
  forecast: number[] | null;
  actual: (number | null)[];
  requirement: number[] | null;
  scheduled: number[] | null;
}

/** The Monday (YYYY-MM-DD, UTC) of the week holding `d`. */
export function mondayOf(d: Date): string {
  const day = Math.floor(d.getTime() / 86_400_000);
  const weekday = (day + 3) % 7; // 1970-01-01 was a Thursday; 0 = Monday
  return new Date((day - weekday) * 86_400_000).toISOString().slice(0, 10);
}

/** Start of a week (`YYYY-MM-DD`) in milliseconds. */
export function weekStartMs(week: string): number {
  return Date.parse(`${week}T00:00:00Z`);
}

/**
 * Add `agents` to every interval of the week that overlaps [from, to); returns how many
 * intervals changed.
 */
export function addBlock(req: number[], week: string, from: Date, to: Date, agents: number): number {
  const start = weekStartMs(week);
  const iv = INTERVAL_MIN * 60_000;
  const a = Math.max(0, Math.floor((from.getTime() - start) / iv));
  const b = Math.min(req.length, Math.ceil((to.getTime() - start) / iv));
  for (let i = a; i < b; i++) req[i] = Math.max(0, req[i] + agents);
  return Math.max(0, b - a);
}

export function offsetLabel(min: number): string {
  const sign = min < 0 ? '−' : '+';
  const m = Math.abs(min);
  return `UTC${sign}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** UTC offsets from −12:00 to +14:00 in half hours. */
export const OFFSETS: number[] = Array.from({ length: (14 + 12) * 2 + 1 }, (_, i) => -720 + i * 30);

/** The browser's own zone (an IANA name), UTC when it cannot say. */
export function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/**
 * IANA zones to pick from: the browser's list, with UTC and `extra` (a saved zone
 * the list lacks, such as a fixed `UTC-05:00` from before zones) added.
 */
export function zoneNames(extra?: string | null): string[] {
  let names: string[] = [];
  try {
    names = (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone');
  } catch {
    names = [];
  }
  const set = new Set(names);
  set.add('UTC');
  if (extra) set.add(extra);
  return [...set].sort();
}

/** Intl accepts IANA names; a fixed `UTC±HH:MM` is written `±HH:MM` there. */
function intlZone(zone?: string): string | undefined {
  if (!zone) return undefined;
  const m = /^UTC([+-]\d\d:\d\d)$/.exec(zone);
  return m ? m[1] : zone;
}

/** The zone's abbreviation at `at` (`EST`, `EDT`, `MST`; `GMT+1` where there is none). */
export function zoneAbbr(at: string, zone?: string): string {
  if (!zone) return '';
  try {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: intlZone(zone), timeZoneName: 'short' }).formatToParts(new Date(at));
    return parts.find((p) => p.type === 'timeZoneName')?.value ?? zone;
  } catch {
    return zone;
  }
}

/** `at` formatted in `zone`; in the browser's zone where Intl does not know it. */
function inZone(at: string, opts: Intl.DateTimeFormatOptions, zone?: string): string {
  const d = new Date(at);
  try {
    return d.toLocaleString([], { ...opts, timeZone: intlZone(zone) });
  } catch {
    return d.toLocaleString([], opts);
  }
}

/** Day and time of `at`, on the wall clock of `zone` (the browser's when absent). */
export function dayTime(at: string, zone?: string): string {
  return inZone(at, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }, zone);
}

export function time(at: string, zone?: string): string {
  return inZone(at, { hour: '2-digit', minute: '2-digit' }, zone);
}

/** `Mon 2 Nov, 09:00 – 13:00 EST`: a span on the wall clock of `zone`, labelled with its abbreviation. */
export function span(start: string, end: string, zone?: string): string {
  const abbr = zoneAbbr(start, zone);
  return `${dayTime(start, zone)} – ${time(end, zone)}${abbr ? ` ${abbr}` : ''}`;
}

/** Whether a shift is still to come at `now` (ms): only those can be offered for swap. */
export function upcoming(s: Pick<ShiftOut, 'start'>, now: number = Date.now()): boolean {
  const t = Date.parse(s.start);
  return Number.isFinite(t) && t > now;
}

/** Who offers a shift, for the list of colleagues' swaps. */
export function offeredBy(s: Pick<ShiftOut, 'agent_name'>): string {
  return s.agent_name?.trim() || 'A colleague';
}

/** A server message as a sentence: capital first letter, final full stop. */
export function sentence(msg: string): string {
  const t = msg.trim();
  if (!t) return t;
  const s = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

export function hours(h: number): string {
  return `${Number.isInteger(h) ? h : h.toFixed(1)} h`;
}

/** A `datetime-local` value (local time) for a date. */
export function localInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Points of an SVG polyline for `values` in a `w`×`h` box scaled to `max`. */
export function polyline(values: (number | null)[], w: number, h: number, max: number): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  const n = values.length;
  values.forEach((v, i) => {
    if (v == null) {
      if (cur.length) out.push(cur.join(' '));
      cur = [];
      return;
    }
    const x = n <= 1 ? 0 : (i / (n - 1)) * w;
    const y = h - (max > 0 ? (v / max) * h : 0);
    cur.push(`${x.toFixed(1)},${y.toFixed(1)}`);
  });
  if (cur.length) out.push(cur.join(' '));
  return out;
}

/** One half hour of a simulated week. */
export interface SimInterval {
  start: string;
  /** Contacts offered in all runs together. */
  offered: number;
  /** Share answered in time; null when nothing was offered. */
  service_level: number | null;
  asa_s: number;
  abandon_rate: number;
  occupancy: number;
}

/** A schedule's coverage simulated against the week's expected contacts. */
export interface SimulationOut {
  schedule_id: string;
  week: string;
  runs: number;
  /** Contacts offered in all runs together. */
  offered: number;
  service_level: number;
  /** Half-width of the 95 % confidence interval of the service level (share). */
  service_level_ci95: number;
  asa_s: number;
  abandon_rate: number;
  occupancy: number;
  intervals: SimInterval[];
}

/** A share (0–1) as a percentage with `digits` decimals: `0.842` → `84.2 %`. */
export function percent(share: number, digits = 1): string {
  return `${(share * 100).toFixed(digits)} %`;
}

/** The one-line result of a simulation, as people read it. */
export function simHeadline(s: Pick<SimulationOut, 'service_level' | 'service_level_ci95' | 'asa_s' | 'abandon_rate' | 'occupancy'>): string {
  return (
    `Simulated service level ${percent(s.service_level)} ± ${(s.service_level_ci95 * 100).toFixed(1)} (95 %), ` +
    `ASA ${s.asa_s.toFixed(1)} s, ${percent(s.abandon_rate)} abandoned, occupancy ${percent(s.occupancy, 0)}`
  );
}

/** Service level per interval in percent, null where nothing was offered (a gap in the chart). */
export function serviceLevels(intervals: Pick<SimInterval, 'service_level'>[]): (number | null)[] {
  return intervals.map((x) => (x.service_level == null ? null : x.service_level * 100));
}

/** Intervals with contacts, how many of them miss `target` (a share), and the worst one. */
export function simSummary(
  intervals: Pick<SimInterval, 'start' | 'service_level'>[],
  target = 0.8,
): { withContacts: number; below: number; worst: { start: string; service_level: number } | null } {
  let withContacts = 0;
  let below = 0;
  let worst: { start: string; service_level: number } | null = null;
  for (const x of intervals) {
    if (x.service_level == null) continue;
    withContacts += 1;
    if (x.service_level < target) below += 1;
    if (!worst || x.service_level < worst.service_level) worst = { start: x.start, service_level: x.service_level };
  }
  return { withContacts, below, worst };
}

/** Hires of one standard availability pattern in a hire plan. */
export interface HireRow {
  /** The pattern, e.g. `weekday daytime 09-17` (local hours in the plan's time zone). */
  profile: string;
  hires: number;
  /** Most paid hours a week each hire works (the peak cap in a peak week). */
  max_week_hours: number;
}

/** Peak planning: which hires close a week's staffing gap (`POST /api/wfm/hire-plans`). */
export interface HirePlanOut {
  week: string;
  peak: boolean;
  hires: HireRow[];
  total_hires: number;
  /** Shortfall in agent-intervals (30 min) before and after the hires. */
  shortfall_before: number;
  shortfall_after: number;
  /** The same in agent-hours. */
  shortfall_before_hours: number;
  shortfall_after_hours: number;
  /** Paid hours a week the hires add. */
  hours_added: number;
}

/** A whole number as is, otherwise one decimal: `340` → `340`, `337.25` → `337.3`. */
function amount(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** The one-line result of a hire plan, as people read it. */
export function hireHeadline(
  p: Pick<HirePlanOut, 'total_hires' | 'shortfall_before_hours' | 'shortfall_after_hours' | 'hours_added'>,
): string {
  const before = p.shortfall_before_hours.toFixed(1);
  const after = p.shortfall_after_hours.toFixed(1);
  if (p.total_hires === 0) {
    return p.shortfall_before_hours >= 0.05
      ? `No hire helps: none of the patterns covers the shortfall of ${before} agent-hours a week`
      : 'No hires needed: the team covers the requirement';
  }
  const n = p.total_hires;
  const closed = p.shortfall_after_hours < 0.05; // shows as 0.0
  const verb = n === 1 ? (closed ? 'closes' : 'narrows') : closed ? 'close' : 'narrow';
  return `${n} ${n === 1 ? 'hire' : 'hires'} ${verb} the gap: shortfall ${before} → ${after} agent-hours a week, +${amount(p.hours_added)} paid hours`;
}

/** A pattern's name as a label: `weekday daytime 09-17` → `Weekday daytime 09–17`. */
export function patternLabel(profile: string): string {
  const t = profile.trim().replace(/(\d)-(\d)/g, '$1–$2');
  return t ? t[0].toUpperCase() + t.slice(1) : t;
}

/** The patterns with hires, each with its bar length as a share (0–1) of the largest. */
export function hireRows(hires: HireRow[]): (HireRow & { share: number })[] {
  const rows = hires.filter((h) => h.hires > 0);
  const most = Math.max(0, ...rows.map((h) => h.hires));
  return rows.map((h) => ({ ...h, share: most > 0 ? h.hires / most : 0 }));
}

/** Adherence and conformance over a period (absent when nothing was scheduled). */
export interface AdherenceShare {
  adherence: number;
  conformance: number;
}

/** The team's line on the adherence page: today first, then the week so far. */
export function adherenceLine(today: AdherenceShare | null | undefined, week: AdherenceShare | null | undefined): string {
  const part = (label: string, a: AdherenceShare | null | undefined) =>
    a ? `${label}: adherence ${percent(a.adherence, 0)}, conformance ${percent(a.conformance, 0)}` : `${label}: nothing scheduled yet`;
  return `${part('Today', today)} · ${part('This week', week)}`;
}
