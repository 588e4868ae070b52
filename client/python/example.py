#!/usr/bin/python3
"""The whole token lifecycle against a running tokend, over mutual TLS.

Issue (with a refresh token and an idempotency key), verify the access
token locally, Introspect, Refresh, Revoke, Introspect again. Exits non-zero
when any step answers other than expected.

Settings come from the environment; the defaults fit deploy/dev/up.sh:
  TOKEND_TARGET    host:port of the API            (127.0.0.1:8443)
  TOKEND_CA        PEM CAs for tokend's certificate (.dev/certs/ca.crt)
  TOKEND_CERT      this client's certificate (PEM)  (.dev/certs/tokenctl.crt)
  TOKEND_KEY       its private key (PEM)            (.dev/certs/tokenctl.key)
  TOKEND_ISSUER    the expected iss                 (https://tokend.dev.local)
  TOKEND_AUDIENCE  the audience to ask for          (api://demo)
  TOKEND_SCOPE     the scope to ask for             (demo:read)
  TOKEND_SUBJECT   the subject                      (alice)
"""

import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import grpc  # noqa: E402

from tokend.client import AccessTokenVerifier, TokendClient, pb  # noqa: E402


def setting(name, default):
    return os.environ.get(name) or default


def expect(condition, what):
    if not condition:
        sys.exit(f"FAIL: {what}")
    print(f"ok: {what}")


def main():
    dev = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".dev", "certs")
    client = TokendClient(
        setting("TOKEND_TARGET", "127.0.0.1:8443"),
        ca_file=setting("TOKEND_CA", os.path.join(dev, "ca.crt")),
        cert_file=setting("TOKEND_CERT", os.path.join(dev, "tokenctl.crt")),
        key_file=setting("TOKEND_KEY", os.path.join(dev, "tokenctl.key")))
    audience = setting("TOKEND_AUDIENCE", "api://demo")
    scope = setting("TOKEND_SCOPE", "demo:read")
    verifier = AccessTokenVerifier(client.get_jwks,
                                   issuer=setting("TOKEND_ISSUER", "https://tokend.dev.local"),
                                   audience=audience)

    expect(client.check_health() == "SERVING", "health of tokend.v1.TokenService is SERVING")

    request = pb.IssueRequest(subject=setting("TOKEND_SUBJECT", "alice"), audience=[audience],
                              scopes=[scope], include_refresh_token=True,
                              idempotency_key=str(uuid.uuid4()))
    request.claims.update({"tenant": "acme", "tier": 2})  # google.protobuf.Struct from a dict
    issued = client.issue(request)
    expect(issued.access_token and issued.refresh_token, "Issue: an access and a refresh token")
    again = client.issue(request)  # a retry with the same key: the same family
    expect(again.refresh_token == issued.refresh_token,
           "Issue retried with the same idempotency_key: the same refresh token")

    claims = verifier.verify(issued.access_token)
    expect(claims["sub"] == request.subject and claims["tenant"] == "acme",
           f"verified locally: sub={claims['sub']} scope={claims.get('scope')} "
           f"exp={claims['exp']}")

    info = client.introspect(pb.IntrospectRequest(token=issued.access_token))
    expect(info.active and info.subject == request.subject,
           f"Introspect: active, client_id={info.client_id}")

    refreshed = client.refresh(pb.RefreshRequest(refresh_token=issued.refresh_token))
    expect(refreshed.refresh_token and refreshed.refresh_token != issued.refresh_token,
           "Refresh: a new access token and the next refresh token")
    verifier.verify(refreshed.access_token)
    print("ok: the refreshed access token verifies locally")

    client.revoke(pb.RevokeRequest(token=refreshed.refresh_token))
    print("ok: Revoke of the refresh token (its whole family)")
    for name, token in (("refresh token", refreshed.refresh_token),
                        ("access token of the family", refreshed.access_token)):
        info = client.introspect(pb.IntrospectRequest(token=token))
        expect(not info.active, f"Introspect after Revoke: the {name} is inactive")

    try:
        client.refresh(pb.RefreshRequest(refresh_token=refreshed.refresh_token))
        expect(False, "Refresh with a revoked token fails")
    except grpc.RpcError as e:
        expect(e.code() == grpc.StatusCode.UNAUTHENTICATED,
               f"Refresh with the revoked token: {e.code().name}")
    client.close()


if __name__ == "__main__":
    main()
