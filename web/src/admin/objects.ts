// Skills, wrap-up codes, canned responses and business hours: what each kind's form
// shows and the body `POST/PUT /api/{kind}` takes (the server's `SimpleIn`: name,
// description, expression, text, queue_id, label, timezone, weekly, tags, shortcut, title;
// nothing else).

export type ObjectKindId = 'skills' | 'wrapup-codes' | 'canned-responses' | 'business-hours';

/** The fields the server accepts on these objects, besides `name`. */
export const SIMPLE_KEYS = ['description', 'expression', 'text', 'queue_id', 'label', 'timezone', 'weekly', 'tags', 'shortcut', 'title'] as const;

export interface Weekly {
  day: number;
  open: string;
  close: string;
}

export interface ConfigObject {
  id: string;
  name: string;
  description?: string;
  text?: string;
  label?: string;
  timezone?: string;
  weekly?: Weekly[];
  shortcut?: string;
  [k: string]: unknown;
}

export interface KindInfo {
  title: string;
  one: string;
  intro: string;
  empty: string;
  nameLabel: string;
  nameHelp: string;
  /** The text fields the form shows, in order. */
  fields: { key: 'description' | 'text' | 'label' | 'timezone' | 'shortcut'; label: string; help: string; multiline?: boolean; required?: boolean }[];
  weekly?: boolean;
}

export const KINDS: Record<ObjectKindId, KindInfo> = {
  skills: {
    title: 'Skills',
    one: 'skill',
    intro: "What agents can do. Routing steps ask for them (skill.NAME >= level) and each agent's levels are set in Agents.",
    empty: 'No skills yet. Add one (for example “orders”), then give agents a level in it in Agents.',
    nameLabel: 'Name',
    nameHelp: 'Used in routing steps as skill.NAME: letters, digits, underscores and hyphens.',
    fields: [{ key: 'description', label: 'Description', help: 'What the skill covers, for other admins. Optional.' }],
  },
  'wrapup-codes': {
    title: 'Wrap-up codes',
    one: 'wrap-up code',
    intro: 'What agents pick when they finish a contact (the outcome). Once any code exists, agents choose one of these.',
    empty: 'No wrap-up codes yet: agents may type any outcome. Add codes to make them pick from a list.',
    nameLabel: 'Name',
    nameHelp: 'What the agent sees and picks, for example “Order status given”.',
    fields: [
      { key: 'label', label: 'Code', help: 'A short code for reports, for example ORD-STATUS. Optional.' },
      { key: 'description', label: 'Description', help: 'When to use it. Optional.' },
    ],
  },
  'canned-responses': {
    title: 'Canned responses',
    one: 'canned response',
    intro: 'Ready-made replies agents insert in a chat. Variables such as {{customer.first_name}} are filled in for each customer.',
    empty: 'No canned responses yet. Add one with a title and the text agents send.',
    nameLabel: 'Title',
    nameHelp: 'What agents search for when they insert it.',
    fields: [
      { key: 'text', label: 'Text', help: 'The reply, up to 10000 characters. {{customer.first_name}} becomes the customer’s first name.', multiline: true, required: true },
      { key: 'shortcut', label: 'Shortcut', help: 'What agents type to insert it, for example /refund. Optional.' },
    ],
  },
  'business-hours': {
    title: 'Business hours',
    one: 'business hours',
    intro: 'When the contact center is open, per weekday, in a time zone.',
    empty: 'No business hours yet. Add your opening hours, for example Monday to Friday 09:00–17:00.',
    nameLabel: 'Name',
    nameHelp: 'For example “Support hours”.',
    fields: [
      { key: 'timezone', label: 'Time zone', help: 'An IANA time zone such as Europe/London. Optional: UTC when empty.' },
      { key: 'description', label: 'Description', help: 'Optional.' },
    ],
    weekly: true,
  },
};

export const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

export interface WeeklyRow extends Weekly {
  key: number;
}

export interface ObjectForm {
  name: string;
  values: Record<string, string>;
  weekly: WeeklyRow[];
}

let nextKey = 1;
export function weeklyRow(day = 1, open = '09:00', close = '17:00'): WeeklyRow {
  return { key: nextKey++, day, open, close };
}

export function emptyObjectForm(kind: ObjectKindId): ObjectForm {
  return {
    name: '',
    values: Object.fromEntries(KINDS[kind].fields.map((f) => [f.key, ''])),
    weekly: kind === 'business-hours' ? [1, 2, 3, 4, 5].map((d) => weeklyRow(d)) : [],
  };
}

export function objectToForm(kind: ObjectKindId, o: ConfigObject): ObjectForm {
  const f = emptyObjectForm(kind);
  f.name = o.name;
  for (const fl of KINDS[kind].fields) f.values[fl.key] = typeof o[fl.key] === 'string' ? (o[fl.key] as string) : '';
  if (kind === 'business-hours') f.weekly = (o.weekly ?? []).map((w) => weeklyRow(w.day, w.open, w.close));
  return f;
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/**
 * The body to send, or the first problem as a sentence that says what to fix. Fields
 * the form does not show are kept from `original` (a PUT replaces the whole object).
 */
export function objectBody(kind: ObjectKindId, f: ObjectForm, original?: ConfigObject): { body: Record<string, unknown> } | { problem: string } {
  const info = KINDS[kind];
  const name = f.name.trim();
  if (!name) return { problem: `Enter a ${info.nameLabel.toLowerCase()}.` };
  if (name.length > 100) return { problem: `Shorten the ${info.nameLabel.toLowerCase()} to 100 characters or fewer.` };
  if (kind === 'skills' && !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) {
    return { problem: 'Name the skill with letters, digits, underscores and hyphens only, starting with a letter (it is used as skill.NAME).' };
  }
  const body: Record<string, unknown> = { name };
  if (original) for (const k of SIMPLE_KEYS) if (original[k] !== undefined && original[k] !== null) body[k] = original[k];
  for (const fl of info.fields) {
    const v = f.values[fl.key] ?? '';
    if (fl.required && !v.trim()) return { problem: `Enter the ${fl.label.toLowerCase()}.` };
    if (v.length > 10_000) return { problem: `Shorten the ${fl.label.toLowerCase()} to 10000 characters or fewer.` };
    if (v.trim()) body[fl.key] = fl.multiline ? v : v.trim();
    else delete body[fl.key];
  }
  if (info.weekly) {
    for (const w of f.weekly) {
      const day = DAYS[w.day - 1] ?? `day ${w.day}`;
      if (!HHMM.test(w.open) || !HHMM.test(w.close)) return { problem: `Enter ${day}'s opening and closing times as HH:MM.` };
      if (w.open >= w.close) return { problem: `Make ${day}'s closing time later than its opening time.` };
    }
    body.weekly = f.weekly.map(({ day, open, close }) => ({ day, open, close }));
  }
  return { body };
}
