// Verifies a JWT with the `jose` library against a JWK Set fetched over HTTP, for
// tests/interop.rs (direction: we sign, jose verifies).
//
// Usage: node node_verify.mjs verify <jwks_url> <issuer> <audience> <token>
//
// Exit status:
//   0  the token verified; its claims are printed as JSON on standard output
//   1  the token was rejected; the reason is printed on standard error
//   2  usage error, or the JWK Set could not be fetched (not a verdict on the token)
//   3  jose is not installed
//
// Needs: npm ci --prefix interop

import process from 'node:process';

let jose;
try {
  jose = await import('jose');
} catch (error) {
  process.stderr.write(`jose not installed (${error.message}): run npm ci --prefix interop\n`);
  process.exit(3);
}

const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];

// Error codes that are a verdict on the token; anything else (a JWKS that cannot be fetched or
// parsed, a timeout) is not.
const REJECTIONS = new Set([
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWS_INVALID',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JWT_EXPIRED',
  'ERR_JWT_INVALID',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
]);

const args = process.argv.slice(2);
if (args.length !== 5 || args[0] !== 'verify') {
  process.stderr.write('usage: node node_verify.mjs verify <jwks_url> <issuer> <audience> <token>\n');
  process.exit(2);
}
const [, jwksUrl, issuer, audience, token] = args;

const jwks = jose.createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: 10000 });
try {
  const { payload } = await jose.jwtVerify(token, jwks, {
    algorithms: ALGORITHMS,
    issuer,
    audience,
    requiredClaims: ['exp', 'iss', 'aud'],
  });
  process.stdout.write(`${JSON.stringify(payload)}\n`);
  process.exitCode = 0;
} catch (error) {
  if (REJECTIONS.has(error?.code)) {
    process.stderr.write(`rejected: ${error.code}: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`JWKS fetch or other failure: ${error?.code ?? ''} ${error?.stack ?? error}\n`);
    process.exitCode = 2;
  }
}
