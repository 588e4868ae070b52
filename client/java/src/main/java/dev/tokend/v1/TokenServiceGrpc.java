package dev.tokend.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * TokenService mints, rotates, introspects and revokes tokens. Every call
 * needs mutual TLS; the caller's identity is its client certificate's first
 * URI SAN, else first DNS SAN, else subject CN, and a policy says which RPCs,
 * audiences, scopes and subjects each identity may use.
 * Status codes:
 *   INVALID_ARGUMENT   malformed request (the message starts with the field)
 *   PERMISSION_DENIED  caller not in the policy, RPC not allowed (checked
 *                      before the request is read), or beyond its rights
 *   UNAUTHENTICATED    Refresh with an unknown, expired, revoked or reused
 *                      refresh token, or one issued to another caller
 *   UNAVAILABLE        the database is unreachable or busy; retry with backoff
 *   DEADLINE_EXCEEDED  the deadline passed
 *   RESOURCE_EXHAUSTED the request is larger than 64 KiB (and, for
 *                      WatchRevocations, a watcher that does not keep up or
 *                      one too many watchers)
 * Nothing a caller sends yields INTERNAL or UNKNOWN. The standard
 * grpc.health.v1.Health service runs on the same port.
 * </pre>
 */
@javax.annotation.Generated(
    value = "by gRPC proto compiler",
    comments = "Source: tokend/v1/token_service.proto")
@io.grpc.stub.annotations.GrpcGenerated
public final class TokenServiceGrpc {

  private TokenServiceGrpc() {}

