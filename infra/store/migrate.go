package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

type migration struct {
	version  int64
	name     string
	sql      string
	checksum string // sha256 of the file with LF line endings, hex
}

// file is the migration's file name, as the messages to an operator name it.
func (m migration) file() string { return fmt.Sprintf("%04d_%s.sql", m.version, m.name) }

// appliedMigration is a row of schema_migrations.
type appliedMigration struct {
	version   int64
	name      string
	appliedAt string
	checksum  string // empty: applied by a runner that kept none
	state     string
	note      string
}

func (a appliedMigration) file() string { return fmt.Sprintf("%04d_%s.sql", a.version, a.name) }

// States of a row of schema_migrations. A migration is recorded as started
// before its first statement runs and as applied after its last: on MySQL,
// where DDL is not transactional, a row left started (the process died) or
// failed (a statement failed) means the schema is half-way.
const (
	migrationStarted = "started"
	migrationFailed  = "failed"
	migrationApplied = "applied"
)

// migrate brings the schema up to the migrations in fsys (one folder per
// dialect). On MySQL a named lock (GET_LOCK) lets one instance migrate
// while the others wait; on SQLite the whole run is one IMMEDIATE
// transaction, which has the same effect. Before applying anything it
// refuses a database that has drifted from the files: a migration left
// half-way, one newer than this binary knows, or one whose file changed
// since it was applied.
func (s *Store) migrate(ctx context.Context, fsys fs.FS) error {
	all, err := loadMigrations(fsys, string(s.dialect))
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

	if err := s.prepareMigrationTable(ctx, conn); err != nil {
		return err
	}
	applied, err := readApplied(ctx, conn)
	if err != nil {
		return err
	}
	if err := s.checkDrift(ctx, conn, all, applied); err != nil {
		return err
	}
	for _, m := range all {
		if _, ok := applied[m.version]; ok {
			continue
		}
		if err := s.apply(ctx, conn, m); err != nil {
			return err
		}
		s.log.InfoContext(ctx, "migration applied", "version", m.version, "name", m.name, "dialect", s.dialect)
	}
	done = true
	return nil
}

// prepareMigrationTable creates schema_migrations, or adds to one made by
// the first runner (version, name, applied_at) the columns kept since.
func (s *Store) prepareMigrationTable(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at VARCHAR(40) NOT NULL,
		checksum VARCHAR(64) NOT NULL DEFAULT '', state VARCHAR(16) NOT NULL DEFAULT 'applied',
		note VARCHAR(1000) NOT NULL DEFAULT '')`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	rows, err := conn.QueryContext(ctx, `SELECT * FROM schema_migrations WHERE 1 = 0`)
	if err != nil {
		return fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	cols, err := rows.Columns()
	rows.Close()
	if err != nil {
		return fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	have := map[string]bool{}
	for _, c := range cols {
		have[strings.ToLower(c)] = true
	}
	for _, add := range []struct{ name, def string }{
		{"checksum", `VARCHAR(64) NOT NULL DEFAULT ''`},
		{"state", `VARCHAR(16) NOT NULL DEFAULT 'applied'`},
		{"note", `VARCHAR(1000) NOT NULL DEFAULT ''`},
	} {
		if have[add.name] {
			continue
		}
		if _, err := conn.ExecContext(ctx, `ALTER TABLE schema_migrations ADD COLUMN `+add.name+` `+add.def); err != nil {
			return fmt.Errorf("migrate: add schema_migrations.%s: %w", add.name, err)
		}
	}
	return nil
}

func readApplied(ctx context.Context, conn *sql.Conn) (map[int64]appliedMigration, error) {
	rows, err := conn.QueryContext(ctx, `SELECT version, name, applied_at, checksum, state, note FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	defer rows.Close()
	applied := map[int64]appliedMigration{}
	for rows.Next() {
		var a appliedMigration
		if err := rows.Scan(&a.version, &a.name, &a.appliedAt, &a.checksum, &a.state, &a.note); err != nil {
			return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
		}
		applied[a.version] = a
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	return applied, nil
}

// ErrMigrationDrift is what every refusal to start over the schema wraps.
var ErrMigrationDrift = errors.New("the database's schema does not match this binary's migrations")

