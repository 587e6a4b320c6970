package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"slotgate/domain"
)

// The OpenAPI 3.1 document of /api/v1 is generated from Go: each operation
// is a row of apiOperations below, and the schemas are reflected from the
// very types the handlers encode and decode, so that a renamed or added
// field changes the document with the code. TestOpenAPICoversRoutes fails
// when a route Echo serves has no row (or a row has no route), and every
// /api/v1 answer of the HTTP test suites is validated against the
// document (testkit's contract recorder).
//
// To add an operation: register the route, then add a row here with its
// request and response types (a zero value of each), its success status
// and the problem codes it can answer. The common problems (malformed or
// non-JSON body, sign-in, not_found on a path parameter, unavailable,
// internal) are added from the row's shape.

// apiOp is one operation of the document.
type apiOp struct {
	Method, Path string // as registered with Echo (":slug")
	ID, Summary  string
	Tag          string
	// Auth: needs a staff or admin session; Admin: admins only.
	Auth, Admin bool
	Query       []apiParam
	Header      []apiParam
	// Body is a zero value of the JSON request body's type (nil: none);
	// BodyMedia names another request media type (binary).
	Body      any
	BodyMedia []string
	// Status is the success status; Out a zero value of its JSON body
	// (nil: none), OutMedia another media type (with Out: the same answer
	// in that form, chosen with Accept).
	Status     int
	Out        any
	OutMedia   string
	OutHeaders []string // names in components.headers
	// Problems are the operation's own refusals; Limited adds rate_limited
	// and the RateLimit fields.
	Problems []domain.Code
	Limited  bool
}

type apiParam struct {
	Name, Description string
	Schema            map[string]any
	Required          bool
}

var (
	dateParam  = apiParam{Name: "date", Description: "A day, YYYY-MM-DD.", Schema: map[string]any{"type": "string", "format": "date"}}
	idemHeader = apiParam{Name: "Idempotency-Key", Description: "Makes a retried booking return the first one's answer (with Idempotent-Replayed: true) instead of booking twice.",
		Schema: map[string]any{"type": "string", "maxLength": 255}}
)

// The reports' and the calendar's range.
var (
	reportVenue = apiParam{Name: "venue", Description: "One venue (a slug); none: every venue.", Schema: map[string]any{"type": "string"}}
	reportFrom  = apiParam{Name: "from", Description: "First day, YYYY-MM-DD.", Schema: map[string]any{"type": "string", "format": "date"}}
	reportTo    = apiParam{Name: "to", Description: "Last day, YYYY-MM-DD.", Schema: map[string]any{"type": "string", "format": "date"}}
)

// pathParams describe the path parameters by name.
var pathParams = map[string]apiParam{
	"slug":     {Description: "A venue's slug.", Schema: map[string]any{"type": "string", "pattern": "^[a-z0-9-]+$"}},
	"code":     {Description: "A booking's code (as printed under its QR code).", Schema: map[string]any{"type": "string"}},
	"token":    {Description: "A standby entry's token.", Schema: map[string]any{"type": "string"}},
	"date":     {Description: "A day at the venue, YYYY-MM-DD.", Schema: map[string]any{"type": "string"}},
	"id":       {Description: "A numeric id.", Schema: map[string]any{"type": "string", "pattern": "^[0-9]+$"}},
	"username": {Description: "A user's name.", Schema: map[string]any{"type": "string"}},
	"position": {Description: "A person's position in the party, from 1.", Schema: map[string]any{"type": "string", "pattern": "^[0-9]+$"}},
}

var (
	bookingCodes   = []domain.Code{domain.CodeNotFound, domain.CodeValidation, domain.CodeSoldOut, domain.CodeAlreadyBooked, domain.CodeSlotClosed, domain.CodeRestricted, domain.CodeConflict}
	admissionCodes = []domain.Code{domain.CodeValidation, domain.CodeInvalidCode, domain.CodeAlreadyAdmitted, domain.CodeWrongVenue,
		domain.CodeWrongTime, domain.CodeCancelled, domain.CodeFlowLimited, domain.CodeNotFound}
)

