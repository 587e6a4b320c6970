package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"
	"gorm.io/gorm"

	"slotgate/domain"
)

// maxAttempts bounds how often a transaction is retried after MySQL chose
// it as a deadlock victim or its lock wait timed out.
const maxAttempts = 4

// transact runs fn in a transaction, retrying on deadlock. A failure of the
// COMMIT itself is reported as domain.ErrOutcomeUnknown: the transaction may
// have been committed, and the caller must not act as if it had not.
func (s *Store) transact(ctx context.Context, fn func(tx *gorm.DB) error) error {
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		err = s.transactOnce(ctx, fn)
		if err == nil || !retryable(err) || attempt == maxAttempts {
			break
		}
		s.log.DebugContext(ctx, "transaction retried", "attempt", attempt, "err", err)
		pause := time.NewTimer(time.Duration(attempt*attempt) * 5 * time.Millisecond)
		select {
		case <-ctx.Done():
			pause.Stop()
			// Nothing was committed: say why it failed and why it stopped.
			return s.fault("transaction", errors.Join(err, ctx.Err()))
		case <-pause.C:
		}
	}
	return err
}

func (s *Store) transactOnce(ctx context.Context, fn func(tx *gorm.DB) error) (err error) {
	tx := s.db.WithContext(ctx).Begin()
	if tx.Error != nil {
		return s.fault("begin", tx.Error)
	}
	committing := false
	defer func() {
		if r := recover(); r != nil {
			tx.Rollback()
			panic(r)
		}
		if err != nil && !committing {
			tx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	committing = true
	if err := tx.Commit().Error; err != nil {
		if retryable(err) {
			return err // the server rolled back; nothing was committed
		}
		return errors.Join(domain.ErrOutcomeUnknown, s.fault("commit", err))
	}
	return nil
}

// retryable reports a deadlock (1213) or lock wait timeout (1205).
func retryable(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205
	}
	return false
}

// fault wraps a database error as the store being unavailable, unless it is
// already a domain answer.
func (s *Store) fault(what string, err error) error {
	if domain.CodeOf(err) != "" {
		return err
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.ErrNotFound
	}
	return domain.Unavailable("store", fmt.Errorf("%s: %w", what, err))
}
