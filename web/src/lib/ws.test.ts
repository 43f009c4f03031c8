import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ResumingSocket } from './ws';
import type { Envelope } from './types';

class FakeSocket {
  static all: FakeSocket[] = [];
  onopen?: () => void;
  onmessage?: (e: { data: string }) => void;
  onclose?: (e: { code: number }) => void;
  closed = false;
  constructor(public url: string) {
    FakeSocket.all.push(this);
  }
  open() {
    this.onopen?.();
  }
  emit(e: Envelope) {
    this.onmessage?.({ data: JSON.stringify(e) });
  }
  drop(code = 1006) {
    this.onclose?.({ code });
  }
  close() {
    this.closed = true;
  }
}

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers();
  vi.stubGlobal('WebSocket', FakeSocket);
  vi.stubGlobal('window', { addEventListener() {}, removeEventListener() {} });
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('ResumingSocket', () => {
  it('resumes after the last seq it delivered and drops replays', () => {
    const got: Envelope[] = [];
    const s = new ResumingSocket({ url: (after) => `ws://x/ws?after_seq=${after}`, onEvent: (e) => got.push(e), startSeq: 2 });
    s.start();
    expect(FakeSocket.all[0].url).toBe('ws://x/ws?after_seq=2');
    const first = FakeSocket.all[0];
    first.open();
    first.emit({ seq: 2, type: 'message', data: 'old' });
    first.emit({ seq: 3, type: 'message', data: 'a' });
    first.emit({ seq: null, type: 'typing', data: true });
    first.drop();
    // Backoff, then a new connection that resumes after 3.
    vi.advanceTimersByTime(1000);
    const second = FakeSocket.all[1];
    expect(second.url).toBe('ws://x/ws?after_seq=3');
    second.open();
    second.emit({ seq: 3, type: 'message', data: 'a' });
    second.emit({ seq: 4, type: 'message', data: 'b' });
    expect(got.map((e) => e.data)).toEqual(['a', true, 'b']);
    s.stop();
  });

  it('stops for good on a refusal code', () => {
    const s = new ResumingSocket({ url: () => 'ws://x', onEvent: () => {}, shouldStop: (c) => c === 4404 });
    s.start();
    FakeSocket.all[0].drop(4404);
    vi.advanceTimersByTime(60000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('reconnects when the server goes quiet', () => {
    const s = new ResumingSocket({ url: () => 'ws://x', onEvent: () => {}, idleMs: 5000 });
    s.start();
    FakeSocket.all[0].open();
    vi.advanceTimersByTime(5001);
    expect(FakeSocket.all[0].closed).toBe(true);
    expect(FakeSocket.all).toHaveLength(2);
    s.stop();
  });
});
