import { describe, expect, it } from 'vitest';
import { applyReceipt, backoffDelay, botSummary, deliveryLabel, fillTemplate, markRead, maxSeq, mergeMessages, replyWindowClosed, unsent } from './chatlog';
import { chatVars, expand, matchShortcut, suggest } from './canned';
import { SeqGate } from './ws';
import { attachmentProblem, idleWords, scheduleNotice, waitText, watermark } from './format';
import type { Message, Receipt } from './types';

const m = (seq: number | undefined, text: string, client_id?: string, from: Message['from'] = 'customer'): Message => ({
  seq,
  text,
  client_id,
  from,
});

describe('mergeMessages', () => {
  it('keeps each seq once, in order, whatever the arrival order', () => {
    let list: Message[] = [];
    list = mergeMessages(list, [m(2, 'b'), m(1, 'a')]);
    list = mergeMessages(list, [m(2, 'b'), m(3, 'c'), m(1, 'a')]);
    expect(list.map((x) => x.seq)).toEqual([1, 2, 3]);
  });

  it('replaces an optimistic copy by the server copy with the same client_id', () => {
    let list = mergeMessages([m(1, 'hi')], [{ ...m(undefined, 'mine', 'c1'), pending: true }]);
    expect(list.map((x) => x.text)).toEqual(['hi', 'mine']);
    list = mergeMessages(list, [m(2, 'mine', 'c1')]);
    expect(list).toHaveLength(2);
    expect(list[1]).toMatchObject({ seq: 2, pending: false, client_id: 'c1' });
    // The replay after a reconnect changes nothing.
    expect(mergeMessages(list, [m(2, 'mine', 'c1')])).toEqual(list);
  });

  it('never downgrades an acknowledged message to pending', () => {
    const list = mergeMessages([m(5, 'x', 'c9')], [{ ...m(undefined, 'x', 'c9'), pending: true }]);
    expect(list).toEqual([m(5, 'x', 'c9')]);
  });

  it('keeps pending messages after acknowledged ones', () => {
    const list = mergeMessages([{ ...m(undefined, 'p', 'c2'), pending: true }], [m(1, 'a')]);
    expect(list.map((x) => x.text)).toEqual(['a', 'p']);
    expect(unsent(list).map((x) => x.client_id)).toEqual(['c2']);
    expect(maxSeq(list)).toBe(1);
  });

  it('marks read up to a seq for one side only', () => {
    const list = markRead([m(1, 'a'), m(2, 'b', undefined, 'agent'), m(3, 'c')], 'customer', 2);
    expect(list.map((x) => !!x.read)).toEqual([true, false, false]);
  });
});

describe('SeqGate', () => {
  it('accepts each seq once and passes unsequenced events', () => {
    const g = new SeqGate(3);
    expect([g.accept(2), g.accept(3), g.accept(4), g.accept(4), g.accept(null), g.accept(5)]).toEqual([
      false, false, true, false, true, true,
    ]);
    expect(g.last).toBe(5);
  });
});

describe('backoffDelay', () => {
  it('grows and is capped', () => {
    expect(backoffDelay(0, 15000, () => 1)).toBe(500);
    expect(backoffDelay(3, 15000, () => 1)).toBe(4000);
    expect(backoffDelay(20, 15000, () => 1)).toBe(15000);
    expect(backoffDelay(20, 15000, () => 0)).toBe(7500);
  });
});

