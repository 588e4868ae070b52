# frozen_string_literal: true

# The Ruby client against a real tokend (run by tests/integration/clients).
#
# Environment: TOKEND_TARGET, TOKEND_CA, TOKEND_CERT, TOKEND_KEY,
# TOKEND_ISSUER, TOKEND_AUDIENCE, TOKEND_SCOPE (as example.rb),
# TOKEND_SIGNING_KEY (the PEM key the server signs with, to forge tokens that
# only the local check can refuse) and TOKEND_ALG_TARGETS
# ("ALG=host:port,..." of servers signing with each further algorithm).

$LOAD_PATH.unshift(File.join(__dir__, '..', 'lib'))
require 'minitest/autorun'
require 'openssl'
require 'tokend/client'

module TokendTestHelpers
  def env(name)
    ENV.fetch(name) { flunk("#{name} is not set: these tests run against a tokend") }
  end

  def new_client(target = nil, **kwargs)
    Tokend::Client.new(target || env('TOKEND_TARGET'), ca_file: env('TOKEND_CA'),
                                                       cert_file: env('TOKEND_CERT'),
                                                       key_file: env('TOKEND_KEY'), **kwargs)
  end

  def b64(data)
    Base64.urlsafe_encode64(data, padding: false)
  end
end

class ServerTest < Minitest::Test
  include TokendTestHelpers

  def setup
    @client = new_client
    @audience = env('TOKEND_AUDIENCE')
    @verifier = new_verifier(@client)
  end

  def teardown
    @client.close
  end

  def new_verifier(client, **kwargs)
    Tokend::AccessTokenVerifier.new(client.method(:jwks), issuer: env('TOKEND_ISSUER'),
                                                          audience: @audience, **kwargs)
  end

  def issue(client = @client, **fields)
    client.issue(Tokend::V1::IssueRequest.new(subject: 'alice', audience: [@audience],
                                              scopes: [env('TOKEND_SCOPE')], **fields))
  end

  def test_health_answers_by_service_name_and_not_found_for_another
    assert_equal :SERVING, @client.check_health
    assert_equal :SERVING, @client.check_health('')
    assert_raises(GRPC::NotFound) { @client.check_health('tokend.v1.NoSuchService') }
  end

  def test_errors_arrive_with_their_status_and_are_not_retried
    calls = 0
    counting = ->(request, deadline:) { calls += 1; @client.stub.issue(request, deadline: deadline) }
    err = assert_raises(GRPC::InvalidArgument) do
      @client.call(counting, Tokend::V1::IssueRequest.new(subject: 'alice'))
    end
    assert_includes err.details, 'audience'
    assert_equal GRPC::Core::StatusCodes::INVALID_ARGUMENT, err.code
    assert_raises(GRPC::PermissionDenied) do
      @client.call(counting, Tokend::V1::IssueRequest.new(subject: 'alice', audience: ['api://not-allowed']))
    end
    assert_equal 2, calls
    assert_raises(GRPC::Unauthenticated) do
      @client.refresh(Tokend::V1::RefreshRequest.new(refresh_token: "tkdrt_#{'A' * 43}"))
    end
  end

  def test_issue_with_a_refresh_token_gets_an_idempotency_key_so_a_retry_is_safe
    request = Tokend::V1::IssueRequest.new(subject: 'alice', audience: [@audience], include_refresh_token: true)
    sent = []
    stub = @client.stub
    original = stub.method(:issue)
    # The answer of the first attempt is "lost": the request goes twice.
    stub.define_singleton_method(:issue) do |req, **opts|
      sent << req
      first = original.call(req, **opts)
      second = original.call(req, **opts)
      raise 'a second refresh family' unless first.refresh_token == second.refresh_token

      second
    end
    @client.issue(request)
    assert_equal 1, sent.length
    refute_empty sent[0].idempotency_key
    assert_empty request.idempotency_key # the caller's request is left alone
  end

  def test_local_check_accepts_a_real_token_and_returns_its_claims
    claims = @verifier.verify(issue.access_token)
    assert_equal 'alice', claims['sub']
    assert_equal env('TOKEND_ISSUER'), claims['iss']
  end

  def server_key
    OpenSSL::PKey.read(File.read(env('TOKEND_SIGNING_KEY')))
  end

  # header and payload as given, signed ES256 with key.
  def forge(header, payload, key = server_key)
    input = "#{b64(JSON.generate(header))}.#{b64(JSON.generate(payload))}"
    der = key.sign(OpenSSL::Digest.new('SHA256'), input)
    r, s = OpenSSL::ASN1.decode(der).value.map { |i| i.value.to_s(2).rjust(32, "\0") }
    "#{input}.#{b64(r + s)}"
  end

  def real_parts
    h, p = issue.access_token.split('.')[0, 2].map { |s| JSON.parse(Base64.urlsafe_decode64(s + '=' * ((4 - s.length % 4) % 4))) }
    [h, p]
  end

  def assert_refused(token, why, verifier = @verifier)
    err = assert_raises(Tokend::InvalidToken, why) { verifier.verify(token) }
    err.message
  end

  def test_local_check_refuses_forged_and_wrong_tokens
    header, payload = real_parts
    # The forge itself is sound: unchanged, the server's key passes.
    assert_equal 'alice', @verifier.verify(forge(header, payload))['sub']
    now = Time.now.to_i
    {
      'typ JWT' => [header.merge('typ' => 'JWT'), payload],
      'no typ' => [header.except('typ'), payload],
      'crit' => [header.merge('crit' => ['exp']), payload],
      'other audience' => [header, payload.merge('aud' => 'api://other')],
      'other issuer' => [header, payload.merge('iss' => 'https://evil.example')],
      'expired' => [header, payload.merge('exp' => now - 60, 'iat' => now - 120, 'nbf' => now - 120)],
      'not yet valid' => [header, payload.merge('nbf' => now + 600)],
      'no exp' => [header, payload.except('exp')],
      'exp not an integer' => [header, payload.merge('exp' => now + 600.5)]
    }.each do |why, (h, p)|
      assert_refused(forge(h, p), why)
    end
    assert_refused(forge(header, payload, OpenSSL::PKey::EC.generate('prime256v1')), 'another key')
    # alg none, and HS256 keyed with the public key: the key's alg wins.
    unsigned = "#{b64(JSON.generate(header.merge('alg' => 'none')))}.#{b64(JSON.generate(payload))}."
    assert_includes assert_refused(unsigned, 'alg none'), 'alg'
    input = "#{b64(JSON.generate(header.merge('alg' => 'HS256')))}.#{b64(JSON.generate(payload))}"
    mac = OpenSSL::HMAC.digest('SHA256', server_key.public_to_pem, input)
    assert_includes assert_refused("#{input}.#{b64(mac)}", 'HS256'), 'alg'
    assert_refused('not.a.token', 'garbage')
  end

  def test_an_unknown_kid_refetches_the_set_at_most_once_per_interval
    header, payload = real_parts
    verifier = new_verifier(@client, min_refetch_interval: 3600)
    verifier.verify(forge(header, payload))
    assert_equal 1, verifier.fetches
    5.times { |i| assert_refused(forge(header.merge('kid' => "unknown-#{i}"), payload), 'unknown kid', verifier) }
    assert_equal 1, verifier.fetches # within the interval: no refetch
    eager = new_verifier(@client, min_refetch_interval: 0)
    eager.verify(forge(header, payload))
    assert_refused(forge(header.merge('kid' => 'unknown'), payload), 'unknown kid', eager)
    assert_equal 2, eager.fetches # the unknown kid made it look again
  end

  def test_every_signing_algorithm_verifies_locally
    targets = ENV.fetch('TOKEND_ALG_TARGETS', '').split(',').to_h { |e| e.split('=', 2) }
    assert_equal %w[ES384 EdDSA PS256 RS256], targets.keys.sort
    targets.each do |alg, target|
      client = new_client(target)
      begin
        token = issue(client).access_token
        header = JSON.parse(Base64.urlsafe_decode64(token.split('.')[0] + '=' * ((4 - token.split('.')[0].length % 4) % 4)))
        assert_equal alg, header['alg']
        assert_equal 'alice', new_verifier(client).verify(token)['sub'], alg
        # ruby-jwt 2.5 itself has no EdDSA without the rbnacl gem: the
        # helper checks Ed25519 signatures with OpenSSL instead.
        puts "\nnote: EdDSA verified with Ruby's OpenSSL (ruby-jwt #{JWT::VERSION::STRING} needs rbnacl for it)" if alg == 'EdDSA'
      ensure
        client.close
      end
    end
  end

  def test_an_eddsa_token_with_a_broken_signature_is_refused
    target = ENV.fetch('TOKEND_ALG_TARGETS', '').split(',').to_h { |e| e.split('=', 2) }.fetch('EdDSA')
    client = new_client(target)
    token = issue(client).access_token
    h, p, s = token.split('.')
    sig = Base64.urlsafe_decode64(s + '=' * ((4 - s.length % 4) % 4))
    sig.setbyte(0, sig.getbyte(0) ^ 1)
    verifier = new_verifier(client)
    assert_refused("#{h}.#{p}.#{b64(sig)}", 'flipped bit', verifier)
    payload = JSON.parse(Base64.urlsafe_decode64(p + '=' * ((4 - p.length % 4) % 4)))
    assert_refused("#{h}.#{b64(JSON.generate(payload.merge('sub' => 'mallory')))}.#{s}", 'changed payload', verifier)
  ensure
    client&.close
  end