// checkDrift refuses a database whose applied migrations do not match the
// files this binary carries, and records the checksums of migrations
// applied before checksums were kept.
func (s *Store) checkDrift(ctx context.Context, conn *sql.Conn, all []migration, applied map[int64]appliedMigration) error {
	known := map[int64]migration{}
	var last migration
	for _, m := range all {
		known[m.version] = m
		last = m
	}
	versions := make([]int64, 0, len(applied))
	for v := range applied {
		versions = append(versions, v)
	}
	sort.Slice(versions, func(i, j int) bool { return versions[i] < versions[j] })
	for _, v := range versions {
		a := applied[v]
		if a.state != migrationApplied {
			how := "failed half-way"
			if a.state == migrationStarted {
				how = "started and did not finish"
			}
			note := ""
			if a.note != "" {
				note = " (" + a.note + ")"
			}
			return fmt.Errorf("%w: migration %s %s at %s%s: repair by hand, then either finish it and run "+
				"UPDATE schema_migrations SET state = 'applied' WHERE version = %d, or undo it and run "+
				"DELETE FROM schema_migrations WHERE version = %d, and start again",
				ErrMigrationDrift, a.file(), how, a.appliedAt, note, v, v)
		}
	}
	for _, v := range versions {
		a := applied[v]
		m, ok := known[v]
		switch {
		case !ok && v > last.version:
			return fmt.Errorf("%w: the database has migration %s applied, newer than this binary knows (its last is %s): run a newer slotgate",
				ErrMigrationDrift, a.file(), last.file())
		case !ok:
			return fmt.Errorf("%w: the database has migration %s applied, which this binary does not carry",
				ErrMigrationDrift, a.file())
		case a.checksum == "":
			// Applied by the runner that kept no checksums: trust the file as
			// it is now, and notice changes from here on.
			if _, err := conn.ExecContext(ctx, `UPDATE schema_migrations SET checksum = ? WHERE version = ?`, m.checksum, v); err != nil {
				return fmt.Errorf("migrate: record checksum of %s: %w", m.file(), err)
			}
			s.log.InfoContext(ctx, "migration checksum recorded", "version", v, "name", m.name, "dialect", s.dialect)
		case a.checksum != m.checksum:
			return fmt.Errorf("%w: migration %s has changed since it was applied at %s (sha256 %s then, %s now): "+
				"put the file back as it was and add a new migration for the change",
				ErrMigrationDrift, m.file(), a.appliedAt, short(a.checksum), short(m.checksum))
		}
	}
	return nil
}

func short(sum string) string { return sum[:min(12, len(sum))] }

// apply runs one migration, recorded as started before its first statement
// and as applied after its last. On SQLite the run is one transaction and a
// failure leaves nothing behind; on MySQL a failure after the first
// statement leaves the row failed, which the next start reports.
func (s *Store) apply(ctx context.Context, conn *sql.Conn, m migration) error {
	started := time.Now().UTC().Format(time.RFC3339)
	if _, err := conn.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at, checksum, state) VALUES (?, ?, ?, ?, ?)`,
		m.version, m.name, started, m.checksum, migrationStarted); err != nil {
		return fmt.Errorf("migration %s: record start: %w", m.file(), err)
	}
	stmts := splitStatements(m.sql)
	for i, stmt := range stmts {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			fail := context.WithoutCancel(ctx)
			if i == 0 {
				// Nothing ran: the next start may simply try again.
				_, _ = conn.ExecContext(fail, `DELETE FROM schema_migrations WHERE version = ?`, m.version)
				return fmt.Errorf("migration %s: %w", m.file(), err)
			}
			note := fmt.Sprintf("statement %d of %d: %v", i+1, len(stmts), err)
			if len(note) > 1000 {
				note = note[:1000]
			}
			if _, uerr := conn.ExecContext(fail, `UPDATE schema_migrations SET state = ?, note = ? WHERE version = ?`,
				migrationFailed, note, m.version); uerr != nil {
				s.log.ErrorContext(ctx, "migrate: mark failed migration", "version", m.version, "err", uerr)
			}
			return fmt.Errorf("migration %s failed at statement %d of %d: %w", m.file(), i+1, len(stmts), err)
		}
	}
	if _, err := conn.ExecContext(ctx, `UPDATE schema_migrations SET state = ? WHERE version = ?`, migrationApplied, m.version); err != nil {
		return fmt.Errorf("migration %s: record: %w", m.file(), err)
	}
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

// loadMigrations lists the migrations fsys holds for dialect, in order.
func loadMigrations(fsys fs.FS, dialect string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dialect)
	if err != nil {
		return nil, fmt.Errorf("read migrations of %s: %w", dialect, err)
	}
	var out []migration
	seen := map[int64]string{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %s/%s is not named NNNN_what.sql", dialect, name)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migration files %s/%s and %s/%s have the same version", dialect, other, dialect, name)
		}
		seen[v] = name
		body, err := fs.ReadFile(fsys, path.Join(dialect, name))
		if err != nil {
			return nil, err
		}
		// Line endings are not part of the sum: a checkout that turned them
		// into CRLF builds a binary that must still accept the database.
		sum := sha256.Sum256(bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n")))
		out = append(out, migration{version: v, name: rest, sql: string(body), checksum: hex.EncodeToString(sum[:])})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no migrations for %s", dialect)
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