// apiOperations is every /api/v1 operation.
var apiOperations = []apiOp{
	{Method: "GET", Path: "/api/v1/openapi.json", ID: "getOpenAPI", Tag: "meta", Summary: "This document.", Status: 200, Out: map[string]any{}},

	{Method: "GET", Path: "/api/v1/venues", ID: "listVenues", Tag: "visitors", Summary: "Every venue, with its rules and bookable days.", Status: 200, Out: []venueJSON{}},
	{Method: "GET", Path: "/api/v1/venues/:slug", ID: "getVenue", Tag: "visitors", Summary: "One venue.", Status: 200, Out: venueJSON{}},
	{Method: "GET", Path: "/api/v1/venues/:slug/slots", ID: "listSlots", Tag: "visitors", Summary: "A venue's time slots of a day (default: today at the venue), with places left.",
		Query: []apiParam{dateParam}, Status: 200, Out: []slotJSON{}, Problems: []domain.Code{domain.CodeValidation}},
	{Method: "POST", Path: "/api/v1/bookings", ID: "createBooking", Tag: "visitors", Summary: "Book a slot for a party; one booking per ID per venue per day.",
		Header: []apiParam{idemHeader}, Body: bookingBody{}, Status: 201, Out: bookingJSON{}, OutHeaders: []string{"Location", "Idempotent-Replayed"},
		Problems: bookingCodes, Limited: true},
	{Method: "GET", Path: "/api/v1/bookings/:code", ID: "getBooking", Tag: "visitors", Summary: "A booking by its code.", Status: 200, Out: bookingJSON{}, Limited: true},
	{Method: "DELETE", Path: "/api/v1/bookings/:code", ID: "cancelBooking", Tag: "visitors", Summary: "Cancel a booking before its slot starts.",
		Status: 200, Out: bookingJSON{}, Problems: []domain.Code{domain.CodeNotCancellable}, Limited: true},
	{Method: "GET", Path: "/api/v1/bookings/:code/qr.png", ID: "getBookingQR", Tag: "visitors", Summary: "A booking's QR code, to show at the gate.",
		Status: 200, OutMedia: "image/png", Problems: []domain.Code{domain.CodeNotCancellable, domain.CodeCancelled}, Limited: true},
	{Method: "GET", Path: "/api/v1/bookings", ID: "findBooking", Tag: "visitors", Summary: "A booking by its booking number, found only together with its phone.",
		Query: []apiParam{{Name: "number", Description: "The booking number (10 digits).", Schema: map[string]any{"type": "string"}, Required: true},
			{Name: "phone", Description: "The booking's phone, in any common spelling.", Schema: map[string]any{"type": "string"}, Required: true}},
		Status: 200, Out: bookingJSON{}, Problems: []domain.Code{domain.CodeNotFound}, Limited: true},
	{Method: "DELETE", Path: "/api/v1/bookings/:code/visitors/:position", ID: "cancelPerson", Tag: "visitors",
		Summary: "Cancel one person of a party before the slot starts; the last person cancels the booking.",
		Status:  200, Out: bookingJSON{}, Problems: []domain.Code{domain.CodeNotCancellable, domain.CodeNotFound}, Limited: true},
	{Method: "POST", Path: "/api/v1/visitor/sign-in", ID: "visitorSignIn", Tag: "visitors", Summary: "Text a one-time code to a phone (5 minutes, 5 tries).",
		Body: visitorSignInBody{}, Status: 202, Out: visitorCodeSentJSON{}, Problems: []domain.Code{domain.CodeValidation}, Limited: true},
	{Method: "POST", Path: "/api/v1/visitor/sign-in/verify", ID: "visitorVerify", Tag: "visitors", Summary: "Trade a phone's one-time code for a visitor token (a day).",
		Body: visitorSignInBody{}, Status: 200, Out: visitorTokenJSON{}, Problems: []domain.Code{domain.CodeUnauthorized}, Limited: true},
	{Method: "GET", Path: "/api/v1/visitor/bookings", ID: "visitorBookings", Tag: "visitors", Summary: "The bookings of the visitor token's phone, newest first.",
		Auth: true, Status: 200, Out: []bookingJSON{}},
	{Method: "POST", Path: "/api/v1/standby", ID: "joinStandby", Tag: "visitors", Summary: "Join a full slot's standby list (same body and rules as a booking).",
		Body: bookingBody{}, Status: 201, Out: standbyJSON{}, OutHeaders: []string{"Location"}, Problems: bookingCodes, Limited: true},
	{Method: "GET", Path: "/api/v1/standby/:token", ID: "getStandby", Tag: "visitors", Summary: "A standby entry, its place in the queue, and its booking once made.",
		Status: 200, Out: standbyJSON{}, Limited: true},
	{Method: "DELETE", Path: "/api/v1/standby/:token", ID: "withdrawStandby", Tag: "visitors", Summary: "Leave a standby list.",
		Status: 200, Out: standbyJSON{}, Problems: []domain.Code{domain.CodeConflict}, Limited: true},

	{Method: "POST", Path: "/api/v1/auth/login", ID: "login", Tag: "staff", Summary: "Sign in for a bearer token.",
		Body: loginBody{}, Status: 200, Out: sessionJSON{}, Problems: []domain.Code{domain.CodeUnauthorized, domain.CodeValidation}, Limited: true},
	{Method: "POST", Path: "/api/v1/auth/logout", ID: "logout", Tag: "staff", Summary: "End the session.", Auth: true, Status: 204},
	{Method: "GET", Path: "/api/v1/auth/me", ID: "me", Tag: "staff", Summary: "The signed-in user and the venues they serve.", Auth: true, Status: 200, Out: sessionJSON{}},
	{Method: "POST", Path: "/api/v1/admissions", ID: "admit", Tag: "staff", Summary: "Admit a booking at a gate (a scan); refusals carry the booking, the first admission or the window.",
		Auth: true, Body: admitBody{}, Status: 200, Out: admittedJSON{}, Problems: admissionCodes},
	{Method: "POST", Path: "/api/v1/admissions/offline", ID: "uploadOfflineScans", Tag: "staff", Summary: "Record scans made without a connection, as they happened.",
		Auth: true, Body: offlineBody{}, Status: 200, Out: offlineUploadJSON{}, Problems: []domain.Code{domain.CodeValidation}},
	{Method: "POST", Path: "/api/v1/venues/:slug/walkins", ID: "walkIn", Tag: "staff", Summary: "Admit a party without a booking, in the day's places.",
		Auth: true, Body: walkInBody{}, Status: 201, Out: admittedJSON{}, Problems: slices.Concat(bookingCodes, admissionCodes)},
	{Method: "POST", Path: "/api/v1/venues/:slug/exits", ID: "recordExit", Tag: "staff", Summary: "Count people leaving.",
		Auth: true, Body: exitBody{}, Status: 200, Out: occupancyJSON{}, Problems: []domain.Code{domain.CodeValidation, domain.CodeNobodyInside}},
	{Method: "GET", Path: "/api/v1/venues/:slug/occupancy", ID: "getOccupancy", Tag: "staff", Summary: "People inside now, and the capacity.", Auth: true, Status: 200, Out: occupancyJSON{}},
	{Method: "GET", Path: "/api/v1/venues/:slug/scan-keys", ID: "getScanKeys", Tag: "staff", Summary: "The public key offline scanners check codes with.", Auth: true, Status: 200, Out: scanKeysJSON{}},
	{Method: "GET", Path: "/api/v1/venues/:slug/cancellations", ID: "listCancellations", Tag: "staff", Summary: "Codes cancelled since a time, for offline scanners.",
		Auth: true, Query: []apiParam{{Name: "since", Description: "RFC 3339 time; default: the start of today.", Schema: map[string]any{"type": "string", "format": "date-time"}}},
		Status: 200, Out: cancelledJSON{}, Problems: []domain.Code{domain.CodeValidation}},
	{Method: "POST", Path: "/api/v1/scans/decode", ID: "decodeScan", Tag: "staff", Summary: "Read a QR code from a camera frame (PNG or JPEG, up to 2 MiB and 4096x4096 pixels; limited per staff account).",
		Auth: true, BodyMedia: []string{"image/jpeg", "image/png"}, Status: 200, Out: decodedJSON{}, Problems: []domain.Code{domain.CodeInvalidCode}, Limited: true},
	{Method: "GET", Path: "/api/v1/venues/:slug/bookings.csv", ID: "staffListCSV", Tag: "staff", Summary: "A day's bookings for the list at the entrance: names and masked IDs.",
		Auth: true, Query: []apiParam{{Name: "date", Description: "The day, YYYY-MM-DD.", Schema: map[string]any{"type": "string", "format": "date"}, Required: true}},
		Status: 200, OutMedia: "text/csv", Problems: []domain.Code{domain.CodeValidation}},

	{Method: "POST", Path: "/api/v1/admin/venues", ID: "createVenue", Tag: "admin", Summary: "Add a venue.",
		Admin: true, Body: venueBody{}, Status: 201, Out: venueJSON{}, OutHeaders: []string{"Location"}, Problems: []domain.Code{domain.CodeValidation, domain.CodeConflict}},
	{Method: "PUT", Path: "/api/v1/admin/venues/:slug", ID: "updateVenue", Tag: "admin", Summary: "Change a venue; slots are added or removed, booked slots kept.",
		Admin: true, Body: venueBody{}, Status: 200, Out: venueChangeJSON{}, Problems: []domain.Code{domain.CodeValidation, domain.CodeConflict}},
	{Method: "PUT", Path: "/api/v1/admin/venues/:slug/default-quota", ID: "setDefaultQuota", Tag: "admin", Summary: "Set the quota of every slot not set by hand.",
		Admin: true, Body: quotaBody{}, Status: 200, Out: venueChangeJSON{}, Problems: []domain.Code{domain.CodeValidation, domain.CodeBelowBooked}},
	{Method: "PUT", Path: "/api/v1/admin/venues/:slug/days/:date/quota", ID: "setDayQuota", Tag: "admin", Summary: "Set the quota of a day's slots; each says whether it changed.",
		Admin: true, Body: quotaBody{}, Status: 200, Out: []slotQuotaResultJSON{}, Problems: []domain.Code{domain.CodeValidation, domain.CodeBelowBooked}},
	{Method: "GET", Path: "/api/v1/admin/venues/:slug/days/:date", ID: "getDayView", Tag: "admin", Summary: "A day's slots with bookings, admissions and no-shows.",
		Auth: true, Status: 200, Out: []slotReportJSON{}, Problems: []domain.Code{domain.CodeValidation}},
	{Method: "POST", Path: "/api/v1/admin/venues/:slug/closures", ID: "closeVenue", Tag: "admin", Summary: "Close a day or one slot; its bookings are cancelled.",
		Admin: true, Body: closureBody{}, Status: 200, Out: closureJSON{}, Problems: []domain.Code{domain.CodeValidation, domain.CodeConflict}},
	{Method: "PUT", Path: "/api/v1/admin/slots/:id/quota", ID: "setSlotQuota", Tag: "admin", Summary: "Set one slot's quota.",
		Admin: true, Body: quotaBody{}, Status: 200, Out: slotJSON{}, Problems: []domain.Code{domain.CodeValidation, domain.CodeBelowBooked}},
	{Method: "POST", Path: "/api/v1/admin/users", ID: "addUser", Tag: "admin", Summary: "Add a staff member or admin.",
		Admin: true, Body: userBody{}, Status: 201, Out: userJSON{}, Problems: []domain.Code{domain.CodeValidation, domain.CodeConflict}},
	{Method: "GET", Path: "/api/v1/admin/users", ID: "listUsers", Tag: "admin", Summary: "Every user.", Admin: true, Status: 200, Out: []userJSON{}},
	{Method: "PUT", Path: "/api/v1/admin/users/:username", ID: "updateUser", Tag: "admin", Summary: "Disable, enable or reassign a user.",
		Admin: true, Body: userChangeBody{}, Status: 200, Out: userJSON{}, Problems: []domain.Code{domain.CodeValidation, domain.CodeConflict}},
	{Method: "POST", Path: "/api/v1/admin/users/:username/password", ID: "resetPassword", Tag: "admin", Summary: "Set a user's password; their sessions end.",
		Admin: true, Body: passwordBody{}, Status: 204, Problems: []domain.Code{domain.CodeValidation}},
	{Method: "GET", Path: "/api/v1/admin/audit", ID: "listAudit", Tag: "admin", Summary: "The audit log, newest first, a page at a time (Link, X-Total-Count).",
		Admin: true, Query: []apiParam{
			{Name: "user", Description: "Only this user's entries.", Schema: map[string]any{"type": "string"}},
			{Name: "kind", Description: "Only entries of this kind.", Schema: map[string]any{"type": "string"}},
			{Name: "venue", Description: "Only this venue's entries (a slug).", Schema: map[string]any{"type": "string"}},
			{Name: "from", Description: "RFC 3339 time.", Schema: map[string]any{"type": "string", "format": "date-time"}},
			{Name: "to", Description: "RFC 3339 time.", Schema: map[string]any{"type": "string", "format": "date-time"}},
			{Name: "page", Description: "From 1.", Schema: map[string]any{"type": "integer", "minimum": 1}},
			{Name: "per_page", Description: "1 to 500, default 50.", Schema: map[string]any{"type": "integer", "minimum": 1, "maximum": 500}},
		}, Status: 200, Out: []auditJSON{}, OutHeaders: []string{"Link", "X-Total-Count"}, Problems: []domain.Code{domain.CodeValidation}},
	{Method: "GET", Path: "/api/v1/admin/live", ID: "getLive", Tag: "admin", Summary: "Each venue now: inside, admissions a minute, today's slots.",
		Auth: true, Status: 200, Out: []LiveJSON{}},
	{Method: "PUT", Path: "/api/v1/admin/venues/:slug/days/:date", ID: "setSpecialDay", Tag: "admin", Summary: "Open a day the weekly rule closes (slots made at once) or a closure closed (its slots not yet started sell again), or close a day ahead (its bookings cancelled and told).",
		Admin: true, Body: dayBody{}, Status: 200, Out: map[string]any{}, Problems: []domain.Code{domain.CodeValidation}},
	{Method: "GET", Path: "/api/v1/admin/venues/:slug/days", ID: "listSpecialDays", Tag: "admin", Summary: "A venue's special days in a range.",
		Admin: true, Query: []apiParam{reportFrom, reportTo}, Status: 200, Out: []specialDayJSON{}, Problems: []domain.Code{domain.CodeValidation}},
	{Method: "GET", Path: "/api/v1/admin/bookings", ID: "deskSearch", Tag: "admin", Summary: "The desk: a venue's bookings of a day matching a phone, booking number, name or ID number; masked IDs only.",
		Auth: true, Query: []apiParam{
			{Name: "venue", Description: "The venue (a slug); staff serving one venue may leave it out.", Schema: map[string]any{"type": "string"}},
			{Name: "date", Description: "The day, YYYY-MM-DD.", Schema: map[string]any{"type": "string", "format": "date"}, Required: true},
			{Name: "q", Description: "A phone, booking number, name or ID number; none: the whole day.", Schema: map[string]any{"type": "string", "maxLength": 64}},
		}, Status: 200, Out: []bookingJSON{}, Problems: []domain.Code{domain.CodeValidation}},
	{Method: "POST", Path: "/api/v1/admin/bookings/:id/cancel", ID: "deskCancel", Tag: "admin", Summary: "Cancel persons of a booking at a visitor's request (those listed, or everyone still outside); audited.",
		Auth: true, Body: deskCancelBody{}, Status: 200, Out: bookingJSON{}, Problems: []domain.Code{domain.CodeValidation, domain.CodeNotCancellable}},
	{Method: "GET", Path: "/api/v1/admin/reports/daily", ID: "dailyReport", Tag: "admin", Summary: "Per venue and day: quota, booked, admitted, no-shows, cancelled, walk-ins (persons). CSV with Accept: text/csv.",
		Admin: true, Query: []apiParam{reportVenue, reportFrom, reportTo}, Status: 200, Out: []DailyRow{}, OutMedia: "text/csv", Problems: []domain.Code{domain.CodeValidation}},
	{Method: "GET", Path: "/api/v1/admin/reports/origins", ID: "originReport", Tag: "admin", Summary: "Visitors by province of origin (GB/T 2260) and by other ID type; kept after erasure. CSV with Accept: text/csv.",
		Admin: true, Query: []apiParam{reportVenue, reportFrom, reportTo}, Status: 200, Out: []OriginRow{}, OutMedia: "text/csv", Problems: []domain.Code{domain.CodeValidation}},
	{Method: "GET", Path: "/api/v1/admin/venues/:slug/restrictions", ID: "listRestrictions", Tag: "admin", Summary: "IDs restricted for no-shows at a venue.",
		Auth: true, Status: 200, Out: []restrictionJSON{}},
	{Method: "POST", Path: "/api/v1/admin/restrictions/:id/lift", ID: "liftRestriction", Tag: "admin", Summary: "Lift a restriction, with a reason.",
		Admin: true, Body: reasonBody{}, Status: 200, Out: restrictionJSON{}, Problems: []domain.Code{domain.CodeValidation}},
}

