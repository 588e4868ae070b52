"""A thin helper over the generated tokend.v1 stubs.

TokendClient: a gRPC channel over mutual TLS from three PEM files, a default
deadline on every call, and retries with exponential backoff on UNAVAILABLE
only (the one status tokend answers for "try again": a busy or unreachable
database, a replica that is draining or not current, or a lost connection).
Every other status is raised at once as grpc.RpcError.

AccessTokenVerifier: checks an access token locally, without a call, the way
tokend's own docs ask (docs/api.md, "Access tokens"): the key is found by
`kid` only in the JWK Set from GetJwks, the header's `alg` must equal that
key's `alg`, `typ` must be `at+jwt`, no `crit`, and `iss`, `aud`, `exp`,
`nbf` and `iat` are checked. Only Introspect also knows about revocations.
"""

import json
import random
import threading
import time
import uuid

import grpc
import jwt

from tokend.grpc_health.v1 import health_pb2, health_pb2_grpc
from tokend.v1 import token_service_pb2 as pb
from tokend.v1 import token_service_pb2_grpc as pb_grpc

__all__ = ["TokendClient", "AccessTokenVerifier", "InvalidToken", "pb"]

# The name tokend's health service answers for besides "".
SERVICE_NAME = "tokend.v1.TokenService"
# The algorithms tokend signs with; a JWK naming any other is ignored.
ALGORITHMS = ("ES256", "ES384", "EdDSA", "RS256", "PS256")


def _read(path):
    with open(path, "rb") as f:
        return f.read()


class TokendClient:
    """Calls tokend over mutual TLS.

    target: "host:port". ca_file: PEM CAs that sign tokend's certificate;
    cert_file, key_file: this client's certificate chain and key (PEM).
    timeout: the deadline, in seconds, of each call including its retries.
    max_attempts: tries per call while the answer is UNAVAILABLE (1: none
    repeated). server_name: the name to check tokend's certificate for when
    it differs from target's host (for example, connecting by IP address).
    """

    def __init__(self, target, ca_file, cert_file, key_file, *, timeout=5.0, max_attempts=4,
                 initial_backoff=0.1, max_backoff=2.0, server_name=None):
        credentials = grpc.ssl_channel_credentials(
            root_certificates=_read(ca_file), private_key=_read(key_file),
            certificate_chain=_read(cert_file))
        # No keepalive options: tokend refuses pings on idle connections
        # (docs/config.md, tls), and gRPC reconnects by itself after the
        # server ends a connection at its maximum age.
        options = []
        if server_name:
            options.append(("grpc.ssl_target_name_override", server_name))
        self.channel = grpc.secure_channel(target, credentials, options=options)
        self.stub = pb_grpc.TokenServiceStub(self.channel)
        self._health = health_pb2_grpc.HealthStub(self.channel)
        self.timeout = timeout
        self.max_attempts = max(1, max_attempts)
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff

    def close(self):
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _call(self, method, request, timeout):
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        backoff = self.initial_backoff
        for attempt in range(1, self.max_attempts + 1):
            remaining = deadline - time.monotonic()
            try:
                return method(request, timeout=max(remaining, 0.001))
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.UNAVAILABLE or attempt == self.max_attempts:
                    raise
                # Full jitter, so that clients turned away together do not
                # come back together.
                pause = random.uniform(0, backoff)
                if time.monotonic() + pause >= deadline:
                    raise
                time.sleep(pause)
                backoff = min(backoff * 2, self.max_backoff)
        raise AssertionError("unreachable")

    def issue(self, request, timeout=None):
        """Issue. With include_refresh_token and no idempotency_key, sets a
        fresh one, so that a retry after a lost answer gets the same refresh
        token instead of starting a second family."""
        if request.include_refresh_token and not request.idempotency_key:
            copy = pb.IssueRequest()
            copy.CopyFrom(request)
            copy.idempotency_key = str(uuid.uuid4())
            request = copy
        return self._call(self.stub.Issue, request, timeout)

    def refresh(self, request, timeout=None):
        # A retried Refresh is safe: within the server's refresh retry
        # window a repeat answers the same successor instead of counting as
        # reuse.
        return self._call(self.stub.Refresh, request, timeout)

    def introspect(self, request, timeout=None):
        return self._call(self.stub.Introspect, request, timeout)

    def revoke(self, request, timeout=None):
        return self._call(self.stub.Revoke, request, timeout)

    def get_jwks(self, timeout=None):
        """The JWK Set as a dict ({"keys": [...]})."""
        return json.loads(self._call(self.stub.GetJwks, pb.GetJwksRequest(), timeout).jwks_json)

    def check_health(self, service=SERVICE_NAME, timeout=None):
        """The standard health check: "SERVING", "NOT_SERVING", ...; raises
        grpc.RpcError (NOT_FOUND for a name tokend does not know)."""
        response = self._call(self._health.Check,
                              health_pb2.HealthCheckRequest(service=service), timeout)
        return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


