// The API's shapes as the browser apps use them. Those the server documents come from
// the generated `api.gen.ts` (from docs/openapi.json), so they cannot drift from the
// server; the rest are client-side additions or shapes the document leaves open.
import type { components } from './api.gen';

type Schemas = components['schemas'];

export type Attachment = Schemas['AttachmentRef'];
export type DeliveryStatus = Schemas['DeliveryState'];
export type Delivery = Schemas['DeliveryView'];
/** A `receipt` on the staff socket: an outbound message moved on. */
export type Receipt = Schemas['ReceiptOut'];
export type Channel = Schemas['ChannelOut'];

/**
 * A message as the browser holds it: the server's `MessageOut`, or our own optimistic
 * copy before the server has it (then without id, seq or time).
 */
export type Message = Partial<Omit<Schemas['MessageOut'], 'from'>> &
  Pick<Schemas['MessageOut'], 'from'> & {
    /** Client-side only: not yet acknowledged by the server. */
    pending?: boolean;
    /** Client-side only: the last try failed; it will be retried. */
    failed?: boolean;
  };

/** A contact as staff see it. */
export type Contact = Schemas['ContactOut'];
/** An approved template an agent may send (WhatsApp), and one chosen to send. */
export type Template = Schemas['TemplateOut'];
export type TemplateChoice = Schemas['TemplateIn'];
/** An article suggested for a conversation (agent assist), and a flag on one. */
export type Suggestion = Schemas['Suggestion'];
export type FlagIn = Schemas['FlagIn'];
export type FlagOut = Schemas['FlagOut'];
/** One customer across channels: search hits, history, what a merge or split moved. */
export type CustomerHit = Schemas['CustomerHit'];
export type CustomerHits = Schemas['CustomerHits'];
export type HistoryItem = Schemas['HistoryItem'];
export type HistoryPage = Schemas['HistoryPage'];
export type Moved = Schemas['Moved'];
export type ReachOut = Schemas['ReachOut'];

export interface Offer {
  id: string;
  contact_id: string;
  agent_id: string;
  queue_id?: string | null;
  created_at: string;
  expires_at: string;
}

export interface Agent {
  id: string;
  name: string;
  state: string;
  reason?: string | null;
  capacity?: number | Record<string, number>;
  contacts?: number;
}

export type User = Pick<Schemas['UserOut'], 'id' | 'name' | 'email' | 'role' | 'org_id'>;

export interface Envelope<T = any> {
  seq?: number | null;
  type: string;
  data: T;
}
