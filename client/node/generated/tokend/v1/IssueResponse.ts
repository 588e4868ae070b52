// Original file: tokend/v1/token_service.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';

export interface IssueResponse {
  'access_token'?: (string);
  'token_type'?: (string);
  'expires_at'?: (_google_protobuf_Timestamp | null);
  'refresh_token'?: (string);
  'refresh_expires_at'?: (_google_protobuf_Timestamp | null);
  'scopes'?: (string)[];
}

export interface IssueResponse__Output {
  'access_token': (string);
  'token_type': (string);
  'expires_at': (_google_protobuf_Timestamp__Output | null);
  'refresh_token': (string);
  'refresh_expires_at': (_google_protobuf_Timestamp__Output | null);
  'scopes': (string)[];
}
