// A real OpenID Connect provider (panva/oidc-provider) for Coalition's single sign-on tests.
//
//   node tests/oidc/server.mjs --port 5001 --client-id coalition \
//     --client-secret s3cret --redirect-uri http://127.0.0.1:8000/login/sso/gbr/callback \
//     --accounts accounts.json
//
// The client secret may come from OIDC_CLIENT_SECRET instead of the command line; other
// options from OIDC_PORT, OIDC_CLIENT_ID, OIDC_REDIRECT_URIS (space-separated),
// OIDC_ACCOUNTS. The accounts file is a JSON list of
// {"sub", "preferred_username", "nationality", "clearance", ...}: every key but "sub" is
// a claim the provider releases (nationality and clearance under the "coalition" scope).
//
// The development login form is on: a test signs in by posting the subject ("login")
// and any password to it, then confirms the consent form. PKCE (S256) is required.
// Prints "listening <issuer>" once it serves.

import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.OIDC_PORT },
    'client-id': { type: 'string', default: process.env.OIDC_CLIENT_ID ?? 'coalition' },
    'client-secret': { type: 'string', default: process.env.OIDC_CLIENT_SECRET },
    'redirect-uri': { type: 'string', multiple: true },
    accounts: { type: 'string', default: process.env.OIDC_ACCOUNTS },
  },
});

const redirectUris = args['redirect-uri'] ?? (process.env.OIDC_REDIRECT_URIS ?? '').split(/\s+/).filter(Boolean);
for (const [name, value] of Object.entries({
  port: args.port,
  'client-secret': args['client-secret'],
  'redirect-uri': redirectUris.length ? redirectUris : undefined,
  accounts: args.accounts,
})) {
  if (!value) {
    console.error(`missing --${name}`);
    process.exit(2);
  }
}

const accounts = JSON.parse(readFileSync(args.accounts, 'utf8'));
const issuer = `http://127.0.0.1:${args.port}`;
// A fresh signing key per run: nothing secret is ever committed.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-signing-key', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: args['client-id'],
      client_secret: args['client-secret'],
      redirect_uris: redirectUris,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  // Every client must use PKCE, confidential ones too (oidc-provider only insists on it
  // for public clients by default); only S256 is offered.
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'coalition'],
  claims: {
    openid: ['sub'],
    profile: ['preferred_username', 'name'],
    coalition: ['nationality', 'clearance'],
  },
  async findAccount(ctx, id) {
    const account = accounts.find((a) => a.sub === id);
    if (!account) return undefined;
    return {
      accountId: account.sub,
      async claims() {
        return { ...account };
      },
    };
  },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['coalition-oidc-test-only'] },
  jwks: { keys: [signingKey] },
  ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
});

// The development interactions warn on every start; the tests know.
provider.on('server_error', (ctx, error) => console.error('server_error', error));

provider.listen(Number(args.port), '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
