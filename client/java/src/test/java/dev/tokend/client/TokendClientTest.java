package dev.tokend.client;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.tokend.v1.IntrospectRequest;
import dev.tokend.v1.IssueRequest;
import dev.tokend.v1.IssueResponse;
import dev.tokend.v1.RefreshRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The Java client against a real tokend (run by tests/integration/clients).
 *
 * <p>Environment: TOKEND_TARGET, TOKEND_CA, TOKEND_CERT, TOKEND_KEY, TOKEND_ISSUER,
 * TOKEND_AUDIENCE, TOKEND_SCOPE (as the example), TOKEND_SIGNING_KEY (the PEM key the server signs
 * with, to forge tokens that only the local check can refuse) and TOKEND_ALG_TARGETS
 * ("ALG=host:port,..." of servers signing with each further algorithm).
 */
public class TokendClientTest {
  private TokendClient client;
  private AccessTokenVerifier verifier;

  static String env(String name) {
    String v = System.getenv(name);
    if (v == null || v.isEmpty()) fail(name + " is not set: these tests run against a tokend");
    return v;
  }

  static TokendClient newClient(String target, TokendClient.Options options) throws Exception {
    return new TokendClient(
        target, env("TOKEND_CA"), env("TOKEND_CERT"), env("TOKEND_KEY"), options);
  }

  static AccessTokenVerifier newVerifier(TokendClient c) {
    return new AccessTokenVerifier(c::jwksJson, env("TOKEND_ISSUER"), env("TOKEND_AUDIENCE"));
  }

  @Before
  public void setUp() throws Exception {
    client = newClient(env("TOKEND_TARGET"), null);
    verifier = newVerifier(client);
  }

  @After
  public void tearDown() {
    if (client != null) client.close();
  }

  IssueResponse issue(TokendClient c) {
    return c.issue(
        IssueRequest.newBuilder()
            .setSubject("alice")
            .addAudience(env("TOKEND_AUDIENCE"))
            .addScopes(env("TOKEND_SCOPE"))
            .build());
  }

  static void assertCode(Status.Code code, Runnable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
    assertEquals(e.toString(), code, e.getStatus().getCode());
  }

  @Test
  public void healthAnswersByServiceNameAndNotFoundForAnother() {
    assertEquals(ServingStatus.SERVING, client.checkHealth(TokendClient.SERVICE_NAME));
    assertEquals(ServingStatus.SERVING, client.checkHealth(""));
    assertCode(Status.Code.NOT_FOUND, () -> client.checkHealth("tokend.v1.NoSuchService"));
  }

