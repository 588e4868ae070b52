package tokend

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	jose "gopkg.in/square/go-jose.v2"
	"gopkg.in/square/go-jose.v2/jwt"
)

// Algorithms are those tokend signs with; a JWK naming any other is ignored.
var Algorithms = []string{"ES256", "ES384", "EdDSA", "RS256", "PS256"}

// InvalidToken is the error of a token that fails the local check.
type InvalidToken struct{ Reason string }

func (e *InvalidToken) Error() string { return "invalid access token: " + e.Reason }

func invalid(format string, args ...interface{}) error {
	return &InvalidToken{Reason: fmt.Sprintf(format, args...)}
}

// Claims are a verified token's claims.
type Claims struct {
	Issuer, Subject, ID, Scope, ClientID string
	Audience                             []string
	Expiry, NotBefore, IssuedAt          time.Time
	// All holds every claim of the payload, custom ones included.
	All map[string]interface{}
}

// JWKSFetcher returns the JWK Set as JSON, for example Client.JWKS, or a
// function reading the ops port's /.well-known/jwks.json.
type JWKSFetcher func(ctx context.Context) ([]byte, error)

// Verifier checks tokend access tokens locally against a cached JWK Set,
// the way tokend's API documentation asks: the key is found by kid only in
// the set, the header's alg must equal that key's alg (never trusted from
// the token), typ must be at+jwt, no crit, and iss, aud, exp, nbf and iat are
// checked. Only Introspect also knows about revocations.
//
// The set is fetched on first use and again when a token names an unknown
// kid (a key rotation), at most once per MinRefetchInterval, so that tokens
// with made-up kids cannot make every check a call to tokend.
type Verifier struct {
	fetch JWKSFetcher
	// Issuer and Audience are the expected iss and aud (a token with several
	// audiences passes when one matches).
	Issuer, Audience string
	// Leeway is the tolerated clock difference, as tokend's tokens.leeway.
	Leeway time.Duration
	// MinRefetchInterval is the shortest time between two fetches.
	MinRefetchInterval time.Duration
	// Now is the clock (time.Now unless set).
	Now func() time.Time

	mu        sync.Mutex
	keys      map[string]jose.JSONWebKey
	fetchedAt time.Time
	fetches   int
}

// NewVerifier is a Verifier with a 5 s leeway and a 30 s refetch interval.
func NewVerifier(fetch JWKSFetcher, issuer, audience string) *Verifier {
	return &Verifier{fetch: fetch, Issuer: issuer, Audience: audience,
		Leeway: 5 * time.Second, MinRefetchInterval: 30 * time.Second, Now: time.Now}
}

// Fetches is the number of times the set was fetched.
func (v *Verifier) Fetches() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.fetches
}

func (v *Verifier) load(ctx context.Context) error {
	text, err := v.fetch(ctx)
	if err != nil {
		return err
	}
	// Key by key: one key go-jose cannot read does not hide the others.
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(text, &set); err != nil {
		return fmt.Errorf("JWK Set: %w", err)
	}
	keys := map[string]jose.JSONWebKey{}
	for _, raw := range set.Keys {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil {
			continue // its tokens fail as unknown
		}
		if jwk.KeyID == "" || !knownAlg(jwk.Algorithm) || (jwk.Use != "" && jwk.Use != "sig") ||
			!jwk.IsPublic() {
			continue
		}
		keys[jwk.KeyID] = jwk
	}
	v.keys = keys
	v.fetchedAt = v.Now()
	v.fetches++
	return nil
}

func knownAlg(alg string) bool {
	for _, a := range Algorithms {
		if a == alg {
			return true
		}
	}
	return false
}

func (v *Verifier) key(ctx context.Context, kid string) (jose.JSONWebKey, bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if k, ok := v.keys[kid]; ok {
		return k, true, nil
	}
	if v.fetches == 0 || v.Now().Sub(v.fetchedAt) >= v.MinRefetchInterval {
		if err := v.load(ctx); err != nil {
			return jose.JSONWebKey{}, false, err
		}
	}
	k, ok := v.keys[kid]
	return k, ok, nil
}

// Verify returns the token's claims when it passes, an *InvalidToken when
// it does not, and another error when the JWK Set could not be fetched.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, invalid("not a compact JWS")
	}
	// The header as sent, to check what go-jose does not look at (typ).
	headerJSON, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, invalid("header: %v", err)
	}
	var header map[string]interface{}
	if err := json.Unmarshal(headerJSON, &header); err != nil {
		return nil, invalid("header: %v", err)
	}
	if header["typ"] != "at+jwt" {
		return nil, invalid("typ is %v, not at+jwt", header["typ"])
	}
	if _, ok := header["crit"]; ok {
		return nil, invalid("crit header present")
	}
	kid, _ := header["kid"].(string)
	if kid == "" {
		return nil, invalid("no kid")
	}
	key, ok, err := v.key(ctx, kid)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, invalid("unknown kid %q", kid)
	}
	// The algorithm comes from the key, never from the token: a token naming
	// another one (none, HS256 with the public key as secret) fails.
	if header["alg"] != key.Algorithm {
		return nil, invalid("alg %v is not the key's %s", header["alg"], key.Algorithm)
	}
	parsed, err := jwt.ParseSigned(token)
	if err != nil {
		return nil, invalid("%v", err)
	}
	if len(parsed.Headers) != 1 || parsed.Headers[0].Algorithm != key.Algorithm {
		return nil, invalid("alg is not the key's %s", key.Algorithm)
	}
	var std jwt.Claims
	all := map[string]interface{}{}
	if err := parsed.Claims(key.Key, &std, &all); err != nil {
		return nil, invalid("%v", err)
	}
	for _, name := range []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti"} {
		if _, ok := all[name]; !ok {
			return nil, invalid("no %s claim", name)
		}
	}
	for _, name := range []string{"exp", "iat", "nbf"} {
		if n, ok := all[name].(float64); !ok || n != math.Trunc(n) {
			return nil, invalid("%s is not an integer", name)
		}
	}
	expected := jwt.Expected{Issuer: v.Issuer, Audience: jwt.Audience{v.Audience}, Time: v.Now()}
	if err := std.ValidateWithLeeway(expected, v.Leeway); err != nil {
		return nil, invalid("%v", err)
	}
	claims := &Claims{Issuer: std.Issuer, Subject: std.Subject, ID: std.ID,
		Audience: std.Audience, Expiry: std.Expiry.Time(), NotBefore: std.NotBefore.Time(),
		IssuedAt: std.IssuedAt.Time(), All: all}
	claims.Scope, _ = all["scope"].(string)
	claims.ClientID, _ = all["client_id"].(string)
	return claims, nil
}
