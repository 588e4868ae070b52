// The whole token lifecycle against a running tokend, over mutual TLS:
// Issue (with a refresh token and an idempotency key), verify the access
// token locally, Introspect, Refresh, Revoke, Introspect again. Exits
// non-zero when any step answers other than expected.
//
// Settings come from the environment; the defaults fit deploy/dev/up.sh
// (run from client/go):
//
//	TOKEND_TARGET    host:port of the API            (127.0.0.1:8443)
//	TOKEND_CA        PEM CAs for tokend's certificate (../../.dev/certs/ca.crt)
//	TOKEND_CERT      this client's certificate (PEM)  (../../.dev/certs/tokenctl.crt)
//	TOKEND_KEY       its private key (PEM)            (../../.dev/certs/tokenctl.key)
//	TOKEND_ISSUER    the expected iss                 (https://tokend.dev.local)
//	TOKEND_AUDIENCE  the audience to ask for          (api://demo)
//	TOKEND_SCOPE     the scope to ask for             (demo:read)
//	TOKEND_SUBJECT   the subject                      (alice)
package main

import (
	"context"
	"fmt"
	"os"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/tokend/tokend/client/go/tokend"
	tokendv1 "github.com/tokend/tokend/client/go/tokend/v1"
)

func setting(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func expect(ok bool, format string, args ...interface{}) {
	what := fmt.Sprintf(format, args...)
	if !ok {
		fmt.Fprintln(os.Stderr, "FAIL:", what)
		os.Exit(1)
	}
	fmt.Println("ok:", what)
}

func check(err error, what string) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %s: %v\n", what, err)
		os.Exit(1)
	}
}

func main() {
	dev := "../../.dev/certs/"
	client, err := tokend.Dial(tokend.Config{
		Target:   setting("TOKEND_TARGET", "127.0.0.1:8443"),
		CAFile:   setting("TOKEND_CA", dev+"ca.crt"),
		CertFile: setting("TOKEND_CERT", dev+"tokenctl.crt"),
		KeyFile:  setting("TOKEND_KEY", dev+"tokenctl.key"),
	})
	check(err, "dial")
	defer client.Close()
	ctx := context.Background()
	audience := setting("TOKEND_AUDIENCE", "api://demo")
	verifier := tokend.NewVerifier(client.JWKS,
		setting("TOKEND_ISSUER", "https://tokend.dev.local"), audience)

	health, err := client.CheckHealth(ctx, tokend.ServiceName)
	check(err, "health")
	expect(health == "SERVING", "health of %s is %s", tokend.ServiceName, health)

	claims, err := structpb.NewStruct(map[string]interface{}{"tenant": "acme", "tier": 2})
	check(err, "claims")
	request := &tokendv1.IssueRequest{
		Subject: setting("TOKEND_SUBJECT", "alice"), Audience: []string{audience},
		Scopes: []string{setting("TOKEND_SCOPE", "demo:read")}, Claims: claims,
		IncludeRefreshToken: true, IdempotencyKey: tokend.NewIdempotencyKey(),
	}
	issued, err := client.Issue(ctx, request)
	check(err, "Issue")
	expect(issued.AccessToken != "" && issued.RefreshToken != "",
		"Issue: an access and a refresh token")
	again, err := client.Issue(ctx, request) // a retry with the same key: the same family
	check(err, "Issue again")
	expect(again.RefreshToken == issued.RefreshToken,
		"Issue retried with the same idempotency_key: the same refresh token")

	verified, err := verifier.Verify(ctx, issued.AccessToken)
	check(err, "local check")
	expect(verified.Subject == request.Subject && verified.All["tenant"] == "acme",
		"verified locally: sub=%s scope=%s exp=%s", verified.Subject, verified.Scope,
		verified.Expiry.UTC().Format("2006-01-02T15:04:05Z"))

	info, err := client.Introspect(ctx, &tokendv1.IntrospectRequest{Token: issued.AccessToken})
	check(err, "Introspect")
	expect(info.Active && info.Subject == request.Subject,
		"Introspect: active, client_id=%s", info.ClientId)

	refreshed, err := client.Refresh(ctx, &tokendv1.RefreshRequest{RefreshToken: issued.RefreshToken})
	check(err, "Refresh")
	expect(refreshed.RefreshToken != "" && refreshed.RefreshToken != issued.RefreshToken,
		"Refresh: a new access token and the next refresh token")
	_, err = verifier.Verify(ctx, refreshed.AccessToken)
	check(err, "local check of the refreshed token")
	fmt.Println("ok: the refreshed access token verifies locally")

	_, err = client.Revoke(ctx, &tokendv1.RevokeRequest{
		Target: &tokendv1.RevokeRequest_Token{Token: refreshed.RefreshToken}})
	check(err, "Revoke")
	fmt.Println("ok: Revoke of the refresh token (its whole family)")
	for _, t := range []struct{ name, token string }{
		{"refresh token", refreshed.RefreshToken},
		{"access token of the family", refreshed.AccessToken},
	} {
		info, err := client.Introspect(ctx, &tokendv1.IntrospectRequest{Token: t.token})
		check(err, "Introspect after Revoke")
		expect(!info.Active, "Introspect after Revoke: the %s is inactive", t.name)
	}

	_, err = client.Refresh(ctx, &tokendv1.RefreshRequest{RefreshToken: refreshed.RefreshToken})
	expect(tokend.IsCode(err, codes.Unauthenticated),
		"Refresh with the revoked token: %v", status.Code(err))
}