  public static final String SERVICE_NAME = "tokend.v1.TokenService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<dev.tokend.v1.IssueRequest,
      dev.tokend.v1.IssueResponse> getIssueMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Issue",
      requestType = dev.tokend.v1.IssueRequest.class,
      responseType = dev.tokend.v1.IssueResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tokend.v1.IssueRequest,
      dev.tokend.v1.IssueResponse> getIssueMethod() {
    io.grpc.MethodDescriptor<dev.tokend.v1.IssueRequest, dev.tokend.v1.IssueResponse> getIssueMethod;
    if ((getIssueMethod = TokenServiceGrpc.getIssueMethod) == null) {
      synchronized (TokenServiceGrpc.class) {
        if ((getIssueMethod = TokenServiceGrpc.getIssueMethod) == null) {
          TokenServiceGrpc.getIssueMethod = getIssueMethod =
              io.grpc.MethodDescriptor.<dev.tokend.v1.IssueRequest, dev.tokend.v1.IssueResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Issue"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tokend.v1.IssueRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tokend.v1.IssueResponse.getDefaultInstance()))
              .setSchemaDescriptor(new TokenServiceMethodDescriptorSupplier("Issue"))
              .build();
        }
      }
    }
    return getIssueMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tokend.v1.RefreshRequest,
      dev.tokend.v1.RefreshResponse> getRefreshMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Refresh",
      requestType = dev.tokend.v1.RefreshRequest.class,
      responseType = dev.tokend.v1.RefreshResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tokend.v1.RefreshRequest,
      dev.tokend.v1.RefreshResponse> getRefreshMethod() {
    io.grpc.MethodDescriptor<dev.tokend.v1.RefreshRequest, dev.tokend.v1.RefreshResponse> getRefreshMethod;
    if ((getRefreshMethod = TokenServiceGrpc.getRefreshMethod) == null) {
      synchronized (TokenServiceGrpc.class) {
        if ((getRefreshMethod = TokenServiceGrpc.getRefreshMethod) == null) {
          TokenServiceGrpc.getRefreshMethod = getRefreshMethod =
              io.grpc.MethodDescriptor.<dev.tokend.v1.RefreshRequest, dev.tokend.v1.RefreshResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Refresh"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tokend.v1.RefreshRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tokend.v1.RefreshResponse.getDefaultInstance()))
              .setSchemaDescriptor(new TokenServiceMethodDescriptorSupplier("Refresh"))
              .build();
        }
      }
    }
    return getRefreshMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tokend.v1.IntrospectRequest,
      dev.tokend.v1.IntrospectResponse> getIntrospectMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Introspect",
      requestType = dev.tokend.v1.IntrospectRequest.class,
      responseType = dev.tokend.v1.IntrospectResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tokend.v1.IntrospectRequest,
      dev.tokend.v1.IntrospectResponse> getIntrospectMethod() {
    io.grpc.MethodDescriptor<dev.tokend.v1.IntrospectRequest, dev.tokend.v1.IntrospectResponse> getIntrospectMethod;
    if ((getIntrospectMethod = TokenServiceGrpc.getIntrospectMethod) == null) {
      synchronized (TokenServiceGrpc.class) {
        if ((getIntrospectMethod = TokenServiceGrpc.getIntrospectMethod) == null) {
          TokenServiceGrpc.getIntrospectMethod = getIntrospectMethod =
              io.grpc.MethodDescriptor.<dev.tokend.v1.IntrospectRequest, dev.tokend.v1.IntrospectResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Introspect"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tokend.v1.IntrospectRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tokend.v1.IntrospectResponse.getDefaultInstance()))
              .setSchemaDescriptor(new TokenServiceMethodDescriptorSupplier("Introspect"))
              .build();
        }
      }
    }
    return getIntrospectMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tokend.v1.RevokeRequest,
      dev.tokend.v1.RevokeResponse> getRevokeMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Revoke",
      requestType = dev.tokend.v1.RevokeRequest.class,
      responseType = dev.tokend.v1.RevokeResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tokend.v1.RevokeRequest,
      dev.tokend.v1.RevokeResponse> getRevokeMethod() {
    io.grpc.MethodDescriptor<dev.tokend.v1.RevokeRequest, dev.tokend.v1.RevokeResponse> getRevokeMethod;
    if ((getRevokeMethod = TokenServiceGrpc.getRevokeMethod) == null) {
      synchronized (TokenServiceGrpc.class) {
        if ((getRevokeMethod = TokenServiceGrpc.getRevokeMethod) == null) {
          TokenServiceGrpc.getRevokeMethod = getRevokeMethod =
              io.grpc.MethodDescriptor.<dev.tokend.v1.RevokeRequest, dev.tokend.v1.RevokeResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Revoke"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tokend.v1.RevokeRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tokend.v1.RevokeResponse.getDefaultInstance()))
              .setSchemaDescriptor(new TokenServiceMethodDescriptorSupplier("Revoke"))
              .build();
        }
      }
    }
    return getRevokeMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tokend.v1.GetJwksRequest,
      dev.tokend.v1.GetJwksResponse> getGetJwksMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetJwks",
      requestType = dev.tokend.v1.GetJwksRequest.class,
      responseType = dev.tokend.v1.GetJwksResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tokend.v1.GetJwksRequest,
      dev.tokend.v1.GetJwksResponse> getGetJwksMethod() {
    io.grpc.MethodDescriptor<dev.tokend.v1.GetJwksRequest, dev.tokend.v1.GetJwksResponse> getGetJwksMethod;
    if ((getGetJwksMethod = TokenServiceGrpc.getGetJwksMethod) == null) {
      synchronized (TokenServiceGrpc.class) {
        if ((getGetJwksMethod = TokenServiceGrpc.getGetJwksMethod) == null) {
          TokenServiceGrpc.getGetJwksMethod = getGetJwksMethod =
              io.grpc.MethodDescriptor.<dev.tokend.v1.GetJwksRequest, dev.tokend.v1.GetJwksResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetJwks"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tokend.v1.GetJwksRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tokend.v1.GetJwksResponse.getDefaultInstance()))
              .setSchemaDescriptor(new TokenServiceMethodDescriptorSupplier("GetJwks"))
              .build();
        }
      }
    }
    return getGetJwksMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tokend.v1.WatchRevocationsRequest,
      dev.tokend.v1.WatchRevocationsResponse> getWatchRevocationsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "WatchRevocations",
      requestType = dev.tokend.v1.WatchRevocationsRequest.class,
      responseType = dev.tokend.v1.WatchRevocationsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<dev.tokend.v1.WatchRevocationsRequest,
      dev.tokend.v1.WatchRevocationsResponse> getWatchRevocationsMethod() {
    io.grpc.MethodDescriptor<dev.tokend.v1.WatchRevocationsRequest, dev.tokend.v1.WatchRevocationsResponse> getWatchRevocationsMethod;
    if ((getWatchRevocationsMethod = TokenServiceGrpc.getWatchRevocationsMethod) == null) {
      synchronized (TokenServiceGrpc.class) {
        if ((getWatchRevocationsMethod = TokenServiceGrpc.getWatchRevocationsMethod) == null) {
          TokenServiceGrpc.getWatchRevocationsMethod = getWatchRevocationsMethod =
              io.grpc.MethodDescriptor.<dev.tokend.v1.WatchRevocationsRequest, dev.tokend.v1.WatchRevocationsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "WatchRevocations"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tokend.v1.WatchRevocationsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tokend.v1.WatchRevocationsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new TokenServiceMethodDescriptorSupplier("WatchRevocations"))
              .build();
        }
      }
    }
    return getWatchRevocationsMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static TokenServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<TokenServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<TokenServiceStub>() {
        @java.lang.Override
        public TokenServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new TokenServiceStub(channel, callOptions);
        }
      };
    return TokenServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static TokenServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<TokenServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<TokenServiceBlockingStub>() {
        @java.lang.Override
        public TokenServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new TokenServiceBlockingStub(channel, callOptions);
        }
      };
    return TokenServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static TokenServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<TokenServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<TokenServiceFutureStub>() {
        @java.lang.Override
        public TokenServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new TokenServiceFutureStub(channel, callOptions);
        }
      };
    return TokenServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * TokenService mints, rotates, introspects and revokes tokens. Every call
   * needs mutual TLS; the caller's identity is its client certificate's first
   * URI SAN, else first DNS SAN, else subject CN, and a policy says which RPCs,
   * audiences, scopes and subjects each identity may use.
   * Status codes:
   *   INVALID_ARGUMENT   malformed request (the message starts with the field)
   *   PERMISSION_DENIED  caller not in the policy, RPC not allowed (checked
   *                      before the request is read), or beyond its rights
   *   UNAUTHENTICATED    Refresh with an unknown, expired, revoked or reused
   *                      refresh token, or one issued to another caller
   *   UNAVAILABLE        the database is unreachable or busy; retry with backoff
   *   DEADLINE_EXCEEDED  the deadline passed
   *   RESOURCE_EXHAUSTED the request is larger than 64 KiB (and, for
   *                      WatchRevocations, a watcher that does not keep up or
   *                      one too many watchers)
   * Nothing a caller sends yields INTERNAL or UNKNOWN. The standard
   * grpc.health.v1.Health service runs on the same port.
   * </pre>
   */
  public static abstract class TokenServiceImplBase implements io.grpc.BindableService {

    /**
     * <pre>
     * Issue mints a signed JWT access token (RFC 9068), and a refresh token
     * starting a new refresh family when asked.
     * </pre>
     */
    public void issue(dev.tokend.v1.IssueRequest request,
        io.grpc.stub.StreamObserver<dev.tokend.v1.IssueResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getIssueMethod(), responseObserver);
    }

    /**
     * <pre>
     * Refresh redeems a refresh token once: a new access token plus the next
     * refresh token of the same family. Redeeming a token that was already used
     * is reuse: UNAUTHENTICATED, and the whole family is revoked.
     * </pre>
     */
    public void refresh(dev.tokend.v1.RefreshRequest request,
        io.grpc.stub.StreamObserver<dev.tokend.v1.RefreshResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getRefreshMethod(), responseObserver);
    }

    /**
     * <pre>
     * Introspect says whether a token is active now and what it carries
     * (RFC 7662). An inactive token answers OK with only active = false.
     * </pre>
     */
    public void introspect(dev.tokend.v1.IntrospectRequest request,
        io.grpc.stub.StreamObserver<dev.tokend.v1.IntrospectResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getIntrospectMethod(), responseObserver);
    }