class InvalidToken(Exception):
    """The access token failed the local check; str() says why."""


class AccessTokenVerifier:
    """Checks tokend access tokens locally against a cached JWK Set.

    fetch_jwks: a function returning the JWK Set as a dict, for example
    TokendClient.get_jwks, or one reading the ops port's
    /.well-known/jwks.json. The set is fetched on first use and again when a
    token names an unknown kid (a key rotation), at most once per
    min_refetch_interval seconds, so that tokens with made-up kids cannot
    make every check a call to tokend.
    issuer: the expected iss. audience: the expected aud (a string; a token
    with several audiences passes when one matches). leeway: seconds of
    tolerated clock difference, as tokend's tokens.leeway.
    """

    def __init__(self, fetch_jwks, issuer, audience, *, leeway=5, min_refetch_interval=30.0,
                 clock=time.monotonic):
        self._fetch = fetch_jwks
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.min_refetch_interval = min_refetch_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._keys = {}  # kid -> (alg, key): the JWK's alg and its public key
        self._fetched_at = None
        self.fetches = 0

    def _load(self):
        keys = {}
        for jwk in self._fetch().get("keys", []):
            kid, alg = jwk.get("kid"), jwk.get("alg")
            if not kid or alg not in ALGORITHMS or jwk.get("use", "sig") != "sig":
                continue
            try:
                keys[kid] = (alg, jwt.PyJWK(jwk, algorithm=alg).key)
            except jwt.PyJWTError:
                continue  # a key that does not fit its alg: its tokens fail as unknown
        self._keys = keys
        self._fetched_at = self._clock()
        self.fetches += 1

    def _key(self, kid):
        with self._lock:
            if kid in self._keys:
                return self._keys[kid]
            if (self._fetched_at is None
                    or self._clock() - self._fetched_at >= self.min_refetch_interval):
                self._load()
            return self._keys.get(kid)

    def verify(self, token):
        """The token's claims (a dict) when it passes; InvalidToken otherwise."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as e:
            raise InvalidToken(f"not a JWS: {e}") from None
        # PyJWT does not look at typ by itself.
        if header.get("typ") != "at+jwt":
            raise InvalidToken(f"typ is {header.get('typ')!r}, not 'at+jwt'")
        if "crit" in header:
            raise InvalidToken("crit header present")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("no kid")
        entry = self._key(kid)
        if entry is None:
            raise InvalidToken(f"unknown kid {kid!r}")
        alg, key = entry
        # The algorithm comes from the key, never from the token: a token
        # naming another one (none, HS256 with the public key as secret) fails.
        if header.get("alg") != alg:
            raise InvalidToken(f"alg {header.get('alg')!r} is not the key's {alg!r}")
        try:
            claims = jwt.decode(
                token, key, algorithms=[alg], audience=self.audience,
                issuer=self.issuer, leeway=self.leeway,
                options={"require": ["iss", "sub", "aud", "exp", "iat", "nbf", "jti"]})
        except jwt.PyJWTError as e:
            raise InvalidToken(str(e)) from None
        for claim in ("exp", "iat", "nbf"):
            if not isinstance(claims[claim], int) or isinstance(claims[claim], bool):
                raise InvalidToken(f"{claim} is not an integer")
        return claims
