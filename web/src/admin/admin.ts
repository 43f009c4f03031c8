// The admin pages' pure logic: a queue's settings as a form (strings, so nothing typed
// is lost) and back to the API's body, the explanation and default of each setting, the
// sample contact of the routing preview, and an agent's profile body.

export type Selection = 'longest_idle' | 'most_skilled' | 'least_occupied';

export interface PolicyStep {
  target: string;
  timeout_s?: number | null;
}

/** A queue as `GET /api/queues/{id}` returns it. */
export interface Queue {
  id: string;
  name: string;
  priority?: number;
  required_skills?: string[];
  steps?: PolicyStep[];
  selection?: Selection;
  service_level_percent?: number;
  service_level_s?: number;
  offer_timeout_s?: number | null;
  after_contact_work_s?: number | null;
  max_wait_s?: number | null;
  overflow_queue_id?: string | null;
  priority_aging_s?: number | null;
  prefer_last_agent_s?: number | null;
  decline_cooloff_s?: number | null;
  public?: boolean | null;
  record_calls?: boolean | null;
}

/** The numeric settings of a queue, in the order the form shows them. */
export const NUMBER_FIELDS = [
  'priority',
  'service_level_percent',
  'service_level_s',
  'offer_timeout_s',
  'after_contact_work_s',
  'max_wait_s',
  'priority_aging_s',
  'prefer_last_agent_s',
  'decline_cooloff_s',
] as const;
export type NumberField = (typeof NUMBER_FIELDS)[number];

export interface FieldInfo {
  label: string;
  help: string;
  /** What an empty box means, in words. */
  defaultText: string;
  min: number;
  max: number;
  /** Empty is allowed (the server's default applies); otherwise empty is refused. */
  optional: boolean;
  unit?: string;
}

export const FIELDS: Record<NumberField, FieldInfo> = {
  priority: {
    label: 'Priority',
    help: 'When agents serve several queues, contacts of the queue with the higher priority are offered first.',
    defaultText: '0',
    min: 0,
    max: 100,
    optional: false,
  },
  service_level_percent: {
    label: 'Service level: percent answered',
    help: 'The target share of contacts answered within the time below; shown on the live and planning pages.',
    defaultText: '80 %',
    min: 1,
    max: 100,
    optional: false,
    unit: '%',
  },
  service_level_s: {
    label: 'Service level: within',
    help: 'The answer time the service-level target counts against.',
    defaultText: '20 seconds',
    min: 1,
    max: 3600,
    optional: false,
    unit: 's',
  },
  offer_timeout_s: {
    label: 'Offer timeout',
    help: 'How long an agent has to accept an offer before it goes to someone else.',
    defaultText: '30 seconds',
    min: 5,
    max: 3600,
    optional: true,
    unit: 's',
  },
  after_contact_work_s: {
    label: 'After-contact work',
    help: "How long the agent's slot stays taken after a contact ends, unless they finish wrap-up sooner. 0 frees it at once.",
    defaultText: '30 seconds',
    min: 0,
    max: 7200,
    optional: true,
    unit: 's',
  },
  max_wait_s: {
    label: 'Longest wait',
    help: 'After this long waiting, a contact moves to the overflow queue (or leaves the queue when there is none).',
    defaultText: 'no limit',
    min: 1,
    max: 7 * 86_400,
    optional: true,
    unit: 's',
  },
  priority_aging_s: {
    label: 'Priority aging',
    help: 'Seconds of waiting worth one level of priority, so long waits are not starved by higher-priority queues.',
    defaultText: '60 seconds',
    min: 1,
    max: 86_400,
    optional: true,
    unit: 's',
  },
  prefer_last_agent_s: {
    label: 'Prefer the last agent',
    help: "A returning customer's contact is offered to the agent who last helped them, alone, for this long. 0 turns it off.",
    defaultText: 'off',
    min: 0,
    max: 3600,
    optional: true,
    unit: 's',
  },
  decline_cooloff_s: {
    label: 'Decline cool-off',
    help: 'An agent who declined or missed a contact may be offered it again after this long.',
    defaultText: '60 seconds',
    min: 1,
    max: 3600,
    optional: true,
    unit: 's',
  },
};

export const SELECTIONS: { value: Selection; label: string; help: string }[] = [
  { value: 'longest_idle', label: 'Longest idle (default)', help: 'The qualified agent who has been ready the longest.' },
  { value: 'most_skilled', label: 'Most skilled', help: 'The highest levels in the skills the step names; ties go to the longest idle.' },
  { value: 'least_occupied', label: 'Least occupied', help: 'The agent holding the fewest contacts now; ties go to the longest idle.' },
];

export interface StepForm {
  /** A stable key for the list (steps move). */
  key: number;
  target: string;
  timeout: string;
}

export interface QueueForm {
  name: string;
  numbers: Record<NumberField, string>;
  selection: Selection;
  steps: StepForm[];
  overflow_queue_id: string;
  /** '' (default), 'yes', 'no'. */
  public: '' | 'yes' | 'no';
  /** Record the queue's calls. */
  record_calls: boolean;
  required_skills: string;
}

