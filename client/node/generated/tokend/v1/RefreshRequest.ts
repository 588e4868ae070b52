// Original file: tokend/v1/token_service.proto


export interface RefreshRequest {
  'refresh_token'?: (string);
  'scopes'?: (string)[];
}

export interface RefreshRequest__Output {
  'refresh_token': (string);
  'scopes': (string)[];
}
