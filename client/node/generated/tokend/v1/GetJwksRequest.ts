// Original file: tokend/v1/token_service.proto


export interface GetJwksRequest {
}

export interface GetJwksRequest__Output {
}