/**
 * A box's value as trimmed text. Number inputs bound in Svelte hold numbers (or null
 * when empty), text inputs strings: both read the same here.
 */
export function text(v: unknown): string {
  return v === null || v === undefined ? '' : String(v).trim();
}

let nextKey = 1;
export function newStep(target = '', timeout = ''): StepForm {
  return { key: nextKey++, target, timeout };
}

function num(v: number | null | undefined): string {
  return v === null || v === undefined ? '' : String(v);
}

/** An empty form for a new queue: the defaults filled in where the server needs a value. */
export function emptyQueueForm(): QueueForm {
  const numbers = Object.fromEntries(NUMBER_FIELDS.map((f) => [f, ''])) as Record<NumberField, string>;
  numbers.priority = '0';
  numbers.service_level_percent = '80';
  numbers.service_level_s = '20';
  return {
    name: '',
    numbers,
    selection: 'longest_idle',
    steps: [newStep('true')],
    overflow_queue_id: '',
    public: '',
    record_calls: false,
    required_skills: '',
  };
}

/** The form of an existing queue. */
export function queueToForm(q: Queue): QueueForm {
  const f = emptyQueueForm();
  f.name = q.name;
  for (const k of NUMBER_FIELDS) {
    const v = q[k];
    if (v !== undefined && v !== null) f.numbers[k] = String(v);
  }
  f.selection = q.selection ?? 'longest_idle';
  const skills = q.required_skills ?? [];
  f.steps = (q.steps ?? []).map((s) => newStep(s.target, num(s.timeout_s)));
  if (!f.steps.length) {
    // A queue without steps routes on its required skills: show that as its one step.
    f.steps = [newStep(skills.length ? skills.map((s) => `skill.${s}`).join(' AND ') : 'true')];
  }
  f.required_skills = skills.join(', ');
  f.overflow_queue_id = q.overflow_queue_id ?? '';
  f.public = q.public === true ? 'yes' : q.public === false ? 'no' : '';
  f.record_calls = q.record_calls === true;
  return f;
}

/** The steps to send to the server (the routing preview, or the queue itself). */
export function stepsBody(steps: StepForm[]): PolicyStep[] {
  return steps.map((s, i) => {
    const t = text(s.timeout);
    const n = Number(t);
    // The last step has no timeout: nothing comes after it.
    const timeout_s = t === '' || i === steps.length - 1 || !Number.isFinite(n) ? null : n;
    return { target: s.target, timeout_s };
  });
}

/**
 * The body of `POST /api/queues` / `PUT /api/queues/{id}`, or the first problem as a
 * sentence that says what to fix (checked here so the person sees it by the field).
 */
export function queueBody(f: QueueForm): { body: Record<string, unknown> } | { problem: string; field: string } {
  const name = f.name.trim();
  if (!name) return { problem: 'Enter a name for the queue.', field: 'name' };
  if (name.length > 100) return { problem: 'Shorten the name to 100 characters or fewer.', field: 'name' };
  const body: Record<string, unknown> = { name };
  for (const k of NUMBER_FIELDS) {
    const info = FIELDS[k];
    const raw = text(f.numbers[k]);
    if (raw === '') {
      if (info.optional) {
        body[k] = null;
        continue;
      }
      return { problem: `Enter ${info.label.toLowerCase()} (${info.min} to ${info.max}).`, field: k };
    }
    const n = Number(raw);
    if (!Number.isInteger(n) || n < info.min || n > info.max) {
      return { problem: `Set ${info.label.toLowerCase()} to a whole number from ${info.min} to ${info.max}${info.optional ? ', or leave it empty for the default' : ''}.`, field: k };
    }
    body[k] = n;
  }
  body.selection = f.selection;
  if (!f.steps.length) return { problem: 'Add at least one routing step.', field: 'steps' };
  if (f.steps.length > 20) return { problem: 'Remove steps: a policy has at most 20.', field: 'steps' };
  for (const [i, s] of f.steps.entries()) {
    if (!s.target.trim()) return { problem: `Type who qualifies at step ${i + 1}, for example skill.orders >= 3, or true for everyone.`, field: `step-${i}` };
    const t = text(s.timeout);
    if (i < f.steps.length - 1) {
      const n = Number(t);
      if (t === '' || !Number.isInteger(n) || n < 1 || n > 86_400) {
        return { problem: `Set how long step ${i + 1} waits before the next one: 1 to 86400 seconds.`, field: `step-${i}` };
      }
    }
  }
  body.steps = stepsBody(f.steps);
  body.overflow_queue_id = f.overflow_queue_id || null;
  body.public = f.public === 'yes' ? true : f.public === 'no' ? false : null;
  body.record_calls = f.record_calls ? true : null;
  body.required_skills = f.required_skills
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return { body };
}

