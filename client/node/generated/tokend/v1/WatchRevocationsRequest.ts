// Original file: tokend/v1/token_service.proto

import type { RevocationPosition as _tokend_v1_RevocationPosition, RevocationPosition__Output as _tokend_v1_RevocationPosition__Output } from '../../tokend/v1/RevocationPosition';

export interface WatchRevocationsRequest {
  'resume_from'?: (_tokend_v1_RevocationPosition | null);
}

export interface WatchRevocationsRequest__Output {
  'resume_from': (_tokend_v1_RevocationPosition__Output | null);
}
