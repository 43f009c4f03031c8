import { describe, expect, it } from 'vitest';
import { addBlock, mondayOf, offeredBy, offsetLabel, polyline, sentence, SLOTS, upcoming } from './wfm';

describe('wfm helpers', () => {
  it('finds the Monday of a week in UTC', () => {
    expect(mondayOf(new Date('2026-12-02T10:05:00Z'))).toBe('2026-11-30');
    expect(mondayOf(new Date('2026-11-30T00:00:00Z'))).toBe('2026-11-30');
    expect(mondayOf(new Date('2026-12-06T23:59:00Z'))).toBe('2026-11-30');
  });
  it('adds a block of agents, clipped to the week', () => {
    const req = new Array(SLOTS).fill(0);
    const n = addBlock(req, '2026-11-30', new Date('2026-11-29T23:00:00Z'), new Date('2026-11-30T01:10:00Z'), 2);
    expect(n).toBe(3);
    expect(req.slice(0, 4)).toEqual([2, 2, 2, 0]);
  });
  it('labels offsets and draws lines with gaps', () => {
    expect(offsetLabel(-330)).toBe('UTC−05:30');
    expect(offsetLabel(60)).toBe('UTC+01:00');
    expect(polyline([0, 1, null, 1], 30, 10, 1)).toEqual(['0.0,10.0 10.0,0.0', '30.0,0.0']);
  });
  it('tells upcoming shifts and who offers a swap', () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    expect(upcoming({ start: '2026-11-30T12:30:00Z' }, now)).toBe(true);
    expect(upcoming({ start: '2026-11-30T12:00:00Z' }, now)).toBe(false);
    expect(upcoming({ start: '2026-11-30T11:30:00Z' }, now)).toBe(false);
    expect(upcoming({ start: 'not a time' }, now)).toBe(false);
    expect(offeredBy({ agent_name: 'Jordan Blake' })).toBe('Jordan Blake');
    expect(offeredBy({ agent_name: null })).toBe('A colleague');
    expect(offeredBy({ agent_name: '  ' })).toBe('A colleague');
    expect(offeredBy({})).toBe('A colleague');
    expect(sentence('you cannot take this shift: it is outside the hours you offer')).toBe(
      'You cannot take this shift: it is outside the hours you offer.',
    );
    expect(sentence('Done!')).toBe('Done!');
    expect(sentence('')).toBe('');
  });
});
