/** A channel's name as people say it. */
export function channelName(channel: string): string {
  const names: Record<string, string> = { chat: 'Web chat', sms: 'SMS', whatsapp: 'WhatsApp', messenger: 'Messenger', email: 'Email', voice: 'Call' };
  return names[channel] ?? channel;
}

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
  if (!ATTACHMENT_TYPES.includes(file.type)) return 'Only images (PNG, JPEG, GIF, WebP) and PDF files can be sent. Pick one of those.';
  if (file.size > ATTACHMENT_MAX) return `That file is ${bytes(file.size)}, larger than the 10 MB limit. Pick a smaller file, or send a photo at a lower resolution.`;
  if (file.size === 0) return 'That file is empty. Pick another file.';
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

/** The server's limit on one message's text, in UTF-8 bytes. */
export const MESSAGE_MAX_BYTES = 10_000;

export interface TextLimit {
  /** Over the limit: sending would be refused. */
  over: boolean;
  /** Close to it (90 % or more): show the counter. */
  near: boolean;
  /** "3,650 / 4,000 characters" (or what is over). */
  counter: string;
  /** What to do when over, else ''. */
  problem: string;
}

/**
 * Where a draft stands against a limit of `maxChars` characters (and the server's
 * `MESSAGE_MAX_BYTES`, which long non-Latin text reaches first).
 */
export function textLimit(text: string, maxChars: number): TextLimit {
  const chars = [...text].length;
  const used = new TextEncoder().encode(text).length;
  // The byte limit, as characters: what this text's mix of characters allows.
  const byBytes = used > MESSAGE_MAX_BYTES ? Math.floor((chars * MESSAGE_MAX_BYTES) / used) : Infinity;
  const limit = Math.min(maxChars, byBytes);
  const over = chars > limit;
  const near = over || chars >= Math.floor(maxChars * 0.9) || used >= MESSAGE_MAX_BYTES * 0.9;
  const n = (x: number) => x.toLocaleString('en-US');
  const shown = Number.isFinite(byBytes) ? n(limit) : n(maxChars);
  return {
    over,
    near,
    counter: `${n(chars)} / ${shown} characters`,
    problem: over
      ? `This message is ${n(chars - limit)} ${chars - limit === 1 ? 'character' : 'characters'} too long. Shorten it or send it in two parts.`
      : '',
  };
}

/**
 * A long machine id (hex, a UUID, a token) shortened for a narrow card: `3f9a…c21d`;
 * anything readable (an email, a phone number) as it is.
 */
export function shortId(value: string): string {
  const v = value.trim();
  if (v.length > 16 && /^[0-9a-f-]+$/i.test(v) && !/^[0-9 +-]+$/.test(v)) return `${v.slice(0, 8)}…${v.slice(-4)}`;
  return v;
}

/** An idle time in words: "10 minutes", "1 minute", "45 seconds". */
export function idleWords(seconds: number): string {
  if (seconds < 60) return seconds === 1 ? '1 second' : `${seconds} seconds`;
  const min = Math.round(seconds / 60);
  return min === 1 ? '1 minute' : `${min} minutes`;
}

/** The watermark on transcripts: who is looking, and since when. */
export function watermark(name: string, email: string, since: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const at = `${since.getFullYear()}-${pad(since.getMonth() + 1)}-${pad(since.getDate())} ${pad(since.getHours())}:${pad(since.getMinutes())}`;
  return `${name} · ${email} · ${at}`;
}
