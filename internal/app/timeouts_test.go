package app_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"slotgate/internal/app"
	"slotgate/internal/testkit"
)

// TestTricklingRequestsAreCut: a body sent one byte at a time, or headers
// that never end, do not keep a connection: the server cuts it once the
// route's time is up.
func TestTricklingRequestsAreCut(t *testing.T) {
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{Configure: func(c *app.Config) {
		c.Timeouts.Header, c.Timeouts.Body = 500*time.Millisecond, time.Second
	}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ta.Serve(ctx, ln) }()
	t.Cleanup(func() { stop(); <-served })

	// cutWithin sends head, then a byte every 200 ms, and says how long the
	// server kept the connection (or that it was still open after 5 s).
	cutWithin := func(head string, trickle bool) time.Duration {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		closed := make(chan struct{})
		go func() {
			io.Copy(io.Discard, conn) // until the server closes
			close(closed)
		}()
		fmt.Fprint(conn, head)
		for time.Since(start) < 5*time.Second {
			select {
			case <-closed:
				return time.Since(start)
			case <-time.After(200 * time.Millisecond):
			}
			if trickle {
				conn.Write([]byte(" "))
			}
		}
		return time.Since(start)
	}
	body := cutWithin(fmt.Sprintf("POST /api/v1/bookings HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n", addr), true)
	if body > 2500*time.Millisecond {
		t.Errorf("a trickling body kept its connection %v; the body timeout is 1 s", body)
	}
	head := cutWithin(fmt.Sprintf("GET /healthz HTTP/1.1\r\nHost: %s\r\n", addr), false)
	if head > 2*time.Second {
		t.Errorf("unfinished headers kept their connection %v; the header timeout is 0.5 s", head)
	}
}
