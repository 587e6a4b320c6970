package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"slotgate/api"
	"slotgate/internal/testkit"
)

// loadOpenAPI loads the served document with kin-openapi and validates it
// as OpenAPI 3.1.
func loadOpenAPI(t *testing.T, body []byte) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		t.Fatalf("load the OpenAPI document: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi %q, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	return doc
}

// TestOpenAPICoversRoutes: the document served at /api/v1/openapi.json
// lists exactly the /api/v1 routes the server registers, method by method,
// each with a response for its success and problem+json for its refusals.
func TestOpenAPICoversRoutes(t *testing.T) {
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{})
	res := ta.Do(t, nil, "GET", "/api/v1/openapi.json", nil)
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/v1/openapi.json: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	doc := loadOpenAPI(t, res.Body)

	served := map[string]bool{}
	for _, r := range ta.Echo.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") || !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, r.Method) {
			continue
		}
		served[r.Method+" "+api.OpenAPIPath(r.Path)] = true
	}
	listed := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			listed[method+" "+path] = true
			if op.OperationID == "" || op.Responses == nil || op.Responses.Len() < 2 {
				t.Errorf("%s %s: no operationId or too few responses", method, path)
			}
		}
	}
	for r := range served {
		if !listed[r] {
			t.Errorf("%s is served but not in the OpenAPI document: add a row to apiOperations (api/openapi.go)", r)
		}
	}
	for r := range listed {
		if !served[r] {
			t.Errorf("%s is in the OpenAPI document but the server has no such route", r)
		}
	}
	if len(served) < 30 {
		t.Fatalf("only %d /api/v1 routes found; the walk is broken", len(served))
	}

	// The document is the one the package builds, and says 3.1.
	var head struct{ OpenAPI string }
	if err := json.Unmarshal(api.OpenAPIDocument(), &head); err != nil || head.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q (%v)", head.OpenAPI, err)
	}
}

// TestOpenAPIContract: the recorder every test instance runs behind
// validates real answers (here a venue list, a 404 and a 401 were checked),
// and it refuses answers the document does not allow: a field of the wrong
// type, a missing required field, an unlisted status, a problem code the
// operation does not list.
func TestOpenAPIContract(t *testing.T) {
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{})
	for _, r := range []struct {
		path string
		want int
	}{{"/api/v1/venues", 200}, {"/api/v1/venues/no-such-venue", 404}, {"/api/v1/auth/me", 401}} {
		if res := ta.Do(t, nil, "GET", r.path, nil); res.Status != r.want {
			t.Fatalf("GET %s: %d", r.path, res.Status)
		}
	}
	checked := testkit.ContractChecked()
	for _, k := range []string{"GET /api/v1/venues 200", "GET /api/v1/venues/{slug} 404", "GET /api/v1/auth/me 401"} {
		if checked[k] == 0 {
			t.Errorf("%s was not validated; validated: %v", k, checked)
		}
	}

	req := func(method, path string) *http.Request {
		r, _ := http.NewRequest(method, ta.URL+path, nil)
		return r
	}
	jsonH := http.Header{"Content-Type": {"application/json"}}
	problemH := http.Header{"Content-Type": {"application/problem+json"}}
	for _, bad := range []struct {
		name   string
		req    *http.Request
		status int
		header http.Header
		body   string
	}{
		{"a number as a string", req("GET", "/api/v1/venues/x/occupancy"), 200, jsonH, `{"inside":"3","capacity":10}`},
		{"a required field missing", req("GET", "/api/v1/venues/x/occupancy"), 200, jsonH, `{"inside":3}`},
		{"a field the schema does not have", req("GET", "/api/v1/venues/x/occupancy"), 200, jsonH, `{"inside":3,"capacity":10,"extra":1}`},
		{"a status the operation does not list", req("GET", "/api/v1/venues"), 418, jsonH, `[]`},
		{"a code the operation does not list", req("GET", "/api/v1/venues/x"), 409, problemH,
			`{"type":"/problems/sold_out","title":"t","status":409,"code":"sold_out"}`},
		{"a code under the wrong status", req("GET", "/api/v1/venues/x"), 404, problemH,
			`{"type":"/problems/internal","title":"t","status":404,"code":"internal"}`},
	} {
		ok, err := testkit.ValidateAnswer(bad.req, bad.status, bad.header, []byte(bad.body))
		if !ok || err == nil {
			t.Errorf("%s: accepted (found %v)", bad.name, ok)
		}
	}
	good, err := testkit.ValidateAnswer(req("GET", "/api/v1/venues/x/occupancy"), 200, jsonH, []byte(`{"inside":3,"capacity":10}`))
	if !good || err != nil {
		t.Errorf("a valid answer refused: %v", err)
	}
}