// ---------- routing preview ----------

export const CHANNELS = ['chat', 'voice', 'sms', 'whatsapp', 'messenger', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface AttrRow {
  key: number;
  name: string;
  value: string;
}

export interface SampleContact {
  channel: Channel;
  priority: string;
  attributes: AttrRow[];
}

export function newAttr(name = '', value = ''): AttrRow {
  return { key: nextKey++, name, value };
}

export function contactBody(c: SampleContact): { channel: Channel; priority: number; attributes: Record<string, string> } {
  const attributes: Record<string, string> = {};
  for (const a of c.attributes) if (a.name.trim()) attributes[a.name.trim()] = a.value;
  const p = Number(text(c.priority));
  return { channel: c.channel, priority: Number.isInteger(p) && p >= 0 && p <= 255 ? p : 0, attributes };
}

export interface PreviewAgent {
  id: string;
  name: string;
  state: string;
  activity: string;
  free_now: boolean;
  skills: Record<string, number>;
}

export interface PreviewStep {
  index: number;
  target: string;
  timeout_s?: number | null;
  error: { message: string; column: number; span: [number, number]; rendered: string } | null;
  agents: PreviewAgent[];
}

/** Calls `fn` once `ms` after the last call; `cancel` drops a pending call. */
export function debounce<A extends unknown[]>(fn: (...a: A) => void, ms: number): ((...a: A) => void) & { cancel: () => void } {
  let t: ReturnType<typeof setTimeout> | undefined;
  const d = (...a: A) => {
    if (t !== undefined) clearTimeout(t);
    t = setTimeout(() => {
      t = undefined;
      fn(...a);
    }, ms);
  };
  d.cancel = () => {
    if (t !== undefined) clearTimeout(t);
    t = undefined;
  };
  return d;
}

// ---------- agents ----------

export const CAPACITY_CHANNELS = ['voice', 'chat', 'messaging', 'email', 'task'] as const;
export type CapacityChannel = (typeof CAPACITY_CHANNELS)[number];

export interface Capacity {
  voice: number;
  chat: number;
  messaging: number;
  email: number;
  task: number;
  max_total?: number | null;
  rules?: unknown[];
}

export interface AgentRow {
  id: string;
  name: string;
  state: string;
  activity?: string;
  reason?: string | null;
  skills: Record<string, number>;
  capacity_by_channel?: Capacity;
  contacts?: number;
  since?: string | null;
}

export interface AgentForm {
  skills: { key: number; name: string; level: string }[];
  capacity: Record<CapacityChannel, string> & { max_total: string };
}

export function agentToForm(a: AgentRow): AgentForm {
  const c = a.capacity_by_channel;
  return {
    skills: Object.entries(a.skills ?? {}).map(([name, level]) => ({ key: nextKey++, name, level: String(level) })),
    capacity: {
      voice: String(c?.voice ?? 1),
      chat: String(c?.chat ?? 3),
      messaging: String(c?.messaging ?? 3),
      email: String(c?.email ?? 3),
      task: String(c?.task ?? 0),
      max_total: num(c?.max_total),
    },
  };
}

export function newSkillRow(name = '', level = '3'): { key: number; name: string; level: string } {
  return { key: nextKey++, name, level };
}

/** The body of `PUT /api/agents/{id}`, or the first problem in words. */
export function agentBody(f: AgentForm, rules?: unknown[]): { body: { skills: Record<string, number>; capacity: Record<string, unknown> } } | { problem: string } {
  const skills: Record<string, number> = {};
  for (const s of f.skills) {
    const name = s.name.trim();
    if (!name) continue;
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) {
      return { problem: `Rename the skill “${name}”: use letters, digits, underscores and hyphens, starting with a letter.` };
    }
    if (name in skills) return { problem: `Remove one of the two “${name}” rows: a skill is listed once.` };
    const n = Number(text(s.level));
    if (!Number.isInteger(n) || n < 1 || n > 5) return { problem: `Set the level of ${name} from 1 to 5.` };
    skills[name] = n;
  }
  const capacity: Record<string, unknown> = {};
  for (const ch of CAPACITY_CHANNELS) {
    const n = Number(text(f.capacity[ch]));
    if (text(f.capacity[ch]) === '' || !Number.isInteger(n) || n < 0 || n > 50) {
      return { problem: `Set the ${ch} capacity to a whole number from 0 to 50 (0: never gets ${ch}).` };
    }
    capacity[ch] = n;
  }
  const mt = text(f.capacity.max_total);
  if (mt === '') capacity.max_total = null;
  else {
    const n = Number(mt);
    if (!Number.isInteger(n) || n < 1 || n > 255) return { problem: 'Set the total limit to a whole number from 1 to 255, or leave it empty for no limit.' };
    capacity.max_total = n;
  }
  // Keep the agent's cross-channel rules as they are (the default when never changed).
  if (rules) capacity.rules = rules;
  return { body: { skills, capacity } };
}
