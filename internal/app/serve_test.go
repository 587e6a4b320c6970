package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"slotgate/internal/testkit"
)

// TestGracefulShutdown: when told to stop (SIGTERM), the server stops
// taking connections but finishes a booking whose request is in flight.
func TestGracefulShutdown(t *testing.T) {
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{})
	s := slotAt(t, ta, "beibei-library", "2026-03-03", "09:00")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	// The test moves on events of the server, not on sleeps: a request
	// being read, and the shutdown having begun (listener closed).
	active := make(chan struct{}, 1)
	ta.Echo.Server.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateActive {
			select {
			case active <- struct{}{}:
			default:
			}
		}
	}
	shuttingDown := make(chan struct{})
	ta.Echo.Server.RegisterOnShutdown(func() { close(shuttingDown) })
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ta.Serve(ctx, ln) }()

	// A visitor's request is half sent when the stop comes.
	body, _ := json.Marshal(map[string]any{"slot_id": s.ID, "phone": "13800138000",
		"visitors": []map[string]string{{"name": "访客", "id_type": "passport", "id_number": "E55500001"}}})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/bookings HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", addr, len(body))
	conn.Write(body[:10])
	wait(t, active, "the server to read the request")
	stop()
	wait(t, shuttingDown, "the shutdown to begin")

	if c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond); err == nil {
		c.Close()
		t.Fatal("the stopping server still takes new connections")
	}
	select {
	case err := <-served:
		t.Fatalf("the server stopped with a request in flight: %v", err)
	default:
	}
	conn.Write(body[10:])
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("the request in flight: %d", res.StatusCode)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server did not stop after its last request")
	}
	if got := slotAt(t, ta, "beibei-library", "2026-03-03", "09:00"); got.Booked != 1 {
		t.Fatalf("the booking made during shutdown is not there: %+v", got)
	}
}

// wait waits for an event of the server, failing the test after a long while.
func wait[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}
