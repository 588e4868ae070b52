// Original file: tokend/v1/token_service.proto

import type { Long } from '@grpc/proto-loader';

export interface RevocationPosition {
  'epoch'?: (string);
  'sequence'?: (number | string | Long);
}

export interface RevocationPosition__Output {
  'epoch': (string);
  'sequence': (string);
}
