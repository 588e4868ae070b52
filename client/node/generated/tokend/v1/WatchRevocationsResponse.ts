// Original file: tokend/v1/token_service.proto

import type { RevocationPosition as _tokend_v1_RevocationPosition, RevocationPosition__Output as _tokend_v1_RevocationPosition__Output } from '../../tokend/v1/RevocationPosition';
import type { RevocationSnapshot as _tokend_v1_RevocationSnapshot, RevocationSnapshot__Output as _tokend_v1_RevocationSnapshot__Output } from '../../tokend/v1/RevocationSnapshot';
import type { WatchedRevocation as _tokend_v1_WatchedRevocation, WatchedRevocation__Output as _tokend_v1_WatchedRevocation__Output } from '../../tokend/v1/WatchedRevocation';
import type { RevocationHeartbeat as _tokend_v1_RevocationHeartbeat, RevocationHeartbeat__Output as _tokend_v1_RevocationHeartbeat__Output } from '../../tokend/v1/RevocationHeartbeat';

export interface WatchRevocationsResponse {
  'position'?: (_tokend_v1_RevocationPosition | null);
  'snapshot'?: (_tokend_v1_RevocationSnapshot | null);
  'revoked'?: (_tokend_v1_WatchedRevocation | null);
  'heartbeat'?: (_tokend_v1_RevocationHeartbeat | null);
  'event'?: "snapshot"|"revoked"|"heartbeat";
}

export interface WatchRevocationsResponse__Output {
  'position': (_tokend_v1_RevocationPosition__Output | null);
  'snapshot'?: (_tokend_v1_RevocationSnapshot__Output | null);
  'revoked'?: (_tokend_v1_WatchedRevocation__Output | null);
  'heartbeat'?: (_tokend_v1_RevocationHeartbeat__Output | null);
  'event'?: "snapshot"|"revoked"|"heartbeat";
}
