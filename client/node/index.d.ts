// Types of index.js. The message types are generated (generated/, by
// client/generate.sh) with the loader options of LOADER_OPTIONS: snake_case
// field names, 64-bit integers as strings, enums as their names.
import type * as grpc from '@grpc/grpc-js';
import type {JWTPayload} from 'jose';
import type {ProtoGrpcType as TokenServiceProtos} from './generated/token_service';
import type {ProtoGrpcType as HealthProtos} from './generated/health';
import type {IssueRequest} from './generated/tokend/v1/IssueRequest';
import type {IssueResponse__Output} from './generated/tokend/v1/IssueResponse';
import type {RefreshRequest} from './generated/tokend/v1/RefreshRequest';
import type {RefreshResponse__Output} from './generated/tokend/v1/RefreshResponse';
import type {IntrospectRequest} from './generated/tokend/v1/IntrospectRequest';
import type {IntrospectResponse__Output} from './generated/tokend/v1/IntrospectResponse';
import type {RevokeRequest} from './generated/tokend/v1/RevokeRequest';
import type {RevokeResponse__Output} from './generated/tokend/v1/RevokeResponse';
import type {Struct} from './generated/google/protobuf/Struct';
import type {Value} from './generated/google/protobuf/Value';

export type {
  IssueRequest, IssueResponse__Output as IssueResponse, RefreshRequest,
  RefreshResponse__Output as RefreshResponse, IntrospectRequest,
  IntrospectResponse__Output as IntrospectResponse, RevokeRequest,
  RevokeResponse__Output as RevokeResponse, Struct, Value,
};

export type Json = null | boolean | number | string | Json[] | {[key: string]: Json};

export declare const LOADER_OPTIONS: Readonly<{
  keepCase: true; longs: StringConstructor; enums: StringConstructor; defaults: true;
  oneofs: true; includeDirs: string[];
}>;
export declare const PROTO_DIR: string;
export declare const SERVICE_NAME: 'tokend.v1.TokenService';
export declare const ALGORITHMS: readonly ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'];
export declare const status: typeof grpc.status;

/** The loaded packages, typed by the generated code. */
export declare function loadProtos(): TokenServiceProtos & HealthProtos;
/** A google.protobuf.Struct from a plain object (IssueRequest.claims). */
export declare function toStruct(obj: {[key: string]: Json}): Struct;
export declare function toValue(v: Json): Value;
/** A plain object from a loaded google.protobuf.Struct (IntrospectResponse.claims). */
export declare function fromStruct(s: Struct | null | undefined): {[key: string]: Json};
export declare function fromValue(v: Value | null | undefined): Json;

export interface TokendClientOptions {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** The deadline of each call including its retries; default 5000. */
  timeoutMs?: number;
  /** Tries while the answer is UNAVAILABLE; default 4. */
  maxAttempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** The name tokend's certificate is checked for, when not the target's host. */
  serverName?: string;
}

/** Errors are grpc.ServiceError: compare err.code with status.*. */
export declare class TokendClient {
  constructor(target: string, options: TokendClientOptions);
  close(): void;
  /** Calls stub[method] with this client's deadline and retries (used by the methods below). */
  call<T>(stub: object, method: string, request: object, timeoutMs?: number): Promise<T>;
  issue(request: IssueRequest, timeoutMs?: number): Promise<IssueResponse__Output>;
  refresh(request: RefreshRequest, timeoutMs?: number): Promise<RefreshResponse__Output>;
  introspect(request: IntrospectRequest, timeoutMs?: number): Promise<IntrospectResponse__Output>;
  revoke(request: RevokeRequest, timeoutMs?: number): Promise<RevokeResponse__Output>;
  getJwks(timeoutMs?: number): Promise<{keys: Array<{[member: string]: string}>}>;
  checkHealth(service?: string, timeoutMs?: number): Promise<string>;
}

export declare class InvalidToken extends Error {}

export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  client_id?: string;
  scope?: string;
  sid?: string;
}

export declare class AccessTokenVerifier {
  constructor(fetchJwks: () => Promise<{keys: Array<{[member: string]: string}>}>, options: {
    issuer: string; audience: string; leewaySeconds?: number; minRefetchIntervalMs?: number;
  });
  /** How many times the JWK Set was fetched. */
  readonly fetches: number;
  /** The claims when the token passes; rejects with InvalidToken otherwise. */
  verify(token: string): Promise<AccessTokenClaims>;
}
