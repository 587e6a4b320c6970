// Command slotgate serves timed-entry booking: the JSON API, the pages,
// and the background work that keeps slots and capacity in step.
//
//	slotgate              serve (the same as "slotgate serve")
//	slotgate migrate      bring the database schema up to date and exit
//	slotgate healthcheck  exit 0 if the local instance is ready (for containers)
//	slotgate backup FILE  copy the embedded store's database to FILE, while it serves
//	slotgate restore FILE put a backup into an empty data directory
//	slotgate user add NAME -role staff|admin -venues slug,slug
//	slotgate user passwd NAME
//
// A user command reads the password from SLOTGATE_USER_PASSWORD, or from
// the first line of standard input, or (for add) makes one and prints it.
//
// Settings come from SLOTGATE_* environment variables; see README.md.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"slotgate/domain"
	"slotgate/infra/redisgate"
	"slotgate/infra/store"
	"slotgate/internal/app"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "slotgate:", err)
		os.Exit(1)
	}
}

// serveGCPercent is the garbage collector's target for the server when
// the operator has not set GOGC: 200 rather than Go's 100. The server keeps
// little live data (its caches, some 20 MB) and a flood allocates a few KB
// per request, so at 100 it collects every few thousand requests; at 200
// half as often, for about a tenth less CPU per sold-out answer and a peak
// of some 80 MB instead of 60 (the budget is 300 MB). GOGC, when set, wins.
func serveGCPercent(getenv func(string) string) (int, bool) {
	if getenv("GOGC") != "" {
		return 0, false
	}
	return 200, true
}

func run(args []string) error {
	cfg, err := app.FromEnv(os.Getenv)
	if err != nil {
		return err
	}
	log := app.NewLogger(cfg, os.Stderr)
	redisgate.LogTo(log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "serve":
		if pct, ok := serveGCPercent(os.Getenv); ok {
			debug.SetGCPercent(pct)
		}
		a, err := app.New(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer a.Close()
		if a.AdminPassword != "" {
			// Shown once, on the terminal, never in the log stream.
			fmt.Fprintf(os.Stderr, "\n  slotgate created the account \"admin\" with password: %s\n"+
				"  It is shown only now. Change it with: slotgate user passwd admin\n\n", a.AdminPassword)
		}
		if addr := os.Getenv("SLOTGATE_PPROF_ADDR"); addr != "" {
			if err := servePprof(ctx, addr, log); err != nil {
				return fmt.Errorf("SLOTGATE_PPROF_ADDR: %w", err)
			}
		}
		ln, err := net.Listen("tcp", cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
		}
		return a.Serve(ctx, ln)
	case "migrate":
		dialect, err := app.Migrate(ctx, cfg, log)
		if err != nil {
			return err
		}
		log.Info("schema up to date", "dialect", dialect)
		return nil
	case "healthcheck":
		return healthcheck(ctx, cfg.HTTPAddr)
	case "backup", "restore":
		if len(args) != 2 {
			return fmt.Errorf("usage: slotgate %s FILE", cmd)
		}
		if cfg.MySQLDSN != "" {
			return fmt.Errorf("%s is for the embedded store; with MySQL use mariadb-dump --single-transaction (README.md)", cmd)
		}
		if cmd == "backup" {
			if err := store.Backup(ctx, cfg.DataDir, args[1]); err != nil {
				return err
			}
			fmt.Printf("backup of %s written to %s\n", cfg.DataDir, args[1])
			return nil
		}
		if err := store.Restore(ctx, args[1], cfg.DataDir); err != nil {
			return err
		}
		fmt.Printf("%s restored into %s\n", args[1], cfg.DataDir)
		return nil
	case "user":
		return user(ctx, cfg, log, args[1:])
	case "help", "-h", "--help":
		fmt.Println("usage: slotgate [serve|migrate|healthcheck|backup FILE|restore FILE|user add NAME -role staff|admin -venues a,b|user passwd NAME]\n" +
			"Settings: SLOTGATE_* environment variables, listed in README.md.")
		return nil
	}
	return fmt.Errorf("unknown command %q (try: serve, migrate, healthcheck, backup, restore, user)", cmd)
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

// user adds an account or changes a password, on the configured database.
func user(ctx context.Context, cfg app.Config, log *slog.Logger, args []string) error {
	if len(args) < 2 || (args[0] != "add" && args[0] != "passwd") {
		return fmt.Errorf("usage: slotgate user add NAME -role staff|admin -venues slug,slug | slotgate user passwd NAME")
	}
	verb, name := args[0], args[1]
	fs := flag.NewFlagSet("user "+verb, flag.ContinueOnError)
	role := fs.String("role", "staff", "staff or admin")
	venues := fs.String("venues", "", "comma-separated slugs of the venues a staff member serves")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	// The same wiring as the server's (internal/app), on the same database.
	accounts, closeStore, err := app.OpenAccounts(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore()
	password, generated, err := readPassword(verb == "add")
	if err != nil {
		return err
	}
	switch verb {
	case "add":
		var slugs []string
		if *venues != "" {
			slugs = strings.Split(*venues, ",")
		}
		u, err := accounts.AddUser(ctx, domain.NewUser{Username: name, Password: password, Role: domain.Role(*role), Venues: slugs})
		if err != nil {
			return describe(err)
		}
		fmt.Printf("added %s (%s)\n", u.Username, u.Role)
	case "passwd":
		if err := accounts.SetPassword(ctx, name, password); err != nil {
			return describe(err)
		}
		fmt.Printf("password of %s changed; its sessions are signed out\n", name)
	}
	if generated {
		fmt.Printf("password: %s\n", password)
	}
	return nil
}

// readPassword takes the password from the environment or standard input,
// or makes one when allowed.
func readPassword(mayGenerate bool) (string, bool, error) {
	if p := os.Getenv("SLOTGATE_USER_PASSWORD"); p != "" {
		return p, false, nil
	}
	if st, err := os.Stdin.Stat(); err == nil && st.Mode()&os.ModeCharDevice == 0 {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", false, fmt.Errorf("read password from standard input: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), false, nil
	}
	if !mayGenerate {
		return "", false, fmt.Errorf("give the new password in SLOTGATE_USER_PASSWORD or on standard input")
	}
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", false, err
	}
	return base64.RawURLEncoding.EncodeToString(b), true, nil
}

// describe spells out a validation error for the terminal.
func describe(err error) error {
	var v *domain.ValidationError
	if errors.As(err, &v) {
		var parts []string
		for _, f := range v.Fields {
			parts = append(parts, f.Field.String()+": "+string(f.Rule))
		}
		return fmt.Errorf("not valid: %s", strings.Join(parts, "; "))
	}
	return err
}
