// The demo's identity provider: a real OpenID Connect provider (the certified
// `oidc-provider` package) on loopback, so that "Sign in with Demo ID" works in the
// demo as it would with a company's Okta or Entra ID. `scripts/demo.sh` starts it
// beside the demo center, which registers it as Demo Retail's single sign-on. Any
// password is accepted: sign in as `ann` (an agent, made at her first sign-in) or `sam`
// (a supervisor). Not for production: a real center uses the company's own provider.
//
//   node web/demo-idp.mjs          (HOMESHORE_DEMO_IDP_PORT, default 8081;
//                                    HOMESHORE_DEMO_URL, default http://localhost:8080)
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import Provider from 'oidc-provider';

export const CLIENT_ID = 'homeshore-demo';
export const CLIENT_SECRET = process.env.HOMESHORE_DEMO_IDP_SECRET ?? 'demo-identity-provider-secret';
export const ACCOUNTS = {
  ann: { email: 'ann@demo-retail.example', name: 'Ann Okafor', groups: ['cc-agents'] },
  sam: { email: 'sam@demo-retail.example', name: 'Sam Lindqvist', groups: ['cc-supervisors'] },
};

/**
 * Listens on `port` (0: any free one) so that the issuer is known; `serve(centers)` then
 * starts answering for the demo center's base URLs (for the callbacks).
 */
export async function listenDemoIdp(port = 0) {
  const http = createServer();
  await new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, '127.0.0.1', resolve);
  });
  const issuer = `http://127.0.0.1:${http.address().port}`;
  return {
    issuer,
    serve(centers) {
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: CLIENT_ID,
            client_secret: CLIENT_SECRET,
            redirect_uris: centers.map((c) => `${c.replace(/\/$/, '')}/api/auth/sso/callback`),
            grant_types: ['authorization_code'],
            response_types: ['code'],
          },
        ],
        pkce: { required: () => true },
        scopes: ['openid', 'email', 'profile', 'groups'],
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
        async findAccount(_ctx, id) {
          const a = ACCOUNTS[id.trim().toLowerCase()];
          if (!a) return undefined;
          return { accountId: id, claims: async () => ({ sub: id, email: a.email, email_verified: true, name: a.name, groups: a.groups }) };
        },
      });
      http.on('request', provider.callback());
    },
    close: () => new Promise((r) => http.close(r)),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const port = Number(process.env.HOMESHORE_DEMO_IDP_PORT ?? 8081);
  const center = process.env.HOMESHORE_DEMO_URL ?? 'http://localhost:8080';
  const alt = center.replace('//localhost', '//127.0.0.1');
  try {
    const idp = await listenDemoIdp(port);
    idp.serve([...new Set([center, alt])]);
    const { issuer } = idp;
    console.log(`Demo identity provider at ${issuer} (sign in as ann or sam, any password)`);
  } catch (e) {
    console.error(`The demo identity provider could not start on port ${port} (${e.code ?? e.message}); single sign-on is off in this demo.`);
    process.exit(1);
  }
}