describe('canned responses', () => {
  const vars = chatVars('Maria Lopez Garcia', 'Sam Agent');
  it('expands variables', () => {
    expect(expand('Hi {{customer.first_name}}, I am {{ agent.name }}.', vars)).toBe('Hi Maria, I am Sam Agent.');
    expect(vars).toMatchObject({ customer: { last_name: 'Lopez Garcia' } });
  });
  it('tidies missing values', () => {
    expect(expand('Hi {{customer.first_name}}, welcome', chatVars('', 'Sam'))).toBe('Hi, welcome');
    expect(expand('Order {{order.id}}!', {}, '…')).toBe('Order …!');
  });
  it('matches shortcuts', () => {
    const rs = [
      { shortcut: '/greet', text: 'Hello {{customer.first_name}}' },
      { shortcut: 'bye', text: 'Bye' },
      { shortcut: '/greet2', text: 'Hey' },
    ];
    expect(matchShortcut('/greet', rs)?.text).toBe('Hello {{customer.first_name}}');
    expect(matchShortcut('/BYE ', rs)?.text).toBe('Bye');
    expect(matchShortcut('/greet me', rs)).toBeUndefined();
    expect(matchShortcut('greet', rs)).toBeUndefined();
    expect(suggest('/gr', rs).map((r) => r.shortcut)).toEqual(['/greet', '/greet2']);
  });
});

describe('format', () => {
  it('checks attachments in plain words', () => {
    expect(attachmentProblem({ type: 'image/png', size: 10 })).toBeNull();
    expect(attachmentProblem({ type: 'text/html', size: 10 })).toMatch(/Only images/);
    expect(attachmentProblem({ type: 'application/pdf', size: 11 * 1024 * 1024 })).toMatch(/10 MB/);
  });
  it('says waits in words', () => {
    expect(waitText(30)).toBe('less than a minute');
    expect(waitText(150)).toBe('about 3 minutes');
  });
});

describe('schedule notices', () => {
  it('tells the agent about a published schedule and a shift taken over', () => {
    expect(scheduleNotice('schedule_published', { week: '2026-11-30', shifts: 3 })).toBe(
      'Your schedule for the week of 2026-11-30 is published: 3 shifts.',
    );
    expect(scheduleNotice('schedule_published', { week: '2026-11-30', shifts: 1 })).toBe(
      'Your schedule for the week of 2026-11-30 is published: 1 shift.',
    );
    expect(scheduleNotice('shift_taken', { by: 'Lucía Díaz' })).toBe('Lucía Díaz took over your shift you offered for swap.');
    expect(scheduleNotice('shift_taken', { start: '2026-12-04T09:00:00Z', by: null })).toMatch(/^A colleague took over your .+ shift you offered for swap\.$/);
  });
});