// openAPIPath is an Echo path as OpenAPI writes it: ":slug" as "{slug}".
func openAPIPath(echoPath string) string {
	parts := strings.Split(echoPath, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") {
			parts[i] = "{" + p[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

var (
	openAPIOnce sync.Once
	openAPIJSON []byte
)

// OpenAPIDocument is the document served at /api/v1/openapi.json.
func OpenAPIDocument() []byte {
	openAPIOnce.Do(func() {
		b, err := json.Marshal(buildOpenAPI())
		if err != nil {
			panic(err)
		}
		openAPIJSON = b
	})
	return openAPIJSON
}

func (s *server) openAPI(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=300")
	return c.JSONBlob(http.StatusOK, OpenAPIDocument())
}

// schemaSet collects the named schemas reflected from Go types.
type schemaSet struct {
	named map[string]any
	names map[reflect.Type]string
}

// schemaName is a Go type's name in components.schemas: venueJSON is
// Venue, bookingBody BookingInput.
func schemaName(t reflect.Type) string {
	n := t.Name()
	switch {
	case strings.HasSuffix(n, "JSON"):
		n = strings.TrimSuffix(n, "JSON")
	case strings.HasSuffix(n, "Body"):
		n = strings.TrimSuffix(n, "Body") + "Input"
	}
	r := []rune(n)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

var timeType = reflect.TypeOf(time.Time{})

// of is the schema of values of type t, as encoding/json writes them.
func (ss *schemaSet) of(t reflect.Type) map[string]any {
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case reflect.TypeOf(domain.Code("")):
		return map[string]any{"type": "string"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return ss.of(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return map[string]any{"type": "integer"}
	case reflect.Int64, reflect.Uint64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": ss.of(t.Elem())}
	case reflect.Map:
		if t.Elem().Kind() == reflect.Interface {
			return map[string]any{"type": "object"}
		}
		return map[string]any{"type": "object", "additionalProperties": ss.of(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		if t.Name() == "" {
			return ss.object(t)
		}
		name, seen := ss.names[t]
		if !seen {
			name = schemaName(t)
			ss.names[t] = name
			ss.named[name] = ss.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	panic("openapi: no schema for " + t.String())
}

// object is a struct's schema: its JSON fields, those without omitempty
// required. Request bodies refuse unknown fields, and answers have no
// others, so neither admits additional properties.
func (ss *schemaSet) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	required := []string{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if f.Anonymous && tag == "" {
				walk(f.Type)
				continue
			}
			if !f.IsExported() || tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" {
				name = f.Name
			}
			props[name] = ss.of(f.Type)
			if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
				required = append(required, name)
			}
		}
	}
	walk(t)
	o := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// requestSchema is a request body's schema: every field optional (the
// rules are checked by the service and refused with validation_failed),
// and pointer fields may be null, meaning "leave as it is".
func (ss *schemaSet) requestSchema(v any) map[string]any {
	return ss.of(reflect.TypeOf(v))
}

func buildOpenAPI() map[string]any {
	ss := &schemaSet{named: map[string]any{}, names: map[reflect.Type]string{}}
	ss.of(reflect.TypeOf(Problem{}))
	paths := map[string]map[string]any{}
	for _, op := range apiOperations {
		p := openAPIPath(op.Path)
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		paths[p][strings.ToLower(op.Method)] = op.build(ss)
	}
	pathsAny := map[string]any{}
	for k, v := range paths {
		pathsAny[k] = v
	}
	// Request bodies are decoded strictly, but their fields are optional.
	for _, op := range apiOperations {
		if op.Body != nil {
			name := ss.names[reflect.TypeOf(op.Body)]
			if o, ok := ss.named[name].(map[string]any); ok {
				delete(o, "required")
			}
		}
	}
	codes := make([]string, 0, len(statusOf))
	for c := range statusOf {
		codes = append(codes, string(c))
	}
	sort.Strings(codes)
	if prob, ok := ss.named["Problem"].(map[string]any); ok {
		props := prob["properties"].(map[string]any)
		props["code"] = map[string]any{"type": "string", "enum": codes, "description": "The stable word a client acts on; its page is at the type's address."}
		props["type"] = map[string]any{"type": "string", "format": "uri-reference", "description": "/problems/{code}: a page (zh/en) saying what the code means and what to do."}
	}
	return map[string]any{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
		"info": map[string]any{
			"title":   "slotgate API",
			"version": "1",
			"description": "Timed-entry booking for venues: visitors book slots, staff admit them at the gate, admins set venues and quotas.\n\n" +
				"Errors are RFC 9457 problem+json with a stable `code`; its `type` (/problems/{code}) is a page that explains it. " +
				"Titles and details follow `Accept-Language` (zh, en; or `?lang=`), and say so in `Content-Language`.\n\n" +
				"Request limits are reported in the RateLimit and RateLimit-Policy fields of draft-ietf-httpapi-ratelimit-headers: " +
				"each limit is a token bucket of q requests refilled in w seconds; r may be sent now, t seconds until r is q again.",
		},
		"servers": []any{map[string]any{"url": "/"}},
		"tags": []any{
			map[string]any{"name": "visitors", "description": "Venues, slots, bookings and standby lists; no sign-in."},
			map[string]any{"name": "staff", "description": "Signed-in staff at the gate."},
			map[string]any{"name": "admin", "description": "Signed-in admins (some reads also for staff of the venue)."},
			map[string]any{"name": "meta", "description": "This description."},
		},
		"paths": pathsAny,
		"components": map[string]any{
			"schemas": ss.named,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "The token POST /api/v1/auth/login returns."},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie,
					"description": "The staff pages' session cookie; any method but GET and HEAD also needs the CSRF header."},
				"csrf": map[string]any{"type": "apiKey", "in": "header", "name": csrfHeader,
					"description": "The value of the " + CSRFCookie + " cookie, which another site's page cannot read."},
			},
			"headers": map[string]any{
				"RateLimit-Policy": map[string]any{"description": `The limits the request was counted against: "name";q=<requests>;w=<seconds>, a list (RFC 9651).`,
					"schema": map[string]any{"type": "string"}},
				"RateLimit": map[string]any{"description": `What is left of each: "name";r=<requests now>;t=<seconds until whole>, r never above the policy's q.`,
					"schema": map[string]any{"type": "string"}},
				"Retry-After":         map[string]any{"description": "Seconds to wait before trying again.", "schema": map[string]any{"type": "integer"}},
				"WWW-Authenticate":    map[string]any{"description": `Bearer realm="slotgate".`, "schema": map[string]any{"type": "string"}},
				"Content-Language":    map[string]any{"description": "The language of title and detail: zh or en.", "schema": map[string]any{"type": "string", "enum": []string{"zh", "en"}}},
				"Location":            map[string]any{"description": "The address of what was made.", "schema": map[string]any{"type": "string"}},
				"Idempotent-Replayed": map[string]any{"description": "true when the answer is the first one's, replayed for the same Idempotency-Key.", "schema": map[string]any{"type": "string"}},
				"Link":                map[string]any{"description": "RFC 8288 links to the next and previous pages.", "schema": map[string]any{"type": "string"}},
				"X-Total-Count":       map[string]any{"description": "Entries in all pages.", "schema": map[string]any{"type": "integer"}},
			},
		},
	}
}

func headerRefs(names ...string) map[string]any {
	h := map[string]any{}
	for _, n := range names {
		h[n] = map[string]any{"$ref": "#/components/headers/" + n}
	}
	return h
}

// problems is every code op can answer, with the common ones its shape implies.
func (op apiOp) problems() []domain.Code {
	codes := slices.Clone(op.Problems)
	if op.Body != nil {
		codes = append(codes, domain.CodeMalformed, domain.CodeUnsupportedMediaType)
	}
	if op.BodyMedia != nil {
		codes = append(codes, domain.CodeMalformed)
	}
	if op.Auth || op.Admin {
		codes = append(codes, domain.CodeUnauthorized, domain.CodeForbidden)
	}
	if strings.Contains(op.Path, ":") {
		codes = append(codes, domain.CodeNotFound)
	}
	if op.Limited {
		codes = append(codes, domain.CodeRateLimited)
	}
	codes = append(codes, domain.CodeUnavailable, domain.CodeInternal)
	slices.Sort(codes)
	return slices.Compact(codes)
}

func (op apiOp) build(ss *schemaSet) map[string]any {
	o := map[string]any{"operationId": op.ID, "summary": op.Summary, "tags": []string{op.Tag}}
	var params []any
	for _, seg := range strings.Split(op.Path, "/") {
		if name, ok := strings.CutPrefix(seg, ":"); ok {
			p := pathParams[name]
			params = append(params, map[string]any{"name": name, "in": "path", "required": true, "description": p.Description, "schema": p.Schema})
		}
	}
	for _, in := range []struct {
		where string
		list  []apiParam
	}{{"query", op.Query}, {"header", op.Header}} {
		for _, p := range in.list {
			params = append(params, map[string]any{"name": p.Name, "in": in.where, "required": p.Required, "description": p.Description, "schema": p.Schema})
		}
	}
	if len(params) > 0 {
		o["parameters"] = params
	}
	if op.Body != nil {
		o["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			"application/json": map[string]any{"schema": ss.requestSchema(op.Body)}}}
	}
	if op.BodyMedia != nil {
		content := map[string]any{}
		for _, m := range op.BodyMedia {
			content[m] = map[string]any{"schema": map[string]any{"type": "string", "contentMediaType": m}}
		}
		o["requestBody"] = map[string]any{"required": true, "content": content}
	}
	switch {
	case op.Admin:
		o["description"] = "Admins only."
		fallthrough
	case op.Auth:
		if op.Method == http.MethodGet {
			o["security"] = []any{map[string]any{"bearer": []string{}}, map[string]any{"session": []string{}}}
		} else {
			o["security"] = []any{map[string]any{"bearer": []string{}}, map[string]any{"session": []string{}, "csrf": []string{}}}
		}
	}

	responses := map[string]any{}
	ok := map[string]any{"description": http.StatusText(op.Status)}
	var okHeaders []string
	okHeaders = append(okHeaders, op.OutHeaders...)
	if op.Limited {
		okHeaders = append(okHeaders, "RateLimit-Policy", "RateLimit")
	}
	if len(okHeaders) > 0 {
		ok["headers"] = headerRefs(okHeaders...)
	}
	switch {
	case op.Out != nil:
		content := map[string]any{"application/json": map[string]any{"schema": ss.of(reflect.TypeOf(op.Out))}}
		if op.OutMedia != "" {
			// The same answer in another form, chosen with Accept.
			content[op.OutMedia] = map[string]any{"schema": map[string]any{"type": "string", "contentMediaType": op.OutMedia}}
		}
		ok["content"] = content
	case op.OutMedia != "":
		ok["content"] = map[string]any{op.OutMedia: map[string]any{"schema": map[string]any{"type": "string", "contentMediaType": op.OutMedia}}}
	}
	responses[strconv.Itoa(op.Status)] = ok

	byStatus := map[int][]string{}
	for _, c := range op.problems() {
		st := statusOf[c]
		byStatus[st] = append(byStatus[st], string(c))
	}
	// A body over the size limit is a 413.
	if op.Body != nil || op.BodyMedia != nil {
		byStatus[http.StatusRequestEntityTooLarge] = []string{string(domain.CodeMalformed)}
	}
	for st, codes := range byStatus {
		var words []string
		for _, c := range codes {
			words = append(words, "`"+c+"`")
		}
		headers := []string{"Content-Language"}
		switch st {
		case http.StatusUnauthorized:
			headers = append(headers, "WWW-Authenticate")
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			headers = append(headers, "Retry-After")
		}
		if op.Limited && st != http.StatusServiceUnavailable && st != http.StatusInternalServerError {
			headers = append(headers, "RateLimit-Policy", "RateLimit")
		}
		responses[strconv.Itoa(st)] = map[string]any{
			"description": http.StatusText(st) + ": " + strings.Join(words, ", ") + ".",
			"headers":     headerRefs(headers...),
			"content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{
				"allOf": []any{
					map[string]any{"$ref": "#/components/schemas/Problem"},
					map[string]any{"properties": map[string]any{"code": map[string]any{"enum": codes}, "status": map[string]any{"const": st}}},
				},
			}}},
		}
	}
	o["responses"] = responses
	return o
}
