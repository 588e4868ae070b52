// The Go client against a real tokend (run by tests/integration/clients).
//
// Environment: TOKEND_TARGET, TOKEND_CA, TOKEND_CERT, TOKEND_KEY,
// TOKEND_ISSUER, TOKEND_AUDIENCE, TOKEND_SCOPE (as the example),
// TOKEND_SIGNING_KEY (the PEM key the server signs with, to forge tokens
// that only the local check can refuse) and TOKEND_ALG_TARGETS
// ("ALG=host:port,..." of servers signing with each further algorithm).
package tokend_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	jose "gopkg.in/square/go-jose.v2"

	"github.com/tokend/tokend/client/go/tokend"
	tokendv1 "github.com/tokend/tokend/client/go/tokend/v1"
)

func env(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: these tests run against a tokend (tests/integration/clients)", name)
	}
	return v
}

func dial(t *testing.T, target string, extra ...grpc.DialOption) *tokend.Client {
	t.Helper()
	if target == "" {
		target = env(t, "TOKEND_TARGET")
	}
	c, err := tokend.Dial(tokend.Config{Target: target, CAFile: env(t, "TOKEND_CA"),
		CertFile: env(t, "TOKEND_CERT"), KeyFile: env(t, "TOKEND_KEY")}, extra...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func verifierOf(t *testing.T, c *tokend.Client) *tokend.Verifier {
	return tokend.NewVerifier(c.JWKS, env(t, "TOKEND_ISSUER"), env(t, "TOKEND_AUDIENCE"))
}

func issue(t *testing.T, c *tokend.Client) *tokendv1.IssueResponse {
	t.Helper()
	res, err := c.Issue(context.Background(), &tokendv1.IssueRequest{Subject: "alice",
		Audience: []string{env(t, "TOKEND_AUDIENCE")}, Scopes: []string{env(t, "TOKEND_SCOPE")}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Fatalf("got %v, want %v", err, code)
	}
}

func TestHealthAnswersByServiceNameAndNotFoundForAnother(t *testing.T) {
	c := dial(t, "")
	ctx := context.Background()
	for _, name := range []string{tokend.ServiceName, ""} {
		got, err := c.CheckHealth(ctx, name)
		if err != nil || got != "SERVING" {
			t.Errorf("health of %q: %q, %v; want SERVING", name, got, err)
		}
	}
	_, err := c.CheckHealth(ctx, "tokend.v1.NoSuchService")
	wantCode(t, err, codes.NotFound)
}

func TestErrorsArriveWithTheirStatusAndAreNotRetried(t *testing.T) {
	attempts := 0
	count := grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req,
		reply interface{}, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		attempts++
		return invoker(ctx, method, req, reply, cc, opts...)
	})
	c := dial(t, "", count)
	ctx := context.Background()
	_, err := c.Issue(ctx, &tokendv1.IssueRequest{Subject: "alice"})
	wantCode(t, err, codes.InvalidArgument)
	if !strings.Contains(status.Convert(err).Message(), "audience") {
		t.Errorf("message %q does not name the field", status.Convert(err).Message())
	}
	_, err = c.Issue(ctx, &tokendv1.IssueRequest{Subject: "alice", Audience: []string{"api://not-allowed"}})
	wantCode(t, err, codes.PermissionDenied)
	_, err = c.Refresh(ctx, &tokendv1.RefreshRequest{RefreshToken: "tkdrt_" + strings.Repeat("A", 43)})
	wantCode(t, err, codes.Unauthenticated)
	if attempts != 3 {
		t.Errorf("%d attempts for 3 calls: errors other than UNAVAILABLE were retried", attempts)
	}
}

func TestIssueWithARefreshTokenGetsAnIdempotencyKeySoARetryIsSafe(t *testing.T) {
	var sent []*tokendv1.IssueRequest
	// The answer of the first attempt is "lost": every Issue is sent twice.
	twice := grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req,
		reply interface{}, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if r, ok := req.(*tokendv1.IssueRequest); ok {
			sent = append(sent, r)
			first := &tokendv1.IssueResponse{}
			if err := invoker(ctx, method, req, first, cc, opts...); err != nil {
				return err
			}
			if err := invoker(ctx, method, req, reply, cc, opts...); err != nil {
				return err
			}
			if first.RefreshToken != reply.(*tokendv1.IssueResponse).RefreshToken {
				t.Errorf("the repeated Issue started a second refresh family")
			}
			return nil
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	})
	c := dial(t, "", twice)
	request := &tokendv1.IssueRequest{Subject: "alice",
		Audience: []string{env(t, "TOKEND_AUDIENCE")}, IncludeRefreshToken: true}
	if _, err := c.Issue(context.Background(), request); err != nil {
		t.Fatal(err)
	}
	if len(sent) != 1 || sent[0].IdempotencyKey == "" {
		t.Fatalf("sent %v: want one request with an idempotency key", sent)
	}
	if request.IdempotencyKey != "" {
		t.Errorf("the caller's request was changed")
	}
}

