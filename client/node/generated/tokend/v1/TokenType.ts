// Original file: tokend/v1/token_service.proto

export const TokenType = {
  TOKEN_TYPE_UNSPECIFIED: 'TOKEN_TYPE_UNSPECIFIED',
  TOKEN_TYPE_ACCESS_TOKEN: 'TOKEN_TYPE_ACCESS_TOKEN',
  TOKEN_TYPE_REFRESH_TOKEN: 'TOKEN_TYPE_REFRESH_TOKEN',
} as const;

export type TokenType =
  | 'TOKEN_TYPE_UNSPECIFIED'
  | 0
  | 'TOKEN_TYPE_ACCESS_TOKEN'
  | 1
  | 'TOKEN_TYPE_REFRESH_TOKEN'
  | 2

export type TokenType__Output = typeof TokenType[keyof typeof TokenType]
