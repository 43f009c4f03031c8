import { describe, expect, it } from 'vitest';
import { alertText, amberRed, callsMe, duration } from './console';

describe('supervisor console helpers', () => {
  it("calls a team's supervisors to its raised hands, and supervisors of no team to all", () => {
    expect(callsMe({ team: 'North' }, 'North')).toBe(true);
    expect(callsMe({ team: 'North' }, 'South')).toBe(false);
    expect(callsMe({ team: 'North' }, null)).toBe(true);
    expect(callsMe({ team: null }, 'South')).toBe(true);
    expect(callsMe({}, 'South')).toBe(true);
  });

  it('colours a figure amber then red as it crosses its thresholds', () => {
    expect(amberRed(10, 20, 60)).toBe('');
    expect(amberRed(20, 20, 60)).toBe('amber');
    expect(amberRed(61, 20, 60)).toBe('red');
    // Lower is worse: negate (service level 75 % against a target of 80 %).
    expect(amberRed(-75, -80, -70)).toBe('amber');
    expect(amberRed(-65, -80, -70)).toBe('red');
    expect(amberRed(-85, -80, -70)).toBe('');
    expect(amberRed(Number.NaN, 1, 2)).toBe('');
  });
  it('writes durations people read at a glance', () => {
    expect(duration(45.4)).toBe('45 s');
    expect(duration(185)).toBe('3 min 5 s');
    expect(duration(180)).toBe('3 min');
    expect(duration(3720)).toBe('1 h 2 min');
    expect(duration(-3)).toBe('0 s');
  });

  it('says an alert in a sentence with its units', () => {
    const base = { rule: 'r', queue_id: 'q', queue: 'Returns', since: '2026-12-07T10:00:00Z' };
    expect(alertText({ ...base, metric: 'longest_wait_s', when: 'above', threshold: 120, value: 190 })).toBe('Returns: longest wait 3 min 10 s (above 2 min)');
    expect(alertText({ ...base, metric: 'service_level_30m', when: 'below', threshold: 70, value: 64.6 })).toBe('Returns: service level (30 min) 65 % (below 70 %)');
  });
});
