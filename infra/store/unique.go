package store

import (
	"errors"
	"io/fs"
	"regexp"
	"strings"
	"sync"

	"github.com/go-sql-driver/mysql"

	"slotgate/migrations"
)

// The unique indexes whose violation the store turns into an answer. They
// are named as in both dialects' migrations (a test checks that they are
// there), and a duplicate key is told by which of them it broke.
const (
	idxVenuesSlug          = "uq_venues_slug"
	idxBookingsIdempotency = "uq_bookings_idempotency"
	idxVisitorsPersonDay   = "uq_visitors_person_day"
	idxUsersUsername       = "uq_users_username"
	idxAttemptsRequest     = "uq_attempts_request"
	idxAttemptsScan        = "uq_attempts_scan"
	idxExitsRequest        = "uq_exits_request"
	idxBookingsNumber      = "uq_bookings_number"
)

// Error numbers of the drivers: MySQL's ER_DUP_ENTRY, and SQLite's
// extended result codes for a broken UNIQUE or PRIMARY KEY constraint.
const (
	mysqlDupEntry          = 1062
	sqliteConstraintPK     = 1555
	sqliteConstraintUnique = 2067
)

// uniqueViolation reports whether err is a duplicate key, and the name of
// the unique index it broke ("" for a primary key, or when the database
// did not say). MySQL names the index in its message; SQLite names the
// columns, which the SQLite migrations map to their index.
func uniqueViolation(err error) (string, bool) {
	if err == nil {
		return "", false
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		if me.Number != mysqlDupEntry {
			return "", false
		}
		return mysqlDupIndex(me.Message), true
	}
	var se interface{ Code() int }
	if errors.As(err, &se) {
		switch se.Code() {
		case sqliteConstraintUnique:
			return sqliteUniqueIndexes()[sqliteDupColumns(err.Error())], true
		case sqliteConstraintPK:
			return "", true
		}
	}
	return "", false
}

// isViolationOf reports whether err broke one of the named unique indexes.
func isViolationOf(err error, indexes ...string) bool {
	name, dup := uniqueViolation(err)
	if !dup {
		return false
	}
	for _, idx := range indexes {
		if name == idx {
			return true
		}
	}
	return false
}

// mysqlDupIndex reads the index out of "Duplicate entry 'x' for key
// 'name'" (MariaDB) or "... for key 'table.name'" (MySQL 8).
func mysqlDupIndex(msg string) string {
	i := strings.LastIndex(msg, "for key '")
	if i < 0 {
		return ""
	}
	key := strings.TrimSuffix(msg[i+len("for key '"):], "'")
	if j := strings.LastIndexByte(key, '.'); j >= 0 {
		key = key[j+1:]
	}
	return key
}

// sqliteDupColumns reads "table.a, table.b" out of "UNIQUE constraint
// failed: table.a, table.b" (the driver may add the result code after it).
func sqliteDupColumns(msg string) string {
	const marker = "UNIQUE constraint failed: "
	i := strings.Index(msg, marker)
	if i < 0 {
		return ""
	}
	cols := msg[i+len(marker):]
	if j := strings.IndexAny(cols, "()\n"); j >= 0 {
		cols = cols[:j]
	}
	return strings.TrimSpace(cols)
}

var createUniqueIndex = regexp.MustCompile(`(?i)CREATE\s+UNIQUE\s+INDEX\s+(\w+)\s+ON\s+(\w+)\s*\(([^)]*)\)`)

// sqliteUniqueIndexes maps the columns SQLite names in a violation
// ("table.a, table.b") to the unique index over them, as the SQLite
// migrations create it.
var sqliteUniqueIndexes = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	files, _ := fs.Glob(migrations.FS, "sqlite/*.sql")
	for _, f := range files {
		body, err := fs.ReadFile(migrations.FS, f)
		if err != nil {
			continue
		}
		for _, m := range createUniqueIndex.FindAllStringSubmatch(string(body), -1) {
			var cols []string
			for c := range strings.SplitSeq(m[3], ",") {
				cols = append(cols, m[2]+"."+strings.TrimSpace(c))
			}
			out[strings.Join(cols, ", ")] = m[1]
		}
	}
	return out
})
