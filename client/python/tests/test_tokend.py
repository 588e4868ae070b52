"""The Python client against a real tokend (run by tests/integration/clients).

Environment: TOKEND_TARGET, TOKEND_CA, TOKEND_CERT, TOKEND_KEY, TOKEND_ISSUER,
TOKEND_AUDIENCE, TOKEND_SCOPE (as example.py), TOKEND_SIGNING_KEY (the PEM
key the server signs with, to forge tokens that only the local check can
refuse) and TOKEND_ALG_TARGETS ("ALG=host:port,..." of servers signing with
each further algorithm).
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import grpc  # noqa: E402
import jwt  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

from tokend.client import AccessTokenVerifier, InvalidToken, TokendClient, pb  # noqa: E402

ENV = os.environ


def new_client(target=None, **kwargs):
    return TokendClient(target or ENV["TOKEND_TARGET"], ENV["TOKEND_CA"], ENV["TOKEND_CERT"],
                        ENV["TOKEND_KEY"], **kwargs)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Server(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.client = new_client()
        cls.audience = ENV["TOKEND_AUDIENCE"]
        cls.verifier = AccessTokenVerifier(cls.client.get_jwks, issuer=ENV["TOKEND_ISSUER"],
                                           audience=cls.audience)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    def issue(self, **fields):
        request = pb.IssueRequest(subject="alice", audience=[self.audience],
                                  scopes=[ENV["TOKEND_SCOPE"]], **fields)
        return self.client.issue(request)

    def assert_code(self, code, call):
        with self.assertRaises(grpc.RpcError) as caught:
            call()
        self.assertEqual(caught.exception.code(), code, caught.exception.details())
        return caught.exception

    def test_health_answers_by_service_name_and_not_found_for_another(self):
        self.assertEqual(self.client.check_health(), "SERVING")
        self.assertEqual(self.client.check_health(""), "SERVING")
        self.assert_code(grpc.StatusCode.NOT_FOUND,
                         lambda: self.client.check_health("tokend.v1.NoSuchService"))

    def test_errors_arrive_with_their_status_and_are_not_retried(self):
        err = self.assert_code(grpc.StatusCode.INVALID_ARGUMENT,
                               lambda: self.client.issue(pb.IssueRequest(subject="alice")))
        self.assertIn("audience", err.details())
        self.assert_code(grpc.StatusCode.PERMISSION_DENIED,
                         lambda: self.client.issue(
                             pb.IssueRequest(subject="alice", audience=["api://not-allowed"])))
        bogus = "tkdrt_" + "A" * 43
        self.assert_code(grpc.StatusCode.UNAUTHENTICATED,
                         lambda: self.client.refresh(pb.RefreshRequest(refresh_token=bogus)))

    def test_issue_with_a_refresh_token_gets_an_idempotency_key_so_a_retry_is_safe(self):
        request = pb.IssueRequest(subject="alice", audience=[self.audience],
                                  include_refresh_token=True)
        sent = []
        original = self.client.stub.Issue

        def twice(req, timeout):  # the answer of the first attempt is "lost"
            sent.append(req)
            first = original(req, timeout=timeout)
            second = original(req, timeout=timeout)
            self.assertEqual(first.refresh_token, second.refresh_token)
            return second

        self.client.stub.Issue = twice
        try:
            self.client.issue(request)
        finally:
            self.client.stub.Issue = original
        self.assertTrue(sent[0].idempotency_key)
        self.assertFalse(request.idempotency_key)  # the caller's request is left alone

    def test_local_check_accepts_a_real_token_and_returns_its_claims(self):
        issued = self.issue()
        claims = self.verifier.verify(issued.access_token)
        self.assertEqual(claims["sub"], "alice")
        self.assertEqual(claims["iss"], ENV["TOKEND_ISSUER"])

    def forge(self, header, payload, key=None):
        """A token signed with the server's own key (or `key`), ES256."""
        if key is None:
            with open(ENV["TOKEND_SIGNING_KEY"], "rb") as f:
                key = serialization.load_pem_private_key(f.read(), password=None)
        return jwt.encode(payload, key, algorithm="ES256", headers=header)

    def real_parts(self):
        token = self.issue().access_token
        return jwt.get_unverified_header(token), jwt.decode(token,
                                                            options={"verify_signature": False})

    def assert_refused(self, token, why):
        with self.assertRaises(InvalidToken, msg=why) as caught:
            self.verifier.verify(token)
        return str(caught.exception)

    def test_local_check_refuses_forged_and_wrong_tokens(self):
        header, payload = self.real_parts()
        # The forge itself is sound: unchanged, the server's key passes.
        self.verifier.verify(self.forge(header, payload))
        now = int(time.time())
        cases = {
            "typ JWT": ({**header, "typ": "JWT"}, payload),
            "no typ": ({k: v for k, v in header.items() if k != "typ"}, payload),
            "crit": ({**header, "crit": ["exp"]}, payload),
            "other audience": (header, {**payload, "aud": "api://other"}),
            "other issuer": (header, {**payload, "iss": "https://evil.example"}),
            "expired": (header, {**payload, "exp": now - 60, "iat": now - 120, "nbf": now - 120}),
            "not yet valid": (header, {**payload, "nbf": now + 600}),
            "no exp": (header, {k: v for k, v in payload.items() if k != "exp"}),
        }
        for why, (h, p) in cases.items():
            # PyJWT writes its own alg and typ unless the header names them.
            token = self.forge({k: v for k, v in h.items() if k != "alg"}, p)
            if why == "no typ":
                token = self.forge({**h, "typ": None}, p)
                parts = token.split(".")
                hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=="))
                self.assertIsNone(hdr.get("typ"))
            self.assert_refused(token, why)
        # Another key under the server's kid.
        self.assert_refused(self.forge(header, payload, ec.generate_private_key(ec.SECP256R1())),
                            "another key")
        # alg none, and HS256 keyed with the public key: the key's alg wins.
        unsigned = f"{b64(json.dumps({**header, 'alg': 'none'}).encode())}." \
                   f"{b64(json.dumps(payload).encode())}."
        self.assertIn("alg", self.assert_refused(unsigned, "alg none"))
        jwk = next(k for k in self.client.get_jwks()["keys"] if k["kid"] == header["kid"])
        public_pem = jwt.PyJWK(jwk).key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        signing_input = f"{b64(json.dumps({**header, 'alg': 'HS256'}).encode())}." \
                        f"{b64(json.dumps(payload).encode())}"
        mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
        self.assertIn("alg", self.assert_refused(f"{signing_input}.{b64(mac)}", "HS256"))
        self.assert_refused("not.a.token", "garbage")

    def test_an_unknown_kid_refetches_the_set_at_most_once_per_interval(self):
        verifier = AccessTokenVerifier(self.client.get_jwks, issuer=ENV["TOKEND_ISSUER"],
                                       audience=self.audience, min_refetch_interval=3600)
        header, payload = self.real_parts()
        verifier.verify(self.forge(header, payload))
        self.assertEqual(verifier.fetches, 1)
        for i in range(5):
            with self.assertRaises(InvalidToken):
                verifier.verify(self.forge({**header, "kid": f"unknown-{i}"}, payload))
        self.assertEqual(verifier.fetches, 1)  # within the interval: no refetch
        eager = AccessTokenVerifier(self.client.get_jwks, issuer=ENV["TOKEND_ISSUER"],
                                    audience=self.audience, min_refetch_interval=0)
        eager.verify(self.forge(header, payload))
        with self.assertRaises(InvalidToken):
            eager.verify(self.forge({**header, "kid": "unknown"}, payload))
        self.assertEqual(eager.fetches, 2)  # the unknown kid made it look again

    def test_every_signing_algorithm_verifies_locally(self):
        targets = dict(e.split("=", 1) for e in ENV.get("TOKEND_ALG_TARGETS", "").split(",") if e)
        self.assertEqual(sorted(targets), sorted(["ES384", "EdDSA", "RS256", "PS256"]))
        for alg, target in targets.items():
            with self.subTest(alg=alg), new_client(target) as client:
                verifier = AccessTokenVerifier(client.get_jwks, issuer=ENV["TOKEND_ISSUER"],
                                               audience=self.audience)
                token = client.issue(pb.IssueRequest(subject="alice",
                                                     audience=[self.audience])).access_token
                self.assertEqual(jwt.get_unverified_header(token)["alg"], alg)
                self.assertEqual(verifier.verify(token)["sub"], "alice")


