import { describe, expect, it } from 'vitest';
import { browserVerdict, netStats, netVerdict, osVerdict, parseBrowser, rms } from './checks';

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

describe('operating systems', () => {
  it('warns about systems without security updates', () => {
    const win7 = 'Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0 Safari/537.36';
    const win11 = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
    const oldMac = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1 Safari/605.1.15';
    const mac = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
    const android9 = 'Mozilla/5.0 (Linux; Android 9; SM-G960F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36';
    expect(osVerdict(win7)).toMatchObject({ ok: false, name: 'Windows 7 or older' });
    expect(osVerdict(win7).advice).toMatch(/Windows 10 or 11/);
    expect(osVerdict(win11).ok).toBe(true);
    expect(osVerdict(oldMac)).toMatchObject({ ok: false, name: 'macOS 10.13' });
    expect(osVerdict(mac).ok).toBe(true);
    expect(osVerdict(android9).ok).toBe(false);
    expect(osVerdict('Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0').ok).toBe(true);
  });
});
