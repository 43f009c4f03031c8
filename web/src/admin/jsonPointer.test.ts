import { describe, expect, it } from 'vitest';
import { locate } from './jsonPointer';

const text = `{
  "start": "welcome",
  "steps": {
    "welcome": {"type": "menu", "options": {"1": "order", "a/b": "x"}},
    "list": [10, {"deep": true}]
  }
}`;

const at = (p: string) => {
  const s = locate(text, p);
  return s ? text.slice(s.start, s.end) : null;
};

describe('locate', () => {
  it('finds the value a pointer names', () => {
    expect(at('/start')).toBe('"welcome"');
    expect(at('/steps/welcome/options/1')).toBe('"order"');
    expect(at('/steps/welcome/options/a~1b')).toBe('"x"');
    expect(at('/steps/list/1/deep')).toBe('true');
    expect(at('')).toBe(text);
  });
  it('falls back to the deepest part that exists', () => {
    expect(at('/steps/welcome/timeout_s')).toContain('"type": "menu"');
  });
  it('gives up on text that is not JSON', () => {
    expect(locate('{"a": ', '/a')).toBeNull();
  });
});
