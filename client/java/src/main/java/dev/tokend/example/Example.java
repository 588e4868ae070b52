package dev.tokend.example;

import com.google.gson.JsonObject;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.tokend.client.AccessTokenVerifier;
import dev.tokend.client.TokendClient;
import dev.tokend.v1.IntrospectRequest;
import dev.tokend.v1.IntrospectResponse;
import dev.tokend.v1.IssueRequest;
import dev.tokend.v1.IssueResponse;
import dev.tokend.v1.RefreshRequest;
import dev.tokend.v1.RefreshResponse;
import dev.tokend.v1.RevokeRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.util.UUID;

/**
 * The whole token lifecycle against a running tokend, over mutual TLS: Issue (with a refresh token
 * and an idempotency key), verify the access token locally, Introspect, Refresh, Revoke, Introspect
 * again. Exits non-zero when any step answers other than expected.
 *
 * <p>Settings come from the environment; the defaults fit deploy/dev/up.sh (run from the
 * repository's top folder): TOKEND_TARGET (127.0.0.1:8443), TOKEND_CA (.dev/certs/ca.crt),
 * TOKEND_CERT (.dev/certs/tokenctl.crt), TOKEND_KEY (.dev/certs/tokenctl.key), TOKEND_ISSUER
 * (https://tokend.dev.local), TOKEND_AUDIENCE (api://demo), TOKEND_SCOPE (demo:read),
 * TOKEND_SUBJECT (alice).
 */
public final class Example {
  private static String setting(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }

  private static void expect(boolean ok, String what) {
    if (!ok) {
      System.err.println("FAIL: " + what);
      System.exit(1);
    }
    System.out.println("ok: " + what);
  }

  public static void main(String[] args) throws Exception {
    String dev = ".dev/certs/";
    try (TokendClient client =
        new TokendClient(
            setting("TOKEND_TARGET", "127.0.0.1:8443"),
            setting("TOKEND_CA", dev + "ca.crt"),
            setting("TOKEND_CERT", dev + "tokenctl.crt"),
            setting("TOKEND_KEY", dev + "tokenctl.key"))) {
      String audience = setting("TOKEND_AUDIENCE", "api://demo");
      AccessTokenVerifier verifier =
          new AccessTokenVerifier(
              client::jwksJson, setting("TOKEND_ISSUER", "https://tokend.dev.local"), audience);

      expect(
          client.checkHealth(TokendClient.SERVICE_NAME) == ServingStatus.SERVING,
          "health of tokend.v1.TokenService is SERVING");

      IssueRequest request =
          IssueRequest.newBuilder()
              .setSubject(setting("TOKEND_SUBJECT", "alice"))
              .addAudience(audience)
              .addScopes(setting("TOKEND_SCOPE", "demo:read"))
              .setClaims(
                  Struct.newBuilder()
                      .putFields("tenant", Value.newBuilder().setStringValue("acme").build())
                      .putFields("tier", Value.newBuilder().setNumberValue(2).build()))
              .setIncludeRefreshToken(true)
              .setIdempotencyKey(UUID.randomUUID().toString())
              .build();
      IssueResponse issued = client.issue(request);
      expect(
          !issued.getAccessToken().isEmpty() && !issued.getRefreshToken().isEmpty(),
          "Issue: an access and a refresh token");
      IssueResponse again = client.issue(request); // a retry with the same key: the same family
      expect(
          again.getRefreshToken().equals(issued.getRefreshToken()),
          "Issue retried with the same idempotency_key: the same refresh token");

      JsonObject claims = verifier.verify(issued.getAccessToken());
      expect(
          claims.get("sub").getAsString().equals(request.getSubject())
              && claims.get("tenant").getAsString().equals("acme"),
          "verified locally: sub=" + claims.get("sub").getAsString() + " scope="
              + claims.get("scope").getAsString() + " exp=" + claims.get("exp"));

      IntrospectResponse info =
          client.introspect(IntrospectRequest.newBuilder().setToken(issued.getAccessToken()).build());
      expect(
          info.getActive() && info.getSubject().equals(request.getSubject()),
          "Introspect: active, client_id=" + info.getClientId());

      RefreshResponse refreshed =
          client.refresh(
              RefreshRequest.newBuilder().setRefreshToken(issued.getRefreshToken()).build());
      expect(
          !refreshed.getRefreshToken().isEmpty()
              && !refreshed.getRefreshToken().equals(issued.getRefreshToken()),
          "Refresh: a new access token and the next refresh token");
      verifier.verify(refreshed.getAccessToken());
      System.out.println("ok: the refreshed access token verifies locally");

      client.revoke(RevokeRequest.newBuilder().setToken(refreshed.getRefreshToken()).build());
      System.out.println("ok: Revoke of the refresh token (its whole family)");
      String[][] tokens = {
        {"refresh token", refreshed.getRefreshToken()},
        {"access token of the family", refreshed.getAccessToken()}
      };
      for (String[] t : tokens) {
        info = client.introspect(IntrospectRequest.newBuilder().setToken(t[1]).build());
        expect(!info.getActive(), "Introspect after Revoke: the " + t[0] + " is inactive");
      }

      try {
        client.refresh(
            RefreshRequest.newBuilder().setRefreshToken(refreshed.getRefreshToken()).build());
        expect(false, "Refresh with a revoked token fails");
      } catch (StatusRuntimeException e) {
        expect(
            e.getStatus().getCode() == Status.Code.UNAUTHENTICATED,
            "Refresh with the revoked token: " + e.getStatus().getCode());
      }
    }
  }
}
