package testkit

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"slotgate/api"
)

// The response contract: every /api/v1 answer a test instance gives is
// validated against the OpenAPI document the server serves (kin-openapi's
// openapi3filter, which validates OpenAPI 3.1 schemas as JSON Schema
// 2020-12): its status must be listed for the operation, its body must
// match that response's schema, and a problem's code must be one the
// operation lists. A mismatch fails the test that made the request. Routes
// the document lacks are TestOpenAPICoversRoutes' to report; HEAD answers
// have no body to check.

var contract struct {
	once   sync.Once
	router routers.Router
	err    error

	mu      sync.Mutex
	checked map[string]int // "METHOD /path STATUS" → answers validated
}

func contractRouter() (routers.Router, error) {
	contract.once.Do(func() {
		openapi3filter.RegisterBodyDecoder("image/png", openapi3filter.FileBodyDecoder)
		doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIDocument())
		if err != nil {
			contract.err = err
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			contract.err = err
			return
		}
		contract.router, contract.err = gorillamux.NewRouter(doc)
		contract.checked = map[string]int{}
	})
	return contract.router, contract.err
}

// ContractChecked is how many answers were validated, by operation and
// status, in this test binary so far.
func ContractChecked() map[string]int {
	contract.mu.Lock()
	defer contract.mu.Unlock()
	out := make(map[string]int, len(contract.checked))
	for k, v := range contract.checked {
		out[k] = v
	}
	return out
}

// ValidateAnswer checks one answer to req against the document; ok is
// false when the document has no operation for it.
func ValidateAnswer(req *http.Request, status int, header http.Header, body []byte) (ok bool, err error) {
	router, err := contractRouter()
	if err != nil {
		return false, fmt.Errorf("the OpenAPI document does not load: %w", err)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		return false, nil
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	err = openapi3filter.ValidateResponse(req.Context(), in)
	key := fmt.Sprintf("%s %s %d", req.Method, route.Path, status)
	contract.mu.Lock()
	contract.checked[key]++
	contract.mu.Unlock()
	return true, err
}

// recordContract wraps a test instance's handler with the check.
func recordContract(t testing.TB, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/v1/") || r.Method == http.MethodHead {
			h.ServeHTTP(w, r)
			return
		}
		cw := &contractWriter{ResponseWriter: w}
		h.ServeHTTP(cw, r)
		if cw.status == 0 {
			cw.status = http.StatusOK
		}
		if _, err := ValidateAnswer(r, cw.status, w.Header(), cw.body.Bytes()); err != nil {
			t.Errorf("contract: %s %s answered %d, which the OpenAPI document does not allow:\n%v\nbody: %.600s",
				r.Method, r.URL.Path, cw.status, err, cw.body.Bytes())
		}
	})
}

type contractWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *contractWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *contractWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *contractWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *contractWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ContractSummary lists what was validated, one "METHOD /path STATUS: n"
// a line, sorted.
func ContractSummary() string {
	var lines []string
	for k, v := range ContractChecked() {
		lines = append(lines, fmt.Sprintf("%s: %d", k, v))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
