package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"slotgate/infra/store"
	"slotgate/internal/testkit"
	"slotgate/migrations"
)

// shippedFS copies the migrations this binary carries, for a test to change.
func shippedFS(t *testing.T) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(migrations.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, p)
		out[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func openWith(t *testing.T, db testkit.DB, fsys fs.FS) (*store.Store, error) {
	t.Helper()
	s, err := store.OpenWith(context.Background(), store.Config{MySQLDSN: db.MySQLDSN, DataDir: db.DataDir, Log: quiet}, fsys)
	if err == nil {
		t.Cleanup(func() { s.Close() })
	}
	return s, err
}

func dialectOf(db testkit.DB) string {
	if db.MySQLDSN != "" {
		return "mysql"
	}
	return "sqlite"
}

func mustRefuse(t *testing.T, err error, words ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("the store started; want a refusal naming %q", words)
	}
	t.Logf("refused: %v", err)
	if !errors.Is(err, store.ErrMigrationDrift) {
		t.Errorf("refusal %v does not wrap ErrMigrationDrift", err)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("refusal %q does not say %q", err, w)
		}
	}
}

func TestMigrationDialectsHoldSameVersions(t *testing.T) {
	my, err := store.LoadMigrations(migrations.FS, "mysql")
	if err != nil {
		t.Fatal(err)
	}
	lite, err := store.LoadMigrations(migrations.FS, "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	if len(my) < 4 || !slices.Equal(my, lite) {
		t.Fatalf("the dialects' migrations differ:\nmysql:  %v\nsqlite: %v", my, lite)
	}
	// The comparison itself notices a missing file.
	short := shippedFS(t)
	delete(short, "sqlite/0004_fairness.sql")
	lite, err = store.LoadMigrations(short, "sqlite")
	if err != nil || slices.Equal(my, lite) {
		t.Fatalf("a folder missing 0004 compares equal: %v %v", lite, err)
	}
}

func TestMigrationChangedFileRefused(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testkit.DB) {
		if _, err := openWith(t, db, migrations.FS); err != nil {
			t.Fatal(err)
		}
		changed := shippedFS(t)
		f := changed[dialectOf(db)+"/0002_gate.sql"]
		f.Data = append(f.Data, []byte("\n-- edited after release\n")...)
		_, err := openWith(t, db, changed)
		mustRefuse(t, err, "0002_gate.sql", "changed")
		// The files as shipped still open it, and so do they with CRLF line
		// endings (a Windows checkout): those are not a change.
		if _, err := openWith(t, db, migrations.FS); err != nil {
			t.Fatalf("reopen with the shipped files: %v", err)
		}
		crlf := shippedFS(t)
		for _, f := range crlf {
			f.Data = bytes.ReplaceAll(f.Data, []byte("\n"), []byte("\r\n"))
		}
		if _, err := openWith(t, db, crlf); err != nil {
			t.Fatalf("reopen with CRLF line endings: %v", err)
		}
	})
}

func TestMigrationNewerDatabaseRefused(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testkit.DB) {
		newer := shippedFS(t)
		newer[dialectOf(db)+"/0099_future.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE future_things (id INT NOT NULL);\n")}
		if _, err := openWith(t, db, newer); err != nil {
			t.Fatal(err)
		}
		_, err := open2(t, db)
		mustRefuse(t, err, "0099_future.sql", "newer than this binary knows", lastShipped(t, dialectOf(db)))
	})
}

// open2 opens db with the shipped migrations, returning the error.
func open2(t *testing.T, db testkit.DB) (*store.Store, error) {
	t.Helper()
	return openWith(t, db, migrations.FS)
}

