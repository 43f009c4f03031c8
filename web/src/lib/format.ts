export function clock(at: string | undefined): string {
  if (!at) return '';
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function waitText(seconds: number | null | undefined): string {
  if (seconds == null) return '';
  if (seconds < 60) return 'less than a minute';
  const m = Math.round(seconds / 60);
  return m === 1 ? 'about 1 minute' : `about ${m} minutes`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export const ATTACHMENT_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf'];
export const ATTACHMENT_MAX = 10 * 1024 * 1024;

/** Why a file cannot be sent, in plain words, or null when it can. */
export function attachmentProblem(file: { type: string; size: number }): string | null {
  if (!ATTACHMENT_TYPES.includes(file.type)) return 'Only images (PNG, JPEG, GIF, WebP) and PDF files can be sent.';
  if (file.size > ATTACHMENT_MAX) return 'That file is larger than 10 MB.';
  if (file.size === 0) return 'That file is empty.';
  return null;
}

/** What the agent desktop says when a schedule is published or a swapped shift is taken. */
export function scheduleNotice(kind: string, d: { week?: string; shifts?: number; start?: string; by?: string | null }): string {
  if (kind === 'schedule_published') {
    const n = d.shifts ?? 0;
    return `Your schedule for the week of ${d.week} is published: ${n} shift${n === 1 ? '' : 's'}.`;
  }
  const when = d.start ? new Date(d.start) : null;
  const at =
    when && !Number.isNaN(when.getTime())
      ? ` ${when.toLocaleString([], { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' })}`
      : '';
  return `${d.by ?? 'A colleague'} took over your${at} shift you offered for swap.`;
}
