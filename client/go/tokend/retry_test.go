package tokend

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fakeInvoker answers each call with the next status of codes (the last one
// again when they run out), recording each call's deadline.
type fakeInvoker struct {
	codes     []codes.Code
	deadlines []time.Time
}

func (f *fakeInvoker) invoke(ctx context.Context, method string, req, reply interface{},
	cc *grpc.ClientConn, opts ...grpc.CallOption) error {
	d, _ := ctx.Deadline()
	f.deadlines = append(f.deadlines, d)
	c := f.codes[len(f.codes)-1]
	if len(f.deadlines) <= len(f.codes) {
		c = f.codes[len(f.deadlines)-1]
	}
	if c == codes.OK {
		return nil
	}
	return status.Error(c, "fake")
}

func testConfig() Config {
	return Config{Timeout: 5 * time.Second, MaxAttempts: 4,
		InitialBackoff: 10 * time.Millisecond}.withDefaults()
}

func TestUnavailableIsRetriedWithBackoffUntilAnAnswerWithinOneDeadline(t *testing.T) {
	f := &fakeInvoker{codes: []codes.Code{codes.Unavailable, codes.Unavailable, codes.OK}}
	err := retryInterceptor(testConfig())(context.Background(), "/m", nil, nil, nil, f.invoke)
	if err != nil {
		t.Fatalf("got %v, want the third attempt's answer", err)
	}
	if len(f.deadlines) != 3 {
		t.Fatalf("%d attempts, want 3", len(f.deadlines))
	}
	for _, d := range f.deadlines {
		if d.IsZero() || d != f.deadlines[0] {
			t.Fatalf("deadlines %v: want the one default deadline on every attempt", f.deadlines)
		}
	}
}

func TestOtherCodesAndTheLastAttemptReturnAtOnce(t *testing.T) {
	for _, tc := range []struct {
		code     codes.Code
		attempts int
	}{{codes.InvalidArgument, 1}, {codes.DeadlineExceeded, 1}, {codes.Unauthenticated, 1},
		{codes.Unavailable, 4}} {
		f := &fakeInvoker{codes: []codes.Code{tc.code}}
		err := retryInterceptor(testConfig())(context.Background(), "/m", nil, nil, nil, f.invoke)
		if status.Code(err) != tc.code || len(f.deadlines) != tc.attempts {
			t.Errorf("%v: got %v after %d attempts, want %d attempts", tc.code, err,
				len(f.deadlines), tc.attempts)
		}
	}
}

func TestTheCallersDeadlineIsKeptAndNoPauseOutlastsIt(t *testing.T) {
	cfg := testConfig()
	cfg.InitialBackoff, cfg.MaxBackoff, cfg.MaxAttempts = time.Second, time.Second, 100
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	want, _ := ctx.Deadline()
	f := &fakeInvoker{codes: []codes.Code{codes.Unavailable}}
	start := time.Now()
	err := retryInterceptor(cfg)(ctx, "/m", nil, nil, nil, f.invoke)
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("got %v, want the last UNAVAILABLE", err)
	}
	if f.deadlines[0] != want {
		t.Errorf("deadline %v, want the caller's %v", f.deadlines[0], want)
	}
	if elapsed := time.Since(start); elapsed > 400*time.Millisecond {
		t.Errorf("returned after %v, past the caller's 300 ms deadline", elapsed)
	}
}
