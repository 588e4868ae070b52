// @ts-check
'use strict';
// The Node client against a real tokend (run by tests/integration/clients).
// Environment as example.js, plus TOKEND_SIGNING_KEY (the PEM key the server
// signs with, to forge tokens only the local check can refuse) and
// TOKEND_ALG_TARGETS ("ALG=host:port,..." of servers signing with each
// further algorithm).

const test = require('node:test');
const assert = require('node:assert');
const crypto = require('crypto');
const fs = require('fs');
const jose = require('jose');
const {TokendClient, AccessTokenVerifier, InvalidToken, status, toStruct, fromStruct} =
    require('../index');

const env = process.env;
/** @param {string} [target] @param {Partial<import('../index').TokendClientOptions>} [extra] */
function newClient(target, extra = {}) {
  return new TokendClient(target || String(env.TOKEND_TARGET), {
    caFile: String(env.TOKEND_CA), certFile: String(env.TOKEND_CERT),
    keyFile: String(env.TOKEND_KEY), ...extra});
}
const issuer = String(env.TOKEND_ISSUER);
const audience = String(env.TOKEND_AUDIENCE);

/** @param {Promise<unknown>} promise */
async function codeOf(promise) {
  try {
    await promise;
  } catch (/** @type {any} */ e) {
    return e.code;
  }
  return 'no error';
}

