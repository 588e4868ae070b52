// @ts-check
'use strict';
// The whole token lifecycle against a running tokend, over mutual TLS: Issue
// (with a refresh token and an idempotency key), verify the access token
// locally, Introspect, Refresh, Revoke, Introspect again. Exits non-zero when
// any step answers other than expected. Settings come from the environment;
// the defaults fit deploy/dev/up.sh: TOKEND_TARGET (127.0.0.1:8443),
// TOKEND_CA, TOKEND_CERT, TOKEND_KEY (.dev/certs/ca.crt, tokenctl.crt,
// tokenctl.key), TOKEND_ISSUER (https://tokend.dev.local), TOKEND_AUDIENCE
// (api://demo), TOKEND_SCOPE (demo:read), TOKEND_SUBJECT (alice).

const crypto = require('crypto');
const path = require('path');
const {TokendClient, AccessTokenVerifier, toStruct, fromStruct, status} = require('./index');

/** @param {string} name @param {string} fallback */
const env = (name, fallback) => process.env[name] || fallback;
const dev = path.join(__dirname, '..', '..', '.dev', 'certs');

/** @param {unknown} condition @param {string} what */
function expect(condition, what) {
  if (!condition) {
    console.error(`FAIL: ${what}`);
    process.exit(1);
  }
  console.log(`ok: ${what}`);
}

async function main() {
  const client = new TokendClient(env('TOKEND_TARGET', '127.0.0.1:8443'), {
    caFile: env('TOKEND_CA', path.join(dev, 'ca.crt')),
    certFile: env('TOKEND_CERT', path.join(dev, 'tokenctl.crt')),
    keyFile: env('TOKEND_KEY', path.join(dev, 'tokenctl.key')),
  });
  const audience = env('TOKEND_AUDIENCE', 'api://demo');
  const subject = env('TOKEND_SUBJECT', 'alice');
  const verifier = new AccessTokenVerifier(() => client.getJwks(), {
    issuer: env('TOKEND_ISSUER', 'https://tokend.dev.local'), audience});

  expect(await client.checkHealth() === 'SERVING', 'health of tokend.v1.TokenService is SERVING');

  /** @type {import('./index').IssueRequest} */
  const request = {
    subject, audience: [audience], scopes: [env('TOKEND_SCOPE', 'demo:read')],
    include_refresh_token: true, idempotency_key: crypto.randomUUID(),
    claims: toStruct({tenant: 'acme', tier: 2}),
  };
  const issued = await client.issue(request);
  expect(issued.access_token && issued.refresh_token, 'Issue: an access and a refresh token');
  const again = await client.issue(request); // a retry with the same key: the same family
  expect(again.refresh_token === issued.refresh_token,
      'Issue retried with the same idempotency_key: the same refresh token');

  const claims = await verifier.verify(issued.access_token);
  expect(claims.sub === subject && claims.tenant === 'acme',
      `verified locally: sub=${claims.sub} scope=${claims.scope} exp=${claims.exp}`);

  let info = await client.introspect({token: issued.access_token});
  expect(info.active && fromStruct(info.claims).tier === 2,
      `Introspect: active, client_id=${info.client_id}, expires_at=${info.expires_at?.seconds}`);

  const refreshed = await client.refresh({refresh_token: issued.refresh_token});
  expect(refreshed.refresh_token && refreshed.refresh_token !== issued.refresh_token,
      'Refresh: a new access token and the next refresh token');
  await verifier.verify(refreshed.access_token);
  console.log('ok: the refreshed access token verifies locally');

  await client.revoke({token: refreshed.refresh_token});
  console.log('ok: Revoke of the refresh token (its whole family)');
  for (const [name, token] of [['refresh token', refreshed.refresh_token],
    ['access token of the family', refreshed.access_token]]) {
    info = await client.introspect({token});
    expect(!info.active, `Introspect after Revoke: the ${name} is inactive`);
  }

  const err = await client.refresh({refresh_token: refreshed.refresh_token}).then(
      () => undefined, (/** @type {import('@grpc/grpc-js').ServiceError} */ e) => e);
  expect(err && err.code === status.UNAUTHENTICATED,
      `Refresh with the revoked token: ${err && status[err.code]}`);
  client.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