    /**
     * <pre>
     * Revoke revokes one token (a refresh token with its whole family), or
     * every token of a subject issued up to now. An unknown, expired or
     * malformed token answers OK and changes nothing (RFC 7009).
     * </pre>
     */
    public void revoke(dev.tokend.v1.RevokeRequest request,
        io.grpc.stub.StreamObserver<dev.tokend.v1.RevokeResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getRevokeMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetJwks returns the public keys that verify access tokens, as a JWK Set
     * (RFC 7517).
     * </pre>
     */
    public void getJwks(dev.tokend.v1.GetJwksRequest request,
        io.grpc.stub.StreamObserver<dev.tokend.v1.GetJwksResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetJwksMethod(), responseObserver);
    }

    /**
     * <pre>
     * WatchRevocations streams this replica's in-memory revocation view: first
     * a snapshot of every unexpired revocation (one or more messages, the last
     * with snapshot.complete), then each revocation as the view applies it, in
     * that order, each with its position; a heartbeat with the current
     * position at a fixed interval in between. A request that names the
     * position last seen resumes after it when this replica still remembers
     * it, else gets a fresh snapshot saying why. Served from memory only. The
     * stream ends with RESOURCE_EXHAUSTED when the watcher reads too slowly or
     * the replica has its maximum of watchers, and with UNAVAILABLE when the
     * server stops; either way, reconnect with the last position seen.
     * </pre>
     */
    public void watchRevocations(dev.tokend.v1.WatchRevocationsRequest request,
        io.grpc.stub.StreamObserver<dev.tokend.v1.WatchRevocationsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getWatchRevocationsMethod(), responseObserver);
    }

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
          .addMethod(
            getIssueMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tokend.v1.IssueRequest,
                dev.tokend.v1.IssueResponse>(
                  this, METHODID_ISSUE)))
          .addMethod(
            getRefreshMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tokend.v1.RefreshRequest,
                dev.tokend.v1.RefreshResponse>(
                  this, METHODID_REFRESH)))
          .addMethod(
            getIntrospectMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tokend.v1.IntrospectRequest,
                dev.tokend.v1.IntrospectResponse>(
                  this, METHODID_INTROSPECT)))
          .addMethod(
            getRevokeMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tokend.v1.RevokeRequest,
                dev.tokend.v1.RevokeResponse>(
                  this, METHODID_REVOKE)))
          .addMethod(
            getGetJwksMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tokend.v1.GetJwksRequest,
                dev.tokend.v1.GetJwksResponse>(
                  this, METHODID_GET_JWKS)))
          .addMethod(
            getWatchRevocationsMethod(),
            io.grpc.stub.ServerCalls.asyncServerStreamingCall(
              new MethodHandlers<
                dev.tokend.v1.WatchRevocationsRequest,
                dev.tokend.v1.WatchRevocationsResponse>(
                  this, METHODID_WATCH_REVOCATIONS)))
          .build();
    }
  }

  /**
   * <pre>
   * TokenService mints, rotates, introspects and revokes tokens. Every call
   * needs mutual TLS; the caller's identity is its client certificate's first
   * URI SAN, else first DNS SAN, else subject CN, and a policy says which RPCs,
   * audiences, scopes and subjects each identity may use.
   * Status codes:
   *   INVALID_ARGUMENT   malformed request (the message starts with the field)
   *   PERMISSION_DENIED  caller not in the policy, RPC not allowed (checked
   *                      before the request is read), or beyond its rights
   *   UNAUTHENTICATED    Refresh with an unknown, expired, revoked or reused
   *                      refresh token, or one issued to another caller
   *   UNAVAILABLE        the database is unreachable or busy; retry with backoff
   *   DEADLINE_EXCEEDED  the deadline passed
   *   RESOURCE_EXHAUSTED the request is larger than 64 KiB (and, for
   *                      WatchRevocations, a watcher that does not keep up or
   *                      one too many watchers)
   * Nothing a caller sends yields INTERNAL or UNKNOWN. The standard
   * grpc.health.v1.Health service runs on the same port.
   * </pre>
   */
  public static final class TokenServiceStub extends io.grpc.stub.AbstractAsyncStub<TokenServiceStub> {
    private TokenServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected TokenServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new TokenServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Issue mints a signed JWT access token (RFC 9068), and a refresh token
     * starting a new refresh family when asked.
     * </pre>
     */
    public void issue(dev.tokend.v1.IssueRequest request,
        io.grpc.stub.StreamObserver<dev.tokend.v1.IssueResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getIssueMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Refresh redeems a refresh token once: a new access token plus the next
     * refresh token of the same family. Redeeming a token that was already used
     * is reuse: UNAUTHENTICATED, and the whole family is revoked.
     * </pre>
     */
    public void refresh(dev.tokend.v1.RefreshRequest request,
        io.grpc.stub.StreamObserver<dev.tokend.v1.RefreshResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getRefreshMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Introspect says whether a token is active now and what it carries
     * (RFC 7662). An inactive token answers OK with only active = false.
     * </pre>
     */
    public void introspect(dev.tokend.v1.IntrospectRequest request,
        io.grpc.stub.StreamObserver<dev.tokend.v1.IntrospectResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getIntrospectMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Revoke revokes one token (a refresh token with its whole family), or
     * every token of a subject issued up to now. An unknown, expired or
     * malformed token answers OK and changes nothing (RFC 7009).
     * </pre>
     */
    public void revoke(dev.tokend.v1.RevokeRequest request,
        io.grpc.stub.StreamObserver<dev.tokend.v1.RevokeResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getRevokeMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetJwks returns the public keys that verify access tokens, as a JWK Set
     * (RFC 7517).
     * </pre>
     */
    public void getJwks(dev.tokend.v1.GetJwksRequest request,
        io.grpc.stub.StreamObserver<dev.tokend.v1.GetJwksResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetJwksMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * WatchRevocations streams this replica's in-memory revocation view: first
     * a snapshot of every unexpired revocation (one or more messages, the last
     * with snapshot.complete), then each revocation as the view applies it, in
     * that order, each with its position; a heartbeat with the current
     * position at a fixed interval in between. A request that names the
     * position last seen resumes after it when this replica still remembers
     * it, else gets a fresh snapshot saying why. Served from memory only. The
     * stream ends with RESOURCE_EXHAUSTED when the watcher reads too slowly or
     * the replica has its maximum of watchers, and with UNAVAILABLE when the
     * server stops; either way, reconnect with the last position seen.
     * </pre>
     */
    public void watchRevocations(dev.tokend.v1.WatchRevocationsRequest request,
        io.grpc.stub.StreamObserver<dev.tokend.v1.WatchRevocationsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getWatchRevocationsMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * <pre>
   * TokenService mints, rotates, introspects and revokes tokens. Every call
   * needs mutual TLS; the caller's identity is its client certificate's first
   * URI SAN, else first DNS SAN, else subject CN, and a policy says which RPCs,
   * audiences, scopes and subjects each identity may use.
   * Status codes:
   *   INVALID_ARGUMENT   malformed request (the message starts with the field)
   *   PERMISSION_DENIED  caller not in the policy, RPC not allowed (checked
   *                      before the request is read), or beyond its rights
   *   UNAUTHENTICATED    Refresh with an unknown, expired, revoked or reused
   *                      refresh token, or one issued to another caller
   *   UNAVAILABLE        the database is unreachable or busy; retry with backoff
   *   DEADLINE_EXCEEDED  the deadline passed
   *   RESOURCE_EXHAUSTED the request is larger than 64 KiB (and, for
   *                      WatchRevocations, a watcher that does not keep up or
   *                      one too many watchers)
   * Nothing a caller sends yields INTERNAL or UNKNOWN. The standard
   * grpc.health.v1.Health service runs on the same port.
   * </pre>
   */
  public static final class TokenServiceBlockingStub extends io.grpc.stub.AbstractBlockingStub<TokenServiceBlockingStub> {
    private TokenServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected TokenServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new TokenServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Issue mints a signed JWT access token (RFC 9068), and a refresh token
     * starting a new refresh family when asked.
     * </pre>
     */
    public dev.tokend.v1.IssueResponse issue(dev.tokend.v1.IssueRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getIssueMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Refresh redeems a refresh token once: a new access token plus the next
     * refresh token of the same family. Redeeming a token that was already used
     * is reuse: UNAUTHENTICATED, and the whole family is revoked.
     * </pre>
     */
    public dev.tokend.v1.RefreshResponse refresh(dev.tokend.v1.RefreshRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getRefreshMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Introspect says whether a token is active now and what it carries
     * (RFC 7662). An inactive token answers OK with only active = false.
     * </pre>
     */
    public dev.tokend.v1.IntrospectResponse introspect(dev.tokend.v1.IntrospectRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getIntrospectMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Revoke revokes one token (a refresh token with its whole family), or
     * every token of a subject issued up to now. An unknown, expired or
     * malformed token answers OK and changes nothing (RFC 7009).
     * </pre>
     */
    public dev.tokend.v1.RevokeResponse revoke(dev.tokend.v1.RevokeRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getRevokeMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetJwks returns the public keys that verify access tokens, as a JWK Set
     * (RFC 7517).
     * </pre>
     */
    public dev.tokend.v1.GetJwksResponse getJwks(dev.tokend.v1.GetJwksRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetJwksMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * WatchRevocations streams this replica's in-memory revocation view: first
     * a snapshot of every unexpired revocation (one or more messages, the last
     * with snapshot.complete), then each revocation as the view applies it, in
     * that order, each with its position; a heartbeat with the current
     * position at a fixed interval in between. A request that names the
     * position last seen resumes after it when this replica still remembers
     * it, else gets a fresh snapshot saying why. Served from memory only. The
     * stream ends with RESOURCE_EXHAUSTED when the watcher reads too slowly or
     * the replica has its maximum of watchers, and with UNAVAILABLE when the
     * server stops; either way, reconnect with the last position seen.
     * </pre>
     */
    public java.util.Iterator<dev.tokend.v1.WatchRevocationsResponse> watchRevocations(
        dev.tokend.v1.WatchRevocationsRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getWatchRevocationsMethod(), getCallOptions(), request);
    }
  }

  /**
   * <pre>
   * TokenService mints, rotates, introspects and revokes tokens. Every call
   * needs mutual TLS; the caller's identity is its client certificate's first
   * URI SAN, else first DNS SAN, else subject CN, and a policy says which RPCs,
   * audiences, scopes and subjects each identity may use.
   * Status codes:
   *   INVALID_ARGUMENT   malformed request (the message starts with the field)
   *   PERMISSION_DENIED  caller not in the policy, RPC not allowed (checked
   *                      before the request is read), or beyond its rights
   *   UNAUTHENTICATED    Refresh with an unknown, expired, revoked or reused
   *                      refresh token, or one issued to another caller
   *   UNAVAILABLE        the database is unreachable or busy; retry with backoff
   *   DEADLINE_EXCEEDED  the deadline passed
   *   RESOURCE_EXHAUSTED the request is larger than 64 KiB (and, for
   *                      WatchRevocations, a watcher that does not keep up or
   *                      one too many watchers)
   * Nothing a caller sends yields INTERNAL or UNKNOWN. The standard
   * grpc.health.v1.Health service runs on the same port.
   * </pre>
   */
  public static final class TokenServiceFutureStub extends io.grpc.stub.AbstractFutureStub<TokenServiceFutureStub> {
    private TokenServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected TokenServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new TokenServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Issue mints a signed JWT access token (RFC 9068), and a refresh token
     * starting a new refresh family when asked.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tokend.v1.IssueResponse> issue(
        dev.tokend.v1.IssueRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getIssueMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Refresh redeems a refresh token once: a new access token plus the next
     * refresh token of the same family. Redeeming a token that was already used
     * is reuse: UNAUTHENTICATED, and the whole family is revoked.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tokend.v1.RefreshResponse> refresh(
        dev.tokend.v1.RefreshRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getRefreshMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Introspect says whether a token is active now and what it carries
     * (RFC 7662). An inactive token answers OK with only active = false.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tokend.v1.IntrospectResponse> introspect(
        dev.tokend.v1.IntrospectRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getIntrospectMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Revoke revokes one token (a refresh token with its whole family), or
     * every token of a subject issued up to now. An unknown, expired or
     * malformed token answers OK and changes nothing (RFC 7009).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tokend.v1.RevokeResponse> revoke(
        dev.tokend.v1.RevokeRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getRevokeMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetJwks returns the public keys that verify access tokens, as a JWK Set
     * (RFC 7517).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tokend.v1.GetJwksResponse> getJwks(
        dev.tokend.v1.GetJwksRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetJwksMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_ISSUE = 0;
  private static final int METHODID_REFRESH = 1;
  private static final int METHODID_INTROSPECT = 2;
  private static final int METHODID_REVOKE = 3;
  private static final int METHODID_GET_JWKS = 4;
  private static final int METHODID_WATCH_REVOCATIONS = 5;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final TokenServiceImplBase serviceImpl;
    private final int methodId;

    MethodHandlers(TokenServiceImplBase serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_ISSUE:
          serviceImpl.issue((dev.tokend.v1.IssueRequest) request,
              (io.grpc.stub.StreamObserver<dev.tokend.v1.IssueResponse>) responseObserver);
          break;
        case METHODID_REFRESH:
          serviceImpl.refresh((dev.tokend.v1.RefreshRequest) request,
              (io.grpc.stub.StreamObserver<dev.tokend.v1.RefreshResponse>) responseObserver);
          break;
        case METHODID_INTROSPECT:
          serviceImpl.introspect((dev.tokend.v1.IntrospectRequest) request,
              (io.grpc.stub.StreamObserver<dev.tokend.v1.IntrospectResponse>) responseObserver);
          break;
        case METHODID_REVOKE:
          serviceImpl.revoke((dev.tokend.v1.RevokeRequest) request,
              (io.grpc.stub.StreamObserver<dev.tokend.v1.RevokeResponse>) responseObserver);
          break;
        case METHODID_GET_JWKS:
          serviceImpl.getJwks((dev.tokend.v1.GetJwksRequest) request,
              (io.grpc.stub.StreamObserver<dev.tokend.v1.GetJwksResponse>) responseObserver);
          break;
        case METHODID_WATCH_REVOCATIONS:
          serviceImpl.watchRevocations((dev.tokend.v1.WatchRevocationsRequest) request,
              (io.grpc.stub.StreamObserver<dev.tokend.v1.WatchRevocationsResponse>) responseObserver);
          break;
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        default:
          throw new AssertionError();
      }
    }
  }

  private static abstract class TokenServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    TokenServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return dev.tokend.v1.TokenServiceProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("TokenService");
    }
  }

  private static final class TokenServiceFileDescriptorSupplier
      extends TokenServiceBaseDescriptorSupplier {
    TokenServiceFileDescriptorSupplier() {}
  }

  private static final class TokenServiceMethodDescriptorSupplier
      extends TokenServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final String methodName;

    TokenServiceMethodDescriptorSupplier(String methodName) {
      this.methodName = methodName;
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return getServiceDescriptor().findMethodByName(methodName);
    }
  }

  private static volatile io.grpc.ServiceDescriptor serviceDescriptor;

  public static io.grpc.ServiceDescriptor getServiceDescriptor() {
    io.grpc.ServiceDescriptor result = serviceDescriptor;
    if (result == null) {
      synchronized (TokenServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new TokenServiceFileDescriptorSupplier())
              .addMethod(getIssueMethod())
              .addMethod(getRefreshMethod())
              .addMethod(getIntrospectMethod())
              .addMethod(getRevokeMethod())
              .addMethod(getGetJwksMethod())
              .addMethod(getWatchRevocationsMethod())
              .build();
        }
      }
    }
    return result;
  }
}
