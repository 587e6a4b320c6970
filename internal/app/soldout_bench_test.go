package app_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"slotgate/internal/testkit"
)

// BenchmarkSoldOutAnswer measures the server's sold-out answer in process,
// beside a bare Echo handler answering the same 409 in the same run: what
// the middleware and the handler cost per request, without the network.
//
//	go test -run '^$' -bench SoldOutAnswer -benchmem ./internal/app
func BenchmarkSoldOutAnswer(b *testing.B) {
	ta := testkit.StartApp(b, testkit.Mode{Name: "embedded", DB: "sqlite", Redis: "embedded"}, testkit.Options{})
	slotID := floodSlot(b, ta, 1)
	body := func(i int) []byte {
		return fmt.Appendf(nil, `{"slot_id":%d,"phone":"1380000%04d","visitors":[{"name":"游客","id_type":"passport","id_number":"B%07d"}]}`, slotID, i%10000, i)
	}
	for i := range 2 { // the first sells the place, the second finds the slot full
		req := httptest.NewRequest(http.MethodPost, "/api/v1/bookings", bytes.NewReader(body(i)))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		ta.Echo.ServeHTTP(rec, req)
		if want := []int{201, 409}[i]; rec.Code != want {
			b.Fatalf("booking %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	bare := echo.New()
	bare.POST("/api/v1/bookings", func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
		return c.JSON(http.StatusConflict, map[string]any{"type": "/problems/sold_out", "title": "该时段已约满", "status": 409, "code": "sold_out"})
	})
	for _, h := range []struct {
		name string
		h    http.Handler
	}{{"slotgate", ta.Echo}, {"bare-echo", bare}} {
		b.Run(h.name, func(b *testing.B) {
			b.ReportAllocs()
			payload := body(99)
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/api/v1/bookings", bytes.NewReader(payload))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.h.ServeHTTP(rec, req)
				if rec.Code != http.StatusConflict {
					b.Fatalf("answer: %d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
