'use strict';
// tokend from Node: the proto loaded with the options its types assume, an
// mTLS client with a deadline on every call and retries on UNAVAILABLE only,
// google.protobuf.Struct helpers, and a local access-token check with jose.
// Types: index.d.ts and generated/ (client/generate.sh).

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const jose = require('jose');

// Copies of proto/ and Debian's grpc health proto, made by client/generate.sh
// so that this folder works on its own.
const PROTO_DIR = path.join(__dirname, 'proto');

// The options generated/ was made with (client/generate.sh): field names as
// in the proto (snake_case), 64-bit integers as strings (Timestamp.seconds),
// enums as their names, defaults filled in, and a oneof's name set to the
// field it holds (RevokeRequest.target, Value.kind).
const LOADER_OPTIONS = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
});

// The name tokend's health service answers for besides ''.
const SERVICE_NAME = 'tokend.v1.TokenService';
// The algorithms tokend signs with; a JWK naming any other is ignored.
const ALGORITHMS = Object.freeze(['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256']);

let loaded;
/** The loaded packages: { tokend: { v1 }, grpc: { health: { v1 } } }. */
function loadProtos() {
  if (!loaded) {
    const definition = protoLoader.loadSync(
        ['tokend/v1/token_service.proto', 'grpc/health/v1/health.proto'], LOADER_OPTIONS);
    loaded = grpc.loadPackageDefinition(definition);
  }
  return loaded;
}

// google.protobuf.Value's fields are camelCase (numberValue) even with
// keepCase: protobufjs defines the well-known types itself, in camelCase,
// whatever the .proto files on the include path say.

/** A google.protobuf.Value from a JSON value. */
function toValue(v) {
  if (v === null || v === undefined) return {nullValue: 'NULL_VALUE'};
  if (typeof v === 'number') return {numberValue: v};
  if (typeof v === 'string') return {stringValue: v};
  if (typeof v === 'boolean') return {boolValue: v};
  if (Array.isArray(v)) return {listValue: {values: v.map(toValue)}};
  if (typeof v === 'object') return {structValue: toStruct(v)};
  throw new TypeError(`not a JSON value: ${typeof v}`);
}

/** A google.protobuf.Struct from a plain object (for IssueRequest.claims). */
function toStruct(obj) {
  const fields = {};
  for (const [k, v] of Object.entries(obj)) fields[k] = toValue(v);
  return {fields};
}

/** The JSON value of a google.protobuf.Value as loaded (oneofs: true). */
function fromValue(v) {
  switch (v && v.kind) {
    case 'numberValue': return Number(v.numberValue);
    case 'stringValue': return v.stringValue;
    case 'boolValue': return v.boolValue;
    case 'listValue': return (v.listValue.values || []).map(fromValue);
    case 'structValue': return fromStruct(v.structValue);
    default: return null;
  }
}

/** A plain object from a google.protobuf.Struct (IntrospectResponse.claims). */
function fromStruct(s) {
  const out = {};
  for (const [k, v] of Object.entries((s && s.fields) || {})) out[k] = fromValue(v);
  return out;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class TokendClient {
  /**
   * @param {string} target host:port
   * @param {object} o caFile, certFile, keyFile (PEM paths); timeoutMs: the
   *   deadline of each call including its retries; maxAttempts: tries while
   *   the answer is UNAVAILABLE; initialBackoffMs, maxBackoffMs; serverName:
   *   the name to check tokend's certificate for, when not target's host.
   */
  constructor(target, o) {
    const credentials = grpc.credentials.createSsl(
        fs.readFileSync(o.caFile), fs.readFileSync(o.keyFile), fs.readFileSync(o.certFile));
    // No keepalive options: tokend refuses pings on idle connections, and
    // grpc-js reconnects by itself when a connection reaches its maximum age.
    const options = {};
    if (o.serverName) options['grpc.ssl_target_name_override'] = o.serverName;
    const protos = loadProtos();
    this.stub = new protos.tokend.v1.TokenService(target, credentials, options);
    this.health = new protos.grpc.health.v1.Health(target, credentials, {
      ...options, channelOverride: this.stub.getChannel()});
    this.timeoutMs = o.timeoutMs ?? 5000;
    this.maxAttempts = Math.max(1, o.maxAttempts ?? 4);
    this.initialBackoffMs = o.initialBackoffMs ?? 100;
    this.maxBackoffMs = o.maxBackoffMs ?? 2000;
  }

  close() {
    this.stub.close();
  }

  /** Calls stub[method] with retries on UNAVAILABLE within one deadline. */
  async call(stub, method, request, timeoutMs) {
    const deadline = Date.now() + (timeoutMs ?? this.timeoutMs);
    let backoff = this.initialBackoffMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await new Promise((resolve, reject) => {
          stub[method](request, {deadline: new Date(deadline)},
              (err, response) => (err ? reject(err) : resolve(response)));
        });
      } catch (err) {
        if (err.code !== grpc.status.UNAVAILABLE || attempt >= this.maxAttempts) throw err;
        // Full jitter, so that clients turned away together do not return together.
        const pause = Math.random() * backoff;
        if (Date.now() + pause >= deadline) throw err;
        await sleep(pause);
        backoff = Math.min(backoff * 2, this.maxBackoffMs);
      }
    }
  }

  /**
   * Issue. With include_refresh_token and no idempotency_key, sets a fresh
   * one, so that a retry after a lost answer gets the same refresh token
   * instead of starting a second family.
   */
  issue(request, timeoutMs) {
    if (request.include_refresh_token && !request.idempotency_key) {
      request = {...request, idempotency_key: crypto.randomUUID()};
    }
    return this.call(this.stub, 'Issue', request, timeoutMs);
  }

  // A retried Refresh is safe: within the server's refresh retry window a
  // repeat answers the same successor instead of counting as reuse.
  refresh(request, timeoutMs) {
    return this.call(this.stub, 'Refresh', request, timeoutMs);
  }

  introspect(request, timeoutMs) {
    return this.call(this.stub, 'Introspect', request, timeoutMs);
  }

  revoke(request, timeoutMs) {
    return this.call(this.stub, 'Revoke', request, timeoutMs);
  }

  /** The JWK Set, parsed ({keys: [...]}). */
  async getJwks(timeoutMs) {
    const response = await this.call(this.stub, 'GetJwks', {}, timeoutMs);
    return JSON.parse(response.jwks_json);
  }

  /** 'SERVING', 'NOT_SERVING', ...; rejects with NOT_FOUND for an unknown name. */
  async checkHealth(service = SERVICE_NAME, timeoutMs) {
    const response = await this.call(this.health, 'Check', {service}, timeoutMs);
    return response.status;
  }
}

