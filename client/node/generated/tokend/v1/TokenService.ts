// Original file: tokend/v1/token_service.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetJwksRequest as _tokend_v1_GetJwksRequest, GetJwksRequest__Output as _tokend_v1_GetJwksRequest__Output } from '../../tokend/v1/GetJwksRequest';
import type { GetJwksResponse as _tokend_v1_GetJwksResponse, GetJwksResponse__Output as _tokend_v1_GetJwksResponse__Output } from '../../tokend/v1/GetJwksResponse';
import type { IntrospectRequest as _tokend_v1_IntrospectRequest, IntrospectRequest__Output as _tokend_v1_IntrospectRequest__Output } from '../../tokend/v1/IntrospectRequest';
import type { IntrospectResponse as _tokend_v1_IntrospectResponse, IntrospectResponse__Output as _tokend_v1_IntrospectResponse__Output } from '../../tokend/v1/IntrospectResponse';
import type { IssueRequest as _tokend_v1_IssueRequest, IssueRequest__Output as _tokend_v1_IssueRequest__Output } from '../../tokend/v1/IssueRequest';
import type { IssueResponse as _tokend_v1_IssueResponse, IssueResponse__Output as _tokend_v1_IssueResponse__Output } from '../../tokend/v1/IssueResponse';
import type { RefreshRequest as _tokend_v1_RefreshRequest, RefreshRequest__Output as _tokend_v1_RefreshRequest__Output } from '../../tokend/v1/RefreshRequest';
import type { RefreshResponse as _tokend_v1_RefreshResponse, RefreshResponse__Output as _tokend_v1_RefreshResponse__Output } from '../../tokend/v1/RefreshResponse';
import type { RevokeRequest as _tokend_v1_RevokeRequest, RevokeRequest__Output as _tokend_v1_RevokeRequest__Output } from '../../tokend/v1/RevokeRequest';
import type { RevokeResponse as _tokend_v1_RevokeResponse, RevokeResponse__Output as _tokend_v1_RevokeResponse__Output } from '../../tokend/v1/RevokeResponse';
import type { WatchRevocationsRequest as _tokend_v1_WatchRevocationsRequest, WatchRevocationsRequest__Output as _tokend_v1_WatchRevocationsRequest__Output } from '../../tokend/v1/WatchRevocationsRequest';
import type { WatchRevocationsResponse as _tokend_v1_WatchRevocationsResponse, WatchRevocationsResponse__Output as _tokend_v1_WatchRevocationsResponse__Output } from '../../tokend/v1/WatchRevocationsResponse';

export interface TokenServiceClient extends grpc.Client {
  GetJwks(argument: _tokend_v1_GetJwksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tokend_v1_GetJwksResponse__Output>): grpc.ClientUnaryCall;
  GetJwks(argument: _tokend_v1_GetJwksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tokend_v1_GetJwksResponse__Output>): grpc.ClientUnaryCall;
  GetJwks(argument: _tokend_v1_GetJwksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tokend_v1_GetJwksResponse__Output>): grpc.ClientUnaryCall;
  GetJwks(argument: _tokend_v1_GetJwksRequest, callback: grpc.requestCallback<_tokend_v1_GetJwksResponse__Output>): grpc.ClientUnaryCall;
  getJwks(argument: _tokend_v1_GetJwksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tokend_v1_GetJwksResponse__Output>): grpc.ClientUnaryCall;
  getJwks(argument: _tokend_v1_GetJwksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tokend_v1_GetJwksResponse__Output>): grpc.ClientUnaryCall;
  getJwks(argument: _tokend_v1_GetJwksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tokend_v1_GetJwksResponse__Output>): grpc.ClientUnaryCall;
  getJwks(argument: _tokend_v1_GetJwksRequest, callback: grpc.requestCallback<_tokend_v1_GetJwksResponse__Output>): grpc.ClientUnaryCall;
  
