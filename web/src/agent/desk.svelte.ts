// The agent desktop's live state: presence, offers, and one tab per chat, fed by the staff
// WebSocket (with resume) and the REST API.
import { api, ApiError, errorText, newClientId, request } from '../lib/api';
import { applyReceipt, markRead, maxSeq, mergeMessages } from '../lib/chatlog';
import { scheduleNotice } from '../lib/format';
import { ResumingSocket, wsUrl } from '../lib/ws';
import type { Agent, Contact, Envelope, FlagIn, Message, Offer, Receipt, Suggestion, Template, TemplateChoice, User } from '../lib/types';
import type { CannedResponse } from '../lib/canned';
import { beep, notify } from './ring';

export interface CustomerInfo {
  customer: { id: string; name: string; email?: string | null };
  identities: { id?: string; kind: string; value: string }[];
  contacts: Contact[];
}

export class ChatTab {
  contact: Contact = $state() as Contact;
  messages: Message[] = $state([]);
  customer: CustomerInfo | null = $state(null);
  customerTyping = $state(false);
  draft = $state('');
  internal = $state(false);
  unread = $state(0);
  problem = $state('');
  /** The customer has read our messages up to this seq. */
  readUpTo = $state(0);
  typingTimer?: ReturnType<typeof setTimeout>;
  lastTypingSent = 0;
  readSent = 0;
  constructor(c: Contact) {
    this.contact = c;
  }
}

export interface Named {
  id: string;
  name: string;
  code?: string;
  state?: string;
}

export interface HelpRequest {
  id: string;
  agent_id: string;
  contact_id: string | null;
  text: string | null;
  raised_at: string;
  taken_by: string | null;
  taken_by_name: string | null;
}

/** What the agent is told when a supervisor acts on their conversation. */
export function supervisionNotice(action: string, by: string | undefined): string {
  const who = by || 'A supervisor';
  switch (action) {
    case 'monitor':
      return `${who} is watching a conversation of yours.`;
    case 'barge':
      return `${who} joined your conversation; the customer sees them.`;
    case 'take_over':
      return `${who} took over a conversation; it is no longer yours.`;
    default:
      return `${who} is helping.`;
  }
}

/** A colleague asked to join a call (`consult` on the staff feed), as both sides see it. */
export interface Consult {
  contact_id: string;
  /** The colleague asked. */
  agent_id: string;
  agent_name: string;
  /** `invited`, `consult`, `conference`; `ended` and `handed_over` close it. */
  state: string;
  /** Who acted last (on an invitation: the agent who asks). */
  by?: string;
  caller?: string | null;
}

export const BREAK_REASONS = ['Lunch', 'Short break', 'Training', 'Meeting', 'Technical problem'];

export class Desk {
  user: User;
  agent: Agent | null = $state(null);
  offers: { offer: Offer; contact: Contact | null }[] = $state([]);
  tabs: ChatTab[] = $state([]);
  activeId: string | null = $state(null);
  online = $state(false);
  now = $state(Date.now());
  problem = $state('');
  /** News about the agent's schedule (published, a swapped shift taken), until dismissed. */
  notice = $state('');
  canned: CannedResponse[] = $state([]);
  queues: Named[] = $state([]);
  agents: Named[] = $state([]);
  wrapupCodes: Named[] = $state([]);
  /** The agent's raised hand, while it is open. */
  help: HelpRequest | null = $state(null);
  /** What a supervisor did: watching, joined, took over, changed your state. */
  supervision = $state('');
  /** Calls this agent holds with a colleague asked to join, by contact id. */
  consults: Record<string, Consult> = $state({});
  /** A colleague's request that this agent join their call. */
  invite: Consult | null = $state(null);
  /** Called when a supervisor signed this agent out. */
  onSignedOut?: () => void;

  private socket: ResumingSocket | null = null;
  private clock?: ReturnType<typeof setInterval>;
  private ringer?: ReturnType<typeof setInterval>;

  constructor(user: User, agent: Agent | null) {
    this.user = user;
    this.agent = agent;
  }

  get active(): ChatTab | undefined {
    return this.tabs.find((t) => t.contact.id === this.activeId);
  }

  get capacity(): number {
    const c = this.agent?.capacity;
    if (typeof c === 'number') return c;
    if (c && typeof c === 'object') return Number((c as Record<string, number>).chat ?? Object.values(c)[0] ?? 0);
    return 0;
  }

