// Original file: tokend/v1/token_service.proto

import type { TokenType as _tokend_v1_TokenType, TokenType__Output as _tokend_v1_TokenType__Output } from '../../tokend/v1/TokenType';

export interface IntrospectRequest {
  'token'?: (string);
  'token_type_hint'?: (_tokend_v1_TokenType);
}

export interface IntrospectRequest__Output {
  'token': (string);
  'token_type_hint': (_tokend_v1_TokenType__Output);
}
