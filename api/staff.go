package api

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"slotgate/domain"
)

// Staff sign in for a bearer token (the API) or a session cookie (the
// scanner page). A cookie is accepted on the API only with the matching
// X-CSRF-Token header, which another site's page cannot send.
const (
	SessionCookie = "slotgate_session" // the staff session, for the API and the staff and admin pages
	CSRFCookie    = "slotgate_csrf"    // the double-submit token that X-CSRF-Token repeats
	csrfHeader    = "X-CSRF-Token"
	sessionKey    = "session"
)

// registerStaff adds the routes of signed-in staff and admins.
func (s *server) registerStaff(e *echo.Echo, v1 *echo.Group) {
	v1.POST("/auth/login", s.login)
	// Middleware per route, not per group: a group's middleware would also
	// answer unknown paths under /api/v1 with 401 instead of 404.
	auth := signedIn{v1, s.requireSession}
	auth.POST("/auth/logout", s.logout)
	auth.GET("/auth/me", s.me)
	auth.POST("/admissions", s.admit)
	auth.POST("/admissions/offline", s.uploadOffline)
	auth.POST("/venues/:slug/walkins", s.walkIn)
	auth.POST("/venues/:slug/exits", s.exit)
	auth.GET("/venues/:slug/occupancy", s.occupancy)
	auth.GET("/venues/:slug/scan-keys", s.scanKeys)
	auth.GET("/venues/:slug/cancellations", s.cancellations)
	auth.POST("/scans/decode", s.decodeScan)
	s.registerAdmin(auth)
	s.registerFairness(v1, auth)
}

// signedIn adds routes that need a session.
type signedIn struct {
	g    *echo.Group
	auth echo.MiddlewareFunc
}

func (r signedIn) GET(path string, h echo.HandlerFunc)  { r.g.GET(path, h, r.auth) }
func (r signedIn) POST(path string, h echo.HandlerFunc) { r.g.POST(path, h, r.auth) }
func (r signedIn) PUT(path string, h echo.HandlerFunc)  { r.g.PUT(path, h, r.auth) }

// bearer is the token of an Authorization: Bearer header, or of the
// session cookie when the CSRF header matches its cookie.
func bearer(c echo.Context) string {
	if h := c.Request().Header.Get(echo.HeaderAuthorization); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	sc, err := c.Cookie(SessionCookie)
	if err != nil {
		return ""
	}
	if c.Request().Method == http.MethodGet || c.Request().Method == http.MethodHead {
		return sc.Value
	}
	cc, err := c.Cookie(CSRFCookie)
	if err != nil || cc.Value == "" || c.Request().Header.Get(csrfHeader) != cc.Value {
		return ""
	}
	return sc.Value
}

// requireSession lets a request through only with a valid session.
func (s *server) requireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess, err := s.Accounts.Authenticate(c.Request().Context(), bearer(c))
		if err != nil {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, authChallenge)
			return err
		}
		c.Set(sessionKey, sess)
		return next(c)
	}
}

// SessionOf is the session that requireSession (or SetSession) found.
func SessionOf(c echo.Context) domain.Session {
	sess, _ := c.Get(sessionKey).(domain.Session)
	return sess
}

// SetSession keeps sess as the request's session, for SessionOf.
func SetSession(c echo.Context, sess domain.Session) { c.Set(sessionKey, sess) }

type loginBody struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type sessionJSON struct {
	Token     string   `json:"token,omitempty"`
	Username  string   `json:"username"`
	Role      string   `json:"role"`
	Venues    []string `json:"venues"`
	ExpiresAt string   `json:"expires_at"`
}

func (s *server) sessionOut(c echo.Context, token string, sess domain.Session) (sessionJSON, error) {
	out := sessionJSON{Token: token, Username: sess.User.Username, Role: string(sess.User.Role), Venues: []string{},
		ExpiresAt: sess.ExpiresAt.UTC().Format(time.RFC3339)}
	venues, err := s.Catalog.Venues(c.Request().Context())
	if err != nil {
		return out, err
	}
	for _, v := range venues {
		if sess.User.Serves(v.ID) {
			out.Venues = append(out.Venues, v.Slug)
		}
	}
	return out, nil
}

func (s *server) login(c echo.Context) error {
	var body loginBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	res, err := s.Accounts.SignIn(c.Request().Context(), body.Username, body.Password, c.RealIP())
	SetRateLimitHeaders(c, res.Limits)
	if domain.CodeOf(err) == domain.CodeUnauthorized {
		return badCredentials{err}
	}
	if err != nil {
		return err
	}
	out, err := s.sessionOut(c, res.Token, res.Session)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, out)
}