end

class RetriesTest < Minitest::Test
  include TokendTestHelpers

  def client
    new_client('127.0.0.1:1', max_attempts: 4, initial_backoff: 0.01)
  end

  def test_unavailable_is_retried_with_backoff_until_an_answer
    deadlines = []
    flaky = lambda do |_request, deadline:|
      deadlines << deadline
      raise GRPC::Unavailable, 'busy' if deadlines.length < 3

      'answer'
    end
    assert_equal 'answer', client.call(flaky, nil, 5)
    assert_equal 3, deadlines.length
    assert_equal 1, deadlines.uniq.length # one deadline for every attempt
  end

  def test_other_codes_and_the_last_attempt_raise_at_once
    { GRPC::InvalidArgument => 1, GRPC::DeadlineExceeded => 1, GRPC::Unavailable => 4 }.each do |error, attempts|
      calls = 0
      failing = lambda do |_request, deadline:|
        _ = deadline
        calls += 1
        raise error, 'no'
      end
      assert_raises(error) { client.call(failing, nil, 5) }
      assert_equal attempts, calls, error.name
    end
  end

  def test_an_unreachable_server_is_unavailable_within_the_deadline
    start = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    err = assert_raises(GRPC::BadStatus) do
      client.introspect(Tokend::V1::IntrospectRequest.new(token: 'x'), timeout: 2)
    end
    assert_includes [GRPC::Core::StatusCodes::UNAVAILABLE, GRPC::Core::StatusCodes::DEADLINE_EXCEEDED], err.code
    assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - start, :<, 3
  end
end
