// The README's test command on a machine that lacks what the browser tests need: it
// stops at once (before compiling anything) with the exact command to run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repo } from './harness.mjs';

test('without Chromium, scripts/test.sh stops at once and says what to install', () => {
  const started = Date.now();
  const r = spawnSync('bash', [join(repo, 'scripts/test.sh')], {
    env: { ...process.env, CHROMIUM_PATH: '/nonexistent/chromium', HOMESHORE_NO_INSTALL: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /the tests need chromium/);
  assert.match(r.stderr, /sudo apt-get install -y chromium/);
  assert.doesNotMatch(r.stdout, /compiling|Compiling/, 'nothing is built first');
  assert.ok(Date.now() - started < 30_000, 'at once');
});