func (s *server) logout(c echo.Context) error {
	if err := s.Accounts.SignOut(c.Request().Context(), bearer(c)); err != nil {
		return err
	}
	ClearStaffCookies(c)
	return c.NoContent(http.StatusNoContent)
}

func (s *server) me(c echo.Context) error {
	out, err := s.sessionOut(c, "", SessionOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// admitBody names whom to admit: exactly one of code, number (a booking
// number) and id_number (an ID card at the gate: that one person), and
// optionally the positions of the party to admit.
type admitBody struct {
	Code      string `json:"code"`
	Number    string `json:"number"`
	IDNumber  string `json:"id_number"`
	Visitors  []int  `json:"visitors"`
	Gate      string `json:"gate"`
	Venue     string `json:"venue"`
	RequestID string `json:"request_id"`
}

type occupancyJSON struct {
	Inside   int `json:"inside"`
	Capacity int `json:"capacity"`
}

type admittedJSON struct {
	Result     string        `json:"result"`
	Booking    bookingJSON   `json:"booking"`
	Occupancy  occupancyJSON `json:"occupancy"`
	Gate       string        `json:"gate"`
	AdmittedAt string        `json:"admitted_at"`
	Replayed   bool          `json:"replayed,omitempty"`
	// AdmittedNow are the persons this admission let in; Outside, those of
	// the party still expected.
	AdmittedNow []personRefJSON `json:"admitted_now"`
	Outside     []personRefJSON `json:"outside"`
}

// personRefJSON names one person of a party at the gate: staff compare
// the name and masked ID with the card.
type personRefJSON struct {
	Position int    `json:"position"`
	Name     string `json:"name"`
	IDMasked string `json:"id_masked"`
}

func personRefs(b domain.Booking, positions []int) []personRefJSON {
	out := []personRefJSON{}
	for _, p := range positions {
		if v, ok := b.Person(p); ok {
			out = append(out, personRefJSON{Position: p, Name: v.Name, IDMasked: v.IDMasked})
		}
	}
	return out
}

// staffVenueSlug is the venue a request acts at: the one named, or the only
// one the staff member serves.
func (s *server) staffVenueSlug(c echo.Context, named string) (string, error) {
	if named != "" {
		return named, nil
	}
	sess := SessionOf(c)
	if sess.User.Role == domain.RoleStaff && len(sess.User.VenueIDs) == 1 {
		v, err := s.Catalog.VenueByID(c.Request().Context(), sess.User.VenueIDs[0])
		return v.Slug, err
	}
	return "", domain.Invalid("venue", domain.RuleRequired)
}

func (s *server) admit(c echo.Context) error {
	var body admitBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	slug, err := s.staffVenueSlug(c, body.Venue)
	if err != nil {
		return err
	}
	a, err := s.Admissions.Admit(c.Request().Context(), domain.Scan{Staff: SessionOf(c).User, Venue: slug,
		Gate: body.Gate, Code: body.Code, Number: body.Number, IDNumber: body.IDNumber, Positions: body.Visitors,
		RequestID: body.RequestID})
	s.Metrics.countAdmission(slug, err)
	if err != nil {
		return s.admissionProblem(c, err, a.Booking)
	}
	return s.admittedOut(c, http.StatusOK, a)
}

func (s *server) admittedOut(c echo.Context, status int, a domain.Admitted) error {
	b, err := s.bookingOut(c, a.Booking)
	if err != nil {
		return err
	}
	v, err := s.Catalog.VenueByID(c.Request().Context(), a.Booking.VenueID)
	if err != nil {
		return err
	}
	return c.JSON(status, admittedJSON{Result: "admitted", Booking: b, Gate: a.Admission.Gate,
		Occupancy:  occupancyJSON{Inside: a.Occupancy.Inside, Capacity: a.Occupancy.Capacity},
		AdmittedAt: a.Admission.At.In(v.Location()).Format(time.RFC3339), Replayed: a.Replayed,
		AdmittedNow: personRefs(a.Booking, a.Admission.Positions), Outside: personRefs(a.Booking, a.Booking.Outside())})
}

// admissionProblem answers a refused scan with what staff need to act:
// the party (so they can compare names with ID cards), when and where the
// code was used, the admission window, or how many must leave first.
func (s *server) admissionProblem(c echo.Context, err error, b domain.Booking) error {
	var de *domain.Error
	if !errors.As(err, &de) {
		return err
	}
	p := ProblemOf(err, LangOf(c))
	loc := time.UTC
	if b.ID != 0 {
		if v, verr := s.Catalog.VenueByID(c.Request().Context(), b.VenueID); verr == nil {
			loc = v.Location()
		}
		if out, oerr := s.bookingOut(c, b); oerr == nil {
			p.Booking = &out
		}
	}
	l := LangOf(c)
	switch de.Code {
	case domain.CodeAlreadyAdmitted:
		if de.Admission != nil {
			at := de.Admission.At.In(loc)
			p.Admission = &admissionRefJSON{At: at.Format(time.RFC3339), Gate: de.Admission.Gate}
			p.Detail = Text{"已于 %s 在 %s 入场。", "Admitted at %s at gate %s."}.Format(l, at.Format("15:04"), de.Admission.Gate)
		}
	case domain.CodeWrongTime:
		p.Window = &windowJSON{From: de.From.In(loc).Format(time.RFC3339), To: de.To.In(loc).Format(time.RFC3339)}
		p.Detail = Text{"入场时间为 %s 至 %s。", "Admission runs from %s to %s."}.Format(l,
			de.From.In(loc).Format("01-02 15:04"), de.To.In(loc).Format("01-02 15:04"))
	case domain.CodeWrongVenue:
		if v, verr := s.Catalog.VenueByID(c.Request().Context(), de.VenueID); verr == nil {
			p.Venue = v.Slug
			p.Detail = Text{"该预约属于%s。", "This booking is for %s."}.Format(l, PickName(v, l))
		}
	case domain.CodeFlowLimited:
		if de.MustLeave > 0 {
			p.MustLeave = de.MustLeave
			p.Detail = Text{"馆内已满，需再离开 %d 人方可入场。", "The venue is full: %d more must leave first."}.Format(l, de.MustLeave)
		} else {
			p.Detail = Text{"入口限流，请 %d 秒后再试。", "Entrance flow limit: wait %d s."}.Format(l, p.RetryAfter)
		}
	}
	return writeProblem(c, p)
}

// PickName is the venue's name in language l.
func PickName(v domain.Venue, l Lang) string {
	if l == EN {
		return v.NameEN
	}
	return v.NameZH
}

type walkInBody struct {
	Gate     string        `json:"gate"`
	Phone    string        `json:"phone"`
	Visitors []visitorBody `json:"visitors"`
}

func (s *server) walkIn(c echo.Context) error {
	var body walkInBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	req := bookingBody{Phone: body.Phone, Visitors: body.Visitors}.request("")
	a, err := s.Admissions.WalkIn(c.Request().Context(), SessionOf(c).User, c.Param("slug"), body.Gate, req)
	s.Metrics.countAdmission(c.Param("slug"), err)
	if err != nil {
		return s.admissionProblem(c, err, a.Booking)
	}
	return s.admittedOut(c, http.StatusCreated, a)
}

type exitBody struct {
	Gate      string `json:"gate"`
	Count     int    `json:"count"`
	RequestID string `json:"request_id"`
}

func (s *server) exit(c echo.Context) error {
	var body exitBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if body.Gate == "" {
		body.Gate = "-"
	}
	occ, err := s.Admissions.Exit(c.Request().Context(), SessionOf(c).User, c.Param("slug"), body.Gate, body.Count, body.RequestID)
	var de *domain.Error
	if errors.As(err, &de) && de.Code == domain.CodeNobodyInside {
		p := ProblemOf(err, LangOf(c))
		inside := de.Inside
		p.Inside = &inside
		p.Detail = Text{"馆内现有 %d 人，不能登记离场 %d 人。", "%d people are inside: %d cannot leave."}.Format(LangOf(c), de.Inside, body.Count)
		return writeProblem(c, p)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, occupancyJSON{Inside: occ.Inside, Capacity: occ.Capacity})
}

func (s *server) occupancy(c echo.Context) error {
	occ, err := s.Admissions.Occupancy(c.Request().Context(), SessionOf(c).User, c.Param("slug"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, occupancyJSON{Inside: occ.Inside, Capacity: occ.Capacity})
}

type scanKeysJSON struct {
	Venue     string `json:"venue"`
	VenueID   int64  `json:"venue_id"`
	Algorithm string `json:"algorithm"`
	PublicKey string `json:"public_key"`
	Format    string `json:"format"`
}

// codeFormat tells scanner makers how to check a code offline.
const codeFormat = "base64url(no padding) of payload || Ed25519 signature (64 bytes) over payload; " +
	"payload = 0x01, uvarint booking id, uvarint venue id, uvarint days since 1970-01-01, uvarint slot id, party size (1 byte)"

func (s *server) scanKeys(c echo.Context) error {
	v, key, err := s.Admissions.ScanKey(c.Request().Context(), SessionOf(c).User, c.Param("slug"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, scanKeysJSON{Venue: v.Slug, VenueID: v.ID, Algorithm: "Ed25519",
		PublicKey: base64.RawURLEncoding.EncodeToString(key), Format: codeFormat})
}

type cancelledJSON struct {
	AsOf  string          `json:"as_of"`
	Codes []cancelledCode `json:"codes"`
}

type cancelledCode struct {
	Code        string `json:"code"`
	BookingID   int64  `json:"booking_id"`
	Date        string `json:"date"`
	CancelledAt string `json:"cancelled_at"`
}

// cancellations lists codes cancelled since ?since= (RFC 3339; default: all
// for today and later). Pass the answer's as_of as the next since.
func (s *server) cancellations(c echo.Context) error {
	since := time.Time{}
	if q := c.QueryParam("since"); q != "" {
		t, err := time.Parse(time.RFC3339, q)
		if err != nil {
			return domain.Invalid("since", domain.RuleDate)
		}
		since = t
	}
	asOf := s.Clock.Now()
	bs, err := s.Admissions.Cancelled(c.Request().Context(), SessionOf(c).User, c.Param("slug"), since)
	if err != nil {
		return err
	}
	out := cancelledJSON{AsOf: asOf.UTC().Format(time.RFC3339), Codes: make([]cancelledCode, len(bs))}
	for i, b := range bs {
		out.Codes[i] = cancelledCode{Code: s.Bookings.Code(b), BookingID: b.ID, Date: b.Slot.Date.String(),
			CancelledAt: b.CancelledAt.UTC().Format(time.RFC3339)}
	}
	return c.JSON(http.StatusOK, out)
}

type offlineBody struct {
	Venue     string            `json:"venue"`
	ScannerID string            `json:"scanner_id"`
	Scans     []offlineScanJSON `json:"scans"`
}

type offlineScanJSON struct {
	Code      string    `json:"code"`
	Gate      string    `json:"gate"`
	Nonce     string    `json:"nonce"`
	ScannedAt time.Time `json:"scanned_at"`
}

type offlineResultJSON struct {
	Nonce     string            `json:"nonce"`
	Result    string            `json:"result"`
	BookingID int64             `json:"booking_id,omitempty"`
	PartySize int               `json:"party_size,omitempty"`
	First     *admissionRefJSON `json:"first_admission,omitempty"`
	Repeat    bool              `json:"repeat,omitempty"`
}

// uploadOffline records scans made without a connection, as they happened.
func (s *server) uploadOffline(c echo.Context) error {
	var body offlineBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	slug, err := s.staffVenueSlug(c, body.Venue)
	if err != nil {
		return err
	}
	scans := make([]domain.OfflineScan, len(body.Scans))
	for i, sc := range body.Scans {
		scans[i] = domain.OfflineScan{Code: sc.Code, Gate: sc.Gate, Nonce: sc.Nonce, ScannedAt: sc.ScannedAt}
	}
	results, err := s.Admissions.Upload(c.Request().Context(), SessionOf(c).User, slug, body.ScannerID, scans)
	if err != nil {
		return err
	}
	out := make([]offlineResultJSON, len(results))
	conflicts := 0
	for i, r := range results {
		out[i] = offlineResultJSON{Nonce: r.Nonce, Result: r.Result, BookingID: r.Booking.ID, PartySize: r.Booking.PartySize, Repeat: r.Repeat}
		if r.First != nil {
			out[i].First = &admissionRefJSON{At: r.First.At.UTC().Format(time.RFC3339), Gate: r.First.Gate}
		}
		if r.Result != domain.AttemptAdmitted {
			conflicts++
		}
	}
	return c.JSON(http.StatusOK, offlineUploadJSON{Results: out, Refused: conflicts})
}

type offlineUploadJSON struct {
	Results []offlineResultJSON `json:"results"`
	Refused int                 `json:"refused"`
}

type decodedJSON struct {
	Text string `json:"text"`
}

// maxFrameBytes bounds a camera frame sent for decoding.
const maxFrameBytes = 2 << 20

// decodeScan reads a QR code from a camera frame, for phones whose browser
// has no BarcodeDetector.
func (s *server) decodeScan(c echo.Context) error {
	data, err := io.ReadAll(io.LimitReader(c.Request().Body, maxFrameBytes+1))
	if err != nil {
		return malformed(err)
	}
	if len(data) > maxFrameBytes {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	}
	text, err := s.DecodeQR(data)
	if err != nil {
		return &domain.Error{Code: domain.CodeInvalidCode, Detail: "no QR code found in the image"}
	}
	return c.JSON(http.StatusOK, decodedJSON{Text: text})
}

// ClearStaffCookies signs the browser out: the session and CSRF cookies go.
func ClearStaffCookies(c echo.Context) {
	for _, name := range []string{SessionCookie, CSRFCookie} {
		c.SetCookie(&http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: name == SessionCookie,
			Secure: c.IsTLS(), SameSite: http.SameSiteStrictMode})
	}
}
