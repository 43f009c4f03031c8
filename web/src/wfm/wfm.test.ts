import { describe, expect, it } from 'vitest';
import {
  addBlock,
  hireHeadline,
  hireRows,
  mondayOf,
  offeredBy,
  offsetLabel,
  patternLabel,
  percent,
  adherenceLine,
  accuracyLine,
  polyline,
  sentence,
  serviceLevels,
  simHeadline,
  simSummary,
  SLOTS,
  span,
  upcoming,
  zoneAbbr,
  zoneNames,
} from './wfm';

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
  it('shows times on the wall clock of a zone, labelled, across the November change', () => {
    // 09:00 in New York: 13:00 UTC before the change, 14:00 UTC after.
    expect(span('2026-10-30T13:00:00Z', '2026-10-30T17:00:00Z', 'America/New_York')).toMatch(/09:00.*(13|01):00( PM)? EDT$/);
    expect(span('2026-11-02T14:00:00Z', '2026-11-02T18:00:00Z', 'America/New_York')).toMatch(/09:00.*(13|01):00( PM)? EST$/);
    // Phoenix keeps MST: the same UTC time is 07:00 there, the week after too.
    expect(span('2026-11-02T14:00:00Z', '2026-11-02T18:00:00Z', 'America/Phoenix')).toMatch(/07:00.*11:00( AM)? MST$/);
    expect(zoneAbbr('2026-10-30T13:00:00Z', 'America/Phoenix')).toBe('MST');
    expect(zoneNames()).toContain('America/Phoenix');
    expect(zoneNames('UTC-05:00')).toContain('UTC-05:00');
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
  it('writes the simulation headline', () => {
    expect(percent(0.842)).toBe('84.2 %');
    expect(percent(0.7801, 0)).toBe('78 %');
    expect(
      simHeadline({ service_level: 0.842, service_level_ci95: 0.011, asa_s: 7.31, abandon_rate: 0.0209, occupancy: 0.7812 }),
    ).toBe('Simulated service level 84.2 % ± 1.1 (95 %), ASA 7.3 s, 2.1 % abandoned, occupancy 78 %');
    expect(simHeadline({ service_level: 1, service_level_ci95: 0, asa_s: 0, abandon_rate: 0, occupancy: 0 })).toBe(
      'Simulated service level 100.0 % ± 0.0 (95 %), ASA 0.0 s, 0.0 % abandoned, occupancy 0 %',
    );
  });
  it('turns simulated intervals into chart points, with gaps where nothing was offered', () => {
    const iv = [
      { start: '2026-11-30T00:00:00Z', service_level: null },
      { start: '2026-11-30T00:30:00Z', service_level: 1 },
      { start: '2026-11-30T01:00:00Z', service_level: 0.5 },
      { start: '2026-11-30T01:30:00Z', service_level: null },
      { start: '2026-11-30T02:00:00Z', service_level: 0.9 },
    ];
    expect(serviceLevels(iv)).toEqual([null, 100, 50, null, 90]);
    expect(polyline(serviceLevels(iv), 40, 100, 100)).toEqual(['10.0,0.0 20.0,50.0', '40.0,10.0']);
    expect(simSummary(iv)).toEqual({ withContacts: 3, below: 1, worst: { start: '2026-11-30T01:00:00Z', service_level: 0.5 } });
    expect(simSummary(iv, 0.95)).toMatchObject({ below: 2 });
    expect(simSummary([{ start: '2026-11-30T00:00:00Z', service_level: null }])).toEqual({ withContacts: 0, below: 0, worst: null });
  });
});

describe('hire plans', () => {
  const plan = { total_hires: 12, shortfall_before_hours: 84.5, shortfall_after_hours: 3, hours_added: 340 };
  it('writes the headline', () => {
    expect(hireHeadline(plan)).toBe('12 hires narrow the gap: shortfall 84.5 → 3.0 agent-hours a week, +340 paid hours');
    expect(hireHeadline({ ...plan, shortfall_after_hours: 0 })).toBe(
      '12 hires close the gap: shortfall 84.5 → 0.0 agent-hours a week, +340 paid hours',
    );
    expect(hireHeadline({ total_hires: 1, shortfall_before_hours: 2.5, shortfall_after_hours: 0, hours_added: 2.75 })).toBe(
      '1 hire closes the gap: shortfall 2.5 → 0.0 agent-hours a week, +2.8 paid hours',
    );
    expect(hireHeadline({ total_hires: 1, shortfall_before_hours: 9, shortfall_after_hours: 4.5, hours_added: 4 })).toMatch(/^1 hire narrows the gap/);
    expect(hireHeadline({ total_hires: 0, shortfall_before_hours: 0, shortfall_after_hours: 0, hours_added: 0 })).toBe(
      'No hires needed: the team covers the requirement',
    );
    expect(hireHeadline({ total_hires: 0, shortfall_before_hours: 6, shortfall_after_hours: 6, hours_added: 0 })).toBe(
      'No hire helps: none of the patterns covers the shortfall of 6.0 agent-hours a week',
    );
  });
  it('labels patterns and sizes the bars', () => {
    expect(patternLabel('weekday daytime 09-17')).toBe('Weekday daytime 09–17');
    expect(patternLabel('')).toBe('');
    const rows = hireRows([
      { profile: 'weekday daytime 09-17', hires: 4, max_week_hours: 30 },
      { profile: 'mornings 06-13', hires: 0, max_week_hours: 20 },
      { profile: 'evenings 17-23', hires: 8, max_week_hours: 20 },
    ]);
    expect(rows.map((r) => [r.profile, r.share])).toEqual([
      ['weekday daytime 09-17', 0.5],
      ['evenings 17-23', 1],
    ]);
    expect(hireRows([{ profile: 'mornings 06-13', hires: 0, max_week_hours: 20 }])).toEqual([]);
  });
});

describe('adherence', () => {
  it('says the team figures for today and the week, or that nothing was scheduled', () => {
    expect(adherenceLine({ adherence: 0.917, conformance: 0.88 }, { adherence: 0.9, conformance: 0.871 })).toBe(
      'Today: adherence 92 %, conformance 88 % · This week: adherence 90 %, conformance 87 %',
    );
    expect(adherenceLine(null, { adherence: 1, conformance: 0.5 })).toBe(
      'Today: nothing scheduled yet · This week: adherence 100 %, conformance 50 %',
    );
  });
});

describe('forecast accuracy', () => {
  it('compares the forecast with repeating last week', () => {
    expect(
      accuracyLine({ days: 14, wape: 0.281, mape: 0.37, bias: -0.012, baseline_wape: 0.358, range_coverage: 0.905 }),
    ).toBe(
      'Backtest over the last 14 open days: 28.1 % weighted error (WAPE), better than repeating last week (35.8 %); bias −1.2 %; 91 % of actuals inside the 80 % range.',
    );
    expect(accuracyLine({ days: 3, wape: 0.5, mape: 0.5, bias: 0.02, baseline_wape: 0.4, range_coverage: 0.7 })).toMatch(
      /no better than repeating last week \(40\.0 %\); bias \+2\.0 %/,
    );
  });
});
