// What people read when something goes wrong or a limit is near.
import { describe, expect, it } from 'vitest';
import { ApiError, errorText, retryAfter, sentence, waitWords } from './api';
import { attachmentProblem, shortId, textLimit } from './format';

/** A sentence that says what to do: capital first, full stop last, an imperative in it. */
function actionable(s: string): void {
  expect(s).toMatch(/^[A-Z]/);
  expect(s).toMatch(/[.!?]$/);
  expect(s).toMatch(/\b(try|ask|check|enter|choose|pick|sign in|reload|wait|shorten|lower|raise|correct|make)\b/i);
}

describe('errorText', () => {
  it('turns a raw validation message into a sentence that says what to do', () => {
    const t = errorText(new ApiError(422, 'invalid', 'text: at most 10000 bytes'));
    expect(t).toBe('Text: at most 10000 bytes. Correct it and try again.');
    actionable(t);
  });

  it('keeps a server message that already says what to do', () => {
    const m = 'No agent has offered hours yet. Ask your agents to enter their hours on their My hours page (/my-hours/), then try again.';
    expect(errorText(new ApiError(422, 'invalid', m))).toBe(m);
  });

  it('gives the wait of a locked account, from retry_after_s', () => {
    const t = errorText(new ApiError(429, 'locked', 'account locked', { retry_after_s: 900 }));
    expect(t).toContain('15 minutes');
    actionable(t);
    expect(retryAfter(new ApiError(429, 'rate_limited', 'x', { retry_after_s: 42 }))).toBe(42);
    expect(errorText(new ApiError(429, 'rate_limited', 'x', { retry_after_s: 42 }))).toContain('42 seconds');
  });

  it('says what to do for every status', () => {
    for (const [status, code] of [
      [401, 'unauthorized'],
      [403, 'forbidden'],
      [403, 'csrf'],
      [403, 'mfa_enrolment_required'],
      [404, 'not_found'],
      [409, 'conflict'],
      [413, 'too_large'],
      [500, 'internal'],
      [503, 'unavailable'],
      [400, 'bad_request'],
    ] as const) {
      actionable(errorText(new ApiError(status, code, 'something lower-case')));
    }
    actionable(errorText(new Error('boom')));
    expect(errorText(new Error('That shift was taken. Pick another shift.'))).toBe('That shift was taken. Pick another shift.');
  });

  it('words', () => {
    expect(sentence('weekly hours must satisfy 0 ≤ min ≤ max')).toBe('Weekly hours must satisfy 0 ≤ min ≤ max.');
    expect(waitWords(1)).toBe('1 second');
    expect(waitWords(45)).toBe('45 seconds');
    expect(waitWords(91)).toBe('2 minutes');
  });
});

describe('textLimit', () => {
  it('shows no counter far from the limit, a counter near it, and refuses past it', () => {
    expect(textLimit('hello', 4000)).toMatchObject({ near: false, over: false, problem: '' });
    const near = textLimit('a'.repeat(3700), 4000);
    expect(near).toMatchObject({ near: true, over: false, counter: '3,700 / 4,000 characters' });
    const over = textLimit('a'.repeat(4010), 4000);
    expect(over.over).toBe(true);
    expect(over.problem).toBe('This message is 10 characters too long. Shorten it or send it in two parts.');
  });

  it('counts the server byte limit for text that is not Latin', () => {
    // 3,000 emoji are 12,000 bytes: over the server's 10,000 though under 4,000 characters.
    const t = textLimit('😀'.repeat(3000), 4000);
    expect(t.over).toBe(true);
    expect(t.counter).toBe('3,000 / 2,500 characters');
    expect(textLimit('a'.repeat(20000), 10000).over).toBe(true);
  });
});

describe('small things', () => {
  it('shortens machine ids for a narrow card, leaves readable values', () => {
    expect(shortId('0192f0c5a7b84c3e9d1f2a3b4c5d6e7f')).toBe('0192f0c5…6e7f');
    expect(shortId('0192f0c5-a7b8-4c3e-9d1f-2a3b4c5d6e7f')).toBe('0192f0c5…6e7f');
    expect(shortId('maria@example.com')).toBe('maria@example.com');
    expect(shortId('+1 555 0100 2000 3000')).toBe('+1 555 0100 2000 3000');
  });

  it('a file too big says its size and what to do', () => {
    const t = attachmentProblem({ type: 'image/png', size: 12 * 1024 * 1024 }) ?? '';
    expect(t).toContain('12.0 MB');
    actionable(t);
  });
});
