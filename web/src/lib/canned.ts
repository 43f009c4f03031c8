// Canned responses: `/greet` shortcuts and `{{customer.first_name}}` variables.

export interface CannedResponse {
  id?: string;
  name?: string;
  shortcut?: string | null;
  text: string;
}

export type Vars = Record<string, unknown>;

function lookup(vars: Vars, path: string): unknown {
  let cur: unknown = vars;
  for (const key of path.split('.')) {
    if (cur == null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/**
 * Replace `{{a.b}}` with the value at that path. A missing value becomes `fallback`
 * (default: empty) and tidy spacing is kept ("Hi {{customer.first_name}}," → "Hi,").
 */
export function expand(template: string, vars: Vars, fallback = ''): string {
  const out = template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, path: string) => {
    const v = lookup(vars, path);
    return v == null || v === '' ? fallback : String(v);
  });
  return out.replace(/ +([,.!?])/g, '$1').replace(/ {2,}/g, ' ');
}

/** The variables a chat offers to templates. */
export function chatVars(customerName: string | null | undefined, agentName: string, extra: Vars = {}): Vars {
  const full = (customerName ?? '').trim();
  const [first = '', ...rest] = full.split(/\s+/);
  return {
    customer: { name: full, first_name: first, last_name: rest.join(' ') },
    agent: { name: agentName, first_name: agentName.split(/\s+/)[0] ?? '' },
    ...extra,
  };
}

function normalise(s: string): string {
  return s.replace(/^\//, '').toLowerCase();
}

/** If `text` is exactly a shortcut (`/greet`), the response it names. */
export function matchShortcut(text: string, responses: readonly CannedResponse[]): CannedResponse | undefined {
  const t = text.trim();
  if (!t.startsWith('/') || /\s/.test(t)) return undefined;
  return responses.find((r) => r.shortcut && normalise(r.shortcut) === normalise(t));
}

/** Responses whose shortcut starts with what is typed after `/` (for suggestions). */
export function suggest(text: string, responses: readonly CannedResponse[]): CannedResponse[] {
  const t = text.trim();
  if (!t.startsWith('/') || /\s/.test(t)) return [];
  const q = normalise(t);
  return responses.filter((r) => r.shortcut && normalise(r.shortcut).startsWith(q)).slice(0, 6);
}
