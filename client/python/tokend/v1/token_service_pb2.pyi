from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
TOKEN_TYPE_ACCESS_TOKEN: TokenType
TOKEN_TYPE_REFRESH_TOKEN: TokenType
TOKEN_TYPE_UNSPECIFIED: TokenType

class GetJwksRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class GetJwksResponse(_message.Message):
    __slots__ = ["jwks_json"]
    JWKS_JSON_FIELD_NUMBER: _ClassVar[int]
    jwks_json: str
    def __init__(self, jwks_json: _Optional[str] = ...) -> None: ...

class IntrospectRequest(_message.Message):
    __slots__ = ["token", "token_type_hint"]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_HINT_FIELD_NUMBER: _ClassVar[int]
    token: str
    token_type_hint: TokenType
    def __init__(self, token: _Optional[str] = ..., token_type_hint: _Optional[_Union[TokenType, str]] = ...) -> None: ...

class IntrospectResponse(_message.Message):
    __slots__ = ["active", "audience", "claims", "client_id", "expires_at", "issued_at", "issuer", "not_before", "scopes", "subject", "token_id", "token_type"]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    ISSUER_FIELD_NUMBER: _ClassVar[int]
    NOT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    active: bool
    audience: _containers.RepeatedScalarFieldContainer[str]
    claims: _struct_pb2.Struct
    client_id: str
    expires_at: _timestamp_pb2.Timestamp
    issued_at: _timestamp_pb2.Timestamp
    issuer: str
    not_before: _timestamp_pb2.Timestamp
    scopes: _containers.RepeatedScalarFieldContainer[str]
    subject: str
    token_id: str
    token_type: TokenType
    def __init__(self, active: bool = ..., token_type: _Optional[_Union[TokenType, str]] = ..., subject: _Optional[str] = ..., audience: _Optional[_Iterable[str]] = ..., scopes: _Optional[_Iterable[str]] = ..., client_id: _Optional[str] = ..., issuer: _Optional[str] = ..., issued_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., not_before: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., token_id: _Optional[str] = ..., claims: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class IssueRequest(_message.Message):
    __slots__ = ["audience", "claims", "idempotency_key", "include_refresh_token", "scopes", "subject", "ttl"]
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    audience: _containers.RepeatedScalarFieldContainer[str]
    claims: _struct_pb2.Struct
    idempotency_key: str
    include_refresh_token: bool
    scopes: _containers.RepeatedScalarFieldContainer[str]
    subject: str
    ttl: _duration_pb2.Duration
    def __init__(self, subject: _Optional[str] = ..., audience: _Optional[_Iterable[str]] = ..., scopes: _Optional[_Iterable[str]] = ..., ttl: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., claims: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., include_refresh_token: bool = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class IssueResponse(_message.Message):
    __slots__ = ["access_token", "expires_at", "refresh_expires_at", "refresh_token", "scopes", "token_type"]
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    REFRESH_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    access_token: str
    expires_at: _timestamp_pb2.Timestamp
    refresh_expires_at: _timestamp_pb2.Timestamp
    refresh_token: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    token_type: str
    def __init__(self, access_token: _Optional[str] = ..., token_type: _Optional[str] = ..., expires_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., refresh_token: _Optional[str] = ..., refresh_expires_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., scopes: _Optional[_Iterable[str]] = ...) -> None: ...

class RefreshRequest(_message.Message):
    __slots__ = ["refresh_token", "scopes"]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    refresh_token: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, refresh_token: _Optional[str] = ..., scopes: _Optional[_Iterable[str]] = ...) -> None: ...

class RefreshResponse(_message.Message):
    __slots__ = ["access_token", "expires_at", "refresh_expires_at", "refresh_token", "scopes", "token_type"]
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    REFRESH_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    access_token: str
    expires_at: _timestamp_pb2.Timestamp
    refresh_expires_at: _timestamp_pb2.Timestamp
    refresh_token: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    token_type: str
    def __init__(self, access_token: _Optional[str] = ..., token_type: _Optional[str] = ..., expires_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., refresh_token: _Optional[str] = ..., refresh_expires_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., scopes: _Optional[_Iterable[str]] = ...) -> None: ...

class RevocationHeartbeat(_message.Message):
    __slots__ = ["stale"]
    STALE_FIELD_NUMBER: _ClassVar[int]
    stale: bool
    def __init__(self, stale: bool = ...) -> None: ...

class RevocationPosition(_message.Message):
    __slots__ = ["epoch", "sequence"]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    epoch: str
    sequence: int
    def __init__(self, epoch: _Optional[str] = ..., sequence: _Optional[int] = ...) -> None: ...

class RevocationSnapshot(_message.Message):
    __slots__ = ["complete", "reason", "revocations"]
    class Reason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = []
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REASON_NO_POSITION: RevocationSnapshot.Reason
    REASON_POSITION_TOO_OLD: RevocationSnapshot.Reason
    REASON_UNKNOWN_POSITION: RevocationSnapshot.Reason
    REASON_UNSPECIFIED: RevocationSnapshot.Reason
    REVOCATIONS_FIELD_NUMBER: _ClassVar[int]
    complete: bool
    reason: RevocationSnapshot.Reason
    revocations: _containers.RepeatedCompositeFieldContainer[WatchedRevocation]
    def __init__(self, revocations: _Optional[_Iterable[_Union[WatchedRevocation, _Mapping]]] = ..., complete: bool = ..., reason: _Optional[_Union[RevocationSnapshot.Reason, str]] = ...) -> None: ...

class RevokeRequest(_message.Message):
    __slots__ = ["subject", "token", "token_type_hint"]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_HINT_FIELD_NUMBER: _ClassVar[int]
    subject: str
    token: str
    token_type_hint: TokenType
    def __init__(self, token: _Optional[str] = ..., subject: _Optional[str] = ..., token_type_hint: _Optional[_Union[TokenType, str]] = ...) -> None: ...

class RevokeResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class WatchRevocationsRequest(_message.Message):
    __slots__ = ["resume_from"]
    RESUME_FROM_FIELD_NUMBER: _ClassVar[int]
    resume_from: RevocationPosition
    def __init__(self, resume_from: _Optional[_Union[RevocationPosition, _Mapping]] = ...) -> None: ...

class WatchRevocationsResponse(_message.Message):
    __slots__ = ["heartbeat", "position", "revoked", "snapshot"]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    heartbeat: RevocationHeartbeat
    position: RevocationPosition
    revoked: WatchedRevocation
    snapshot: RevocationSnapshot
    def __init__(self, position: _Optional[_Union[RevocationPosition, _Mapping]] = ..., snapshot: _Optional[_Union[RevocationSnapshot, _Mapping]] = ..., revoked: _Optional[_Union[WatchedRevocation, _Mapping]] = ..., heartbeat: _Optional[_Union[RevocationHeartbeat, _Mapping]] = ...) -> None: ...

class WatchedRevocation(_message.Message):
    __slots__ = ["expires_at", "refresh_family_id", "revoked_before", "signing_key_id", "subject", "token_id"]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    REFRESH_FAMILY_ID_FIELD_NUMBER: _ClassVar[int]
    REVOKED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    SIGNING_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    expires_at: _timestamp_pb2.Timestamp
    refresh_family_id: str
    revoked_before: _timestamp_pb2.Timestamp
    signing_key_id: str
    subject: str
    token_id: str
    def __init__(self, token_id: _Optional[str] = ..., refresh_family_id: _Optional[str] = ..., subject: _Optional[str] = ..., signing_key_id: _Optional[str] = ..., revoked_before: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TokenType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
