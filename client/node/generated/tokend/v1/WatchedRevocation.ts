// Original file: tokend/v1/token_service.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';

export interface WatchedRevocation {
  'token_id'?: (string);
  'refresh_family_id'?: (string);
  'subject'?: (string);
  'revoked_before'?: (_google_protobuf_Timestamp | null);
  'expires_at'?: (_google_protobuf_Timestamp | null);
  'signing_key_id'?: (string);
  'target'?: "token_id"|"refresh_family_id"|"subject"|"signing_key_id";
}

export interface WatchedRevocation__Output {
  'token_id'?: (string);
  'refresh_family_id'?: (string);
  'subject'?: (string);
  'revoked_before': (_google_protobuf_Timestamp__Output | null);
  'expires_at': (_google_protobuf_Timestamp__Output | null);
  'signing_key_id'?: (string);
  'target'?: "token_id"|"refresh_family_id"|"subject"|"signing_key_id";
}