  Introspect(argument: _tokend_v1_IntrospectRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tokend_v1_IntrospectResponse__Output>): grpc.ClientUnaryCall;
  Introspect(argument: _tokend_v1_IntrospectRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tokend_v1_IntrospectResponse__Output>): grpc.ClientUnaryCall;
  Introspect(argument: _tokend_v1_IntrospectRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tokend_v1_IntrospectResponse__Output>): grpc.ClientUnaryCall;
  Introspect(argument: _tokend_v1_IntrospectRequest, callback: grpc.requestCallback<_tokend_v1_IntrospectResponse__Output>): grpc.ClientUnaryCall;
  introspect(argument: _tokend_v1_IntrospectRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tokend_v1_IntrospectResponse__Output>): grpc.ClientUnaryCall;
  introspect(argument: _tokend_v1_IntrospectRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tokend_v1_IntrospectResponse__Output>): grpc.ClientUnaryCall;
  introspect(argument: _tokend_v1_IntrospectRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tokend_v1_IntrospectResponse__Output>): grpc.ClientUnaryCall;
  introspect(argument: _tokend_v1_IntrospectRequest, callback: grpc.requestCallback<_tokend_v1_IntrospectResponse__Output>): grpc.ClientUnaryCall;
  
  Issue(argument: _tokend_v1_IssueRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tokend_v1_IssueResponse__Output>): grpc.ClientUnaryCall;
  Issue(argument: _tokend_v1_IssueRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tokend_v1_IssueResponse__Output>): grpc.ClientUnaryCall;
  Issue(argument: _tokend_v1_IssueRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tokend_v1_IssueResponse__Output>): grpc.ClientUnaryCall;
  Issue(argument: _tokend_v1_IssueRequest, callback: grpc.requestCallback<_tokend_v1_IssueResponse__Output>): grpc.ClientUnaryCall;
  issue(argument: _tokend_v1_IssueRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tokend_v1_IssueResponse__Output>): grpc.ClientUnaryCall;
  issue(argument: _tokend_v1_IssueRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tokend_v1_IssueResponse__Output>): grpc.ClientUnaryCall;
  issue(argument: _tokend_v1_IssueRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tokend_v1_IssueResponse__Output>): grpc.ClientUnaryCall;
  issue(argument: _tokend_v1_IssueRequest, callback: grpc.requestCallback<_tokend_v1_IssueResponse__Output>): grpc.ClientUnaryCall;
  
  Refresh(argument: _tokend_v1_RefreshRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tokend_v1_RefreshResponse__Output>): grpc.ClientUnaryCall;
  Refresh(argument: _tokend_v1_RefreshRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tokend_v1_RefreshResponse__Output>): grpc.ClientUnaryCall;
  Refresh(argument: _tokend_v1_RefreshRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tokend_v1_RefreshResponse__Output>): grpc.ClientUnaryCall;
  Refresh(argument: _tokend_v1_RefreshRequest, callback: grpc.requestCallback<_tokend_v1_RefreshResponse__Output>): grpc.ClientUnaryCall;
  refresh(argument: _tokend_v1_RefreshRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tokend_v1_RefreshResponse__Output>): grpc.ClientUnaryCall;
  refresh(argument: _tokend_v1_RefreshRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tokend_v1_RefreshResponse__Output>): grpc.ClientUnaryCall;
  refresh(argument: _tokend_v1_RefreshRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tokend_v1_RefreshResponse__Output>): grpc.ClientUnaryCall;
  refresh(argument: _tokend_v1_RefreshRequest, callback: grpc.requestCallback<_tokend_v1_RefreshResponse__Output>): grpc.ClientUnaryCall;
  
