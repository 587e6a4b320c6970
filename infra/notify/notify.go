// Package notify delivers visitor notifications from the outbox: to the log
// by default, or to a webhook (an SMS gateway, a message queue bridge).
package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"slotgate/domain"
)

// LogSender writes each notification to the log, without the phone number:
// a stand-in until a real sender is configured.
type LogSender struct{ Log *slog.Logger }

// Send logs n.
func (s LogSender) Send(ctx context.Context, n domain.Notification) error {
	if n.OTP != "" {
		// The text holds the code: say only that one was asked for.
		s.Log.WarnContext(ctx, "notification (log sender): a sign-in code cannot be delivered without SLOTGATE_NOTIFY_WEBHOOK", "kind", n.Kind)
		return nil
	}
	s.Log.InfoContext(ctx, "notification (log sender)", "kind", n.Kind, "booking", n.BookingID, "text_en", n.Text.EN)
	return nil
}

// WebhookSender posts each notification as JSON to a URL and counts any
// 2xx answer as delivered. With a secret, the body's HMAC-SHA256 goes in
// X-Slotgate-Signature so that the receiver can check where it came from.
type WebhookSender struct {
	URL    string
	Secret string
	Client *http.Client
}

type webhookBody struct {
	ID        int64                   `json:"id"`
	Kind      string                  `json:"kind"`
	BookingID int64                   `json:"booking_id"`
	Phone     string                  `json:"phone"`
	Text      domain.NotificationText `json:"text"`
	OTP       string                  `json:"otp,omitempty"`
}

// Send posts n; the notification's id lets the receiver drop a repeat.
func (s WebhookSender) Send(ctx context.Context, n domain.Notification) error {
	body, err := json.Marshal(webhookBody{ID: n.ID, Kind: n.Kind, BookingID: n.BookingID, Phone: n.Phone, Text: n.Text, OTP: n.OTP})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if n.ID != 0 {
		req.Header.Set("Idempotency-Key", fmt.Sprintf("slotgate-notification-%d", n.ID))
	}
	if s.Secret != "" {
		m := hmac.New(sha256.New, []byte(s.Secret))
		m.Write(body)
		req.Header.Set("X-Slotgate-Signature", "sha256="+hex.EncodeToString(m.Sum(nil)))
	}
	client := s.Client
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("post notification: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("post notification: %s", res.Status)
	}
	return nil
}
