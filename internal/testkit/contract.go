package testkit

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"slotgate/api"
)

// The response contract: every /api/v1 answer a test instance gives is
// validated against the OpenAPI 3.1 document the server serves. kin-openapi
// loads and validates the document (as 3.1) and finds each answer's
// operation; the operation must list the answer's status and media type,
// and a JSON body must match that response's schema, which is compiled
// once as JSON Schema 2020-12 (the dialect of OpenAPI 3.1) by
// santhosh-tekuri/jsonschema, the validator kin-openapi itself uses for
// 3.1. (kin's openapi3filter.ValidateResponse compiles the schema anew on
// every call, some 9 ms an answer, which would change the timing of the
// suites it watches.) A problem's code must be one the operation lists,
// under its status. A mismatch fails the test that made the request.
// Routes the document lacks are TestOpenAPICoversRoutes' to report; HEAD
// answers have no body to check.

const contractDocURL = "mem:///openapi.json"

var contract struct {
	once     sync.Once
	router   routers.Router
	compiler *jsonschema.Compiler
	err      error

	mu      sync.Mutex
	schemas map[string]*jsonschema.Schema
	checked map[string]int // "METHOD /path STATUS" → answers validated
}

func contractRouter() (routers.Router, error) {
	contract.once.Do(func() {
		raw := api.OpenAPIDocument()
		doc, err := openapi3.NewLoader().LoadFromData(raw)
		if err != nil {
			contract.err = err
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			contract.err = err
			return
		}
		if contract.router, contract.err = gorillamux.NewRouter(doc); contract.err != nil {
			return
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			contract.err = err
			return
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		if contract.err = c.AddResource(contractDocURL, inst); contract.err != nil {
			return
		}
		contract.compiler = c
		contract.schemas = map[string]*jsonschema.Schema{}
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

// pointerToken escapes one JSON Pointer token (RFC 6901).
func pointerToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// responseSchema is the compiled schema at ptr in the document.
func responseSchema(ptr string) (*jsonschema.Schema, error) {
	contract.mu.Lock()
	defer contract.mu.Unlock()
	if s, ok := contract.schemas[ptr]; ok {
		return s, nil
	}
	s, err := contract.compiler.Compile(contractDocURL + "#" + ptr)
	if err != nil {
		return nil, err
	}
	contract.schemas[ptr] = s
	return s, nil
}

// ValidateAnswer checks one answer to req against the document; ok is
// false when the document has no operation for it.
func ValidateAnswer(req *http.Request, status int, header http.Header, body []byte) (ok bool, err error) {
	router, err := contractRouter()
	if err != nil {
		return false, fmt.Errorf("the OpenAPI document does not load: %w", err)
	}
	route, _, err := router.FindRoute(req)
	if err != nil {
		return false, nil
	}
	contract.mu.Lock()
	contract.checked[fmt.Sprintf("%s %s %d", req.Method, route.Path, status)]++
	contract.mu.Unlock()

	code := strconv.Itoa(status)
	resp := route.Operation.Responses.Value(code)
	if resp == nil || resp.Value == nil {
		return true, fmt.Errorf("status %d is not a response of %s %s", status, req.Method, route.Path)
	}
	mt, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	if len(resp.Value.Content) == 0 {
		if len(body) > 0 {
			return true, fmt.Errorf("a body (%s) where the document has none", mt)
		}
		return true, nil
	}
	if resp.Value.Content.Get(mt) == nil {
		return true, fmt.Errorf("media type %q is not one of the response's (%v)", mt, slices.Collect(maps.Keys(resp.Value.Content)))
	}
	if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return true, nil
	}
	ptr := "/paths/" + pointerToken(route.Path) + "/" + strings.ToLower(req.Method) + "/responses/" + code +
		"/content/" + pointerToken(mt) + "/schema"
	sch, err := responseSchema(ptr)
	if err != nil {
		return true, fmt.Errorf("compile %s: %w", ptr, err)
	}
	var rd io.Reader = bytes.NewReader(body)
	if header.Get("Content-Encoding") == "gzip" {
		if rd, err = gzip.NewReader(rd); err != nil {
			return true, fmt.Errorf("Content-Encoding gzip: %w", err)
		}
	}
	inst, err := jsonschema.UnmarshalJSON(rd)
	if err != nil {
		return true, fmt.Errorf("the body is not JSON: %w", err)
	}
	return true, sch.Validate(inst)
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
