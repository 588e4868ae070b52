// Original file: tokend/v1/token_service.proto


export interface RevokeResponse {
}

export interface RevokeResponse__Output {
}
