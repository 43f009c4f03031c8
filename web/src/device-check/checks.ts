// Pure parts of the device check: what the numbers mean, in plain words.

export interface Browser {
  name: string;
  version: number;
}

export function parseBrowser(ua: string): Browser {
  const pick = (re: RegExp) => Number(ua.match(re)?.[1] ?? 0);
  if (/Edg\//.test(ua)) return { name: 'Microsoft Edge', version: pick(/Edg\/(\d+)/) };
  if (/OPR\//.test(ua)) return { name: 'Opera', version: pick(/OPR\/(\d+)/) };
  if (/Firefox\//.test(ua)) return { name: 'Firefox', version: pick(/Firefox\/(\d+)/) };
  if (/Chrome\//.test(ua)) return { name: /Chromium/.test(ua) ? 'Chromium' : 'Google Chrome', version: pick(/Chrome\/(\d+)/) };
  if (/Safari\//.test(ua) && /Version\//.test(ua)) return { name: 'Safari', version: pick(/Version\/(\d+)/) };
  return { name: 'Unknown browser', version: 0 };
}

const MIN: Record<string, number> = {
  'Google Chrome': 110, Chromium: 110, 'Microsoft Edge': 110, Opera: 96, Firefox: 115, Safari: 16,
};

export function browserVerdict(b: Browser): { ok: boolean; advice: string } {
  const min = MIN[b.name];
  if (!min) return { ok: false, advice: 'We could not recognise this browser. Please use a recent Google Chrome, Microsoft Edge or Firefox.' };
  if (b.version < min) return { ok: false, advice: `${b.name} ${b.version} is too old. Please update it to version ${min} or newer (it is free), then reload this page.` };
  return { ok: true, advice: `${b.name} ${b.version} is supported.` };
}

/** The operating system in the user agent, and whether it still gets security updates. */
export function osVerdict(ua: string): { ok: boolean; name: string; advice: string } {
  const num = (re: RegExp) => Number(ua.match(re)?.[1] ?? NaN);
  const old = (name: string, upgrade: string) => ({
    ok: false,
    name,
    advice: `${name} no longer gets security updates, and customers' details would be on it. ${upgrade}`,
  });
  if (/Windows NT/.test(ua)) {
    const v = num(/Windows NT (\d+\.\d+)/);
    if (v < 10) return old(v >= 6.2 ? 'Windows 8' : 'Windows 7 or older', 'Use a computer with Windows 10 or 11.');
    return { ok: true, name: 'Windows', advice: '' };
  }
  if (/iPhone|iPad/.test(ua)) {
    const v = num(/OS (\d+)_/);
    if (v < 16) return old(`iOS ${v}`, 'Update it in Settings → General → Software Update.');
    return { ok: true, name: `iOS ${v}`, advice: '' };
  }
  if (/Mac OS X/.test(ua)) {
    // Browsers report every macOS since 10.15 as 10.15; anything older shows its own.
    const minor = num(/Mac OS X 10[._](\d+)/);
    if (minor < 15) return old(`macOS 10.${minor}`, 'Update macOS in System Settings → Software Update.');
    return { ok: true, name: 'macOS', advice: '' };
  }
  if (/Android/.test(ua)) {
    const v = num(/Android (\d+)/);
    if (v < 11) return old(`Android ${v}`, 'Use a device with Android 11 or newer.');
    return { ok: true, name: `Android ${v}`, advice: '' };
  }
  if (/CrOS/.test(ua)) return { ok: true, name: 'ChromeOS', advice: '' };
  if (/Linux/.test(ua)) return { ok: true, name: 'Linux', advice: '' };
  return { ok: true, name: 'an unknown system', advice: '' };
}

export interface NetStats {
  median: number;
  jitter: number;
  lost: number;
}

/** Median round-trip time and jitter (mean difference between consecutive samples), ms. */
export function netStats(samples: (number | null)[]): NetStats {
  const ok = samples.filter((s): s is number => s != null);
  const sorted = [...ok].sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : Infinity;
  let diff = 0;
  for (let i = 1; i < ok.length; i++) diff += Math.abs(ok[i] - ok[i - 1]);
  const jitter = ok.length > 1 ? diff / (ok.length - 1) : 0;
  return { median, jitter, lost: samples.length - ok.length };
}

export function netVerdict(s: NetStats): { ok: boolean; advice: string } {
  if (!Number.isFinite(s.median)) return { ok: false, advice: 'The server did not answer. Check that you are online and that a VPN or firewall is not blocking it.' };
  if (s.lost > 0) return { ok: false, advice: `${s.lost} of the test requests got no answer. Your connection drops out: use a cable instead of Wi-Fi, or move closer to the router.` };
  if (s.median > 250) return { ok: false, advice: 'Your connection is slow to answer. Close downloads and video streams, and use a cable instead of Wi-Fi if you can.' };
  if (s.jitter > 40) return { ok: false, advice: 'Your connection is uneven (high jitter), which makes calls choppy. Use a cable instead of Wi-Fi and pause other downloads.' };
  return { ok: true, advice: 'Your connection to the server is fast and steady.' };
}

/** Root-mean-square level of an audio frame (samples in -1..1), 0..1. */
export function rms(frame: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < frame.length; i++) sum += frame[i] * frame[i];
  return frame.length ? Math.sqrt(sum / frame.length) : 0;
}
