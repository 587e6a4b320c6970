package store

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
)

// TestTransactStopsRetryingWhenContextEnds: a transaction chosen as a
// deadlock victim is retried after a pause, but not once its context has
// ended; the answer keeps the deadlock as its cause.
func TestTransactStopsRetryingWhenContextEnds(t *testing.T) {
	s, err := Open(context.Background(), Config{DataDir: t.TempDir(), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	deadlock := &mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock"}

	// Without an end, the deadlock is retried up to maxAttempts.
	attempts := 0
	err = s.transact(context.Background(), func(*gorm.DB) error { attempts++; return deadlock })
	if attempts != maxAttempts || !errors.As(err, new(*mysql.MySQLError)) {
		t.Fatalf("%d attempts, %v; want %d and the deadlock", attempts, err, maxAttempts)
	}

	// The request ends during the first attempt: no second one, no pause.
	ctx, cancel := context.WithCancel(context.Background())
	attempts = 0
	began := time.Now()
	err = s.transact(ctx, func(*gorm.DB) error { attempts++; cancel(); return deadlock })
	var me *mysql.MySQLError
	if attempts != 1 || !errors.Is(err, context.Canceled) || !errors.As(err, &me) || me.Number != 1213 {
		t.Fatalf("%d attempts, %v; want 1, cancelled, with the deadlock as cause", attempts, err)
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
}