// TestMigrationFailedHalfWay breaks a migration at its second statement.
// On MySQL, whose DDL is not transactional, the first statement stays
// done: the next start must say so rather than fail on CREATE TABLE. On
// SQLite the run is one transaction: nothing stays, and the next start
// simply tries again.
func TestMigrationFailedHalfWay(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testkit.DB) {
		broken := shippedFS(t)
		broken[dialectOf(db)+"/0090_broken.sql"] = &fstest.MapFile{Data: []byte(
			"CREATE TABLE half_done (id INT NOT NULL);\nCREATE TABLE half_done (id INT NOT NULL);\n")}
		_, err := openWith(t, db, broken)
		if err == nil || !strings.Contains(err.Error(), "0090_broken.sql") {
			t.Fatalf("the broken migration: %v", err)
		}
		_, err = openWith(t, db, broken)
		if dialectOf(db) == "sqlite" {
			if err == nil || errors.Is(err, store.ErrMigrationDrift) || !strings.Contains(err.Error(), "already exists") {
				t.Fatalf("SQLite retries the whole migration and fails the same way: %v", err)
			}
			// Everything before it stays applied; the broken one left nothing.
			s, err := open2(t, db)
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if err := s.DB().QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'half_done'`).Scan(&n); err != nil || n != 0 {
				t.Fatalf("half_done tables: %d, %v", n, err)
			}
			return
		}
		mustRefuse(t, err, "migration 0090_broken.sql failed half-way at", "statement 2 of 2", "repair by hand",
			"DELETE FROM schema_migrations WHERE version = 90")
		// The binary without it refuses too: the database is not as any binary left it.
		_, err = open2(t, db)
		mustRefuse(t, err, "0090_broken.sql failed half-way")

		// The operator undoes the first statement and forgets the row; a
		// fixed migration then runs.
		admin, err := sql.Open("mysql", db.MySQLDSN)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		for _, q := range []string{`DROP TABLE half_done`, `DELETE FROM schema_migrations WHERE version = 90`} {
			if _, err := admin.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		fixed := shippedFS(t)
		fixed["mysql/0090_broken.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE half_done (id INT NOT NULL);\n")}
		if _, err := openWith(t, db, fixed); err != nil {
			t.Fatalf("after the repair: %v", err)
		}
	})
}

// TestMigrationFirstStatementFailingIsRetried: a migration whose first
// statement fails changed nothing, even on MySQL; it is not marked.
func TestMigrationFirstStatementFailingIsRetried(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testkit.DB) {
		broken := shippedFS(t)
		broken[dialectOf(db)+"/0090_broken.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE venues (id INT NOT NULL);\n")}
		for range 2 {
			_, err := openWith(t, db, broken)
			if err == nil || errors.Is(err, store.ErrMigrationDrift) || !strings.Contains(err.Error(), "0090_broken.sql") {
				t.Fatalf("a migration failing at once: %v", err)
			}
		}
		if _, err := open2(t, db); err != nil {
			t.Fatalf("the shipped migrations: %v", err)
		}
	})
}

// TestMigrationChecksumsAddedToOldTable: a database migrated by the runner
// that kept no checksums starts, records the checksums of its files, and
// notices a change from then on.
func TestMigrationChecksumsAddedToOldTable(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testkit.DB) {
		s, err := open2(t, db)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`DROP TABLE schema_migrations`,
			`CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at VARCHAR(40) NOT NULL)`,
			`INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'core', '2026-01-01T00:00:00Z'), (2, 'gate', '2026-01-01T00:00:00Z'), (3, 'admin', '2026-01-01T00:00:00Z'), (4, 'fairness', '2026-01-01T00:00:00Z'), (5, 'persons', '2026-01-01T00:00:00Z'), (6, 'visitors', '2026-01-01T00:00:00Z'), (20, 'gate_desk', '2026-01-01T00:00:00Z'), (21, 'slot_ids', '2026-01-01T00:00:00Z'), (22, 'outbox_ref', '2026-01-01T00:00:00Z')`,
		} {
			if _, err := s.DB().Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		s.Close()
		s, err = open2(t, db)
		if err != nil {
			t.Fatalf("open a database of the old runner: %v", err)
		}
		body, err := fs.ReadFile(migrations.FS, dialectOf(db)+"/0003_admin.sql")
		if err != nil {
			t.Fatal(err)
		}
		want := sha256.Sum256(body)
		var sum, state string
		var n int
		if err := s.DB().QueryRow(`SELECT checksum, state FROM schema_migrations WHERE version = 3`).Scan(&sum, &state); err != nil {
			t.Fatal(err)
		}
		if err := s.DB().QueryRow(`SELECT COUNT(*) FROM schema_migrations WHERE checksum <> '' AND state = 'applied'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		shipped, err := store.LoadMigrations(migrations.FS, dialectOf(db))
		if err != nil {
			t.Fatal(err)
		}
		if sum != hex.EncodeToString(want[:]) || state != "applied" || n != len(shipped) {
			t.Fatalf("after the upgrade: 0003 checksum %s state %s, %d rows with checksums; want %x applied, %d", sum, state, n, want, len(shipped))
		}
		changed := shippedFS(t)
		f := changed[dialectOf(db)+"/0001_core.sql"]
		f.Data = append([]byte("-- reworded\n"), f.Data...)
		_, err = openWith(t, db, changed)
		mustRefuse(t, err, "0001_core.sql", "changed")
	})
}

