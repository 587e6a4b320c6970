package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"slotgate/migrations"
)

// sqliteFile is the embedded store's database inside the data directory.
const sqliteFile = "slotgate.db"

// Backup writes a consistent copy of the embedded store's database in
// dataDir to file, while the server may be running: VACUUM INTO reads the
// database in one read transaction (WAL lets writers go on meanwhile) and
// writes a compact, self-contained database with no WAL beside it. Every
// booking committed before the copy began is in it.
func Backup(ctx context.Context, dataDir, file string) error {
	src := filepath.Join(dataDir, sqliteFile)
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("backup: no embedded database at %s (with MySQL, use mariadb-dump; see README.md): %w", src, err)
	}
	if _, err := os.Stat(file); err == nil {
		return fmt.Errorf("backup: %s exists; choose a new file", file)
	}
	db, err := sql.Open("sqlite", sqliteDSN(src))
	if err != nil {
		return fmt.Errorf("backup: open %s: %w", src, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, file); err != nil {
		return fmt.Errorf("backup to %s: %w", file, err)
	}
	if err := checkBackup(ctx, file); err != nil {
		return fmt.Errorf("backup written to %s but does not check: %w", file, err)
	}
	return nil
}

// Restore puts a backup made by Backup into dataDir, which must be empty or
// absent: restoring over a live store would lose what it holds. The file
// must be a slotgate database that passes SQLite's integrity check with
// every migration this build knows applied, and none it does not know.
func Restore(ctx context.Context, file, dataDir string) error {
	if err := checkBackup(ctx, file); err != nil {
		return fmt.Errorf("restore %s: %w", file, err)
	}
	entries, err := os.ReadDir(dataDir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dataDir, 0o750); err != nil {
			return fmt.Errorf("restore: create %s: %w", dataDir, err)
		}
	case err != nil:
		return fmt.Errorf("restore: read %s: %w", dataDir, err)
	case len(entries) > 0:
		return fmt.Errorf("restore: %s is not empty; restore into an empty data directory", dataDir)
	}
	dst := filepath.Join(dataDir, sqliteFile)
	if err := copyFile(file, dst+".restoring"); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(dst+".restoring", dst); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}

// checkBackup opens file read-only and checks that it is whole and a
// slotgate database of this build's schema.
func checkBackup(ctx context.Context, file string) error {
	if _, err := os.Stat(file); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+file+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	var verdict string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&verdict); err != nil {
		return fmt.Errorf("not a SQLite database: %w", err)
	}
	if verdict != "ok" {
		return fmt.Errorf("integrity check: %s", verdict)
	}
	// Rows of migrations left half-way are not applied ones; a table from
	// before migration states were kept has applied rows only.
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations WHERE state = 'applied'`)
	if err != nil {
		rows, err = db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	}
	if err != nil {
		return fmt.Errorf("not a slotgate database (no schema_migrations): %w", err)
	}
	applied := map[int64]bool{}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		applied[v] = true
	}
	rows.Close()
	all, err := loadMigrations(migrations.FS, string(SQLite))
	if err != nil {
		return err
	}
	var missing []string
	for _, m := range all {
		if !applied[m.version] {
			missing = append(missing, fmt.Sprintf("%04d_%s", m.version, m.name))
		}
		delete(applied, m.version)
	}
	if len(missing) > 0 {
		return fmt.Errorf("not a whole slotgate database: migrations %s not applied", strings.Join(missing, ", "))
	}
	if len(applied) > 0 {
		return fmt.Errorf("made by a newer slotgate (%d migrations this build does not know)", len(applied))
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
