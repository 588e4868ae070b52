# frozen_string_literal: true

# A thin helper over the generated Tokend::V1 stubs.
#
# Tokend::Client: a gRPC channel over mutual TLS from three PEM files, a
# default deadline on every call, and retries with exponential backoff on
# UNAVAILABLE only (the one status tokend answers for "try again": a busy or
# unreachable database, a replica that is draining or not current, or a lost
# connection). Every other status is raised at once as GRPC::BadStatus.
#
# Tokend::AccessTokenVerifier: checks an access token locally, without a
# call: the key is found by kid only in the JWK Set from GetJwks, the
# header's alg must equal that key's alg, typ must be at+jwt, no crit, and
# iss, aud, exp, nbf and iat are checked. Only Introspect also knows about
# revocations. ruby-jwt 2.5 verifies ES256, ES384, RS256 and PS256 and the
# claims; it cannot verify EdDSA without the rbnacl gem, so EdDSA
# signatures are verified with Ruby's OpenSSL (OpenSSL 3 has Ed25519).

require 'base64'
require 'json'
require 'openssl'
require 'securerandom'

require 'grpc'
require 'google/protobuf/well_known_types' # Struct.from_hash, Timestamp#to_time
require 'grpc/health/v1/health_services_pb'
require 'jwt'

require 'tokend/v1/token_service_services_pb'

