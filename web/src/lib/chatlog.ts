// A conversation as the browser holds it: messages ordered by `seq`, each exactly once,
// whether it arrived from a fetch, a WebSocket event, a replay after reconnecting, or as
// our own optimistic copy waiting for the server (matched by `client_id`).
import type { Delivery, DeliveryStatus, Message, Receipt } from './types';

/** Merge `incoming` into `list` (not mutated): no duplicates, server order. */
export function mergeMessages(list: readonly Message[], incoming: readonly Message[]): Message[] {
  const out = list.slice();
  for (const m of incoming) {
    let i = -1;
    if (m.seq != null) i = out.findIndex((x) => x.seq === m.seq);
    if (i < 0 && m.client_id) i = out.findIndex((x) => x.client_id === m.client_id);
    if (i >= 0) {
      // The server's copy wins over an optimistic one; a later copy of the same seq
      // may carry newer delivered/read marks.
      const prev = out[i];
      if (prev.seq != null && m.seq == null) continue;
      // Copies arrive in any order (the answer to our POST can come after a receipt
      // on the socket): marks and delivery only ever move forward.
      out[i] = {
        ...prev,
        ...m,
        pending: m.pending ?? false,
        failed: m.failed ?? false,
        delivered: !!(prev.delivered || m.delivered),
        read: !!(prev.read || m.read),
        delivery: further(prev.delivery, m.delivery),
      };
    } else {
      out.push(m);
    }
  }
  // Acknowledged messages in seq order; pending ones (no seq yet) after them, in the
  // order they were written.
  const acked = out.filter((m) => m.seq != null).sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  const pending = out.filter((m) => m.seq == null);
  return acked.concat(pending);
}

/** The highest seq held, for `after_seq` on reconnect. */
export function maxSeq(list: readonly Message[]): number {
  let n = 0;
  for (const m of list) if (m.seq != null && m.seq > n) n = m.seq;
  return n;
}

/** Mark `from`'s messages up to `upTo` as read by the other side. */
export function markRead(list: readonly Message[], from: Message['from'], upTo: number): Message[] {
  return list.map((m) =>
    m.from === from && m.seq != null && m.seq <= upTo && !m.read ? { ...m, read: true, delivered: true } : m,
  );
}

/** How far along a delivery status is: a receipt never moves a message back (the
 * server's rule; a late "sent" can arrive after "delivered"). */
const RANK: Record<DeliveryStatus, number> = { queued: 0, sent: 1, failed: 2, delivered: 3, read: 4 };

/** The delivery further along of two copies of one message. */
function further(a: Delivery | null | undefined, b: Delivery | null | undefined): Delivery | null | undefined {
  if (!a) return b;
  if (!b) return a;
  return RANK[b.status] >= RANK[a.status] ? b : a;
}

/** Apply a `receipt` to the message it names (by id), forward only. */
export function applyReceipt(list: readonly Message[], r: Receipt): Message[] {
  return list.map((m) => {
    if (m.id !== r.message_id) return m;
    const now = m.delivery?.status ?? 'queued';
    if (RANK[r.status] < RANK[now]) return m;
    const delivery: Delivery = { status: r.status, attempts: r.attempts, error: r.error ?? null };
    return {
      ...m,
      delivery,
      delivered: m.delivered || RANK[r.status] >= RANK.delivered,
      read: m.read || r.status === 'read',
    };
  });
}

/** The words under an agent's message: where it stands with the customer's channel. */
export function deliveryLabel(m: Message, readUpTo: number): string {
  if (m.failed) return 'retrying…';
  if (m.pending) return 'sending…';
  const status = m.delivery?.status;
  if (status === 'failed') return 'not delivered';
  if (m.read || (m.seq != null && m.seq <= readUpTo) || status === 'read') return 'read';
  if (status === 'delivered' || (!status && m.delivered)) return 'delivered';
  if (status === 'sent') return 'sent';
  if (status === 'queued') return (m.delivery?.attempts ?? 0) > 0 ? 'sending again…' : 'queued';
  return '';
}

/**
 * A template's body with its `{{1}}`, `{{2}}`, … replaced by `params` in one pass (a
 * parameter's own text is never taken for a placeholder), as the server fills it;
 * placeholders without a value yet stay as they are.
 */
export function fillTemplate(body: string, params: readonly string[]): string {
  return body.replace(/\{\{\s*(\d+)\s*\}\}/g, (whole, n: string) => {
    const v = params[Number(n) - 1];
    return v === undefined || v === '' ? whole : v;
  });
}

/**
 * Why a reply on this channel would not go out now, if it would not: WhatsApp allows
 * free text only within 24 hours of the customer's last message, Messenger within 7
 * days (with the human-agent tag after the first day). The server refuses the same.
 */
export function replyWindowClosed(channel: string, list: readonly Message[], now: number): string {
  const limits: Record<string, [number, string]> = {
    whatsapp: [24 * 3600e3, 'More than 24 hours since the customer last wrote: WhatsApp only delivers approved templates now, so a reply will not be sent.'],
    messenger: [7 * 24 * 3600e3, 'More than 7 days since the customer last wrote: Messenger allows no reply now.'],
  };
  const limit = limits[channel];
  if (!limit) return '';
  let last = 0;
  for (const m of list) if (m.from === 'customer' && m.at) last = Math.max(last, Date.parse(m.at));
  return last && now - last >= limit[0] ? limit[1] : '';
}

/** Messages sent by us that the server has not acknowledged yet (to retry). */
export function unsent(list: readonly Message[]): Message[] {
  return list.filter((m) => m.seq == null && m.client_id);
}

/** Exponential backoff with jitter: 0.5 s, 1 s, 2 s … capped at `max` ms. */
export function backoffDelay(attempt: number, max = 15000, random: () => number = Math.random): number {
  const base = Math.min(max, 500 * 2 ** Math.max(0, attempt));
  return Math.round(base / 2 + random() * (base / 2));
}

/** What the answer bot did before a person took over, as data on a contact. */
export interface BotRecord {
  answers?: { slug: string; title: string; seq: number; confidence: number }[];
  handover?: { reason: string; topic?: string | null; question_seq?: number | null; at: string } | null;
}

const HANDOVER_WORDS: Record<string, string> = {
  asked_for_person: 'the customer asked for a person',
  no_match: 'no article matched the question',
  low_confidence: 'no article answered it surely enough',
  action_failed: 'a guided action could not finish',
  action_handover: 'a guided action asked for a person',
};

/**
 * One line for the agent taking over from the answer bot: why it handed over, on what
 * topic, and the articles the customer has already seen ("" when the bot never had it).
 */
export function botSummary(bot: BotRecord | null | undefined): string {
  const h = bot?.handover;
  if (!h) return '';
  const why = HANDOVER_WORDS[h.reason] ?? h.reason.replaceAll('_', ' ');
  const topic = h.topic ? ` Topic: ${h.topic}.` : '';
  const titles = (bot?.answers ?? []).map((a) => `“${a.title}”`);
  const seen = titles.length ? ` Already shown: ${titles.join(', ')}.` : ' It showed no article.';
  return `The answer bot handed over: ${why}.${topic}${seen}`;
}
