package dev.tokend.client;

import dev.tokend.v1.GetJwksRequest;
import dev.tokend.v1.IntrospectRequest;
import dev.tokend.v1.IntrospectResponse;
import dev.tokend.v1.IssueRequest;
import dev.tokend.v1.IssueResponse;
import dev.tokend.v1.RefreshRequest;
import dev.tokend.v1.RefreshResponse;
import dev.tokend.v1.RevokeRequest;
import dev.tokend.v1.RevokeResponse;
import dev.tokend.v1.TokenServiceGrpc;
import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.Deadline;
import io.grpc.Grpc;
import io.grpc.ManagedChannelBuilder;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A thin helper over the generated tokend.v1 stubs: a gRPC channel over mutual TLS from three PEM
 * files, a default deadline on every call, and retries with exponential backoff and full jitter on
 * UNAVAILABLE only (the one status tokend answers for "try again": a busy or unreachable database,
 * a replica that is draining or not current, or a lost connection). Every other status is thrown
 * at once as a {@link StatusRuntimeException}.
 */
public final class TokendClient implements AutoCloseable {
  /** The name tokend's health service answers for besides "". */
  public static final String SERVICE_NAME = "tokend.v1.TokenService";

  /** Settings; the defaults are a 5 s deadline and 4 attempts from 100 ms to 2 s apart. */
  public static final class Options {
    public Duration timeout = Duration.ofSeconds(5);
    public int maxAttempts = 4;
    public Duration initialBackoff = Duration.ofMillis(100);
    public Duration maxBackoff = Duration.ofSeconds(2);
    /** The name to check tokend's certificate for when it differs from the target's host. */
    public String serverName;
    /** Interceptors of every attempt (inside the retries). */
    public final List<ClientInterceptor> interceptors = new ArrayList<>();
  }

  private final ManagedChannel channel;
  private final TokenServiceGrpc.TokenServiceBlockingStub stub;
  private final HealthGrpc.HealthBlockingStub health;
  private final Options options;

  /**
   * target: "host:port". caFile: PEM CAs that sign tokend's certificate; certFile, keyFile: this
   * client's certificate chain and PKCS#8 key (PEM).
   */
  public TokendClient(String target, String caFile, String certFile, String keyFile, Options options)
      throws IOException {
    this.options = options == null ? new Options() : options;
    // Transport-neutral credentials: the same code runs with grpc-netty
    // (Debian's jars) and grpc-netty-shaded (Maven), with the JDK's TLS and ALPN.
    ChannelCredentials credentials =
        TlsChannelCredentials.newBuilder()
            .trustManager(new File(caFile))
            .keyManager(new File(certFile), new File(keyFile))
            .build();
    ManagedChannelBuilder<?> builder = Grpc.newChannelBuilder(target, credentials);
    // No keepalive: tokend refuses pings on idle connections, and gRPC
    // reconnects by itself after the server ends a connection at its maximum age.
    if (this.options.serverName != null) builder.overrideAuthority(this.options.serverName);
    builder.intercept(this.options.interceptors);
    channel = builder.build();
    stub = TokenServiceGrpc.newBlockingStub(channel);
    health = HealthGrpc.newBlockingStub(channel);
  }

  public TokendClient(String target, String caFile, String certFile, String keyFile)
      throws IOException {
    this(target, caFile, certFile, keyFile, null);
  }

  /** The channel, for other stubs. */
  public ManagedChannel channel() {
    return channel;
  }

  /** The generated stub, without deadline or retries. */
  public TokenServiceGrpc.TokenServiceBlockingStub stub() {
    return stub;
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Runs attempt with one deadline (timeout, or the default when null) while it throws
   * UNAVAILABLE, up to maxAttempts times with backoff.
   */
  public <T> T call(Duration timeout, Function<Deadline, T> attempt) {
    Deadline deadline =
        Deadline.after((timeout == null ? options.timeout : timeout).toNanos(), TimeUnit.NANOSECONDS);
    long backoff = options.initialBackoff.toNanos();
    for (int n = 1; ; n++) {
      try {
        return attempt.apply(deadline);
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || n >= options.maxAttempts) throw e;
        // Full jitter, so that clients turned away together do not come back together.
        long pause = backoff <= 0 ? 0 : ThreadLocalRandom.current().nextLong(backoff);
        if (pause >= deadline.timeRemaining(TimeUnit.NANOSECONDS)) throw e;
        try {
          TimeUnit.NANOSECONDS.sleep(pause);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
        backoff = Math.min(backoff * 2, options.maxBackoff.toNanos());
      }
    }
  }

  /**
   * Issue. With include_refresh_token and no idempotency_key, sends a copy with a fresh one, so
   * that a retry after a lost answer gets the same refresh token instead of a second family.
   */
  public IssueResponse issue(IssueRequest request) {
    IssueRequest sent =
        request.getIncludeRefreshToken() && request.getIdempotencyKey().isEmpty()
            ? request.toBuilder().setIdempotencyKey(UUID.randomUUID().toString()).build()
            : request;
    return call(null, d -> stub.withDeadline(d).issue(sent));
  }

  /** A retried Refresh is safe within the server's refresh retry window. */
  public RefreshResponse refresh(RefreshRequest request) {
    return call(null, d -> stub.withDeadline(d).refresh(request));
  }

  public IntrospectResponse introspect(IntrospectRequest request) {
    return call(null, d -> stub.withDeadline(d).introspect(request));
  }

  public RevokeResponse revoke(RevokeRequest request) {
    return call(null, d -> stub.withDeadline(d).revoke(request));
  }

  /** The JWK Set, as its JSON text. */
  public String jwksJson() {
    return call(null, d -> stub.withDeadline(d).getJwks(GetJwksRequest.getDefaultInstance()))
        .getJwksJson();
  }

  /** The standard health check of service; NOT_FOUND is thrown for a name tokend does not know. */
  public HealthCheckResponse.ServingStatus checkHealth(String service) {
    HealthCheckRequest request = HealthCheckRequest.newBuilder().setService(service).build();
    return call(null, d -> health.withDeadline(d).check(request)).getStatus();
  }
}
