// Original file: tokend/v1/token_service.proto

import type { TokenType as _tokend_v1_TokenType, TokenType__Output as _tokend_v1_TokenType__Output } from '../../tokend/v1/TokenType';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';
import type { Struct as _google_protobuf_Struct, Struct__Output as _google_protobuf_Struct__Output } from '../../google/protobuf/Struct';

export interface IntrospectResponse {
  'active'?: (boolean);
  'token_type'?: (_tokend_v1_TokenType);
  'subject'?: (string);
  'audience'?: (string)[];
  'scopes'?: (string)[];
  'client_id'?: (string);
  'issuer'?: (string);
  'issued_at'?: (_google_protobuf_Timestamp | null);
  'expires_at'?: (_google_protobuf_Timestamp | null);
  'not_before'?: (_google_protobuf_Timestamp | null);
  'token_id'?: (string);
  'claims'?: (_google_protobuf_Struct | null);
}

export interface IntrospectResponse__Output {
  'active': (boolean);
  'token_type': (_tokend_v1_TokenType__Output);
  'subject': (string);
  'audience': (string)[];
  'scopes': (string)[];
  'client_id': (string);
  'issuer': (string);
  'issued_at': (_google_protobuf_Timestamp__Output | null);
  'expires_at': (_google_protobuf_Timestamp__Output | null);
  'not_before': (_google_protobuf_Timestamp__Output | null);
  'token_id': (string);
  'claims': (_google_protobuf_Struct__Output | null);
}
