// Package fuzz_test holds the fuzz targets of the HTTP layer's parsers, in
// a package of their own so that a fuzzing build instruments the API's
// code and not the whole service (stores, SQLite) its other tests start.
package fuzz_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"slotgate/api"
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
	read := func(raw string) (any, error) {
		c := e.NewContext(httptest.NewRequest("POST", "/api/v1/bookings", strings.NewReader(raw)), httptest.NewRecorder())
		return api.ReadBookingRequest(c)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r, err := read(raw)
		if err != nil {
			return
		}
		// What was accepted, written as the API's body again, reads the same.
		var generic any
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&generic); err != nil {
			t.Fatalf("%q accepted but not JSON: %v", raw, err)
		}
		again, _ := json.Marshal(generic)
		r2, err := read(string(again))
		if err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("%q read as %+v, written %s, read back %+v (%v)", raw, r, again, r2, err)
		}
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
		row := []string{"09:00", api.CSVSafe(name), "passport"}
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		got, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
		if err != nil {
			t.Fatalf("%q: the CSV does not read back: %v", name, err)
		}
		// encoding/csv reads a \r\n inside a quoted cell as \n.
		if len(got) != 1 || len(got[0]) != 3 || got[0][1] != strings.ReplaceAll(row[1], "\r\n", "\n") {
			t.Fatalf("%q: wrote %q, read %q", name, row, got)
		}
		if c := got[0][1]; c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
			t.Fatalf("%q: the name cell starts a formula: %q", name, c)
		}
	})
}