// TestUniqueIndexNamesMatchMigrations: every unique index the store tells
// duplicates by exists under that name in both dialects' migrations, and a
// violation of it is recognized by error number and named, on each database.
func TestUniqueIndexNamesMatchMigrations(t *testing.T) {
	names := store.UniqueIndexes()
	if len(names) < 8 {
		t.Fatalf("only %d index names: %v", len(names), names)
	}
	for _, dialect := range []string{"mysql", "sqlite"} {
		var all strings.Builder
		files, _ := fs.Glob(migrations.FS, dialect+"/*.sql")
		for _, f := range files {
			b, _ := fs.ReadFile(migrations.FS, f)
			all.Write(b)
		}
		for _, name := range names {
			want := "UNIQUE KEY " + name + " ("
			if dialect == "sqlite" {
				want = "CREATE UNIQUE INDEX " + name + " ON "
			}
			if !strings.Contains(all.String(), want) {
				t.Errorf("%s migrations have no %q", dialect, want)
			}
		}
	}
	forEachDB(t, func(t *testing.T, db testkit.DB) {
		s := open(t, db)
		for _, c := range []struct{ index, insert string }{
			{"uq_venues_slug", `INSERT INTO venues (slug, name_zh, name_en, kind, timezone, open_minute, close_minute, closed_weekdays,
				slot_minutes, default_quota, booking_window_days, max_party_size, admission_minutes_before,
				instantaneous_capacity, gate_flow_per_minute, gate_burst, created_at, updated_at)
				VALUES ('dup', 'a', 'a', 'museum', 'Asia/Shanghai', 540, 1020, '', 60, 10, 7, 5, 30, 100, 60, 10, '2026-03-02 08:00:00', '2026-03-02 08:00:00')`},
			{"uq_users_username", `INSERT INTO users (username, password_hash, role, disabled, created_at, updated_at) VALUES ('dup', 'x', 'staff', 0, '2026-03-02 08:00:00', '2026-03-02 08:00:00')`},
		} {
			for i := range 2 {
				_, err := s.DB().Exec(c.insert)
				if i == 0 && err != nil {
					t.Fatalf("%s: first insert: %v", c.index, err)
				}
				if i == 1 {
					if got, dup := store.UniqueViolation(err); !dup || got != c.index {
						t.Errorf("second insert: %v read as %q, %v; want %s", err, got, dup, c.index)
					}
				}
			}
		}
	})
}

// lastShipped is the name of the newest migration file of dialect.
func lastShipped(t *testing.T, dialect string) string {
	t.Helper()
	files, err := fs.Glob(migrations.FS, dialect+"/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("shipped migrations: %v", err)
	}
	slices.Sort(files)
	return path.Base(files[len(files)-1])
}
