package api

import (
	"encoding/csv"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// FuzzBookingBody: the booking request body is read strictly (one JSON
// value, known fields, right types); what is accepted reads back the same.
func FuzzBookingBody(f *testing.F) {
	f.Add(`{"slot_id":1,"phone":"13800138000","visitors":[{"name":"张三","id_type":"passport","id_number":"E12345678"}]}`)
	f.Add(`{"slot_id":1}{"slot_id":2}`)
	f.Add(`{"slot_id":"1"}`)
	f.Add(`{"slot_id":1,"extra":true}`)
	f.Add(`{"visitors":[{"name":"\u202e"}]}`)
	f.Add(`[]`)
	f.Add(``)
	e := echo.New()
	f.Fuzz(func(t *testing.T, raw string) {
		c := e.NewContext(httptest.NewRequest("POST", "/api/v1/bookings", strings.NewReader(raw)), httptest.NewRecorder())
		var b bookingBody
		if err := decodeJSON(c, &b); err != nil {
			return
		}
		again, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		var b2 bookingBody
		c2 := e.NewContext(httptest.NewRequest("POST", "/", strings.NewReader(string(again))), httptest.NewRecorder())
		if err := decodeJSON(c2, &b2); err != nil || !reflect.DeepEqual(b, b2) {
			t.Fatalf("%q read as %+v, written %s, read back %+v (%v)", raw, b, again, b2, err)
		}
		_ = b.request("")
	})
}

// FuzzCSVExport: a day list with hostile names is a CSV that reads back
// cell for cell, and no name cell starts as a spreadsheet formula.
func FuzzCSVExport(f *testing.F) {
	for _, s := range []string{"张三", "=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "a,b", "a\"b", "line\nbreak", "\r\n", "\t=1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		var out strings.Builder
		w := csv.NewWriter(&out)
		row := []string{"09:00", csvSafe(name), "passport"}
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		got, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
		if err != nil {
			t.Fatalf("%q: the CSV does not read back: %v", name, err)
		}
		if len(got) != 1 || len(got[0]) != 3 || got[0][1] != strings.ReplaceAll(row[1], "\r\n", "\n") && got[0][1] != row[1] {
			t.Fatalf("%q: wrote %q, read %q", name, row, got)
		}
		if c := got[0][1]; c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
			t.Fatalf("%q: the name cell starts a formula: %q", name, c)
		}
	})
}
