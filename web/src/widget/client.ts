// The widget's side of the API: `/api/widget/*`, authenticated by the chat's bearer
// token (no cookies, so it works from any site that embeds the script).
import { ApiError, errorFrom } from '../lib/api';
import type { Message } from '../lib/types';

export interface WidgetConfig {
  org_name: string;
  topics: { id: string; name: string }[];
}

/** A help-center article found before a chat: its page (relative to the server) and its start. */
export interface HelpAnswer {
  title: string;
  url: string;
  excerpt: string;
}

export interface ChatState {
  contact_id: string;
  /** `bot`: with the answer bot, in no queue yet. */
  status: 'bot' | 'waiting' | 'active' | 'ended' | string;
  position?: number | null;
  estimated_wait_s?: number | null;
  agent_name?: string | null;
  /** When the agent joined (RFC 3339). */
  joined_at?: string | null;
  messages: Message[];
}

export interface Session {
  contact_id: string;
  token: string;
  name?: string;
  /** Messages written but not yet acknowledged: retried with the same client_id. */
  outbox?: { client_id: string; text: string }[];
  rated?: boolean;
}

export class WidgetClient {
  constructor(
    public base: string,
    public org: string,
  ) {}
  session: Session | null = null;

  private key(): string {
    return `homeshore-chat:${this.org}`;
  }
  load(): Session | null {
    try {
      const raw = localStorage.getItem(this.key());
      this.session = raw ? (JSON.parse(raw) as Session) : null;
    } catch {
      this.session = null;
    }
    return this.session;
  }
  save(): void {
    try {
      if (this.session) localStorage.setItem(this.key(), JSON.stringify(this.session));
      else localStorage.removeItem(this.key());
    } catch {
      /* private mode: the chat still works until the page closes */
    }
  }
  forget(): void {
    this.session = null;
    this.save();
  }

  url(path: string): string {
    return new URL(path.replace(/^\//, ''), this.base).toString();
  }

  async call<T>(method: string, path: string, body?: unknown | FormData): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.session) headers.Authorization = `Bearer ${this.session.token}`;
    let payload: BodyInit | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await fetch(this.url(path), { method, headers, body: payload, credentials: 'omit', mode: 'cors' });
    } catch {
      throw new ApiError(0, 'network', 'No connection. We will keep trying.');
    }
    if (!res.ok) throw await errorFrom(res);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  config(): Promise<WidgetConfig> {
    return this.call('GET', `api/widget/${encodeURIComponent(this.org)}/config`);
  }
  /** The help center's best articles for a visitor's question (at most three). */
  async search(q: string): Promise<HelpAnswer[]> {
    const r = await this.call<{ items: HelpAnswer[] }>('GET', `api/widget/${encodeURIComponent(this.org)}/search?q=${encodeURIComponent(q)}`);
    return r.items;
  }
  async start(name: string, email: string | undefined, topic: string): Promise<Session> {
    const r = await this.call<{ contact_id: string; token: string }>(
      'POST',
      `api/widget/${encodeURIComponent(this.org)}/chats`,
      { name, email: email || undefined, topic },
    );
    this.session = { contact_id: r.contact_id, token: r.token, name, outbox: [] };
    this.save();
    return this.session;
  }
  private chat(path = ''): string {
    return `api/widget/chats/${this.session?.contact_id}${path}`;
  }
  state(): Promise<ChatState> {
    return this.call('GET', this.chat());
  }
  send(client_id: string, text: string): Promise<Message> {
    return this.call('POST', this.chat('/messages'), { client_id, text });
  }
  typing(typing: boolean): Promise<void> {
    return this.call('POST', this.chat('/typing'), { typing });
  }
  read(up_to_seq: number): Promise<void> {
    return this.call('POST', this.chat('/read'), { up_to_seq });
  }
  attach(file: File): Promise<Message> {
    const fd = new FormData();
    fd.append('file', file, file.name);
    return this.call('POST', this.chat('/attachments'), fd);
  }
  end(): Promise<void> {
    return this.call('POST', this.chat('/end'));
  }
  /** "Talk to a person": the answer bot hands the chat over at once. */
  handover(): Promise<ChatState> {
    return this.call('POST', this.chat('/handover'));
  }
  csat(rating: number, comment: string): Promise<void> {
    return this.call('POST', this.chat('/csat'), { rating, comment: comment || undefined });
  }
  /** An attachment as a blob: URL (the token travels in a header, not in the page). */
  async attachmentUrl(url: string): Promise<string> {
    const res = await fetch(new URL(url, this.base).toString(), {
      headers: this.session ? { Authorization: `Bearer ${this.session.token}` } : {},
      credentials: 'omit',
    });
    if (!res.ok) throw await errorFrom(res);
    return URL.createObjectURL(await res.blob());
  }
  wsUrl(afterSeq: number): string {
    const u = new URL(this.chat('/ws'), this.base);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.searchParams.set('token', this.session?.token ?? '');
    u.searchParams.set('after_seq', String(afterSeq));
    return u.toString();
  }
}
