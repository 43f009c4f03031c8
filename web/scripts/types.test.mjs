// The generated API types are what the server's OpenAPI snapshot gives: a change to the
// API that was not regenerated (`npm run types`) fails here.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { generate, target } from './types.mjs';

it('src/lib/api.gen.ts is generated from docs/openapi.json as it stands', async () => {
  expect(readFileSync(target, 'utf8') === (await generate()), 'run `npm run types` and commit src/lib/api.gen.ts').toBe(true);
});
