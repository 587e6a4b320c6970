// Command slotgate serves timed-entry booking: the JSON API, the pages,
// and the background work that keeps slots and capacity in step.
//
//	slotgate            serve (the same as "slotgate serve")
//	slotgate migrate    bring the database schema up to date and exit
//
// Settings come from SLOTGATE_* environment variables; see README.md.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

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
	case "help", "-h", "--help":
		fmt.Println("usage: slotgate [serve|migrate]\nSettings: SLOTGATE_* environment variables, listed in README.md.")
		return nil
	}
	return fmt.Errorf("unknown command %q (try: serve, migrate)", cmd)
}
