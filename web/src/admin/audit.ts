// The audit log's wording and CSV, kept apart from the page so that they are tested.

export interface AuditEvent {
  seq: number;
  at: string;
  kind: string;
  data?: Record<string, unknown> & { actor?: unknown };
}

export const AUDIT_GROUPS = [
  { id: 'reads', label: 'Reads of customer data', prefixes: ['audit.read', 'pii.revealed'] },
  { id: 'auth', label: 'Sign-ins', prefixes: ['auth.'] },
  { id: 'people', label: 'Users and tokens', prefixes: ['user.', 'token.'] },
  { id: 'config', label: 'Configuration', prefixes: ['object.', 'org.', 'channel'] },
  { id: 'contacts', label: 'Contacts and messages', prefixes: ['contact.', 'message.', 'delivery.'] },
  { id: 'agents', label: 'Agents and routing', prefixes: ['agent.', 'routing'] },
  { id: 'wfm', label: 'Schedules', prefixes: ['wfm.', 'schedule.', 'shift.'] },
] as const;

/** The group an event kind falls in (`other` when none). */
export function auditGroup(kind: string): string {
  return AUDIT_GROUPS.find((g) => g.prefixes.some((p) => kind.startsWith(p)))?.id ?? 'other';
}

/** Who did it, in words: a person's name, a token's person, a customer, the system. */
export function actorName(actor: unknown, names: Map<string, string>): string {
  const a = (actor ?? {}) as { kind?: string; id?: string; user_id?: string; by?: string };
  const name = (id?: string) => (id ? (names.get(id) ?? id) : 'someone');
  switch (a.kind) {
    case 'user':
      return name(a.id);
    case 'api_token':
      return a.by ? `${name(a.by)} as ${name(a.user_id)} (token)` : `${name(a.user_id)} (token)`;
    case 'customer':
      return 'The customer';
    case 'system':
      return 'Homeshore';
    default:
      return '';
  }
}

function cell(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** The events as CSV: seq, time, kind, who, and the rest of the data as JSON. */
export function auditCsv(events: AuditEvent[], names: Map<string, string>): string {
  const rows = [['seq', 'at', 'kind', 'who', 'details']];
  for (const e of events) {
    const { actor, ...rest } = e.data ?? {};
    rows.push([String(e.seq), e.at, e.kind, actorName(actor, names), JSON.stringify(rest)]);
  }
  return rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
