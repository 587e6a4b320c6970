// Package store keeps venues, slots and bookings with GORM, on MySQL (or
// MariaDB, or TiDB) in production and on an embedded SQLite file by
// default, over one code path: the dialects differ only in their migrations
// and in how their errors are recognized.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/go-sql-driver/mysql"
	gormmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"slotgate/migrations"
)

// Config says which database to use.
type Config struct {
	// MySQLDSN is a go-sql-driver/mysql DSN; empty means embedded SQLite.
	MySQLDSN string
	// DataDir holds the SQLite file when MySQLDSN is empty.
	DataDir string
	// MaxOpenConns bounds MySQL connections; a few dozen keep the hot slot
	// row's lock queue short (DESIGN.md: more clients, fewer commits).
	MaxOpenConns int
	Log          *slog.Logger
}

// Dialect names the SQL dialect in use.
type Dialect string

const (
	MySQL  Dialect = "mysql"
	SQLite Dialect = "sqlite"
)

// Store implements domain.Store.
type Store struct {
	db      *gorm.DB
	sqlDB   *sql.DB
	dialect Dialect
	log     *slog.Logger
	// returning: the database answers INSERT ... RETURNING (SQLite,
	// MariaDB 10.5 and later), which the batch insert uses for its ids.
	returning bool
}

// Open connects to the configured database and brings its schema up to
// date; several instances may open the same database at once.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	return openWith(ctx, cfg, migrations.FS)
}

// openWith opens the store with the migrations in fsys, one folder per dialect.
func openWith(ctx context.Context, cfg Config, fsys fs.FS) (*Store, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	gcfg := &gorm.Config{
		// Every write here is either one statement or a transaction of our own.
		SkipDefaultTransaction: true,
		// No PrepareStmt: GORM prepares a new statement on the pool, not on
		// the transaction's connection, and with every connection held by a
		// transaction waiting to prepare, the pool deadlocks. MySQL gets
		// interpolated parameters instead, one round trip per statement.
		Logger:  logger.Discard,
		NowFunc: func() time.Time { return time.Now().UTC() },
	}
	var (
		dialector gorm.Dialector
		dialect   Dialect
	)
	if cfg.MySQLDSN != "" {
		dsn, err := mysqlDSN(cfg.MySQLDSN)
		if err != nil {
			return nil, err
		}
		dialector, dialect = gormmysql.Open(dsn), MySQL
	} else {
		dir := cfg.DataDir
		if dir == "" {
			dir = "slotgate-data"
		}
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		dialector, dialect = sqlite.Open(sqliteDSN(filepath.Join(dir, sqliteFile))), SQLite
	}
	db, err := gorm.Open(dialector, gcfg)
	// Switching a new SQLite file to WAL takes a lock that another process
	// opening it at the same moment may hold; the busy timeout does not
	// cover that step, so wait and try again.
	for tries := 0; err != nil && dialect == SQLite && strings.Contains(err.Error(), "SQLITE_BUSY") && tries < 50; tries++ {
		if db != nil {
			if pool, _ := db.DB(); pool != nil {
				pool.Close()
			}
		}
		time.Sleep(100 * time.Millisecond)
		db, err = gorm.Open(dialector, gcfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dialect, err)
	}
	switch dialect {
	case MySQL:
		n := cfg.MaxOpenConns
		if n <= 0 {
			n = 32
		}
		sqlDB.SetMaxOpenConns(n)
		sqlDB.SetMaxIdleConns(n)
		sqlDB.SetConnMaxLifetime(30 * time.Minute)
	case SQLite:
		// One connection: SQLite has one writer anyway, and a single
		// connection turns lock contention into an orderly queue in Go.
		sqlDB.SetMaxOpenConns(1)
	}
	s := &Store{db: db, sqlDB: sqlDB, dialect: dialect, log: cfg.Log, returning: dialect == SQLite}
	if d, ok := dialector.(*gormmysql.Dialector); ok && d.Config != nil {
		s.returning = mariaDBReturning(d.ServerVersion)
	}
	if err := s.migrate(ctx, fsys); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// mysqlDSN adds what the store relies on to an operator's DSN.
func mysqlDSN(dsn string) (string, error) {
	c, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("SLOTGATE_MYSQL_DSN: %w", err)
	}
	c.ParseTime = true
	c.Loc = time.UTC
	c.InterpolateParams = true
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 30 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 30 * time.Second
	}
	if c.Params == nil {
		c.Params = map[string]string{}
	}
	if _, ok := c.Params["time_zone"]; !ok {
		c.Params["time_zone"] = "'+00:00'"
	}
	return c.FormatDSN(), nil
}

// mariaDBReturning reports whether a MySQL server of this version answers
// INSERT ... RETURNING: MariaDB 10.5 and later.
func mariaDBReturning(version string) bool {
	if !strings.Contains(version, "MariaDB") {
		return false
	}
	var major, minor int
	if _, err := fmt.Sscanf(version, "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major > 10 || (major == 10 && minor >= 5)
}

func sqliteDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_txlock=immediate"
}

// Dialect says which database the store talks to.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB is the underlying connection pool, for tests and the benchmark.
func (s *Store) DB() *sql.DB { return s.sqlDB }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.sqlDB.PingContext(ctx) }

// Close ends every connection.
func (s *Store) Close() error { return s.sqlDB.Close() }
