package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"slotgate/migrations"
)

type migration struct {
	version int64
	name    string
	sql     string
}

// migrate applies the migrations this database has not had. On MySQL a
// named lock (GET_LOCK) lets one instance migrate while the others wait; on
// SQLite the whole run is one IMMEDIATE transaction, which has the same effect.
func (s *Store) migrate(ctx context.Context) error {
	all, err := loadMigrations(string(s.dialect))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	conn, err := s.sqlDB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()

	unlock, err := s.lockForMigration(ctx, conn)
	if err != nil {
		return err
	}
	done := false
	defer func() { unlock(done) }()

	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at VARCHAR(40) NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	applied := map[int64]bool{}
	rows, err := conn.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("migrate: %w", err)
		}
		applied[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range all {
		if applied[m.version] {
			continue
		}
		for _, stmt := range splitStatements(m.sql) {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
			}
		}
		if _, err := conn.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.version, m.name, time.Now().UTC().Format(time.RFC3339)); err != nil {
			return fmt.Errorf("migration %04d_%s: record: %w", m.version, m.name, err)
		}
		s.log.InfoContext(ctx, "migration applied", "version", m.version, "name", m.name, "dialect", s.dialect)
	}
	done = true
	return nil
}

func (s *Store) lockForMigration(ctx context.Context, conn *sql.Conn) (func(ok bool), error) {
	switch s.dialect {
	case MySQL:
		var got sql.NullInt64
		if err := conn.QueryRowContext(ctx, `SELECT GET_LOCK('slotgate.migrate', 300)`).Scan(&got); err != nil {
			return nil, fmt.Errorf("migrate: take lock: %w", err)
		}
		if got.Int64 != 1 {
			return nil, fmt.Errorf("migrate: another instance held the migration lock for 5 minutes")
		}
		return func(bool) {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT RELEASE_LOCK('slotgate.migrate')`)
		}, nil
	default:
		if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
			return nil, fmt.Errorf("migrate: begin: %w", err)
		}
		return func(ok bool) {
			end := "ROLLBACK"
			if ok {
				end = "COMMIT"
			}
			if _, err := conn.ExecContext(context.WithoutCancel(ctx), end); err != nil {
				s.log.Error("migrate: end transaction", "err", err)
			}
		}, nil
	}
}

// loadMigrations lists the migrations this binary carries for dialect, in order.
func loadMigrations(dialect string) ([]migration, error) {
	entries, err := fs.ReadDir(migrations.FS, dialect)
	if err != nil {
		return nil, fmt.Errorf("read migrations of %s: %w", dialect, err)
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %s/%s is not named NNNN_what.sql", dialect, name)
		}
		body, err := fs.ReadFile(migrations.FS, path.Join(dialect, name))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: rest, sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		// Two files of one version would leave the second unapplied for good.
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s/%04d_%s and %04d_%s share a version", dialect, out[i].version, out[i-1].name, out[i].version, out[i].name)
		}
	}
	return out, nil
}

// splitStatements cuts a migration at semicolons that end a line, dropping
// comment lines.
func splitStatements(src string) []string {
	var (
		out []string
		cur strings.Builder
	)
	for _, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