  start(): void {
    this.clock = setInterval(() => (this.now = Date.now()), 250);
    this.socket = new ResumingSocket({
      url: (after) => wsUrl(after > 0 ? `/api/ws?after_seq=${after}` : '/api/ws'),
      onEvent: (e) => this.onEvent(e),
      onStatus: (s) => (this.online = s === 'open'),
      shouldStop: (code) => code === 4401 || code === 1008,
    });
    this.socket.start();
    this.loadLists();
    api
      .get<HelpRequest[]>('/api/help')
      .then((h) => (this.help = h[0] ?? null))
      .catch(() => {});
    document.addEventListener('visibilitychange', this.onVisible);
  }

  stop(): void {
    this.socket?.stop();
    clearInterval(this.clock);
    clearInterval(this.ringer);
    document.removeEventListener('visibilitychange', this.onVisible);
  }

  private onVisible = () => this.sendRead();

  private async loadLists(): Promise<void> {
    const list = async <T>(path: string): Promise<T[]> => {
      try {
        const r = await api.get<{ items: T[] }>(path);
        return r.items ?? [];
      } catch {
        return [];
      }
    };
    [this.canned, this.queues, this.agents, this.wrapupCodes] = await Promise.all([
      list<CannedResponse>('/api/canned-responses?limit=200'),
      list<Named>('/api/queues?limit=200'),
      list<Named>('/api/agents?limit=500'),
      list<Named>('/api/wrapup-codes?limit=200'),
    ]);
  }

  private onEvent(e: Envelope): void {
    const d = e.data ?? {};
    switch (e.type) {
      case 'hello': {
        if (this.socket && this.socket.gate.last === 0 && typeof d.last_seq === 'number') this.socket.gate.last = d.last_seq;
        if (d.agent) this.agent = d.agent;
        this.offers = (d.offers ?? []).filter((o: { offer?: Offer }) => o.offer);
        for (const c of (d.contacts ?? []) as Contact[]) this.openTab(c, false);
        // Anything missed while away: fetch each open chat's new messages.
        for (const t of this.tabs) this.loadMessages(t);
        this.updateRing();
        break;
      }
      case 'resync':
        for (const t of this.tabs) this.loadMessages(t);
        break;
      case 'offer': {
        const offer = d.offer as Offer;
        if (!offer || this.offers.some((o) => o.offer.id === offer.id)) return;
        this.offers = [...this.offers, { offer, contact: d.contact ?? null }];
        notify('New chat', `${d.contact?.customer_name ?? 'A customer'}${d.contact?.topic ? ' · ' + d.contact.topic : ''}`, offer.id);
        this.updateRing();
        break;
      }
      case 'offer_revoked':
        this.offers = this.offers.filter((o) => o.offer.id !== d.offer_id);
        this.updateRing();
        break;
      case 'contact': {
        const c = d as Contact;
        const tab = this.tabs.find((t) => t.contact.id === c.id);
        // Taken without the offer card (a contact opened on another channel from here).
        if (c.status !== 'waiting' && this.offers.some((o) => o.offer.contact_id === c.id)) {
          this.offers = this.offers.filter((o) => o.offer.contact_id !== c.id);
          this.updateRing();
        }
        if (c.agent_id && c.agent_id !== this.user.id) {
          if (tab) this.closeTab(c.id);
        } else if (tab) {
          const moved = tab.contact.customer_id !== c.customer_id;
          tab.contact = c;
          // Merged into another customer, or split off: show who it is now.
          if (moved) void this.loadCustomer(tab);
        } else if (c.agent_id === this.user.id && (c.status === 'active' || c.status === 'wrapup')) {
          // A call handed over by the colleague this agent was consulting comes to the front.
          this.openTab(c, this.invite?.contact_id === c.id);
        }
        if (c.status === 'closed' && tab) this.closeTab(c.id);
        break;
      }
      case 'message': {
        const m = d as Message;
        const tab = this.tabs.find((t) => t.contact.id === m.contact_id);
        if (!tab) return;
        tab.messages = mergeMessages(tab.messages, [m]);
        if (m.from === 'customer') {
          tab.customerTyping = false;
          if (this.activeId !== tab.contact.id || document.visibilityState === 'hidden') tab.unread += 1;
          else this.sendRead();
        }
        break;
      }
      case 'typing': {
        const tab = this.tabs.find((t) => t.contact.id === d.contact_id);
        if (!tab || d.from !== 'customer') return;
        tab.customerTyping = !!d.typing;
        clearTimeout(tab.typingTimer);
        if (tab.customerTyping) tab.typingTimer = setTimeout(() => (tab.customerTyping = false), 8000);
        break;
      }
      case 'receipt': {
        const r = d as Receipt;
        const tab = this.tabs.find((t) => t.contact.id === r.contact_id);
        if (tab) tab.messages = applyReceipt(tab.messages, r);
        break;
      }
      case 'read': {
        const tab = this.tabs.find((t) => t.contact.id === d.contact_id);
        if (tab && d.reader === 'customer') {
          tab.readUpTo = Math.max(tab.readUpTo, Number(d.up_to_seq ?? 0));
          tab.messages = markRead(tab.messages, 'agent', tab.readUpTo);
        }
        break;
      }
      case 'agent_state':
        if (!d.id || d.id === this.user.id) this.agent = d;
        break;
      case 'help':
        if (d.closed) {
          if (this.help?.id === d.id) this.help = null;
        } else if (d.agent_id === this.user.id) {
          this.help = d as HelpRequest;
        }
        break;
      case 'supervision':
        this.supervision = supervisionNotice(d.action, d.by_name);
        if (d.action === 'take_over') this.closeTab(d.contact_id);
        if (d.action !== 'monitor') notify('Your supervisor', this.supervision, 'supervision');
        break;
      case 'state_forced':
        this.supervision = `${d.by_name || 'A supervisor'} ${d.signed_out ? 'signed you out' : `set you to ${d.state}`}: ${d.reason}`;
        notify('Your supervisor', this.supervision, 'state');
        if (d.signed_out) setTimeout(() => this.onSignedOut?.(), 4000);
        break;
      case 'consult': {
        const c = d as Consult;
        const over = c.state === 'ended' || c.state === 'handed_over';
        if (c.agent_id === this.user.id) {
          if (over) {
            if (this.invite?.contact_id === c.contact_id) this.invite = null;
            if (c.state === 'handed_over' && this.tabs.some((t) => t.contact.id === c.contact_id)) this.select(c.contact_id);
          } else {
            const first = !this.invite || this.invite.contact_id !== c.contact_id;
            this.invite = { ...(this.invite?.contact_id === c.contact_id ? this.invite : {}), ...c, by: first ? c.by : this.invite?.by };
            if (first) notify('A colleague asks for you', `${c.by ?? 'A colleague'} asks you to join a call.`, `consult-${c.contact_id}`);
          }
        } else if (over) {
          const { [c.contact_id]: _, ...rest } = this.consults;
          this.consults = rest;
        } else {
          this.consults = { ...this.consults, [c.contact_id]: c };
        }
        break;
      }
      case 'schedule_published':
      case 'shift_taken':
        this.notice = scheduleNotice(e.type, d);
        notify('Your schedule', this.notice, e.type);
        break;
    }
  }

