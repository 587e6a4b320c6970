package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"slotgate/domain"
	"slotgate/infra/notify"
)

func TestWebhookSender(t *testing.T) {
	var got []byte
	var sig, key string
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		sig, key = r.Header.Get("X-Slotgate-Signature"), r.Header.Get("Idempotency-Key")
		w.WriteHeader(status)
	}))
	defer srv.Close()
	s := notify.WebhookSender{URL: srv.URL, Secret: "s3cret"}
	n := domain.Notification{ID: 7, Kind: "closure", BookingID: 42, Phone: "13800138000",
		Text: domain.NotificationText{ZH: "已取消", EN: "cancelled", Code: "abc"}}
	if err := s.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(got, &body); err != nil || body["phone"] != "13800138000" || body["booking_id"] != float64(42) {
		t.Fatalf("body %s: %v", got, err)
	}
	m := hmac.New(sha256.New, []byte("s3cret"))
	m.Write(got)
	if sig != "sha256="+hex.EncodeToString(m.Sum(nil)) || key != "slotgate-notification-7" {
		t.Fatalf("signature %q, idempotency key %q", sig, key)
	}
	status = http.StatusBadGateway
	if err := s.Send(context.Background(), n); err == nil {
		t.Fatal("a 502 counted as delivered")
	}
	srv.Close()
	if err := s.Send(context.Background(), n); err == nil {
		t.Fatal("a closed receiver counted as delivered")
	}
}
