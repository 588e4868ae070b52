package dev.tokend.client;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Checks tokend access tokens locally against a cached JWK Set, with the JDK's own crypto (no JOSE
 * library): the key is found by kid only in the set, the header's alg must equal that key's alg
 * (never trusted from the token), typ must be at+jwt, no crit, and iss, aud, exp, nbf and iat are
 * checked. Supports every algorithm tokend signs with: ES256, ES384, EdDSA (Ed25519), RS256, PS256.
 * Only Introspect also knows about revocations.
 *
 * <p>The set is fetched on first use and again when a token names an unknown kid (a key rotation),
 * at most once per minRefetchInterval, so that tokens with made-up kids cannot make every check a
 * call to tokend.
 */
public final class AccessTokenVerifier {
  public static final List<String> ALGORITHMS = List.of("ES256", "ES384", "EdDSA", "RS256", "PS256");
  // The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), before the key's 32 bytes.
  private static final byte[] ED25519_SPKI_PREFIX = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
  };

  private record Key(String alg, PublicKey key) {}

  private final Supplier<String> fetchJwks;
  private final String issuer;
  private final String audience;
  private Duration leeway = Duration.ofSeconds(5);
  private Duration minRefetchInterval = Duration.ofSeconds(30);
  private Clock clock = Clock.systemUTC();
  private Map<String, Key> keys = new HashMap<>();
  private Instant fetchedAt;
  private int fetches;

  /**
   * fetchJwks returns the JWK Set as JSON, for example {@code client::jwksJson}. issuer and
   * audience are the expected iss and aud (a token with several audiences passes when one matches).
   */
  public AccessTokenVerifier(Supplier<String> fetchJwks, String issuer, String audience) {
    this.fetchJwks = fetchJwks;
    this.issuer = issuer;
    this.audience = audience;
  }

  /** The tolerated clock difference, as tokend's tokens.leeway (5 s). */
  public AccessTokenVerifier leeway(Duration leeway) {
    this.leeway = leeway;
    return this;
  }

  /** The shortest time between two fetches of the set (30 s). */
  public AccessTokenVerifier minRefetchInterval(Duration interval) {
    this.minRefetchInterval = interval;
    return this;
  }

  public AccessTokenVerifier clock(Clock clock) {
    this.clock = clock;
    return this;
  }

  public synchronized int fetches() {
    return fetches;
  }

  /** The token's claims when it passes. */
  public JsonObject verify(String token) throws InvalidTokenException {
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3) throw new InvalidTokenException("not a compact JWS");
    JsonObject header = json(parts[0], "header");
    if (!"at+jwt".equals(string(header, "typ"))) {
      throw new InvalidTokenException("typ is " + header.get("typ") + ", not at+jwt");
    }
    if (header.has("crit")) throw new InvalidTokenException("crit header present");
    String kid = string(header, "kid");
    if (kid == null || kid.isEmpty()) throw new InvalidTokenException("no kid");
    Key key = key(kid);
    if (key == null) throw new InvalidTokenException("unknown kid " + kid);
    // The algorithm comes from the key, never from the token: a token naming
    // another one (none, HS256 with the public key as secret) fails.
    if (!key.alg().equals(string(header, "alg"))) {
      throw new InvalidTokenException("alg " + header.get("alg") + " is not the key's " + key.alg());
    }
    byte[] signature;
    try {
      signature = Base64.getUrlDecoder().decode(parts[2]);
    } catch (IllegalArgumentException e) {
      throw new InvalidTokenException("signature: " + e.getMessage());
    }
    boolean ok;
    try {
      Signature verifier = signature(key.alg());
      verifier.initVerify(key.key());
      verifier.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
      ok = verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      ok = false;
    }
    if (!ok) throw new InvalidTokenException("signature verification failed");
    JsonObject claims = json(parts[1], "payload");
    checkClaims(claims);
    return claims;
  }

  private void checkClaims(JsonObject claims) throws InvalidTokenException {
    for (String name : List.of("iss", "sub", "aud", "exp", "iat", "nbf", "jti")) {
      if (!claims.has(name)) throw new InvalidTokenException("no " + name + " claim");
    }
    if (!issuer.equals(string(claims, "iss"))) {
      throw new InvalidTokenException("iss is " + claims.get("iss") + ", not " + issuer);
    }
    JsonElement aud = claims.get("aud");
    boolean audOk = false;
    if (aud.isJsonArray()) {
      for (JsonElement a : aud.getAsJsonArray()) audOk |= a.equals(new JsonPrimitive(audience));
    } else {
      audOk = aud.equals(new JsonPrimitive(audience));
    }
    if (!audOk) throw new InvalidTokenException("aud " + aud + " does not include " + audience);
    long now = clock.instant().getEpochSecond();
    long slack = leeway.getSeconds();
    long exp = integer(claims, "exp");
    long nbf = integer(claims, "nbf");
    long iat = integer(claims, "iat");
    if (now >= exp + slack) throw new InvalidTokenException("expired");
    if (now + slack < nbf) throw new InvalidTokenException("not yet valid (nbf)");
    if (now + slack < iat) throw new InvalidTokenException("iat is in the future");
  }

  private static long integer(JsonObject o, String name) throws InvalidTokenException {
    JsonElement e = o.get(name);
    if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
      try {
        return e.getAsJsonPrimitive().getAsBigDecimal().longValueExact();
      } catch (ArithmeticException notWhole) {
        // falls through
      }
    }
    throw new InvalidTokenException(name + " is not an integer");
  }

  private static String string(JsonObject o, String name) {
    JsonElement e = o.get(name);
    return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()
        ? e.getAsString()
        : null;
  }

  private static JsonObject json(String part, String what) throws InvalidTokenException {
    try {
      JsonElement e =
          JsonParser.parseString(new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8));
      if (!e.isJsonObject()) throw new InvalidTokenException(what + " is not a JSON object");
      return e.getAsJsonObject();
    } catch (RuntimeException e) {
      throw new InvalidTokenException(what + ": " + e.getMessage());
    }
  }

  private static Signature signature(String alg) throws GeneralSecurityException {
    switch (alg) {
      case "ES256":
        return Signature.getInstance("SHA256withECDSAinP1363Format");
      case "ES384":
        return Signature.getInstance("SHA384withECDSAinP1363Format");
      case "RS256":
        return Signature.getInstance("SHA256withRSA");
      case "PS256":
        Signature pss = Signature.getInstance("RSASSA-PSS");
        pss.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
        return pss;
      case "EdDSA":
        return Signature.getInstance("Ed25519");
      default:
        throw new GeneralSecurityException("unsupported alg " + alg);
    }
  }

  private synchronized Key key(String kid) {
    Key key = keys.get(kid);
    if (key != null) return key;
    if (fetchedAt == null
        || Duration.between(fetchedAt, clock.instant()).compareTo(minRefetchInterval) >= 0) {
      load();
    }
    return keys.get(kid);
  }

  private void load() {
    Map<String, Key> loaded = new HashMap<>();
    JsonElement set = JsonParser.parseString(fetchJwks.get());
    JsonArray list =
        set.isJsonObject() && set.getAsJsonObject().has("keys")
            ? set.getAsJsonObject().getAsJsonArray("keys")
            : new JsonArray();
    for (JsonElement e : list) {
      if (!e.isJsonObject()) continue;
      JsonObject jwk = e.getAsJsonObject();
      String kid = string(jwk, "kid");
      String alg = string(jwk, "alg");
      String use = string(jwk, "use");
      if (kid == null || kid.isEmpty() || !ALGORITHMS.contains(alg)) continue;
      if (use != null && !use.equals("sig")) continue;
      try {
        loaded.put(kid, new Key(alg, publicKey(jwk, alg)));
      } catch (GeneralSecurityException | RuntimeException notFitting) {
        // A key that does not fit its alg: its tokens fail as unknown.
      }
    }
    keys = loaded;
    fetchedAt = clock.instant();
    fetches++;
  }

  private static BigInteger unsigned(JsonObject jwk, String name) {
    return new BigInteger(1, Base64.getUrlDecoder().decode(string(jwk, name)));
  }

  private static PublicKey publicKey(JsonObject jwk, String alg) throws GeneralSecurityException {
    String kty = string(jwk, "kty");
    if (jwk.has("d")) throw new GeneralSecurityException("a private key");
    switch (alg) {
      case "ES256":
      case "ES384":
        {
          String crv = alg.equals("ES256") ? "P-256" : "P-384";
          if (!"EC".equals(kty) || !crv.equals(string(jwk, "crv"))) {
            throw new GeneralSecurityException("not an " + crv + " key");
          }
          AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
          params.init(new ECGenParameterSpec(alg.equals("ES256") ? "secp256r1" : "secp384r1"));
          ECPoint point = new ECPoint(unsigned(jwk, "x"), unsigned(jwk, "y"));
          return KeyFactory.getInstance("EC")
              .generatePublic(new ECPublicKeySpec(point, params.getParameterSpec(ECParameterSpec.class)));
        }
      case "RS256":
      case "PS256":
        if (!"RSA".equals(kty)) throw new GeneralSecurityException("not an RSA key");
        return KeyFactory.getInstance("RSA")
            .generatePublic(new RSAPublicKeySpec(unsigned(jwk, "n"), unsigned(jwk, "e")));
      case "EdDSA":
        {
          if (!"OKP".equals(kty) || !"Ed25519".equals(string(jwk, "crv"))) {
            throw new GeneralSecurityException("not an Ed25519 key");
          }
          byte[] x = Base64.getUrlDecoder().decode(string(jwk, "x"));
          if (x.length != 32) throw new GeneralSecurityException("not an Ed25519 key");
          byte[] der = new byte[ED25519_SPKI_PREFIX.length + 32];
          System.arraycopy(ED25519_SPKI_PREFIX, 0, der, 0, ED25519_SPKI_PREFIX.length);
          System.arraycopy(x, 0, der, ED25519_SPKI_PREFIX.length, 32);
          return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
        }
      default:
        throw new GeneralSecurityException("unsupported alg " + alg);
    }
  }
}