describe('delivery receipts', () => {
  const sent = (id: string, seq: number): Message => ({
    id,
    seq,
    from: 'agent',
    text: `m${seq}`,
    delivery: { status: 'queued', attempts: 0 },
  });
  const receipt = (message_id: string, status: Receipt['status'], extra: Partial<Receipt> = {}): Receipt => ({
    contact_id: 'c',
    message_id,
    seq: 1,
    channel: 'sms',
    status,
    attempts: 1,
    ...extra,
  });

  it('moves only the message it names, and only forward', () => {
    let list = [sent('a', 1), sent('b', 2)];
    list = applyReceipt(list, receipt('a', 'delivered'));
    expect(list[0].delivery?.status).toBe('delivered');
    expect(list[0].delivered).toBe(true);
    expect(list[1].delivery?.status).toBe('queued');
    // A late "sent" (it raced the provider's receipt) changes nothing.
    list = applyReceipt(list, receipt('a', 'sent'));
    expect(list[0].delivery?.status).toBe('delivered');
    list = applyReceipt(list, receipt('a', 'read'));
    expect(list[0].read).toBe(true);
  });

  it('keeps the furthest delivery whichever copy of a message arrives last', () => {
    const socket: Message = { ...sent('a', 1), client_id: 'k', delivery: { status: 'sent', attempts: 1 } };
    const answer: Message = { ...sent('a', 1), client_id: 'k', delivery: { status: 'queued', attempts: 0 } };
    const list = mergeMessages(mergeMessages([], [socket]), [answer]);
    expect(list).toHaveLength(1);
    expect(list[0].delivery?.status).toBe('sent');
  });

  it('knows when a channel no longer takes a free reply', () => {
    const at = (h: number) => new Date(Date.UTC(2026, 11, 1, h)).toISOString();
    const list: Message[] = [
      { from: 'customer', seq: 1, at: at(0) },
      { from: 'agent', seq: 2, at: at(20) },
    ];
    const now = (h: number) => Date.parse(at(h));
    expect(replyWindowClosed('whatsapp', list, now(23))).toBe('');
    expect(replyWindowClosed('whatsapp', list, now(24))).toContain('24 hours');
    expect(replyWindowClosed('messenger', list, now(24))).toBe('');
    expect(replyWindowClosed('sms', list, now(24 * 30))).toBe('');
    expect(replyWindowClosed('whatsapp', [], now(48))).toBe('');
  });

  it('says where a message stands, failures with their words', () => {
    const [m] = applyReceipt([sent('a', 1)], receipt('a', 'failed', { error: 'the sms endpoint answered 400' }));
    expect(deliveryLabel(m, 0)).toBe('not delivered');
    expect(m.delivery?.error).toContain('400');
    expect(deliveryLabel(sent('b', 2), 0)).toBe('queued');
    expect(deliveryLabel({ ...sent('b', 2), delivery: { status: 'queued', attempts: 2 } }, 0)).toBe('sending again…');
    expect(deliveryLabel({ ...sent('b', 2), delivery: { status: 'sent', attempts: 1 } }, 0)).toBe('sent');
    expect(deliveryLabel({ ...sent('b', 2), delivery: { status: 'sent', attempts: 1 } }, 2)).toBe('read');
    expect(deliveryLabel({ id: 'x', seq: 3, from: 'agent', delivered: true }, 0)).toBe('delivered');
    expect(deliveryLabel({ client_id: 'k', from: 'agent', pending: true }, 0)).toBe('sending…');
  });
});

describe('fillTemplate', () => {
  it('fills each placeholder once, in one pass, and leaves the unfilled ones', () => {
    expect(fillTemplate('Hi {{1}}, order {{2}}. Thanks, {{1}}!', ['Wanda', 'A-1'])).toBe('Hi Wanda, order A-1. Thanks, Wanda!');
    expect(fillTemplate('{{1}}/{{2}}', ['{{2}}', 'b'])).toBe('{{2}}/b');
    expect(fillTemplate('Hi {{1}}, order {{2}}', ['Wanda'])).toBe('Hi Wanda, order {{2}}');
    expect(fillTemplate('{{10}} {{1}}', ['a', '', '', '', '', '', '', '', '', 'j'])).toBe('j a');
  });
});

describe('the agent device', () => {
  it('says idle times and marks transcripts with who looks', () => {
    expect(idleWords(600)).toBe('10 minutes');
    expect(idleWords(60)).toBe('1 minute');
    expect(idleWords(2)).toBe('2 seconds');
    expect(watermark('Alex Morgan', 'alex@demo.example', new Date(2026, 11, 6, 9, 5))).toBe('Alex Morgan · alex@demo.example · 2026-12-06 09:05');
  });
});

describe('botSummary', () => {
  it('says why, the topic and what the customer has seen', () => {
    expect(botSummary(null)).toBe('');
    expect(botSummary({ answers: [] })).toBe('');
    expect(
      botSummary({
        answers: [{ slug: 'refund-time', title: 'When will I get my refund?', seq: 2, confidence: 0.9 }],
        handover: { reason: 'asked_for_person', topic: 'Refunds', question_seq: 5, at: '2026-12-01T15:00:00Z' },
      }),
    ).toBe('The answer bot handed over: the customer asked for a person. Topic: Refunds. Already shown: “When will I get my refund?”.');
    expect(botSummary({ handover: { reason: 'no_match', at: '2026-12-01T15:00:00Z' } })).toBe(
      'The answer bot handed over: no article matched the question. It showed no article.',
    );
  });
});