  @Test
  public void errorsArriveWithTheirStatusAndAreNotRetried() {
    int[] attempts = {0};
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                client.call(
                    null,
                    d -> {
                      attempts[0]++;
                      return client
                          .stub()
                          .withDeadline(d)
                          .issue(IssueRequest.newBuilder().setSubject("alice").build());
                    }));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription(), e.getStatus().getDescription().contains("audience"));
    assertEquals(1, attempts[0]);
    assertCode(
        Status.Code.PERMISSION_DENIED,
        () ->
            client.issue(
                IssueRequest.newBuilder()
                    .setSubject("alice")
                    .addAudience("api://not-allowed")
                    .build()));
    assertCode(
        Status.Code.UNAUTHENTICATED,
        () ->
            client.refresh(
                RefreshRequest.newBuilder().setRefreshToken("tkdrt_" + "A".repeat(43)).build()));
  }

  @Test
  public void issueWithARefreshTokenGetsAnIdempotencyKeySoARetryIsSafe() throws Exception {
    List<IssueRequest> sent = new ArrayList<>();
    TokendClient.Options options = new TokendClient.Options();
    options.interceptors.add(
        new io.grpc.ClientInterceptor() {
          @Override
          public <Q, A> io.grpc.ClientCall<Q, A> interceptCall(
              io.grpc.MethodDescriptor<Q, A> method, io.grpc.CallOptions callOptions,
              io.grpc.Channel next) {
            return new io.grpc.ForwardingClientCall.SimpleForwardingClientCall<Q, A>(
                next.newCall(method, callOptions)) {
              @Override
              public void sendMessage(Q message) {
                if (message instanceof IssueRequest) sent.add((IssueRequest) message);
                super.sendMessage(message);
              }
            };
          }
        });
    IssueRequest request =
        IssueRequest.newBuilder()
            .setSubject("alice")
            .addAudience(env("TOKEND_AUDIENCE"))
            .setIncludeRefreshToken(true)
            .build();
    try (TokendClient c = newClient(env("TOKEND_TARGET"), options)) {
      IssueResponse first = c.issue(request);
      assertEquals(1, sent.size());
      assertFalse(sent.get(0).getIdempotencyKey().isEmpty());
      assertTrue(request.getIdempotencyKey().isEmpty()); // the caller's request is left alone
      // The answer was "lost" and the same request goes again: the same family.
      IssueResponse again = c.issue(sent.get(0));
      assertEquals(first.getRefreshToken(), again.getRefreshToken());
      assertEquals(sent.get(0).getIdempotencyKey(), sent.get(1).getIdempotencyKey());
    }
  }

  @Test
  public void localCheckAcceptsARealTokenAndReturnsItsClaims() throws Exception {
    JsonObject claims = verifier.verify(issue(client).getAccessToken());
    assertEquals("alice", claims.get("sub").getAsString());
    assertEquals(env("TOKEND_ISSUER"), claims.get("iss").getAsString());
  }

  static String b64(byte[] data) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(data);
  }

  static String b64(JsonObject o) {
    return b64(o.toString().getBytes(StandardCharsets.UTF_8));
  }

  static JsonObject part(String token, int i) {
    return JsonParser.parseString(
            new String(Base64.getUrlDecoder().decode(token.split("\\.")[i]), StandardCharsets.UTF_8))
        .getAsJsonObject();
  }

  static PrivateKey serverKey() throws Exception {
    String pem = Files.readString(Path.of(env("TOKEND_SIGNING_KEY")));
    String body = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return KeyFactory.getInstance("EC")
        .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
  }

  /** header and payload as given, signed ES256 with key. */
  static String forge(JsonObject header, JsonObject payload, PrivateKey key) throws Exception {
    String input = b64(header) + "." + b64(payload);
    Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
    s.initSign(key);
    s.update(input.getBytes(StandardCharsets.US_ASCII));
    return input + "." + b64(s.sign());
  }

  static JsonObject with(JsonObject o, Consumer<JsonObject> change) {
    JsonObject c = o.deepCopy();
    change.accept(c);
    return c;
  }

  String refused(AccessTokenVerifier v, String token, String why) {
    InvalidTokenException e = assertThrows(why, InvalidTokenException.class, () -> v.verify(token));
    return e.getMessage();
  }

  @Test
  public void localCheckRefusesForgedAndWrongTokens() throws Exception {
    String token = issue(client).getAccessToken();
    JsonObject h = part(token, 0);
    JsonObject p = part(token, 1);
    PrivateKey key = serverKey();
    // The forge itself is sound: unchanged, the server's key passes.
    assertEquals("alice", verifier.verify(forge(h, p, key)).get("sub").getAsString());
    long now = System.currentTimeMillis() / 1000;
    Map<String, JsonObject[]> cases = new TreeMap<>();
    cases.put("typ JWT", new JsonObject[] {with(h, o -> o.addProperty("typ", "JWT")), p});
    cases.put("no typ", new JsonObject[] {with(h, o -> o.remove("typ")), p});
    cases.put("crit", new JsonObject[] {with(h, o -> o.add("crit", JsonParser.parseString("[\"exp\"]"))), p});
    cases.put("other audience", new JsonObject[] {h, with(p, o -> o.addProperty("aud", "api://other"))});
    cases.put("other issuer", new JsonObject[] {h, with(p, o -> o.addProperty("iss", "https://evil.example"))});
    cases.put(
        "expired",
        new JsonObject[] {
          h,
          with(
              p,
              o -> {
                o.addProperty("exp", now - 60);
                o.addProperty("iat", now - 120);
                o.addProperty("nbf", now - 120);
              })
        });
    cases.put("not yet valid", new JsonObject[] {h, with(p, o -> o.addProperty("nbf", now + 600))});
    cases.put("no exp", new JsonObject[] {h, with(p, o -> o.remove("exp"))});
    cases.put("exp not an integer", new JsonObject[] {h, with(p, o -> o.addProperty("exp", now + 600.5))});
    for (Map.Entry<String, JsonObject[]> c : cases.entrySet()) {
      refused(verifier, forge(c.getValue()[0], c.getValue()[1], key), c.getKey());
    }
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    refused(verifier, forge(h, p, g.generateKeyPair().getPrivate()), "another key");
    // alg none, and HS256 keyed with the public key: the key's alg wins.
    String unsigned = b64(with(h, o -> o.addProperty("alg", "none"))) + "." + b64(p) + ".";
    assertTrue(refused(verifier, unsigned, "alg none").contains("alg"));
    String input = b64(with(h, o -> o.addProperty("alg", "HS256"))) + "." + b64(p);
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec("any public key PEM".getBytes(StandardCharsets.US_ASCII), "HmacSHA256"));
    String hs = input + "." + b64(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    assertTrue(refused(verifier, hs, "HS256").contains("alg"));
    refused(verifier, "not.a.token", "garbage");
  }

  @Test
  public void anUnknownKidRefetchesTheSetAtMostOncePerInterval() throws Exception {
    String token = issue(client).getAccessToken();
    JsonObject h = part(token, 0);
    JsonObject p = part(token, 1);
    PrivateKey key = serverKey();
    AccessTokenVerifier lazy = newVerifier(client).minRefetchInterval(Duration.ofHours(1));
    lazy.verify(forge(h, p, key));
    assertEquals(1, lazy.fetches());
    for (int i = 0; i < 5; i++) {
      String kid = "unknown-" + i;
      refused(lazy, forge(with(h, o -> o.addProperty("kid", kid)), p, key), "unknown kid");
    }
    assertEquals(1, lazy.fetches()); // within the interval: no refetch
    AccessTokenVerifier eager = newVerifier(client).minRefetchInterval(Duration.ZERO);
    eager.verify(forge(h, p, key));
    refused(eager, forge(with(h, o -> o.addProperty("kid", "unknown")), p, key), "unknown kid");
    assertEquals(2, eager.fetches()); // the unknown kid made it look again
  }

  @Test
  public void everySigningAlgorithmVerifiesLocally() throws Exception {
    Map<String, String> targets = new TreeMap<>();
    for (String e : System.getenv().getOrDefault("TOKEND_ALG_TARGETS", "").split(",")) {
      String[] kv = e.split("=", 2);
      if (kv.length == 2) targets.put(kv[0], kv[1]);
    }
    assertEquals(List.of("ES384", "EdDSA", "PS256", "RS256"), new ArrayList<>(targets.keySet()));
    for (Map.Entry<String, String> t : targets.entrySet()) {
      try (TokendClient c = newClient(t.getValue(), null)) {
        String token = issue(c).getAccessToken();
        assertEquals(new JsonPrimitive(t.getKey()), part(token, 0).get("alg"));
        assertEquals("alice", newVerifier(c).verify(token).get("sub").getAsString());
        // One changed payload byte: the signature no longer fits.
        String[] parts = token.split("\\.");
        JsonObject changed = with(part(token, 1), o -> o.addProperty("sub", "mallory"));
        refused(newVerifier(c), parts[0] + "." + b64(changed) + "." + parts[2], t.getKey());
      }
    }
  }

  @Test
  public void unavailableIsRetriedWithBackoffUntilAnAnswer() throws Exception {
    TokendClient.Options o = new TokendClient.Options();
    o.initialBackoff = Duration.ofMillis(10);
    try (TokendClient c = newClient("127.0.0.1:1", o)) {
      List<io.grpc.Deadline> deadlines = new ArrayList<>();
      String answer =
          c.call(
              Duration.ofSeconds(5),
              d -> {
                deadlines.add(d);
                if (deadlines.size() < 3) throw Status.UNAVAILABLE.asRuntimeException();
                return "answer";
              });
      assertEquals("answer", answer);
      assertEquals(3, deadlines.size());
      assertTrue(deadlines.stream().allMatch(d -> d == deadlines.get(0))); // one deadline
    }
  }

  @Test
  public void otherCodesAndTheLastAttemptThrowAtOnce() throws Exception {
    TokendClient.Options o = new TokendClient.Options();
    o.initialBackoff = Duration.ofMillis(10);
    try (TokendClient c = newClient("127.0.0.1:1", o)) {
      Map<Status.Code, Integer> want =
          Map.of(
              Status.Code.INVALID_ARGUMENT, 1,
              Status.Code.DEADLINE_EXCEEDED, 1,
              Status.Code.UNAVAILABLE, 4);
      for (Map.Entry<Status.Code, Integer> w : want.entrySet()) {
        int[] calls = {0};
        assertCode(
            w.getKey(),
            () ->
                c.call(
                    null,
                    d -> {
                      calls[0]++;
                      throw Status.fromCode(w.getKey()).asRuntimeException();
                    }));
        assertEquals(w.getKey().toString(), (int) w.getValue(), calls[0]);
      }
    }
  }

  @Test
  public void anUnreachableServerIsUnavailableWithinTheDeadline() throws Exception {
    TokendClient.Options o = new TokendClient.Options();
    o.initialBackoff = Duration.ofMillis(10);
    o.timeout = Duration.ofSeconds(2);
    try (TokendClient c = newClient("127.0.0.1:1", o)) {
      long start = System.nanoTime();
      StatusRuntimeException e =
          assertThrows(
              StatusRuntimeException.class,
              () -> c.introspect(IntrospectRequest.newBuilder().setToken("x").build()));
      assertTrue(
          e.toString(),
          e.getStatus().getCode() == Status.Code.UNAVAILABLE
              || e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED);
      assertTrue((System.nanoTime() - start) / 1e9 < 3);
    }
  }
}
