// Original file: tokend/v1/token_service.proto

import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../google/protobuf/Duration';
import type { Struct as _google_protobuf_Struct, Struct__Output as _google_protobuf_Struct__Output } from '../../google/protobuf/Struct';

export interface IssueRequest {
  'subject'?: (string);
  'audience'?: (string)[];
  'scopes'?: (string)[];
  'ttl'?: (_google_protobuf_Duration | null);
  'claims'?: (_google_protobuf_Struct | null);
  'include_refresh_token'?: (boolean);
  'idempotency_key'?: (string);
}

export interface IssueRequest__Output {
  'subject': (string);
  'audience': (string)[];
  'scopes': (string)[];
  'ttl': (_google_protobuf_Duration__Output | null);
  'claims': (_google_protobuf_Struct__Output | null);
  'include_refresh_token': (boolean);
  'idempotency_key': (string);
}