module Tokend
  # The name tokend's health service answers for besides "".
  SERVICE_NAME = 'tokend.v1.TokenService'
  # The algorithms tokend signs with; a JWK naming any other is ignored.
  ALGORITHMS = %w[ES256 ES384 EdDSA RS256 PS256].freeze

  # Calls tokend over mutual TLS.
  #
  # target: "host:port". ca_file: PEM CAs that sign tokend's certificate;
  # cert_file, key_file: this client's certificate chain and key (PEM).
  # timeout: the deadline, in seconds, of each call including its retries.
  # max_attempts: tries per call while the answer is UNAVAILABLE (1: none
  # repeated). server_name: the name to check tokend's certificate for when
  # it differs from target's host.
  class Client
    attr_reader :stub, :health, :timeout, :max_attempts

    def initialize(target, ca_file:, cert_file:, key_file:, timeout: 5.0, max_attempts: 4,
                   initial_backoff: 0.1, max_backoff: 2.0, server_name: nil)
      credentials = GRPC::Core::ChannelCredentials.new(
        File.read(ca_file), File.read(key_file), File.read(cert_file)
      )
      # No keepalive options: tokend refuses pings on idle connections, and
      # gRPC reconnects by itself after the server ends a connection at its
      # maximum age.
      args = {}
      args[GRPC::Core::Channel::SSL_TARGET] = server_name if server_name
      @channel = GRPC::Core::Channel.new(target, args, credentials)
      @stub = Tokend::V1::TokenService::Stub.new(target, :this_channel_is_insecure,
                                                 channel_override: @channel)
      @health = Grpc::Health::V1::Health::Stub.new(target, :this_channel_is_insecure,
                                                   channel_override: @channel)
      @timeout = timeout
      @max_attempts = [1, max_attempts].max
      @initial_backoff = initial_backoff
      @max_backoff = max_backoff
    end

    def close
      @channel.close
    end

    # Runs method (something with #call(request, deadline:)) with retries
    # on UNAVAILABLE, all within one deadline.
    def call(method, request, timeout = nil)
      deadline = Time.now + (timeout || @timeout)
      backoff = @initial_backoff
      attempt = 0
      begin
        attempt += 1
        method.call(request, deadline: deadline)
      rescue GRPC::Unavailable
        raise if attempt >= @max_attempts

        # Full jitter, so that clients turned away together do not come
        # back together.
        pause = rand * backoff
        raise if Time.now + pause >= deadline

        sleep(pause)
        backoff = [backoff * 2, @max_backoff].min
        retry
      end
    end

    # Issue. With include_refresh_token and no idempotency_key, sends a copy
    # with a fresh one, so that a retry after a lost answer gets the same
    # refresh token instead of starting a second family.
    def issue(request, timeout: nil)
      if request.include_refresh_token && request.idempotency_key.empty?
        request = request.dup
        request.idempotency_key = SecureRandom.uuid
      end
      call(@stub.method(:issue), request, timeout)
    end

    # A retried Refresh is safe: within the server's refresh retry window a
    # repeat answers the same successor instead of counting as reuse.
    def refresh(request, timeout: nil)
      call(@stub.method(:refresh), request, timeout)
    end

    def introspect(request, timeout: nil)
      call(@stub.method(:introspect), request, timeout)
    end

    def revoke(request, timeout: nil)
      call(@stub.method(:revoke), request, timeout)
    end

    # The JWK Set as a Hash ({"keys" => [...]}).
    def jwks(timeout: nil)
      JSON.parse(call(@stub.method(:get_jwks), Tokend::V1::GetJwksRequest.new, timeout).jwks_json)
    end

    # The standard health check: :SERVING, :NOT_SERVING, ...; raises
    # GRPC::NotFound for a name tokend does not know.
    def check_health(service = SERVICE_NAME, timeout: nil)
      request = Grpc::Health::V1::HealthCheckRequest.new(service: service)
      call(@health.method(:check), request, timeout).status
    end
  end

  # The access token failed the local check; the message says why.
  class InvalidToken < StandardError; end

  # Checks tokend access tokens locally against a cached JWK Set.
  #
  # fetch_jwks: something with #call returning the JWK Set as a Hash, for
  # example client.method(:jwks). The set is fetched on first use and again
  # when a token names an unknown kid (a key rotation), at most once per
  # min_refetch_interval seconds, so that tokens with made-up kids cannot
  # make every check a call to tokend. issuer, audience: the expected iss
  # and aud (a token with several audiences passes when one matches).
  # leeway: seconds of tolerated clock difference, as tokend's tokens.leeway.
  class AccessTokenVerifier
    attr_reader :fetches

    # The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), before
    # the 32 bytes of the key.
    ED25519_SPKI_PREFIX = ['302a300506032b6570032100'].pack('H*').freeze

    def initialize(fetch_jwks, issuer:, audience:, leeway: 5, min_refetch_interval: 30.0)
      @fetch = fetch_jwks
      @issuer = issuer
      @audience = audience
      @leeway = leeway
      @min_refetch_interval = min_refetch_interval
      @mutex = Mutex.new
      @keys = {} # kid => [alg, public key]
      @fetched_at = nil
      @fetches = 0
    end

    # The token's claims (a Hash) when it passes; raises InvalidToken
    # otherwise.
    def verify(token)
      parts = token.to_s.split('.', -1)
      raise InvalidToken, 'not a compact JWS' unless parts.length == 3

      header = decode_json(parts[0], 'header')
      raise InvalidToken, "typ is #{header['typ'].inspect}, not \"at+jwt\"" unless header['typ'] == 'at+jwt'
      raise InvalidToken, 'crit header present' if header.key?('crit')

      kid = header['kid']
      raise InvalidToken, 'no kid' unless kid.is_a?(String) && !kid.empty?

      alg, key = key_for(kid)
      raise InvalidToken, "unknown kid #{kid.inspect}" unless key
      # The algorithm comes from the key, never from the token: a token
      # naming another one (none, HS256 with the public key as secret) fails.
      raise InvalidToken, "alg #{header['alg'].inspect} is not the key's #{alg}" unless header['alg'] == alg

      payload = alg == 'EdDSA' ? verify_eddsa(parts, key) : verify_jws(token, key, alg)
      check_claims(payload)
      payload
    end

    private

    def decode_json(part, what)
      value = JSON.parse(Base64.urlsafe_decode64(part + '=' * ((4 - part.length % 4) % 4)))
      raise InvalidToken, "#{what} is not a JSON object" unless value.is_a?(Hash)

      value
    rescue ArgumentError, JSON::ParserError => e
      raise InvalidToken, "#{what}: #{e.message}"
    end

    def verify_jws(token, key, alg)
      payload, = JWT.decode(token, key, true, algorithm: alg, verify_expiration: false,
                                              verify_not_before: false)
      payload
    rescue JWT::DecodeError => e
      raise InvalidToken, e.message
    end

    def verify_eddsa(parts, key)
      signature = Base64.urlsafe_decode64(parts[2] + '=' * ((4 - parts[2].length % 4) % 4))
      ok = key.verify(nil, signature, "#{parts[0]}.#{parts[1]}")
      raise InvalidToken, 'Signature verification failed' unless ok

      decode_json(parts[1], 'payload')
    rescue ArgumentError, OpenSSL::PKey::PKeyError
      raise InvalidToken, 'Signature verification failed'
    end

    def check_claims(payload)
      JWT::Verify.verify_claims(payload, {
                                  verify_iss: true, iss: @issuer, verify_aud: true, aud: @audience,
                                  verify_expiration: true, verify_not_before: true, leeway: @leeway,
                                  verify_required_claims: true,
                                  required_claims: %w[iss sub aud exp iat nbf jti]
                                })
      %w[exp iat nbf].each do |claim|
        raise InvalidToken, "#{claim} is not an integer" unless payload[claim].is_a?(Integer)
      end
      # ruby-jwt 2.5's own iat check allows no leeway.
      raise InvalidToken, 'iat is in the future' if payload['iat'] > Time.now.to_i + @leeway
    rescue JWT::DecodeError => e
      raise InvalidToken, e.message
    end

    def key_for(kid)
      @mutex.synchronize do
        return @keys[kid] if @keys.key?(kid)

        load if @fetched_at.nil? || Process.clock_gettime(Process::CLOCK_MONOTONIC) - @fetched_at >= @min_refetch_interval
        @keys[kid]
      end
    end

    def load
      keys = {}
      (@fetch.call['keys'] || []).each do |jwk|
        kid = jwk['kid']
        alg = jwk['alg']
        next if !kid.is_a?(String) || kid.empty? || !ALGORITHMS.include?(alg) || jwk.fetch('use', 'sig') != 'sig'

        key = public_key(jwk, alg)
        keys[kid] = [alg, key] if key
      end
      @keys = keys
      @fetched_at = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      @fetches += 1
    end

    # The OpenSSL public key of jwk, or nil when it does not fit its alg (its
    # tokens then fail as unknown).
    def public_key(jwk, alg)
      if alg == 'EdDSA'
        return nil unless jwk['kty'] == 'OKP' && jwk['crv'] == 'Ed25519'

        x = Base64.urlsafe_decode64(jwk['x'] + '=' * ((4 - jwk['x'].length % 4) % 4))
        return nil unless x.bytesize == 32

        return OpenSSL::PKey.read(ED25519_SPKI_PREFIX + x)
      end
      kty = alg.start_with?('ES') ? 'EC' : 'RSA'
      return nil unless jwk['kty'] == kty

      key = JWT::JWK.import(jwk).keypair
      key.private? ? nil : key
    rescue StandardError
      nil
    end
  end
end
