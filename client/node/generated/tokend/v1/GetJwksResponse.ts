// Original file: tokend/v1/token_service.proto


export interface GetJwksResponse {
  'jwks_json'?: (string);
}

export interface GetJwksResponse__Output {
  'jwks_json': (string);
}