class InvalidToken extends Error {}

/**
 * Checks tokend access tokens locally against a cached JWK Set: the key is
 * found by kid only, the algorithm comes from that key (never from the
 * token), typ must be at+jwt, iss and aud as given, exp/nbf within leeway.
 * fetchJwks: an async function returning the set, for example
 * () => client.getJwks(). The set is fetched on first use and again when a
 * token names an unknown kid, at most once per minRefetchIntervalMs.
 */
class AccessTokenVerifier {
  constructor(fetchJwks, {issuer, audience, leewaySeconds = 5, minRefetchIntervalMs = 30000}) {
    this.fetchJwks = fetchJwks;
    this.issuer = issuer;
    this.audience = audience;
    this.leewaySeconds = leewaySeconds;
    this.minRefetchIntervalMs = minRefetchIntervalMs;
    this.keys = new Map(); // kid -> {alg, key}
    this.fetchedAt = undefined;
    this.fetches = 0;
    this.loading = undefined;
  }

  async load() {
    const set = await this.fetchJwks();
    const keys = new Map();
    for (const jwk of set.keys || []) {
      if (!jwk.kid || !ALGORITHMS.includes(jwk.alg) || (jwk.use && jwk.use !== 'sig')) continue;
      try {
        keys.set(jwk.kid, {alg: jwk.alg, key: await jose.importJWK(jwk, jwk.alg)});
      } catch {
        // A key that does not fit its alg: its tokens fail as unknown.
      }
    }
    this.keys = keys;
    this.fetchedAt = Date.now();
    this.fetches++;
  }

  async key(kid) {
    if (this.keys.has(kid)) return this.keys.get(kid);
    if (this.fetchedAt === undefined || Date.now() - this.fetchedAt >= this.minRefetchIntervalMs) {
      // One fetch at a time, shared by every check waiting for it.
      this.loading = this.loading || this.load().finally(() => (this.loading = undefined));
      await this.loading;
    }
    return this.keys.get(kid);
  }

  /** The token's claims when it passes; rejects with InvalidToken otherwise. */
  async verify(token) {
    let header;
    try {
      header = jose.decodeProtectedHeader(token);
    } catch (e) {
      throw new InvalidToken(`not a JWS: ${e.message}`);
    }
    if (header.typ !== 'at+jwt') throw new InvalidToken(`typ is ${header.typ}, not at+jwt`);
    if (typeof header.kid !== 'string' || !header.kid) throw new InvalidToken('no kid');
    const entry = await this.key(header.kid);
    if (!entry) throw new InvalidToken(`unknown kid ${header.kid}`);
    if (header.alg !== entry.alg) {
      throw new InvalidToken(`alg ${header.alg} is not the key's ${entry.alg}`);
    }
    let payload;
    try {
      ({payload} = await jose.jwtVerify(token, entry.key, {
        algorithms: [entry.alg],
        typ: 'at+jwt',
        issuer: this.issuer,
        audience: this.audience,
        clockTolerance: this.leewaySeconds,
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti'],
      }));
    } catch (e) {
      throw new InvalidToken(e.message);
    }
    for (const claim of ['exp', 'iat', 'nbf']) {
      if (!Number.isInteger(payload[claim])) throw new InvalidToken(`${claim} is not an integer`);
    }
    return payload;
  }
}

module.exports = {
  LOADER_OPTIONS,
  PROTO_DIR,
  SERVICE_NAME,
  ALGORITHMS,
  loadProtos,
  toStruct,
  toValue,
  fromStruct,
  fromValue,
  TokendClient,
  AccessTokenVerifier,
  InvalidToken,
  status: grpc.status,
};
