// Package testkit gives tests the real parts they run against: the embedded
// defaults always (SQLite, embedded Redis), and MariaDB/MySQL and Redis when
// SLOTGATE_TEST_MYSQL_DSN and SLOTGATE_TEST_REDIS_URL are set. With
// SLOTGATE_TEST_REQUIRE=1 (as .ci/run sets it) a missing or unreachable
// server fails the test instead of skipping it.
package testkit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"

	"slotgate/infra/redisgate"
)

// Required reports whether the real servers must be there.
func Required() bool { return os.Getenv("SLOTGATE_TEST_REQUIRE") == "1" }

func missing(t testing.TB, what string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s is required (SLOTGATE_TEST_REQUIRE=1) but not available", what)
	}
	t.Skipf("%s not configured; skipping", what)
}

func suffix() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// DB is a database a test can open: MySQLDSN set, or DataDir for SQLite.
type DB struct {
	Name     string
	MySQLDSN string
	DataDir  string
}

// Databases are the stores a contract suite runs on: SQLite always, and a
// fresh MySQL database when one is configured. Run each with t.Run.
func Databases(t testing.TB) []DB {
	t.Helper()
	dbs := []DB{{Name: "sqlite", DataDir: t.TempDir()}}
	if os.Getenv("SLOTGATE_TEST_MYSQL_DSN") != "" || Required() {
		dbs = append(dbs, DB{Name: "mysql"})
	}
	return dbs
}

// Prepare makes db usable: for MySQL it creates a fresh database, dropped
// when t ends.
func (db DB) Prepare(t testing.TB) DB {
	t.Helper()
	if db.Name == "mysql" && db.MySQLDSN == "" {
		db.MySQLDSN = FreshMySQL(t)
	}
	return db
}

// FreshMySQL creates an empty database on the server of
// SLOTGATE_TEST_MYSQL_DSN and returns a DSN for it.
func FreshMySQL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("SLOTGATE_TEST_MYSQL_DSN")
	if base == "" {
		missing(t, "MySQL (SLOTGATE_TEST_MYSQL_DSN)")
	}
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatalf("SLOTGATE_TEST_MYSQL_DSN: %v", err)
	}
	prefix := cfg.DBName
	if prefix == "" {
		prefix = "slotgate_test"
	}
	name := prefix + "_" + suffix()
	cfg.DBName = ""
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatalf("open mysql: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4"); err != nil {
		admin.Close()
		missing(t, "MySQL at "+cfg.Addr+" ("+err.Error()+")")
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
		admin.Close()
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}

// Redis is a Redis a test can use, with a key prefix of its own.
type Redis struct {
	Name   string
	URL    string
	Prefix string
	// Embedded is set for the in-process server.
	Embedded *redisgate.Embedded
	// Cluster is set for a Redis Cluster of this test's own.
	Cluster *Cluster
	client  redis.UniversalClient
}

// Redises are the Redis servers a suite runs on: the embedded one always,
// and the real one when configured. Run each with t.Run.
func Redises(t testing.TB) []string {
	names := []string{"embedded"}
	if os.Getenv("SLOTGATE_TEST_REDIS_URL") != "" || Required() {
		names = append(names, "redis")
	}
	return names
}

// StartRedis gives the test a Redis of the named kind, cleaned up when it ends.
func StartRedis(t testing.TB, name string) *Redis {
	t.Helper()
	r := &Redis{Name: name, Prefix: "t" + suffix() + ":"}
	switch name {
	case "embedded":
		e, err := redisgate.StartEmbedded()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(e.Close)
		r.Embedded, r.URL = e, e.URL()
	case "cluster":
		r.Cluster = StartCluster(t)
		r.URL = r.Cluster.URL()
	default:
		r.URL = os.Getenv("SLOTGATE_TEST_REDIS_URL")
		if r.URL == "" {
			missing(t, "Redis (SLOTGATE_TEST_REDIS_URL)")
		}
	}
	c, err := redisgate.Connect(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		missing(t, "Redis at "+r.URL+" ("+err.Error()+")")
	}
	r.client = c
	t.Cleanup(func() {
		r.Wipe(t)
		c.Close()
	})
	return r
}

// Client is a client for this Redis, closed when the test ends.
func (r *Redis) Client() redis.UniversalClient { return r.client }

// Wipe deletes every key of the test, as a Redis restart without
// persistence would (on the shared server, only this test's keys).
func (r *Redis) Wipe(t testing.TB) {
	t.Helper()
	if r.Embedded != nil {
		r.Embedded.FlushAll()
		return
	}
	if r.Cluster != nil {
		return // its servers end with the test
	}
	ctx := context.Background()
	iter := r.client.Scan(ctx, 0, r.Prefix+"*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("scan test keys: %v", err)
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		if err := r.client.Del(ctx, keys[:n]...).Err(); err != nil && !strings.Contains(err.Error(), "closed") {
			t.Errorf("wipe test keys: %v", err)
		}
		keys = keys[n:]
	}
}

// Addr is the host:port the test's Redis listens on (its URL may carry a password).
func (r *Redis) Addr() string {
	u, err := url.Parse(r.URL)
	if err != nil {
		panic(err)
	}
	return u.Host
}
