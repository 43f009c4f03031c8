// The supervisor console's shapes and small pure helpers (tested in wfm.test.ts).
import type { components } from '../lib/api.gen';

export interface Tally {
  offered: number;
  answered: number;
  abandoned: number;
  handled: number;
  service_level_percent: number | null;
  asa_s: number | null;
  abandon_percent: number | null;
  aht_s: number | null;
}

export interface QueueRow {
  queue_id: string;
  name: string;
  open: boolean | null;
  waiting: number;
  longest_wait_s: number;
  agents_available: number | null;
  agents_on_contact: number;
  service_level_target_percent: number | null;
  threshold_s: number | null;
  today: Tally;
  last_30m: Tally;
}

export interface AgentRow {
  id: string;
  name: string;
  team?: string | null;
  state: string;
  activity: string;
  activity_since: string | null;
  reason?: string | null;
  contacts?: number;
  capacity?: number;
  occupancy_percent: number | null;
  help: boolean;
}

export interface Help {
  id: string;
  agent_id: string;
  agent_name: string;
  /** The agent's team when they raised it. */
  team?: string | null;
  contact_id: string | null;
  text: string | null;
  raised_at: string;
  taken_by: string | null;
  taken_by_name: string | null;
  taken_at: string | null;
}

export interface Board {
  day_start: string;
  now: string;
  queues: QueueRow[];
  totals: { waiting: number; longest_wait_s: number; today: Tally; last_30m: Tally; agents: Record<string, number> };
  agents: AgentRow[];
  teams: string[];
  series: { start: string; offered: number; answered: number; abandoned: number; service_level_percent: number | null }[];
  help: Help[];
}

/** `amber` from `amber` up, `red` from `red` up (negate both for "lower is worse"). */
export function amberRed(value: number, amber: number, red: number): '' | 'amber' | 'red' {
  if (!Number.isFinite(value)) return '';
  if (value >= red) return 'red';
  if (value >= amber) return 'amber';
  return '';
}

/** 45 s, 3 min 5 s, 1 h 2 min. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** 09:15 in the viewer's zone. */
export function clockTime(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** A short two-tone chime (no file to fetch; the page's CSP allows no media sources). */
/**
 * Whether a raised hand calls this supervisor (a sound and a notification): it does when
 * it comes from their own team, and always for a supervisor without a team or a hand
 * from an agent without one. Every supervisor still sees every hand in the list.
 */
export function callsMe(h: Pick<Help, 'team'>, myTeam: string | null | undefined): boolean {
  return !myTeam || !h.team || h.team === myTeam;
}

export function helpSound(): void {
  try {
    const Ctx = globalThis.AudioContext;
    if (!Ctx) return;
    const ctx = new Ctx();
    [880, 660].forEach((f, i) => {
      const o = ctx.createOscillator();
      const g = ctx.createGain();
      o.frequency.value = f;
      g.gain.value = 0.08;
      o.connect(g).connect(ctx.destination);
      o.start(ctx.currentTime + i * 0.18);
      o.stop(ctx.currentTime + i * 0.18 + 0.15);
    });
    setTimeout(() => void ctx.close(), 800);
  } catch {
    /* no audio: the list and the notification still show it */
  }
}

/** An alert up now (`GET /api/alerts/active`, `alerts` on the staff socket). */
export type ActiveAlert = components['schemas']['ActiveAlert'];

const METRICS: Record<string, { label: string; unit: (v: number) => string }> = {
  waiting: { label: 'waiting', unit: (v) => String(Math.round(v)) },
  longest_wait_s: { label: 'longest wait', unit: (v) => duration(v) },
  agents_available: { label: 'agents available', unit: (v) => String(Math.round(v)) },
  service_level_30m: { label: 'service level (30 min)', unit: (v) => `${Math.round(v)} %` },
  abandon_rate_30m: { label: 'abandoned (30 min)', unit: (v) => `${Math.round(v)} %` },
};

/** "Returns: longest wait 3 min 10 s (above 2 min)". */
export function alertText(a: ActiveAlert): string {
  const m = METRICS[a.metric] ?? { label: a.metric, unit: (v: number) => String(v) };
  return `${a.queue}: ${m.label} ${m.unit(a.value)} (${a.when} ${m.unit(a.threshold)})`;
}
