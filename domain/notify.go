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
	Kind      string // "closure", "standby_booked", "booked", "desk_cancelled", "sign_in_code"
	BookingID int64
	Phone     string
	Text      NotificationText
	Attempts  int
	// OTP is a sign-in code, for the sender to deliver. Such a message is
	// sent at once, never kept in the outbox, and never logged.
	OTP string
}

// NotificationText is what the visitor reads, in both languages.
type NotificationText struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
	// Code is the booking's code, so that the message can link to it.
	Code string `json:"code,omitempty"`
	// Number is the booking number; Link the booking's page.
	Number string `json:"number,omitempty"`
	Link   string `json:"link,omitempty"`
}

// bookedNotice is the confirmation of a new booking: venue, day, time,
// party size, number and a link, never an ID number.
func bookedNotice(v Venue, b Booking, code, link string) NotificationText {
	day, from, to := slotTimes(v, b.Slot)
	people := persons(b.PartySize)
	return NotificationText{
		ZH: fmt.Sprintf("【%s】预约成功：%s %s–%s，%d 人，预约号 %s。查看或取消：%s 请携带登记的证件按时入场；未取消又未到场将记为爽约。",
			v.NameZH, day, from, to, b.PartySize, b.Number, link),
		EN: fmt.Sprintf("[%s] Booked: %s %s–%s, %s, booking number %s. See or cancel: %s Bring the ID documents you booked with; a booking neither used nor cancelled counts as a no-show.",
			v.NameEN, day, from, to, people, b.Number, link),
		Code: code, Number: b.Number, Link: link,
	}
}

// deskCancelledNotice tells a visitor of a cancellation made at the desk:
// of the whole booking, or of cancelled persons of the party, by count (the
// outbox keeps a message's text after names are erased). Staff's reason
// stays in the audit log: the contract shows visitors a closure's reason,
// not a desk's.
func deskCancelledNotice(v Venue, b Booking, cancelled int, code, link string) NotificationText {
	day, from, to := slotTimes(v, b.Slot)
	n := NotificationText{Code: code, Number: b.Number, Link: link}
	if cancelled >= b.PartySize {
		n.ZH = fmt.Sprintf("【%s】您 %s %s–%s 的预约（预约号 %s，%d 人）已在服务台取消，名额已释放。",
			v.NameZH, day, from, to, b.Number, b.PartySize)
		n.EN = fmt.Sprintf("[%s] Your booking for %s %s–%s (booking number %s, %s) was cancelled at the desk.",
			v.NameEN, day, from, to, b.Number, persons(b.PartySize))
		return n
	}
	left := b.PartySize - cancelled
	n.ZH = fmt.Sprintf("【%s】您 %s %s–%s 的预约（预约号 %s）中 %d 人已在服务台取消，其余 %d 人的预约不变。查看：%s",
		v.NameZH, day, from, to, b.Number, cancelled, left, link)
	n.EN = fmt.Sprintf("[%s] Booking number %s for %s %s–%s: %s cancelled at the desk; the booking stands for the other %s. See it: %s",
		v.NameEN, b.Number, day, from, to, persons(cancelled), persons(left), link)
	return n
}

// slotTimes are a slot's day, start and end in the venue's time.
func slotTimes(v Venue, s Slot) (day, from, to string) {
	loc := v.Location()
	return s.Start.In(loc).Format("2006-01-02"), s.Start.In(loc).Format("15:04"), s.End.In(loc).Format("15:04")
}

// persons says a number of people in English.
func persons(n int) string {
	if n == 1 {
		return "1 person"
	}
	return fmt.Sprintf("%d people", n)
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
