// Original file: tokend/v1/token_service.proto

import type { WatchedRevocation as _tokend_v1_WatchedRevocation, WatchedRevocation__Output as _tokend_v1_WatchedRevocation__Output } from '../../tokend/v1/WatchedRevocation';

// Original file: tokend/v1/token_service.proto

export const _tokend_v1_RevocationSnapshot_Reason = {
  REASON_UNSPECIFIED: 'REASON_UNSPECIFIED',
  REASON_NO_POSITION: 'REASON_NO_POSITION',
  REASON_UNKNOWN_POSITION: 'REASON_UNKNOWN_POSITION',
  REASON_POSITION_TOO_OLD: 'REASON_POSITION_TOO_OLD',
} as const;

export type _tokend_v1_RevocationSnapshot_Reason =
  | 'REASON_UNSPECIFIED'
  | 0
  | 'REASON_NO_POSITION'
  | 1
  | 'REASON_UNKNOWN_POSITION'
  | 2
  | 'REASON_POSITION_TOO_OLD'
  | 3

export type _tokend_v1_RevocationSnapshot_Reason__Output = typeof _tokend_v1_RevocationSnapshot_Reason[keyof typeof _tokend_v1_RevocationSnapshot_Reason]

export interface RevocationSnapshot {
  'revocations'?: (_tokend_v1_WatchedRevocation)[];
  'complete'?: (boolean);
  'reason'?: (_tokend_v1_RevocationSnapshot_Reason);
}

export interface RevocationSnapshot__Output {
  'revocations': (_tokend_v1_WatchedRevocation__Output)[];
  'complete': (boolean);
  'reason': (_tokend_v1_RevocationSnapshot_Reason__Output);
}