class FakeRpcError(grpc.RpcError):
    def __init__(self, code):
        self._code = code

    def code(self):
        return self._code


class Retries(unittest.TestCase):
    def client(self):
        return new_client("127.0.0.1:1", max_attempts=4, initial_backoff=0.01)

    def test_unavailable_is_retried_with_backoff_until_an_answer(self):
        client = self.client()
        calls = []

        def flaky(request, timeout):
            calls.append(timeout)
            if len(calls) < 3:
                raise FakeRpcError(grpc.StatusCode.UNAVAILABLE)
            return "answer"

        self.assertEqual(client._call(flaky, None, 5), "answer")
        self.assertEqual(len(calls), 3)
        self.assertTrue(all(b <= a for a, b in zip(calls, calls[1:])))  # one shrinking deadline

    def test_other_codes_and_the_last_attempt_raise_at_once(self):
        client = self.client()
        for code, attempts in ((grpc.StatusCode.INVALID_ARGUMENT, 1),
                               (grpc.StatusCode.DEADLINE_EXCEEDED, 1),
                               (grpc.StatusCode.UNAVAILABLE, 4)):
            calls = []

            def failing(request, timeout):
                calls.append(1)
                raise FakeRpcError(code)

            with self.assertRaises(FakeRpcError):
                client._call(failing, None, 5)
            self.assertEqual(len(calls), attempts, code)

    def test_an_unreachable_server_is_unavailable_within_the_deadline(self):
        client = self.client()
        start = time.monotonic()
        with self.assertRaises(grpc.RpcError) as caught:
            client.introspect(pb.IntrospectRequest(token="x"), timeout=2)
        self.assertIn(caught.exception.code(),
                      (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED))
        self.assertLess(time.monotonic() - start, 3)


if __name__ == "__main__":
    unittest.main(verbosity=2)
