// A real OpenID provider for tests/oidc_provider.rs: the `oidc-provider` package on loopback,
// issuing RFC 9068 JWT access tokens (ES256) through the client credentials grant, one
// audience per resource indicator.
//
// Prints its issuer, `http://127.0.0.1:<port>`, as the first line of stdout, then serves until
// stdin closes or it gets SIGTERM/SIGINT. Everything else it says goes to stderr.
//
// Install: npm ci --prefix interop/oidc
//
// oidc-provider 9 targets Node.js 22 LTS and later: on Node.js 20 it prints an "Unsupported
// runtime" warning on stderr, and works (tested on 20.20). Version 8.8.1 (officially Node 18+)
// runs this same script unchanged.

import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';

// oidc-provider writes its notices with console.info (stdout); keep stdout for the issuer line.
console.info = (...args) => console.error(...args);
console.log = (...args) => console.error(...args);

const { default: Provider, errors } = await import('oidc-provider');

const CLIENT_ID = 'orders-client';
const CLIENT_SECRET = 'orders-client-secret-for-tests-only';

const RESOURCES = new Map([
  ['https://api.example/orders', 'orders:read'],
  ['https://api.example/billing', 'billing:read'],
]);
const DEFAULT_RESOURCE = 'https://api.example/orders';

// Listen first on an OS-assigned port, so the issuer is known before the provider exists and
// no other process can take the port in between.
const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, '127.0.0.1', resolve);
});
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

// A fresh signing key each run; the provider publishes its public half at jwks_uri.
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signingJwk = {
  ...privateKey.export({ format: 'jwk' }),
  kid: `es256-${port}`,
  alg: 'ES256',
  use: 'sig',
};

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      // The provider's only key is ES256 (the default, RS256, would find no key).
      id_token_signed_response_alg: 'ES256',
      scope: [...RESOURCES.values()].join(' '),
    },
  ],
  jwks: { keys: [signingJwk] },
  scopes: ['openid', ...RESOURCES.values()],
  ttl: { ClientCredentials: 300 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => DEFAULT_RESOURCE,
      getResourceServerInfo: async (_ctx, resourceIndicator) => {
        const scope = RESOURCES.get(resourceIndicator);
        if (scope === undefined) {
          throw new errors.InvalidTarget();
        }
        return {
          scope,
          audience: resourceIndicator,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        };
      },
    },
  },
});

provider.on('server_error', (_ctx, err) => console.error('oidc-provider server_error:', err));
provider.on('grant.error', (_ctx, err) => {
  console.error('oidc-provider grant.error:', err.message, err.error_description ?? '');
});

server.on('request', provider.callback());

process.stdout.write(`${issuer}\n`);

function shutdown() {
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.stdin.on('end', shutdown);
process.stdin.on('close', shutdown);
process.stdin.resume();
