package browsertest

import (
	"context"
	"testing"
)

// TestSessionFollowsTheTestDeadline: a browser session ends with the test
// binary's deadline (less reportGrace), not after a fixed time, so a
// machine slowed by other jobs makes the browser tests slower, not failed.
func TestSessionFollowsTheTestDeadline(t *testing.T) {
	ctx, cancel := sessionContext(t, context.Background())
	defer cancel()
	got, has := ctx.Deadline()
	want, hasWant := t.Deadline()
	if has != hasWant {
		t.Fatalf("session deadline %v (%v), test deadline %v (%v)", got, has, want, hasWant)
	}
	if has && !got.Equal(want.Add(-reportGrace)) {
		t.Errorf("the session ends at %v, want %v: %v before the test binary's deadline", got, want.Add(-reportGrace), reportGrace)
	}
	// Without a test deadline (a benchmark), no limit at all.
	b := &testing.B{}
	ctx2, cancel2 := sessionContext(b, context.Background())
	defer cancel2()
	if _, ok := ctx2.Deadline(); ok {
		t.Error("a session without a test deadline has one")
	}
}
