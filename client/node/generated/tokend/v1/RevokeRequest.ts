// Original file: tokend/v1/token_service.proto

import type { TokenType as _tokend_v1_TokenType, TokenType__Output as _tokend_v1_TokenType__Output } from '../../tokend/v1/TokenType';

export interface RevokeRequest {
  'token'?: (string);
  'subject'?: (string);
  'token_type_hint'?: (_tokend_v1_TokenType);
  'target'?: "token"|"subject";
}

export interface RevokeRequest__Output {
  'token'?: (string);
  'subject'?: (string);
  'token_type_hint': (_tokend_v1_TokenType__Output);
  'target'?: "token"|"subject";
}
