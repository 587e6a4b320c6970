// Command slotgate serves timed-entry booking: the JSON API, the pages,
// and the background work that keeps slots and capacity in step.
//
//	slotgate              serve (the same as "slotgate serve")
//	slotgate migrate      bring the database schema up to date and exit
//	slotgate healthcheck  exit 0 if the local instance is ready (for containers)
//
// Settings come from SLOTGATE_* environment variables; see README.md.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"slotgate/app"
	"slotgate/infra/store"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "slotgate:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg, err := app.FromEnv(os.Getenv)
	if err != nil {
		return err
	}
	log := app.NewLogger(cfg, os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "serve":
		a, err := app.New(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer a.Close()
		ln, err := net.Listen("tcp", cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
		}
		return a.Serve(ctx, ln)
	case "migrate":
		s, err := store.Open(ctx, store.Config{MySQLDSN: cfg.MySQLDSN, DataDir: cfg.DataDir, Log: log})
		if err != nil {
			return err
		}
		log.Info("schema up to date", "dialect", s.Dialect())
		return s.Close()
	case "healthcheck":
		return healthcheck(ctx, cfg.HTTPAddr)
	case "help", "-h", "--help":
		fmt.Println("usage: slotgate [serve|migrate|healthcheck]\nSettings: SLOTGATE_* environment variables, listed in README.md.")
		return nil
	}
	return fmt.Errorf("unknown command %q (try: serve, migrate, healthcheck)", cmd)
}

// healthcheck asks the instance listening on addr whether it is ready; a
// container image without curl uses it as its health check.
func healthcheck(ctx context.Context, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("SLOTGATE_HTTP_ADDR %q: %w", addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/readyz", nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not ready: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return fmt.Errorf("not ready: %s %s", res.Status, body)
	}
	return nil
}
