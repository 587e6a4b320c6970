package store

import (
	"context"
	"io/fs"
)

// OpenWith opens a store on the migrations in fsys instead of the ones the
// binary carries, so that tests can change, add or break migrations.
func OpenWith(ctx context.Context, cfg Config, fsys fs.FS) (*Store, error) {
	return openWith(ctx, cfg, fsys)
}

// LoadMigrations lists the versions and names fsys holds for dialect.
func LoadMigrations(fsys fs.FS, dialect string) ([]string, error) {
	all, err := loadMigrations(fsys, dialect)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(all))
	for i, m := range all {
		names[i] = m.file()
	}
	return names, nil
}

// UniqueIndexes are the unique indexes the store tells duplicates by.
func UniqueIndexes() []string {
	return []string{idxVenuesSlug, idxBookingsIdempotency, idxVisitorsPersonDay, idxUsersUsername,
		idxAttemptsRequest, idxAttemptsScan, idxExitsRequest, idxBookingsNumber}
}

// UniqueViolation is uniqueViolation, for tests.
var UniqueViolation = uniqueViolation

// SetReturning lets a test take the batch insert's path for a database
// without INSERT ... RETURNING (MySQL) on one that has it (MariaDB).
func (s *Store) SetReturning(on bool) { s.returning = on }
