// A JWT issuer built on the `jose` library, for tests/interop.rs (direction: jose signs, we
// verify).
//
// Listens on 127.0.0.1 with an OS-assigned port and prints:
//   line 1: the port
//   line 2: the base URL, which is also the `iss` of every token
// Serves:
//   GET /.well-known/jwks.json   the public keys (RS256, PS256, ES256, EdDSA/Ed25519), each with
//                                `alg`, `kid` and `use: sig`
//   GET /token?alg=RS256&aud=...&sub=...&roles=admin,user
//                                a signed JWT: iss, aud, sub, iat, exp = now + 300, roles (an
//                                array), the key's `kid` in the header
// Exits when its standard input closes (the test drops the child) or on SIGTERM.
//
// Needs: npm ci --prefix interop

import http from 'node:http';
import process from 'node:process';

let jose;
try {
  jose = await import('jose');
} catch (error) {
  process.stderr.write(`jose not installed (${error.message}): run npm ci --prefix interop\n`);
  process.exit(3);
}

const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];

const keys = new Map();
for (const alg of ALGORITHMS) {
  const kid = `node-${alg.toLowerCase()}`;
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = await jose.exportJWK(publicKey);
  keys.set(alg, { kid, privateKey, jwk: { ...jwk, alg, kid, use: 'sig' } });
}
const jwks = JSON.stringify({ keys: [...keys.values()].map((k) => k.jwk) });

let baseUrl = '';

function reply(res, status, contentType, body) {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, baseUrl);
    if (req.method === 'GET' && url.pathname === '/.well-known/jwks.json') {
      reply(res, 200, 'application/json', jwks);
    } else if (req.method === 'GET' && url.pathname === '/token') {
      const alg = url.searchParams.get('alg') ?? '';
      const key = keys.get(alg);
      if (!key) {
        reply(res, 400, 'text/plain', `unknown alg ${JSON.stringify(alg)}\n`);
        return;
      }
      const now = Math.floor(Date.now() / 1000);
      const roles = (url.searchParams.get('roles') ?? '').split(',').filter((r) => r);
      const token = await new jose.SignJWT({ roles })
        .setProtectedHeader({ alg, kid: key.kid })
        .setIssuer(baseUrl)
        .setAudience(url.searchParams.get('aud') ?? 'interop')
        .setSubject(url.searchParams.get('sub') ?? 'alice')
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(key.privateKey);
      reply(res, 200, 'application/jwt', token);
    } else {
      reply(res, 404, 'text/plain', 'not found\n');
    }
  } catch (error) {
    reply(res, 500, 'text/plain', `${error}\n`);
  }
});

function stop() {
  process.exit(0);
}
process.on('SIGTERM', stop);
// End of file on standard input: the parent closed it or went away.
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  baseUrl = `http://127.0.0.1:${port}`;
  process.stdout.write(`${port}\n${baseUrl}\n`);
});
