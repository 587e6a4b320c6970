package testkit

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// CuttingProxy forwards TCP traffic to a Redis and, when told, closes the
// client's connection instead of passing on a reply: the command ran in
// Redis, but the client never hears, and go-redis sends it again.
type CuttingProxy struct {
	ln    net.Listener
	arm   atomic.Bool
	cuts  atomic.Int64
	every time.Duration

	mu      sync.Mutex
	lastCut time.Time
	conns   []net.Conn
}

// NewCuttingProxy listens on loopback and forwards to target.
func NewCuttingProxy(t testing.TB, target string) *CuttingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &CuttingProxy{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(s, c); s.Close() }()
			go p.replies(c, s)
		}
	}()
	return p
}

// CutEvery makes the proxy cut one reply every d (never more often, so that
// a command's retry, which follows within milliseconds, gets through).
func (p *CuttingProxy) CutEvery(d time.Duration) { p.every = d }

// CutNextReply cuts the next reply of any connection.
func (p *CuttingProxy) CutNextReply() { p.arm.Store(true) }

// Cuts counts the replies cut so far.
func (p *CuttingProxy) Cuts() int64 { return p.cuts.Load() }

// Addr is the proxy's host:port.
func (p *CuttingProxy) Addr() string { return p.ln.Addr().String() }

func (p *CuttingProxy) shouldCut() bool {
	if p.arm.CompareAndSwap(true, false) {
		return true
	}
	if p.every == 0 {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.lastCut) < p.every {
		return false
	}
	p.lastCut = time.Now()
	return true
}

func (p *CuttingProxy) replies(c, s net.Conn) {
	defer c.Close()
	defer s.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := s.Read(buf)
		if n > 0 {
			if p.shouldCut() {
				p.cuts.Add(1)
				return
			}
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Down stops the proxy and drops every connection through it: to the
// client, Redis is gone.
func (p *CuttingProxy) Down() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}
