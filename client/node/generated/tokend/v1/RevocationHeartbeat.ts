// Original file: tokend/v1/token_service.proto


export interface RevocationHeartbeat {
  'stale'?: (boolean);
}

export interface RevocationHeartbeat__Output {
  'stale': (boolean);
}
