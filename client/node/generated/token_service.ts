import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from './google/protobuf/Duration';
import type { ListValue as _google_protobuf_ListValue, ListValue__Output as _google_protobuf_ListValue__Output } from './google/protobuf/ListValue';
import type { Struct as _google_protobuf_Struct, Struct__Output as _google_protobuf_Struct__Output } from './google/protobuf/Struct';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from './google/protobuf/Timestamp';
import type { Value as _google_protobuf_Value, Value__Output as _google_protobuf_Value__Output } from './google/protobuf/Value';
import type { GetJwksRequest as _tokend_v1_GetJwksRequest, GetJwksRequest__Output as _tokend_v1_GetJwksRequest__Output } from './tokend/v1/GetJwksRequest';
import type { GetJwksResponse as _tokend_v1_GetJwksResponse, GetJwksResponse__Output as _tokend_v1_GetJwksResponse__Output } from './tokend/v1/GetJwksResponse';
import type { IntrospectRequest as _tokend_v1_IntrospectRequest, IntrospectRequest__Output as _tokend_v1_IntrospectRequest__Output } from './tokend/v1/IntrospectRequest';
import type { IntrospectResponse as _tokend_v1_IntrospectResponse, IntrospectResponse__Output as _tokend_v1_IntrospectResponse__Output } from './tokend/v1/IntrospectResponse';
import type { IssueRequest as _tokend_v1_IssueRequest, IssueRequest__Output as _tokend_v1_IssueRequest__Output } from './tokend/v1/IssueRequest';
import type { IssueResponse as _tokend_v1_IssueResponse, IssueResponse__Output as _tokend_v1_IssueResponse__Output } from './tokend/v1/IssueResponse';
import type { RefreshRequest as _tokend_v1_RefreshRequest, RefreshRequest__Output as _tokend_v1_RefreshRequest__Output } from './tokend/v1/RefreshRequest';
import type { RefreshResponse as _tokend_v1_RefreshResponse, RefreshResponse__Output as _tokend_v1_RefreshResponse__Output } from './tokend/v1/RefreshResponse';
import type { RevocationHeartbeat as _tokend_v1_RevocationHeartbeat, RevocationHeartbeat__Output as _tokend_v1_RevocationHeartbeat__Output } from './tokend/v1/RevocationHeartbeat';
import type { RevocationPosition as _tokend_v1_RevocationPosition, RevocationPosition__Output as _tokend_v1_RevocationPosition__Output } from './tokend/v1/RevocationPosition';
import type { RevocationSnapshot as _tokend_v1_RevocationSnapshot, RevocationSnapshot__Output as _tokend_v1_RevocationSnapshot__Output } from './tokend/v1/RevocationSnapshot';
import type { RevokeRequest as _tokend_v1_RevokeRequest, RevokeRequest__Output as _tokend_v1_RevokeRequest__Output } from './tokend/v1/RevokeRequest';
import type { RevokeResponse as _tokend_v1_RevokeResponse, RevokeResponse__Output as _tokend_v1_RevokeResponse__Output } from './tokend/v1/RevokeResponse';
import type { TokenServiceClient as _tokend_v1_TokenServiceClient, TokenServiceDefinition as _tokend_v1_TokenServiceDefinition } from './tokend/v1/TokenService';
import type { WatchRevocationsRequest as _tokend_v1_WatchRevocationsRequest, WatchRevocationsRequest__Output as _tokend_v1_WatchRevocationsRequest__Output } from './tokend/v1/WatchRevocationsRequest';
import type { WatchRevocationsResponse as _tokend_v1_WatchRevocationsResponse, WatchRevocationsResponse__Output as _tokend_v1_WatchRevocationsResponse__Output } from './tokend/v1/WatchRevocationsResponse';
import type { WatchedRevocation as _tokend_v1_WatchedRevocation, WatchedRevocation__Output as _tokend_v1_WatchedRevocation__Output } from './tokend/v1/WatchedRevocation';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  google: {
    protobuf: {
      Duration: MessageTypeDefinition<_google_protobuf_Duration, _google_protobuf_Duration__Output>
      ListValue: MessageTypeDefinition<_google_protobuf_ListValue, _google_protobuf_ListValue__Output>
      NullValue: EnumTypeDefinition
      Struct: MessageTypeDefinition<_google_protobuf_Struct, _google_protobuf_Struct__Output>
      Timestamp: MessageTypeDefinition<_google_protobuf_Timestamp, _google_protobuf_Timestamp__Output>
      Value: MessageTypeDefinition<_google_protobuf_Value, _google_protobuf_Value__Output>
    }
  }
  tokend: {
    v1: {
      GetJwksRequest: MessageTypeDefinition<_tokend_v1_GetJwksRequest, _tokend_v1_GetJwksRequest__Output>
      GetJwksResponse: MessageTypeDefinition<_tokend_v1_GetJwksResponse, _tokend_v1_GetJwksResponse__Output>
      IntrospectRequest: MessageTypeDefinition<_tokend_v1_IntrospectRequest, _tokend_v1_IntrospectRequest__Output>
      IntrospectResponse: MessageTypeDefinition<_tokend_v1_IntrospectResponse, _tokend_v1_IntrospectResponse__Output>
      IssueRequest: MessageTypeDefinition<_tokend_v1_IssueRequest, _tokend_v1_IssueRequest__Output>
      IssueResponse: MessageTypeDefinition<_tokend_v1_IssueResponse, _tokend_v1_IssueResponse__Output>
      RefreshRequest: MessageTypeDefinition<_tokend_v1_RefreshRequest, _tokend_v1_RefreshRequest__Output>
      RefreshResponse: MessageTypeDefinition<_tokend_v1_RefreshResponse, _tokend_v1_RefreshResponse__Output>
      RevocationHeartbeat: MessageTypeDefinition<_tokend_v1_RevocationHeartbeat, _tokend_v1_RevocationHeartbeat__Output>
      RevocationPosition: MessageTypeDefinition<_tokend_v1_RevocationPosition, _tokend_v1_RevocationPosition__Output>
      RevocationSnapshot: MessageTypeDefinition<_tokend_v1_RevocationSnapshot, _tokend_v1_RevocationSnapshot__Output>
      RevokeRequest: MessageTypeDefinition<_tokend_v1_RevokeRequest, _tokend_v1_RevokeRequest__Output>
      RevokeResponse: MessageTypeDefinition<_tokend_v1_RevokeResponse, _tokend_v1_RevokeResponse__Output>
      TokenService: SubtypeConstructor<typeof grpc.Client, _tokend_v1_TokenServiceClient> & { service: _tokend_v1_TokenServiceDefinition }
      TokenType: EnumTypeDefinition
      WatchRevocationsRequest: MessageTypeDefinition<_tokend_v1_WatchRevocationsRequest, _tokend_v1_WatchRevocationsRequest__Output>
      WatchRevocationsResponse: MessageTypeDefinition<_tokend_v1_WatchRevocationsResponse, _tokend_v1_WatchRevocationsResponse__Output>
      WatchedRevocation: MessageTypeDefinition<_tokend_v1_WatchedRevocation, _tokend_v1_WatchedRevocation__Output>
    }
  }
}

