// Wire shapes from docs/http-api.md.

export interface Attachment {
  id: string;
  name: string;
  content_type: string;
  size: number;
  url: string;
}

export interface Message {
  id?: string;
  contact_id?: string;
  seq?: number;
  from: 'customer' | 'agent' | 'system';
  author_name?: string | null;
  text?: string | null;
  attachment?: Attachment | null;
  internal?: boolean;
  client_id?: string | null;
  at?: string;
  delivered?: boolean;
  read?: boolean;
  /** For a message an agent sent through a channel: where it stands with that channel. */
  delivery?: Delivery | null;
  /** Client-side only: not yet acknowledged by the server. */
  pending?: boolean;
  /** Client-side only: the last try failed; it will be retried. */
  failed?: boolean;
}

export type DeliveryStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'failed';

export interface Delivery {
  status: DeliveryStatus;
  attempts: number;
  error?: string | null;
}

/** A `receipt` on the staff socket: an outbound message moved on. */
export interface Receipt extends Delivery {
  contact_id: string;
  message_id: string;
  seq: number;
}

export interface Contact {
  id: string;
  channel: string;
  queue_id?: string | null;
  status: 'waiting' | 'offered' | 'active' | 'wrapup' | 'closed' | string;
  customer_id?: string | null;
  customer_name?: string | null;
  agent_id?: string | null;
  topic?: string | null;
  enqueued_at?: string;
  accepted_at?: string | null;
  ended_at?: string | null;
  last_seq?: number;
  customer_read_seq?: number;
  agent_read_seq?: number;
  wrapup_code?: string | null;
}

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

export interface User {
  id: string;
  name: string;
  email: string;
  role: string;
  org_id: string;
}

export interface Envelope<T = any> {
  seq?: number | null;
  type: string;
  data: T;
}
