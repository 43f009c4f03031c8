// The browser apps' API types, generated from the server's OpenAPI document
// (docs/openapi.json, the snapshot a server test keeps equal to /api/openapi.json).
//   node scripts/types.mjs          write src/lib/api.gen.ts
//   node scripts/types.mjs --check  fail if it is not what the document gives
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const doc = fileURLToPath(new URL('../../docs/openapi.json', import.meta.url));
export const target = fileURLToPath(new URL('../src/lib/api.gen.ts', import.meta.url));

const HEADER = `// Generated from docs/openapi.json by \`npm run types\` (web/scripts/types.mjs): do not edit.
// The server's test keeps docs/openapi.json equal to /api/openapi.json, and
// \`npm test\` checks this file against it, so these types follow the server.
`;

/** The TypeScript text the document gives. */
export async function generate() {
  const ast = await openapiTS(JSON.parse(readFileSync(doc, 'utf8')), { emptyObjectsUnknown: true });
  return HEADER + astToString(ast);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = await generate();
  if (process.argv.includes('--check')) {
    if (readFileSync(target, 'utf8') !== text) {
      console.error('src/lib/api.gen.ts is not what docs/openapi.json gives: run `npm run types` and commit it.');
      process.exit(1);
    }
  } else {
    writeFileSync(target, text);
    console.log(`wrote ${target}`);
  }
}