  Revoke(argument: _tokend_v1_RevokeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tokend_v1_RevokeResponse__Output>): grpc.ClientUnaryCall;
  Revoke(argument: _tokend_v1_RevokeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tokend_v1_RevokeResponse__Output>): grpc.ClientUnaryCall;
  Revoke(argument: _tokend_v1_RevokeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tokend_v1_RevokeResponse__Output>): grpc.ClientUnaryCall;
  Revoke(argument: _tokend_v1_RevokeRequest, callback: grpc.requestCallback<_tokend_v1_RevokeResponse__Output>): grpc.ClientUnaryCall;
  revoke(argument: _tokend_v1_RevokeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tokend_v1_RevokeResponse__Output>): grpc.ClientUnaryCall;
  revoke(argument: _tokend_v1_RevokeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tokend_v1_RevokeResponse__Output>): grpc.ClientUnaryCall;
  revoke(argument: _tokend_v1_RevokeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tokend_v1_RevokeResponse__Output>): grpc.ClientUnaryCall;
  revoke(argument: _tokend_v1_RevokeRequest, callback: grpc.requestCallback<_tokend_v1_RevokeResponse__Output>): grpc.ClientUnaryCall;
  
  WatchRevocations(argument: _tokend_v1_WatchRevocationsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_tokend_v1_WatchRevocationsResponse__Output>;
  WatchRevocations(argument: _tokend_v1_WatchRevocationsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_tokend_v1_WatchRevocationsResponse__Output>;
  watchRevocations(argument: _tokend_v1_WatchRevocationsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_tokend_v1_WatchRevocationsResponse__Output>;
  watchRevocations(argument: _tokend_v1_WatchRevocationsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_tokend_v1_WatchRevocationsResponse__Output>;
  
}

export interface TokenServiceHandlers extends grpc.UntypedServiceImplementation {
  GetJwks: grpc.handleUnaryCall<_tokend_v1_GetJwksRequest__Output, _tokend_v1_GetJwksResponse>;
  
  Introspect: grpc.handleUnaryCall<_tokend_v1_IntrospectRequest__Output, _tokend_v1_IntrospectResponse>;
  
  Issue: grpc.handleUnaryCall<_tokend_v1_IssueRequest__Output, _tokend_v1_IssueResponse>;
  
  Refresh: grpc.handleUnaryCall<_tokend_v1_RefreshRequest__Output, _tokend_v1_RefreshResponse>;
  
  Revoke: grpc.handleUnaryCall<_tokend_v1_RevokeRequest__Output, _tokend_v1_RevokeResponse>;
  
  WatchRevocations: grpc.handleServerStreamingCall<_tokend_v1_WatchRevocationsRequest__Output, _tokend_v1_WatchRevocationsResponse>;
  
}

export interface TokenServiceDefinition extends grpc.ServiceDefinition {
  GetJwks: MethodDefinition<_tokend_v1_GetJwksRequest, _tokend_v1_GetJwksResponse, _tokend_v1_GetJwksRequest__Output, _tokend_v1_GetJwksResponse__Output>
  Introspect: MethodDefinition<_tokend_v1_IntrospectRequest, _tokend_v1_IntrospectResponse, _tokend_v1_IntrospectRequest__Output, _tokend_v1_IntrospectResponse__Output>
  Issue: MethodDefinition<_tokend_v1_IssueRequest, _tokend_v1_IssueResponse, _tokend_v1_IssueRequest__Output, _tokend_v1_IssueResponse__Output>
  Refresh: MethodDefinition<_tokend_v1_RefreshRequest, _tokend_v1_RefreshResponse, _tokend_v1_RefreshRequest__Output, _tokend_v1_RefreshResponse__Output>
  Revoke: MethodDefinition<_tokend_v1_RevokeRequest, _tokend_v1_RevokeResponse, _tokend_v1_RevokeRequest__Output, _tokend_v1_RevokeResponse__Output>
  WatchRevocations: MethodDefinition<_tokend_v1_WatchRevocationsRequest, _tokend_v1_WatchRevocationsResponse, _tokend_v1_WatchRevocationsRequest__Output, _tokend_v1_WatchRevocationsResponse__Output>
}