  private updateRing(): void {
    clearInterval(this.ringer);
    if (this.offers.length) {
      beep();
      this.ringer = setInterval(beep, 2000);
    }
  }

  openTab(c: Contact, focus = true): ChatTab {
    let tab = this.tabs.find((t) => t.contact.id === c.id);
    if (!tab) {
      tab = new ChatTab(c);
      this.tabs = [...this.tabs, tab];
      this.loadMessages(tab);
      this.loadCustomer(tab);
    } else {
      tab.contact = c;
    }
    if (focus || !this.activeId) this.select(c.id);
    return tab;
  }

  closeTab(id: string): void {
    this.tabs = this.tabs.filter((t) => t.contact.id !== id);
    if (this.activeId === id) this.activeId = this.tabs[0]?.contact.id ?? null;
  }

  select(id: string): void {
    this.activeId = id;
    const tab = this.active;
    if (tab) tab.unread = 0;
    this.sendRead();
  }

  async loadMessages(tab: ChatTab): Promise<void> {
    try {
      const after = maxSeq(tab.messages);
      const r = await api.get<{ items: Message[] }>(`/api/contacts/${tab.contact.id}/messages?after_seq=${after}`);
      tab.messages = mergeMessages(tab.messages, r.items ?? []);
      this.sendRead();
    } catch (e) {
      tab.problem = errorText(e);
    }
  }

  async loadCustomer(tab: ChatTab): Promise<void> {
    if (!tab.contact.customer_id) return;
    try {
      tab.customer = await api.get<CustomerInfo>(`/api/customers/${tab.contact.customer_id}`);
    } catch {
      tab.customer = null;
    }
  }

  sendRead(): void {
    const tab = this.active;
    if (!tab || document.visibilityState === 'hidden') return;
    const upTo = maxSeq(tab.messages.filter((m) => m.from === 'customer'));
    if (upTo > tab.readSent) {
      tab.readSent = upTo;
      api.post(`/api/contacts/${tab.contact.id}/read`, { up_to_seq: upTo }).catch(() => (tab.readSent = 0));
    }
  }

