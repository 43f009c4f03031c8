// A WebSocket that comes back: reconnects with backoff, resumes with `after_seq`, and
// hands each sequenced event to the app exactly once.
import { backoffDelay } from './chatlog';
import type { Envelope } from './types';

export interface ResumingSocketOptions {
  /** Build the URL for a connection that resumes after `afterSeq`. */
  url: (afterSeq: number) => string;
  onEvent: (e: Envelope) => void;
  onStatus?: (s: 'connecting' | 'open' | 'closed') => void;
  /** Give up reconnecting (e.g. the chat is gone). */
  shouldStop?: (code: number) => boolean;
  /** Reconnect when nothing arrived for this long (the server sends heartbeats). */
  idleMs?: number;
  startSeq?: number;
}

/** Accepts each seq once and in order; events without a seq always pass. */
export class SeqGate {
  constructor(public last = 0) {}
  accept(seq: number | null | undefined): boolean {
    if (seq == null) return true;
    if (seq <= this.last) return false;
    this.last = seq;
    return true;
  }
}

export function wsUrl(path: string, base: string = location.href): string {
  const u = new URL(path, base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}

export class ResumingSocket {
  private ws?: WebSocket;
  private attempt = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private idleTimer?: ReturnType<typeof setTimeout>;
  private stopped = false;
  readonly gate: SeqGate;

  constructor(private opts: ResumingSocketOptions) {
    this.gate = new SeqGate(opts.startSeq ?? 0);
    if (typeof window !== 'undefined') {
      window.addEventListener('online', this.reconnectNow);
    }
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.idleTimer);
    window.removeEventListener('online', this.reconnectNow);
    this.ws?.close(1000);
    this.ws = undefined;
  }

  /** Drop the connection now and open a new one (resume). */
  reconnectNow = (): void => {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.attempt = 0;
    const old = this.ws;
    this.ws = undefined;
    old?.close();
    this.connect();
  };

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    const ms = this.opts.idleMs ?? 45000;
    this.idleTimer = setTimeout(() => this.reconnectNow(), ms);
  }

  private connect(): void {
    if (this.stopped) return;
    this.opts.onStatus?.('connecting');
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.opts.url(this.gate.last));
    } catch {
      this.schedule();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      this.opts.onStatus?.('open');
      this.armIdle();
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.armIdle();
      let e: Envelope;
      try {
        e = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      if (!this.gate.accept(e.seq)) return;
      this.opts.onEvent(e);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      clearTimeout(this.idleTimer);
      this.opts.onStatus?.('closed');
      if (this.opts.shouldStop?.(ev.code)) {
        this.stopped = true;
        return;
      }
      this.schedule();
    };
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), backoffDelay(this.attempt++));
  }
}
