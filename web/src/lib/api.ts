// The staff API client: JSON in and out, the session cookie, and the CSRF header on
// every write. Errors come back in one shape: `{error: {code, message, details}}`.

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public details?: unknown,
  ) {
    super(message);
  }
}

/** `text` as a sentence: a capital first letter and a full stop. */
export function sentence(text: string): string {
  const t = text.trim().replace(/^([a-z_]+): /, (_, field: string) => `${field.replace(/_/g, ' ')}: `);
  if (!t) return '';
  const first = t[0].toUpperCase() + t.slice(1);
  return /[.!?…]$/.test(first) ? first : `${first}.`;
}

/** Whether a message already reads as advice: a sentence that says what to do next. */
function saysWhatToDo(text: string): boolean {
  return /^[A-Z]/.test(text) && /[.!?]$/.test(text) && /\b(try|ask|check|enter|choose|pick|sign in|reload|wait|set|shorten|lower|raise|remove|correct|contact|start|make|turn|type|save|add)\b/i.test(text);
}

/** "15 minutes", "40 seconds": a wait in words. */
export function waitWords(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s <= 90) return s === 1 ? '1 second' : `${s} seconds`;
  const m = Math.ceil(s / 60);
  return m === 1 ? '1 minute' : `${m} minutes`;
}

/** Seconds to wait before trying again, from an error's details, or null. */
export function retryAfter(e: unknown): number | null {
  if (!(e instanceof ApiError)) return null;
  const d = e.details as { retry_after_s?: unknown } | undefined;
  const s = Number(d?.retry_after_s);
  return Number.isFinite(s) && s > 0 ? s : null;
}

/**
 * What went wrong, in the words to show a person: always a sentence that says what to
 * do. The server's message when it already does; otherwise one chosen by the error's
 * status and code.
 */
export function errorText(e: unknown): string {
  if (!(e instanceof ApiError)) {
    const m = e instanceof Error ? e.message : String(e);
    if (saysWhatToDo(m)) return m;
    return `${sentence(m) || 'Something went wrong.'} Try again; if it keeps happening, reload the page.`;
  }
  const wait = retryAfter(e);
  if (e.code === 'locked') {
    return `This account is locked after too many failed sign-ins. Try again in ${waitWords(wait ?? 60)}, or ask an admin to unlock it.`;
  }
  if (e.status === 429) {
    return wait ? `Too many attempts. Wait ${waitWords(wait)} and try again.` : 'Too many attempts. Wait a moment and try again.';
  }
  if (e.code === 'network') return e.message;
  if (e.code === 'mfa_enrolment_required') {
    return 'Your organisation requires two-factor authentication. Reload the page to set it up.';
  }
  if (e.code === 'csrf') return 'Your session changed in another tab. Reload the page and try again.';
  if (e.status === 401) return 'Your session has ended. Sign in again to continue.';
  if (saysWhatToDo(e.message)) return e.message;
  const what = sentence(e.message);
  if (e.status === 403) return `${what} Ask an admin if you need to do this.`;
  if (e.status === 404) return `${what} It may have been removed: reload the page to see what is there now.`;
  if (e.status === 409) return `${what} Reload the page to see the latest, then try again.`;
  if (e.status === 413) return 'That is too large to send. Make it smaller and try again.';
  if (e.status >= 500 || e.status === 0) {
    return 'Something went wrong on the server. Try again in a moment; if it keeps happening, tell your administrator.';
  }
  return `${what || 'That was refused.'} Correct it and try again.`;
}

let csrfToken = '';
export function setCsrf(token: string | undefined): void {
  csrfToken = token ?? '';
}

/** Turn any failed response into an ApiError, whatever its body. */
export async function errorFrom(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  let details: unknown;
  try {
    const body = await res.json();
    if (body && typeof body === 'object' && body.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
      details = body.error.details;
    }
  } catch {
    /* not JSON: keep the status line */
  }
  return new ApiError(res.status, code, message, details);
}

export async function request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const form = body instanceof FormData;
  // A file sent as it is (a recording): its own type.
  const blob = body instanceof Blob;
  if (body !== undefined && !form) headers['Content-Type'] = blob ? (body as Blob).type || 'application/octet-stream' : 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : form || blob ? (body as BodyInit) : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection.');
  }
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  get: <T = unknown>(path: string) => request<T>('GET', path),
  post: <T = unknown>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  put: <T = unknown>(path: string, body?: unknown) => request<T>('PUT', path, body ?? {}),
};

/** End the session; the cookie is gone whatever the server answers. */
export async function signOut(): Promise<void> {
  try {
    await api.post('/api/auth/logout');
  } catch {
    /* the session is gone either way */
  }
  setCsrf('');
}

/** A random id for idempotent writes (`client_id`); works outside secure contexts too. */
export function newClientId(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') {
    try {
      return c.randomUUID();
    } catch {
      /* insecure context */
    }
  }
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