  /** Raise a hand, about the open chat when there is one. */
  async raiseHand(text: string): Promise<void> {
    this.problem = '';
    try {
      this.help = await api.post<HelpRequest>('/api/help', {
        text: text.trim() || undefined,
        contact_id: this.active?.contact.status === 'active' ? this.active.contact.id : undefined,
      });
    } catch (e) {
      this.problem = errorText(e);
    }
  }

  async lowerHand(): Promise<void> {
    if (!this.help) return;
    try {
      await api.post(`/api/help/${this.help.id}/close`);
      this.help = null;
    } catch (e) {
      this.problem = errorText(e);
    }
  }

  async setState(state: string, reason?: string): Promise<void> {
    this.problem = '';
    try {
      this.agent = await api.put<Agent>('/api/agent/state', { state, reason });
    } catch (e) {
      this.problem = errorText(e);
    }
  }

  async accept(offerId: string): Promise<void> {
    this.problem = '';
    try {
      const c = await api.post<Contact>(`/api/offers/${offerId}/accept`);
      this.offers = this.offers.filter((o) => o.offer.id !== offerId);
      this.updateRing();
      this.openTab(c, true);
    } catch (e) {
      this.offers = this.offers.filter((o) => o.offer.id !== offerId);
      this.updateRing();
      this.problem = e instanceof ApiError && e.status === 404 ? 'That chat was already taken or withdrawn. Wait for the next offer.' : errorText(e);
    }
  }

  async reject(offerId: string): Promise<void> {
    this.offers = this.offers.filter((o) => o.offer.id !== offerId);
    this.updateRing();
    try {
      await api.post(`/api/offers/${offerId}/reject`);
    } catch {
      /* expired already: nothing to do */
    }
  }

