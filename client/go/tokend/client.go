// Package tokend is a thin helper over the generated tokend.v1 stubs
// (package tokendv1).
//
// Client: a gRPC connection over mutual TLS from three PEM files, a default
// deadline on every call that has none, and retries with exponential backoff
// and full jitter on UNAVAILABLE only (the one status tokend answers for "try
// again": a busy or unreachable database, a replica that is draining or not
// current, or a lost connection). Every other status is returned at once.
//
// Verifier: checks an access token locally, without a call (verify.go).
package tokend

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	tokendv1 "github.com/tokend/tokend/client/go/tokend/v1"
)

// ServiceName is the name tokend's health service answers for besides "".
const ServiceName = "tokend.v1.TokenService"

// Config says where tokend is and how to call it.
type Config struct {
	// Target is "host:port" of tokend's API.
	Target string
	// CAFile holds the PEM CAs that sign tokend's certificate; CertFile and
	// KeyFile this client's certificate chain and key (PEM).
	CAFile, CertFile, KeyFile string
	// ServerName is the name to check tokend's certificate for when it
	// differs from Target's host (for example, connecting by IP address).
	ServerName string
	// Timeout is the deadline of each call, retries included, when the
	// caller's context has none. Zero: 5 s.
	Timeout time.Duration
	// MaxAttempts is the number of tries while the answer is UNAVAILABLE
	// (1: none repeated). Zero: 4.
	MaxAttempts int
	// InitialBackoff and MaxBackoff bound the pause before a retry, which
	// doubles each time. Zero: 100 ms and 2 s.
	InitialBackoff, MaxBackoff time.Duration
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 4
	}
	if c.InitialBackoff <= 0 {
		c.InitialBackoff = 100 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 2 * time.Second
	}
	return c
}

// Client calls tokend. The embedded TokenServiceClient has every RPC, each
// with the default deadline and the retries.
type Client struct {
	tokendv1.TokenServiceClient
	conn   *grpc.ClientConn
	health healthpb.HealthClient
}

// TLSConfig is the mutual TLS configuration of Config's three PEM files.
func TLSConfig(cfg Config) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("client certificate: %w", err)
	}
	caPEM, err := os.ReadFile(cfg.CAFile)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("CA file %s: no PEM certificate", cfg.CAFile)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      roots,
		ServerName:   cfg.ServerName,
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// Dial makes a Client. The connection is made lazily, on the first call.
// extra is appended to the dial options (for example, more interceptors,
// which run inside the retries).
func Dial(cfg Config, extra ...grpc.DialOption) (*Client, error) {
	cfg = cfg.withDefaults()
	tlsConfig, err := TLSConfig(cfg)
	if err != nil {
		return nil, err
	}
	// No keepalive options: tokend refuses pings on idle connections, and
	// gRPC reconnects by itself after the server ends a connection at its
	// maximum age.
	opts := append([]grpc.DialOption{
		grpc.WithTransportCredentials(credentials.NewTLS(tlsConfig)),
		grpc.WithChainUnaryInterceptor(retryInterceptor(cfg)),
	}, extra...)
	conn, err := grpc.Dial(cfg.Target, opts...)
	if err != nil {
		return nil, err
	}
	return &Client{
		TokenServiceClient: tokendv1.NewTokenServiceClient(conn),
		conn:               conn,
		health:             healthpb.NewHealthClient(conn),
	}, nil
}

// Close ends the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Conn is the underlying connection, for other services' stubs.
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// Issue is TokenService.Issue. With IncludeRefreshToken and no
// IdempotencyKey it sends a copy with a fresh key, so that a retry after a
// lost answer gets the same refresh token instead of starting a second
// family. The caller's request is left as it is.
func (c *Client) Issue(ctx context.Context, in *tokendv1.IssueRequest,
	opts ...grpc.CallOption) (*tokendv1.IssueResponse, error) {
	if in.GetIncludeRefreshToken() && in.GetIdempotencyKey() == "" {
		in = proto.Clone(in).(*tokendv1.IssueRequest)
		in.IdempotencyKey = NewIdempotencyKey()
	}
	return c.TokenServiceClient.Issue(ctx, in, opts...)
}

// JWKS is the JWK Set of GetJwks, as its JSON text.
func (c *Client) JWKS(ctx context.Context) ([]byte, error) {
	res, err := c.GetJwks(ctx, &tokendv1.GetJwksRequest{})
	if err != nil {
		return nil, err
	}
	return []byte(res.GetJwksJson()), nil
}

// CheckHealth is the standard health check of service ("" for the server
// as a whole, ServiceName for the token service): "SERVING",
// "NOT_SERVING", ... An unknown name is the error NOT_FOUND.
func (c *Client) CheckHealth(ctx context.Context, service string) (string, error) {
	res, err := c.health.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		return "", err
	}
	return res.GetStatus().String(), nil
}

// NewIdempotencyKey is a random UUID (version 4).
func NewIdempotencyKey() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// retryInterceptor gives a call without a deadline cfg.Timeout, and repeats
// it while it answers UNAVAILABLE, within the one deadline.
func retryInterceptor(cfg Config) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply interface{},
		cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, cfg.Timeout)
			defer cancel()
		}
		deadline, _ := ctx.Deadline()
		backoff := cfg.InitialBackoff
		for attempt := 1; ; attempt++ {
			err := invoker(ctx, method, req, reply, cc, opts...)
			if status.Code(err) != codes.Unavailable || attempt >= cfg.MaxAttempts {
				return err
			}
			// Full jitter, so that clients turned away together do not
			// come back together.
			pause := randomDuration(backoff)
			if time.Now().Add(pause).After(deadline) {
				return err
			}
			select {
			case <-time.After(pause):
			case <-ctx.Done():
				return err
			}
			backoff *= 2
			if backoff > cfg.MaxBackoff {
				backoff = cfg.MaxBackoff
			}
		}
	}
}

func randomDuration(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	n, err := rand.Int(rand.Reader, big.NewInt(int64(max)))
	if err != nil {
		return max / 2
	}
	return time.Duration(n.Int64())
}

// IsCode says whether err is a gRPC status error with code.
func IsCode(err error, code codes.Code) bool {
	var s interface{ GRPCStatus() *status.Status }
	return errors.As(err, &s) && s.GRPCStatus().Code() == code
}
