import { describe, expect, it } from 'vitest';
import { browserVerdict, netStats, netVerdict, parseBrowser, rms } from './checks';

describe('device check', () => {
  it('recognises browsers', () => {
    const chrome = parseBrowser('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36');
    expect(chrome).toEqual({ name: 'Google Chrome', version: 124 });
    expect(browserVerdict(chrome).ok).toBe(true);
    const edge = parseBrowser('Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/100.0 Safari/537.36 Edg/100.0');
    expect(edge.name).toBe('Microsoft Edge');
    expect(browserVerdict(edge).advice).toMatch(/too old/);
    expect(parseBrowser('Mozilla/5.0 (Macintosh) AppleWebKit/605 Version/17.2 Safari/605').name).toBe('Safari');
    expect(browserVerdict(parseBrowser('curl/8')).ok).toBe(false);
  });
  it('measures round trips and jitter', () => {
    const s = netStats([10, 20, 10, 20, 10]);
    expect(s).toEqual({ median: 10, jitter: 10, lost: 0 });
    expect(netVerdict(s).ok).toBe(true);
    expect(netVerdict(netStats([10, null])).advice).toMatch(/drops out/);
    expect(netVerdict(netStats([400, 410])).ok).toBe(false);
    expect(netVerdict(netStats([5, 100, 5, 100])).advice).toMatch(/jitter/);
    expect(netVerdict(netStats([null])).ok).toBe(false);
  });
  it('computes a level', () => {
    expect(rms([0, 0])).toBe(0);
    expect(rms([0.5, -0.5])).toBeCloseTo(0.5);
  });
});