  /**
   * Send `text` (the tab's draft, already cleared by the composer). Whatever happens,
   * nothing typed is lost: a refused or undeliverable message goes back into the box.
   * With `template`, `text` is the template filled in (shown while it is sent) and the
   * server sends the approved template; a refused one stays in the template picker.
   * Resolves to whether the message was accepted.
   */
  async send(tab: ChatTab, text: string, internal: boolean, template?: TemplateChoice): Promise<boolean> {
    const giveBack = () => {
      tab.messages = tab.messages.filter((x) => x.client_id !== client_id);
      if (template) return;
      tab.draft = tab.draft.trim() ? `${text}\n${tab.draft}` : text;
      tab.internal = internal;
    };
    const back = template ? 'The template was not sent.' : 'Your message is back in the box.';
    const client_id = newClientId();
    tab.messages = mergeMessages(tab.messages, [
      { from: 'agent', client_id, text, internal, pending: true, author_name: this.user.name, at: new Date().toISOString() },
    ]);
    this.stopTyping(tab);
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const body = template ? { client_id, template } : { client_id, text, internal };
        const m = await api.post<Message>(`/api/contacts/${tab.contact.id}/messages`, body);
        tab.messages = mergeMessages(tab.messages, [m]);
        tab.problem = '';
        return true;
      } catch (e) {
        if (e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 429) {
          giveBack();
          tab.problem = `${errorText(e)} ${back}`;
          return false;
        }
        tab.messages = tab.messages.map((x) => (x.client_id === client_id ? { ...x, failed: true } : x));
        await new Promise((r) => setTimeout(r, 1000 * (attempt + 1)));
      }
    }
    giveBack();
    tab.problem = template
      ? 'The template could not be sent. Check your connection, then send it again.'
      : 'Your message could not be sent and is back in the box. Check your connection, then press Send again.';
    return false;
  }

  /**
   * Send the customer a file (a picture or PDF of at most 10 MB): uploaded to the
   * contact, then sent as a message of its own through the contact's channel. Resolves
   * to whether it was accepted; a refusal says why in the tab.
   */
  async sendFile(tab: ChatTab, file: File): Promise<boolean> {
    const client_id = newClientId();
    tab.messages = mergeMessages(tab.messages, [
      { from: 'agent', client_id, text: `Sending ${file.name}…`, internal: false, pending: true, author_name: this.user.name, at: new Date().toISOString() },
    ]);
    try {
      const fd = new FormData();
      fd.append('file', file, file.name);
      const att = await request<{ id: string }>('POST', `/api/contacts/${tab.contact.id}/attachments`, fd);
      const m = await api.post<Message>(`/api/contacts/${tab.contact.id}/messages`, { client_id, text: '', attachment_id: att.id });
      tab.messages = mergeMessages(tab.messages.filter((x) => x.client_id !== client_id), [m]);
      tab.problem = '';
      return true;
    } catch (e) {
      tab.messages = tab.messages.filter((x) => x.client_id !== client_id);
      tab.problem = `${file.name} was not sent: ${errorText(e)}`;
      return false;
    }
  }

  /** The approved templates of this contact's channel (WhatsApp; none elsewhere). */
  async templates(tab: ChatTab): Promise<Template[]> {
    return api.get<Template[]>(`/api/contacts/${tab.contact.id}/templates`);
  }

  /** Articles that fit what the customer asks now (agent assist). */
  async suggestions(tab: ChatTab): Promise<Suggestion[]> {
    return (await api.get<{ items: Suggestion[] }>(`/api/contacts/${tab.contact.id}/suggestions`)).items;
  }

  /** Tell the knowledge base's editors an article is wrong or outdated, or missing. */
  async flag(tab: ChatTab, flag: Omit<FlagIn, 'contact_id'>): Promise<void> {
    await api.post('/api/kb/flags', { ...flag, contact_id: tab.contact.id });
  }

  typing(tab: ChatTab): void {
    const now = Date.now();
    if (tab.internal) return;
    if (now - tab.lastTypingSent > 3000) {
      tab.lastTypingSent = now;
      api.post(`/api/contacts/${tab.contact.id}/typing`, { typing: true }).catch(() => {});
    }
    clearTimeout(tab.typingTimer);
    tab.typingTimer = setTimeout(() => this.stopTyping(tab), 4000);
  }

  stopTyping(tab: ChatTab): void {
    clearTimeout(tab.typingTimer);
    if (tab.lastTypingSent) {
      tab.lastTypingSent = 0;
      api.post(`/api/contacts/${tab.contact.id}/typing`, { typing: false }).catch(() => {});
    }
  }

  async end(tab: ChatTab): Promise<void> {
    try {
      tab.contact = await api.post<Contact>(`/api/contacts/${tab.contact.id}/end`);
    } catch (e) {
      tab.problem = errorText(e);
    }
  }

  async wrapup(tab: ChatTab, code: string, notes: string): Promise<void> {
    try {
      await api.post(`/api/contacts/${tab.contact.id}/wrapup`, { code, notes: notes || undefined });
      this.closeTab(tab.contact.id);
    } catch (e) {
      tab.problem = errorText(e);
    }
  }

  async transfer(tab: ChatTab, target: ({ queue_id: string } | { agent_id: string }) & { note?: string }): Promise<void> {
    try {
      await api.post(`/api/contacts/${tab.contact.id}/transfer`, target);
      this.closeTab(tab.contact.id);
    } catch (e) {
      tab.problem = errorText(e);
    }
  }

  /** Call a number (click-to-dial): the call is a new contact of this agent's, its tab opened. */
  async placeCall(number: string, queueId: string, name: string): Promise<void> {
    const r = await api.post<{ contact: Contact }>('/api/voice/calls', { number, queue_id: queueId, ...(name.trim() ? { name: name.trim() } : {}) });
    this.openTab(r.contact, true);
  }

  /** Ask a colleague to join the call of `contactId` (a consult, then a conference or a hand-over). */
  async consult(contactId: string, agentId: string): Promise<void> {
    const c = await api.post<Consult>(`/api/voice/calls/${contactId}/consult`, { agent_id: agentId });
    this.consults = { ...this.consults, [contactId]: { ...c, contact_id: contactId } };
  }

  async conference(contactId: string, on: boolean): Promise<void> {
    const c = await api.put<Consult>(`/api/voice/calls/${contactId}/consult`, { conference: on });
    this.consults = { ...this.consults, [contactId]: { ...c, contact_id: contactId } };
  }

  /** Call the consult off (the holder), or leave it (the colleague). */
  async endConsult(contactId: string): Promise<void> {
    await request('DELETE', `/api/voice/calls/${contactId}/consult`);
    const { [contactId]: _, ...rest } = this.consults;
    this.consults = rest;
    if (this.invite?.contact_id === contactId) this.invite = null;
  }

  /** Hand the call over to the colleague on it; the tab closes once they have it. */
  async handOver(contactId: string): Promise<boolean> {
    const r = await api.post<{ taken: boolean }>(`/api/voice/calls/${contactId}/consult/complete`, {});
    const { [contactId]: _, ...rest } = this.consults;
    this.consults = rest;
    this.closeTab(contactId);
    return r.taken;
  }

  attachmentUrl = async (url: string): Promise<string> => {
    const res = await fetch(url, { credentials: 'same-origin' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return URL.createObjectURL(await res.blob());
  };
}
