#!/usr/bin/ruby
# frozen_string_literal: true

# The whole token lifecycle against a running tokend, over mutual TLS:
# Issue (with a refresh token and an idempotency key), verify the access
# token locally, Introspect, Refresh, Revoke, Introspect again. Exits
# non-zero when any step answers other than expected.
#
# Settings come from the environment; the defaults fit deploy/dev/up.sh:
#   TOKEND_TARGET    host:port of the API            (127.0.0.1:8443)
#   TOKEND_CA        PEM CAs for tokend's certificate (.dev/certs/ca.crt)
#   TOKEND_CERT      this client's certificate (PEM)  (.dev/certs/tokenctl.crt)
#   TOKEND_KEY       its private key (PEM)            (.dev/certs/tokenctl.key)
#   TOKEND_ISSUER    the expected iss                 (https://tokend.dev.local)
#   TOKEND_AUDIENCE  the audience to ask for          (api://demo)
#   TOKEND_SCOPE     the scope to ask for             (demo:read)
#   TOKEND_SUBJECT   the subject                      (alice)

$LOAD_PATH.unshift(File.join(__dir__, 'lib'))
require 'securerandom'
require 'tokend/client'

def setting(name, default)
  value = ENV.fetch(name, '')
  value.empty? ? default : value
end

def expect(condition, what)
  abort("FAIL: #{what}") unless condition
  puts "ok: #{what}"
end

dev = File.join(__dir__, '..', '..', '.dev', 'certs')
client = Tokend::Client.new(setting('TOKEND_TARGET', '127.0.0.1:8443'),
                            ca_file: setting('TOKEND_CA', File.join(dev, 'ca.crt')),
                            cert_file: setting('TOKEND_CERT', File.join(dev, 'tokenctl.crt')),
                            key_file: setting('TOKEND_KEY', File.join(dev, 'tokenctl.key')))
audience = setting('TOKEND_AUDIENCE', 'api://demo')
verifier = Tokend::AccessTokenVerifier.new(client.method(:jwks),
                                           issuer: setting('TOKEND_ISSUER', 'https://tokend.dev.local'),
                                           audience: audience)

expect(client.check_health == :SERVING, 'health of tokend.v1.TokenService is SERVING')

claims = Google::Protobuf::Struct.from_hash({ 'tenant' => 'acme', 'tier' => 2 })
request = Tokend::V1::IssueRequest.new(subject: setting('TOKEND_SUBJECT', 'alice'), audience: [audience],
                                       scopes: [setting('TOKEND_SCOPE', 'demo:read')], claims: claims,
                                       include_refresh_token: true, idempotency_key: SecureRandom.uuid)
issued = client.issue(request)
expect(!issued.access_token.empty? && !issued.refresh_token.empty?, 'Issue: an access and a refresh token')
again = client.issue(request) # a retry with the same key: the same family
expect(again.refresh_token == issued.refresh_token,
       'Issue retried with the same idempotency_key: the same refresh token')

verified = verifier.verify(issued.access_token)
expect(verified['sub'] == request.subject && verified['tenant'] == 'acme',
       "verified locally: sub=#{verified['sub']} scope=#{verified['scope']} exp=#{verified['exp']}")

info = client.introspect(Tokend::V1::IntrospectRequest.new(token: issued.access_token))
expect(info.active && info.subject == request.subject, "Introspect: active, client_id=#{info.client_id}")

refreshed = client.refresh(Tokend::V1::RefreshRequest.new(refresh_token: issued.refresh_token))
expect(!refreshed.refresh_token.empty? && refreshed.refresh_token != issued.refresh_token,
       'Refresh: a new access token and the next refresh token')
verifier.verify(refreshed.access_token)
puts 'ok: the refreshed access token verifies locally'

client.revoke(Tokend::V1::RevokeRequest.new(token: refreshed.refresh_token))
puts 'ok: Revoke of the refresh token (its whole family)'
{ 'refresh token' => refreshed.refresh_token,
  'access token of the family' => refreshed.access_token }.each do |name, token|
  info = client.introspect(Tokend::V1::IntrospectRequest.new(token: token))
  expect(!info.active, "Introspect after Revoke: the #{name} is inactive")
end

begin
  client.refresh(Tokend::V1::RefreshRequest.new(refresh_token: refreshed.refresh_token))
  expect(false, 'Refresh with a revoked token fails')
rescue GRPC::Unauthenticated => e
  expect(true, "Refresh with the revoked token: UNAUTHENTICATED (#{e.details})")
end
client.close