test('against a real tokend', async (t) => {
  const client = newClient();
  const verifier = new AccessTokenVerifier(() => client.getJwks(), {issuer, audience});
  const signingKey = crypto.createPrivateKey(fs.readFileSync(String(env.TOKEND_SIGNING_KEY)));
  const issue = () => client.issue({subject: 'alice', audience: [audience]});

  await t.test('health answers by service name, NOT_FOUND for another', async () => {
    assert.strictEqual(await client.checkHealth(), 'SERVING');
    assert.strictEqual(await client.checkHealth(''), 'SERVING');
    assert.strictEqual(await codeOf(client.checkHealth('tokend.v1.NoSuchService')),
        status.NOT_FOUND);
  });

  await t.test('errors arrive with their status', async () => {
    assert.strictEqual(await codeOf(client.issue({subject: 'alice'})), status.INVALID_ARGUMENT);
    assert.strictEqual(await codeOf(client.issue({subject: 'alice', audience: ['api://no']})),
        status.PERMISSION_DENIED);
    assert.strictEqual(await codeOf(client.refresh({refresh_token: 'tkdrt_' + 'A'.repeat(43)})),
        status.UNAUTHENTICATED);
  });

  await t.test('Struct claims go in and come back out of Introspect', async () => {
    const claims = {tenant: 'acme', n: 2, ok: true, none: null, list: ['a', 1], nested: {x: 'y'}};
    const issued = await client.issue(
        {subject: 'alice', audience: [audience], claims: toStruct(claims)});
    const info = await client.introspect({token: issued.access_token});
    assert.deepStrictEqual(fromStruct(info.claims), claims);
  });

  const b64 = (/** @type {object} */ o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  // By hand, as a forger would: jose refuses to sign some of these headers.
  /** @param {object} header @param {object} payload */
  const forge = async (header, payload, key = signingKey) => {
    const input = `${b64(header)}.${b64(payload)}`;
    const sig = crypto.sign('sha256', Buffer.from(input), {key, dsaEncoding: 'ieee-p1363'});
    return `${input}.${sig.toString('base64url')}`;
  };
  /** @param {string} token @param {string} why */
  const refused = (token, why) =>
    assert.rejects(verifier.verify(token), InvalidToken, why);

  await t.test('the local check accepts real tokens and refuses forged ones', async () => {
    const token = (await issue()).access_token;
    const header = /** @type {jose.JWTHeaderParameters} */ (jose.decodeProtectedHeader(token));
    const payload = jose.decodeJwt(token);
    assert.strictEqual((await verifier.verify(token)).sub, 'alice');
    await verifier.verify(await forge(header, payload)); // the forge itself is sound
    const now = Math.floor(Date.now() / 1000);
    /** @type {Array<[string, jose.JWTHeaderParameters, jose.JWTPayload]>} */
    const cases = [
      ['typ JWT', {...header, typ: 'JWT'}, payload],
      ['no typ', {alg: header.alg, kid: header.kid}, payload],
      ['crit', {...header, crit: ['exp'], exp: 1}, payload],
      ['other audience', header, {...payload, aud: 'api://other'}],
      ['other issuer', header, {...payload, iss: 'https://evil.example'}],
      ['expired', header, {...payload, exp: now - 60, iat: now - 120, nbf: now - 120}],
      ['not yet valid', header, {...payload, nbf: now + 600}],
      ['fractional exp', header, {...payload, exp: Number(payload.exp) + 0.5}],
    ];
    for (const [why, h, p] of cases) await refused(await forge(h, p), why);
    const other = crypto.generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey;
    await refused(await forge(header, payload, other), 'another key under the same kid');
    await refused(`${b64({...header, alg: 'none'})}.${b64(payload)}.`, 'alg none');
    const jwks = await client.getJwks();
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    const pem = crypto.createPublicKey({key: /** @type {any} */ (jwk), format: 'jwk'})
        .export({type: 'spki', format: 'pem'});
    const input = `${b64({...header, alg: 'HS256'})}.${b64(payload)}`;
    const mac = crypto.createHmac('sha256', pem).update(input).digest('base64url');
    await refused(`${input}.${mac}`, 'HS256 keyed with the public key');
    await refused('not.a.token', 'garbage');
  });

  await t.test('an unknown kid refetches the set at most once per interval', async () => {
    const token = (await issue()).access_token;
    const header = /** @type {jose.JWTHeaderParameters} */ (jose.decodeProtectedHeader(token));
    const payload = jose.decodeJwt(token);
    const lazy = new AccessTokenVerifier(() => client.getJwks(),
        {issuer, audience, minRefetchIntervalMs: 3600000});
    await lazy.verify(token);
    for (let i = 0; i < 5; i++) {
      await assert.rejects(lazy.verify(await forge({...header, kid: `unknown-${i}`}, payload)));
    }
    assert.strictEqual(lazy.fetches, 1);
    const eager = new AccessTokenVerifier(() => client.getJwks(),
        {issuer, audience, minRefetchIntervalMs: 0});
    await eager.verify(token);
    await assert.rejects(eager.verify(await forge({...header, kid: 'unknown'}, payload)));
    assert.strictEqual(eager.fetches, 2);
  });

  await t.test('every signing algorithm verifies locally', async () => {
    const targets = Object.fromEntries(String(env.TOKEND_ALG_TARGETS || '').split(',')
        .filter(Boolean).map((e) => e.split('=')));
    assert.deepStrictEqual(Object.keys(targets).sort(), ['ES384', 'EdDSA', 'PS256', 'RS256']);
    for (const [alg, target] of Object.entries(targets)) {
      const other = newClient(target);
      const v = new AccessTokenVerifier(() => other.getJwks(), {issuer, audience});
      const token = (await other.issue({subject: 'alice', audience: [audience]})).access_token;
      assert.strictEqual(jose.decodeProtectedHeader(token).alg, alg);
      assert.strictEqual((await v.verify(token)).sub, 'alice', alg);
      other.close();
    }
  });

  client.close();
});

test('retries: UNAVAILABLE only, within one deadline', async () => {
  const client = newClient('127.0.0.1:1', {maxAttempts: 4, initialBackoffMs: 10});
  /** @param {number} failures @param {number} code */
  const fake = (failures, code) => {
    const calls = {n: 0};
    const stub = {
      /** @param {unknown} req @param {unknown} opts @param {Function} cb */
      Issue: (req, opts, cb) => {
        calls.n++;
        if (calls.n <= failures) cb(Object.assign(new Error('x'), {code}));
        else cb(null, {ok: true});
      },
    };
    return {stub, calls};
  };
  let f = fake(2, status.UNAVAILABLE);
  assert.deepStrictEqual(await client.call(f.stub, 'Issue', {}, 5000), {ok: true});
  assert.strictEqual(f.calls.n, 3);
  f = fake(9, status.UNAVAILABLE);
  assert.strictEqual(await codeOf(client.call(f.stub, 'Issue', {}, 5000)), status.UNAVAILABLE);
  assert.strictEqual(f.calls.n, 4);
  f = fake(9, status.INVALID_ARGUMENT);
  assert.strictEqual(await codeOf(client.call(f.stub, 'Issue', {}, 5000)),
      status.INVALID_ARGUMENT);
  assert.strictEqual(f.calls.n, 1);
  const start = Date.now();
  const code = await codeOf(client.introspect({token: 'x'}, 1500));
  assert.ok(code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED, String(code));
  assert.ok(Date.now() - start < 2500);
  client.close();
});