func TestLocalCheckAcceptsARealTokenAndReturnsItsClaims(t *testing.T) {
	c := dial(t, "")
	claims, err := verifierOf(t, c).Verify(context.Background(), issue(t, c).AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if claims.Subject != "alice" || claims.Issuer != env(t, "TOKEND_ISSUER") ||
		claims.Scope != env(t, "TOKEND_SCOPE") {
		t.Errorf("claims %+v", claims)
	}
}

func b64(data []byte) string { return base64.RawURLEncoding.EncodeToString(data) }

func mustJSON(v interface{}) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// parts are a real token's header and payload, decoded.
func parts(t *testing.T, token string) (map[string]interface{}, map[string]interface{}) {
	t.Helper()
	var out [2]map[string]interface{}
	for i, p := range strings.Split(token, ".")[:2] {
		raw, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil {
			t.Fatal(err)
		}
		d := json.NewDecoder(strings.NewReader(string(raw)))
		d.UseNumber() // integers stay integers when written again
		if err := d.Decode(&out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out[0], out[1]
}

func with(m map[string]interface{}, key string, value interface{}) map[string]interface{} {
	c := map[string]interface{}{}
	for k, v := range m {
		c[k] = v
	}
	if value == nil {
		delete(c, key)
	} else {
		c[key] = value
	}
	return c
}

// forge signs header and payload as given, ES256 with key.
func forge(t *testing.T, header, payload map[string]interface{}, key *ecdsa.PrivateKey) string {
	t.Helper()
	input := b64(mustJSON(header)) + "." + b64(mustJSON(payload))
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64(sig)
}

func serverKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	text, err := os.ReadFile(env(t, "TOKEND_SIGNING_KEY"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(text)
	if block == nil {
		t.Fatal("TOKEND_SIGNING_KEY: no PEM")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		t.Fatalf("TOKEND_SIGNING_KEY is a %T, want the ES256 key", key)
	}
	return ec
}

func refused(t *testing.T, v *tokend.Verifier, token, why string) string {
	t.Helper()
	_, err := v.Verify(context.Background(), token)
	var invalid *tokend.InvalidToken
	if !errors.As(err, &invalid) {
		t.Errorf("%s: got %v, want an InvalidToken", why, err)
		return ""
	}
	return invalid.Reason
}

func TestLocalCheckRefusesForgedAndWrongTokens(t *testing.T) {
	c := dial(t, "")
	v := verifierOf(t, c)
	ctx := context.Background()
	key := serverKey(t)
	header, payload := parts(t, issue(t, c).AccessToken)
	// The forge itself is sound: unchanged, the server's key passes.
	if _, err := v.Verify(ctx, forge(t, header, payload, key)); err != nil {
		t.Fatalf("a token forged with the server's own key fails: %v", err)
	}
	now := time.Now().Unix()
	cases := map[string][2]map[string]interface{}{
		"typ JWT":        {with(header, "typ", "JWT"), payload},
		"no typ":         {with(header, "typ", nil), payload},
		"crit":           {with(header, "crit", []string{"exp"}), payload},
		"other audience": {header, with(payload, "aud", "api://other")},
		"other issuer":   {header, with(payload, "iss", "https://evil.example")},
		"expired": {header, with(with(with(payload, "exp", now-60), "iat", now-120),
			"nbf", now-120)},
		"not yet valid":      {header, with(payload, "nbf", now+600)},
		"no exp":             {header, with(payload, "exp", nil)},
		"exp not an integer": {header, with(payload, "exp", float64(now)+600.5)},
	}
	for why, hp := range cases {
		refused(t, v, forge(t, hp[0], hp[1], key), why)
	}
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	refused(t, v, forge(t, header, payload, other), "another key under the server's kid")

	// alg none, and HS256 keyed with the public key: the key's alg wins.
	unsigned := b64(mustJSON(with(header, "alg", "none"))) + "." + b64(mustJSON(payload)) + "."
	if why := refused(t, v, unsigned, "alg none"); !strings.Contains(why, "alg") {
		t.Errorf("alg none refused for %q, not for its alg", why)
	}
	publicDER, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: publicDER})
	input := b64(mustJSON(with(header, "alg", "HS256"))) + "." + b64(mustJSON(payload))
	mac := hmac.New(crypto.SHA256.New, publicPEM)
	mac.Write([]byte(input))
	if why := refused(t, v, input+"."+b64(mac.Sum(nil)), "HS256"); !strings.Contains(why, "alg") {
		t.Errorf("HS256 refused for %q, not for its alg", why)
	}
	refused(t, v, "not.a.token", "garbage")
}

func TestAnUnknownKidRefetchesTheSetAtMostOncePerInterval(t *testing.T) {
	c := dial(t, "")
	ctx := context.Background()
	key := serverKey(t)
	header, payload := parts(t, issue(t, c).AccessToken)
	v := verifierOf(t, c)
	v.MinRefetchInterval = time.Hour
	if _, err := v.Verify(ctx, forge(t, header, payload, key)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		refused(t, v, forge(t, with(header, "kid", "unknown-"+string(rune('a'+i))), payload, key),
			"unknown kid")
	}
	if v.Fetches() != 1 {
		t.Errorf("%d fetches within the interval, want 1", v.Fetches())
	}
	eager := verifierOf(t, c)
	eager.MinRefetchInterval = 0
	if _, err := eager.Verify(ctx, forge(t, header, payload, key)); err != nil {
		t.Fatal(err)
	}
	refused(t, eager, forge(t, with(header, "kid", "unknown"), payload, key), "unknown kid")
	if eager.Fetches() != 2 {
		t.Errorf("%d fetches, want 2: the unknown kid should make it look again", eager.Fetches())
	}
}

func TestEverySigningAlgorithmVerifiesLocally(t *testing.T) {
	targets := map[string]string{}
	for _, e := range strings.Split(os.Getenv("TOKEND_ALG_TARGETS"), ",") {
		if alg, target, ok := strings.Cut(e, "="); ok {
			targets[alg] = target
		}
	}
	var algs []string
	for alg := range targets {
		algs = append(algs, alg)
	}
	sort.Strings(algs)
	if strings.Join(algs, ",") != "ES384,EdDSA,PS256,RS256" {
		t.Fatalf("TOKEND_ALG_TARGETS has %v", algs)
	}
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			c := dial(t, targets[alg])
			token := issue(t, c).AccessToken
			parsed, err := jose.ParseSigned(token)
			if err != nil {
				t.Fatal(err)
			}
			if got := parsed.Signatures[0].Header.Algorithm; got != alg {
				t.Fatalf("the token is signed with %s, want %s", got, alg)
			}
			claims, err := verifierOf(t, c).Verify(context.Background(), token)
			if err != nil {
				t.Fatal(err)
			}
			if claims.Subject != "alice" {
				t.Errorf("sub %q", claims.Subject)
			}
		})
	}
}

func TestAnUnreachableServerIsUnavailableWithinTheDeadline(t *testing.T) {
	c, err := tokend.Dial(tokend.Config{Target: "127.0.0.1:1", CAFile: env(t, "TOKEND_CA"),
		CertFile: env(t, "TOKEND_CERT"), KeyFile: env(t, "TOKEND_KEY"),
		InitialBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err = c.Introspect(ctx, &tokendv1.IntrospectRequest{Token: "x"})
	if code := status.Code(err); code != codes.Unavailable && code != codes.DeadlineExceeded {
		t.Errorf("got %v, want UNAVAILABLE or DEADLINE_EXCEEDED", err)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("took %v", elapsed)
	}
}
