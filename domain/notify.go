package domain

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Notification is a message to a visitor, kept in the outbox until a
// sender has delivered it.
type Notification struct {
	ID        int64
	Kind      string // "closure"
	BookingID int64
	Phone     string
	Text      NotificationText
	Attempts  int
}

// NotificationText is what the visitor reads, in both languages.
type NotificationText struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
	// Code is the booking's code, so that the message can link to it.
	Code string `json:"code,omitempty"`
}

// Sender delivers a notification (SMS gateway, webhook, log).
type Sender interface {
	Send(ctx context.Context, n Notification) error
}

// Outbox is where notifications wait for their sender.
type Outbox interface {
	// ClaimNotifications leases up to limit due notifications to this
	// instance for lease, so that two instances never send one twice at once.
	ClaimNotifications(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Notification, error)
	NotificationSent(ctx context.Context, id int64, at time.Time) error
	NotificationFailed(ctx context.Context, id int64, next time.Time, reason string) error
	OutboxBacklog(ctx context.Context) (int, error)
}

// Postman empties the outbox through a sender, retrying failures with
// exponential backoff: nothing is lost while the sender is down.
type Postman struct {
	outbox Outbox
	sender Sender
	clock  Clock
	log    *slog.Logger
	// Batch is how many notifications one round sends at most.
	Batch int
	// MaxBackoff caps the wait between two attempts.
	MaxBackoff time.Duration
}

// NewPostman sends from outbox with sender.
func NewPostman(outbox Outbox, sender Sender, clock Clock, log *slog.Logger) *Postman {
	return &Postman{outbox: outbox, sender: sender, clock: clock, log: log, Batch: 100, MaxBackoff: time.Hour}
}

// Round sends what is due and says how many were sent and how many failed.
func (p *Postman) Round(ctx context.Context) (sent, failed int, err error) {
	now := p.clock.Now()
	due, err := p.outbox.ClaimNotifications(ctx, now, p.Batch, 2*time.Minute)
	if err != nil {
		return 0, 0, fmt.Errorf("claim notifications: %w", err)
	}
	for _, n := range due {
		if err := p.sender.Send(ctx, n); err != nil {
			failed++
			wait := min(time.Duration(1<<min(n.Attempts, 20))*10*time.Second, p.MaxBackoff)
			if ferr := p.outbox.NotificationFailed(ctx, n.ID, now.Add(wait), err.Error()); ferr != nil {
				return sent, failed, ferr
			}
			continue
		}
		if err := p.outbox.NotificationSent(ctx, n.ID, p.clock.Now()); err != nil {
			return sent, failed, err
		}
		sent++
	}
	return sent, failed, nil
}
