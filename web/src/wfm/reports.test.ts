import { describe, expect, it } from 'vitest';
import { dateInput, figureText, reportQuery } from './reports';

describe('reports page helpers', () => {
  it('writes dates as the date inputs and the API read them', () => {
    expect(dateInput(new Date(2026, 11, 7, 23, 59))).toBe('2026-12-07');
    expect(dateInput(new Date(2027, 0, 1))).toBe('2027-01-01');
  });
  it('leaves empty filters out of the query', () => {
    expect(reportQuery({ from: '2026-12-01', to: '2026-12-07', queue_id: '', code: 'billing' }).toString()).toBe(
      'from=2026-12-01&to=2026-12-07&code=billing',
    );
  });
  it('names figures for people', () => {
    expect(figureText('answered_in_sl')).toBe('Answered in service level');
    expect(figureText('offered')).toBe('Offered');
  });
});
