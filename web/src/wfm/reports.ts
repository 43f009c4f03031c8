// The reports page's shapes and helpers (`GET /api/reports`, `/api/reports/contacts`).

/** One cell's figures, as the report gives them. */
export interface Figures {
  offered: number;
  answered: number;
  answered_in_sl: number;
  abandoned: number;
  expired: number;
  handled: number;
  transferred: number;
  wrapped: number;
  service_level_percent: number | null;
  abandon_percent: number | null;
  asa_s: number | null;
  aht_s: number | null;
  acw_s: number | null;
  abandon_wait_s: number | null;
  csat_avg: number | null;
  csat_count: number;
  occupancy_percent: number | null;
}

export interface ReportOut {
  from: string;
  to: string;
  tz: string;
  interval: string;
  group_by: string;
  totals: Figures;
  series: (Figures & { start: string; end: string })[];
  groups: (Figures & { key: string; label: string })[];
  rows: (Figures & { start: string; end: string; key: string; label: string })[];
  reasons: (Figures & { code: string; label: string })[];
}

/** One stay of a contact in a queue behind a figure. */
export interface StayOut {
  contact_id: string;
  stay: number;
  queue_id: string;
  queue: string | null;
  channel: string;
  agent_id: string | null;
  agent: string | null;
  offered_at: string;
  answered_at: string | null;
  wait_s: number | null;
  in_service_level: boolean | null;
  outcome: string | null;
  ended_at: string | null;
  handle_s: number | null;
  wrapped_at: string | null;
  acw_s: number | null;
  code: string | null;
  csat: number | null;
}

/** The table's columns, in order. */
export const FIGURES: { key: keyof Figures; label: string; help: string }[] = [
  { key: 'offered', label: 'Offered', help: 'Contacts that entered a queue (arrivals, transfers in)' },
  { key: 'answered', label: 'Answered', help: 'Accepted by an agent' },
  { key: 'service_level_percent', label: 'Service level', help: 'Answered within the threshold, of answered and abandoned' },
  { key: 'asa_s', label: 'ASA', help: 'Average speed of answer' },
  { key: 'abandoned', label: 'Abandoned', help: 'The customer left before an answer' },
  { key: 'abandon_wait_s', label: 'Wait to abandon', help: 'Average wait of those who abandoned' },
  { key: 'handled', label: 'Handled', help: 'Conversations ended by their agent' },
  { key: 'aht_s', label: 'AHT', help: 'Average handle time: acceptance to end' },
  { key: 'acw_s', label: 'ACW', help: 'Average after-contact work' },
  { key: 'transferred', label: 'Transfers', help: 'Moved on by a transfer' },
  { key: 'csat_avg', label: 'CSAT', help: 'Average rating (1–5)' },
  { key: 'csat_count', label: 'Ratings', help: 'Ratings given' },
  { key: 'occupancy_percent', label: 'Occupancy', help: 'Agents’ time with contacts of their time ready for them' },
];

const FIGURE_TEXT: Record<string, string> = {
  offered: 'Offered',
  answered: 'Answered',
  answered_in_sl: 'Answered in service level',
  abandoned: 'Abandoned',
  expired: 'Expired',
  handled: 'Handled',
  transferred: 'Transferred',
  wrapped: 'Wrapped up',
  rated: 'Rated',
};

/** A drill-down figure's name for people. */
export function figureText(figure: string): string {
  return FIGURE_TEXT[figure] ?? figure;
}

/** `YYYY-MM-DD` of a date on the browser's wall clock. */
export function dateInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** The query of a report or a drill-down: empty filters left out. */
export function reportQuery(p: Record<string, string>): URLSearchParams {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(p)) if (v) q.set(k, v);
  return q;
}
