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
  utc_offset_min: number;
  time_zone?: string | null;
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
}

export interface Plan {
  week: string;
  start: string;
  interval_min: number;
  peak: boolean;
  source: string;
  requirement: number[];
  forecast?: number[] | null;
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

export function dayTime(at: string): string {
  const d = new Date(at);
  return d.toLocaleString([], { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

export function time(at: string): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function span(start: string, end: string): string {
  return `${dayTime(start)} – ${time(end)}`;
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
