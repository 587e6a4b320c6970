package app

import (
	"context"
	"log/slog"

	"slotgate/domain"
	"slotgate/infra/codes"
	"slotgate/infra/store"
)

// openStore opens the configured database and brings its schema up to
// date: the server and the command-line tools open it the same way.
func openStore(ctx context.Context, cfg Config, log *slog.Logger) (*store.Store, error) {
	return store.Open(ctx, store.Config{MySQLDSN: cfg.MySQLDSN, DataDir: cfg.DataDir, MaxOpenConns: cfg.MySQLMaxConns, Log: log})
}

// newAccounts wires the accounts use case on s, for the server and the
// user command alike.
func newAccounts(s *store.Store, catalog *domain.Catalog, cfg Config, clock domain.Clock, log *slog.Logger) *domain.Accounts {
	accounts := domain.NewAccounts(s, codes.Passwords{Cost: cfg.BcryptCost}, catalog, clock, log)
	accounts.AuditWith(s)
	return accounts
}

// Migrate brings the configured database's schema up to date (the
// migrate command) and names its dialect.
func Migrate(ctx context.Context, cfg Config, log *slog.Logger) (dialect string, err error) {
	s, err := openStore(ctx, cfg, log)
	if err != nil {
		return "", err
	}
	return string(s.Dialect()), s.Close()
}

// OpenAccounts is the accounts use case on the configured database, for
// the user command: wired as the server wires it, without Redis or HTTP.
// The venues are seeded first, since staff may be added before the first
// start and must name venues that exist. close releases the database.
func OpenAccounts(ctx context.Context, cfg Config, log *slog.Logger) (accounts *domain.Accounts, close func() error, err error) {
	clock := cfg.Clock
	if clock == nil {
		clock = domain.SystemClock{}
	}
	s, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	if err := domain.NewSchedule(s, clock).Seed(ctx); err != nil {
		_ = s.Close()
		return nil, nil, err
	}
	// No capacity gate: accounts read only the venues.
	catalog := domain.NewCatalog(s, nil, clock, log, cfg.CatalogCacheTTL)
	return newAccounts(s, catalog, cfg, clock, log), s.Close, nil
}
