package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"

	"slotgate/domain"
)

// The sold-out answer of a flood. A slot found full a moment ago is
// answered before the request is decoded (domain.Bookings.SoldOut): all it
// takes from the body is the slot's id, and the answer is the same bytes
// the error handler would write, made once per language.

// bodyBuffers keep booking bodies, read whole before they are looked at.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// quickSlotID finds the value of "slot_id" in a JSON body without decoding
// it. It answers only when the key appears once, as "slot_id": and a plain
// number: otherwise the body takes the full decoding. A key inside a string
// cannot match, since a quote in a JSON string is escaped. (So a body that
// names a slot known full is answered sold out before the rest of it is
// checked: the answer is true whatever the rest holds.)
func quickSlotID(body []byte) (int64, bool) {
	key := []byte(`"slot_id"`)
	i := bytes.Index(body, key)
	if i < 0 || bytes.Contains(body[i+len(key):], key) {
		return 0, false
	}
	rest := bytes.TrimLeft(body[i+len(key):], " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return 0, false
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	var id int64
	n := 0
	for ; n < len(rest) && rest[n] >= '0' && rest[n] <= '9'; n++ {
		if n == 18 {
			return 0, false
		}
		id = id*10 + int64(rest[n]-'0')
	}
	if n == 0 || id == 0 || (n < len(rest) && !bytes.ContainsRune([]byte(" \t\r\n,}"), rune(rest[n]))) {
		return 0, false
	}
	return id, true
}

// soldOutBodies are the sold-out problem documents, by language.
var soldOutBodies sync.Map // Lang -> []byte

// writeSoldOut answers 409 sold_out (no place left) as writeProblem would.
func writeSoldOut(c echo.Context) error {
	l := LangOf(c)
	b, ok := soldOutBodies.Load(l)
	if !ok {
		p := ProblemOf(&domain.Error{Code: domain.CodeSoldOut}, l)
		var buf bytes.Buffer
		if err := json.NewEncoder(&buf).Encode(p); err != nil {
			return writeProblem(c, p)
		}
		b, _ = soldOutBodies.LoadOrStore(l, buf.Bytes())
	}
	if c.Request().Method == http.MethodHead {
		return c.NoContent(http.StatusConflict)
	}
	return c.Blob(http.StatusConflict, "application/problem+json", b.([]byte))
}
