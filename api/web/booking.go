package web

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"slotgate/api"
	"slotgate/api/pages"
	"slotgate/domain"
)

// bookingSlot is the slot a booking form is for, with its venue and what
// a visitor sees of it now.
type bookingSlot struct {
	Venue domain.Venue
	Slot  domain.SlotView
}

// slotForBooking finds the slot of a form's address with its live places.
func (s *server) slotForBooking(ctx context.Context, param string) (bookingSlot, error) {
	id, err := strconv.ParseInt(param, 10, 64)
	if err != nil || id <= 0 {
		return bookingSlot{}, errNoPage
	}
	slot, err := s.Catalog.Slot(ctx, id)
	if err != nil {
		return bookingSlot{}, err
	}
	venue, err := s.Catalog.VenueByID(ctx, slot.VenueID)
	if err != nil {
		return bookingSlot{}, err
	}
	views, err := s.Catalog.SlotsOn(ctx, venue, slot.Date)
	if err != nil {
		return bookingSlot{}, err
	}
	for _, sv := range views {
		if sv.ID == id {
			return bookingSlot{Venue: venue, Slot: sv}, nil
		}
	}
	return bookingSlot{Venue: venue, Slot: domain.SlotView{Slot: slot,
		Availability: slot.Availability(s.Clock.Now(), venue, slot.Quota, slot.Booked, slot.Status == domain.SlotOpen)}}, nil
}

// formRow is one person's fieldset on the booking form.
type formRow struct {
	Key           string // the row's index in field names and ids
	Legend        string
	RemoveLabel   string
	Autocomplete  string
	Focus         string // "name", "type" or "id": the field to put the cursor in
	Name          string
	IDType        string
	Masked        string // what was typed, masked, when the form comes back
	IDNumber      string // a valid number typed before, kept when the form comes back
	NameError     string
	IDTypeError   string
	IDNumberError string
}

// option is one choice of a select.
type option struct {
	Value string
	Label string
}

// sizeLink chooses the number of visitor rows without JavaScript.
type sizeLink struct {
	N       int
	Label   string
	URL     string
	Current bool
}

// fieldProblem is one line of the form's error summary.
type fieldProblem struct {
	ID   string // the input's id, for the summary's link
	Text string
}

type formData struct {
	Venue      venueCard
	DateLabel  string
	TimeLabel  string
	Remaining  string
	BackURL    string
	Action     string
	Key        string
	Max        int
	Sizes      []sizeLink
	Rows       []formRow
	Blank      formRow // the row app.js copies to add a visitor
	IDTypes    []option
	Phone      string
	PhoneError string
	PartyError string
	Alert      *problemView
	Problems   []fieldProblem
	Focus      string // the id of the field to put the cursor in
	JSTexts    string // JSON: the words app.js needs for its feedback
	// TitleKey and SubmitKey name the form's heading and button: a
	// booking's, or the standby list's.
	TitleKey, SubmitKey string
	// Rules states the cancellation deadline and the no-show rule.
	Rules string
	// A sold-out answer offers the nearest slots with places and the
	// slot's standby list.
	Alternatives []pageLink
	StandbyURL   string
	Fewer        *pageLink
}

// newForm lays out an empty booking form of n rows for slot bs.
func (s *server) newForm(v *pageView, bs bookingSlot, n int) *formData {
	venue, loc := bs.Venue, bs.Venue.Location()
	n = min(max(n, 1), venue.MaxPartySize)
	f := &formData{Venue: s.venueCard(v, venue), DateLabel: pages.LongDate(bs.Slot.Date, v.Lang),
		TimeLabel: pages.TimeWindow(bs.Slot.Slot, loc), Remaining: v.textf("form.remaining", bs.Slot.Remaining),
		BackURL: "/venues/" + url.PathEscape(venue.Slug) + "?date=" + bs.Slot.Date.String(),
		Action:  "/book/" + strconv.FormatInt(bs.Slot.ID, 10), Key: formKey(), Max: venue.MaxPartySize,
		TitleKey: "form.title", SubmitKey: "form.submit",
		Rules: v.textf("form.rules", venue.NoShowWindowDays, venue.NoShowStrikes, venue.RestrictionDays)}
	for k := 1; k <= venue.MaxPartySize; k++ {
		f.Sizes = append(f.Sizes, sizeLink{N: k, Label: v.textf("form.size.option", k), URL: f.Action + "?n=" + strconv.Itoa(k), Current: k == n})
	}
	for i := range n {
		f.Rows = append(f.Rows, newRow(v, i))
	}
	f.Blank = formRow{Key: "__I__", Legend: strings.Replace(v.text("form.visitor"), "%d", "__N__", 1),
		RemoveLabel: strings.Replace(v.text("form.remove"), "%d", "__N__", 1), Autocomplete: "off", IDType: string(domain.IDResident)}
	for _, t := range domain.IDTypes {
		f.IDTypes = append(f.IDTypes, option{Value: string(t), Label: v.text("id." + string(t))})
	}
	f.JSTexts = pages.JSTexts(map[string]string{
		"format":     api.RuleText(domain.FieldError{Rule: domain.RuleIDFormat}, v.Lang),
		"checkDigit": api.RuleText(domain.FieldError{Rule: domain.RuleIDCheckDigit}, v.Lang),
		"region":     api.RuleText(domain.FieldError{Rule: domain.RuleIDRegion}, v.Lang),
		"ok":         v.text("form.id_number.ok"),
		"visitor":    v.text("form.visitor"),
		"remove":     v.text("form.remove"),
		"submitting": v.text("form.submitting"),
	})
	return f
}

// newRow is row i of an empty form; the first person's name may come
// from the browser's autofill, the others' may not.
func newRow(v *pageView, i int) formRow {
	r := formRow{Key: strconv.Itoa(i), Legend: v.textf("form.visitor", i+1),
		RemoveLabel: v.textf("form.remove", i+1), Autocomplete: "off", IDType: string(domain.IDResident)}
	if i == 0 {
		r.Autocomplete = "name"
	}
	return r
}

// rowView is what the row template needs: the row and the page around it.
type rowView struct {
	V     *pageView
	R     formRow
	Types []option
}

// Row hands the row template one visitor row of the booking form.
func (v *pageView) Row(r formRow) rowView {
	f, _ := v.Data.(*formData)
	var types []option
	if f != nil {
		types = f.IDTypes
	}
	return rowView{V: v, R: r, Types: types}
}

// slotRefusal is why a slot cannot be booked now, or nil.
func (s *server) slotRefusal(bs bookingSlot) error {
	now := s.Clock.Now()
	switch {
	case bs.Slot.State == domain.SlotStateFull:
		return &domain.Error{Code: domain.CodeSoldOut}
	case bs.Slot.State != domain.SlotStateOpen, bs.Venue.LastBookableDay(now).Before(bs.Slot.Date):
		return domain.ErrSlotClosed
	}
	return nil
}

// bookingForm shows the form for a slot, or why it cannot be booked.
func (s *server) bookingForm(c echo.Context) error {
	bs, err := s.slotForBooking(c.Request().Context(), c.Param("slot"))
	if err != nil {
		return err
	}
	v := s.newView(c, "venues")
	if err := s.slotRefusal(bs); err != nil {
		return s.renderRefusal(c, v, bs, err)
	}
	n, _ := strconv.Atoi(c.QueryParam("n"))
	f := s.newForm(v, bs, n)
	v.Title, v.Data = v.text("form.title"), f
	return s.renderPage(c, http.StatusOK, "book", v)
}

// postedForm is what a booking form sent: its rows as typed, and which of
// them were sent to the use case (rows left wholly blank are not).
type postedForm struct {
	Key     string
	Phone   string
	Rows    []domain.VisitorInput
	Sent    []int // Sent[k] is the row of the request's visitors[k]
	Request domain.BookingRequest
}

func readBookingForm(c echo.Context, slotID int64) postedForm {
	f := postedForm{Key: c.FormValue("idem"), Phone: strings.TrimSpace(c.FormValue("phone"))}
	last := -1
	rows := make([]domain.VisitorInput, domain.MaxPartyLimit)
	for i := range domain.MaxPartyLimit {
		p := "visitors[" + strconv.Itoa(i) + "]."
		form := c.Request().Form
		if !form.Has(p+"name") && !form.Has(p+"id_type") && !form.Has(p+"id_number") {
			continue
		}
		rows[i] = domain.VisitorInput{Name: form.Get(p + "name"), IDType: form.Get(p + "id_type"), IDNumber: form.Get(p + "id_number")}
		last = i
	}
	f.Rows = rows[:last+1]
	f.Request = domain.BookingRequest{SlotID: slotID, Phone: f.Phone, IdempotencyKey: f.Key, ClientAddr: c.RealIP()}
	for i, r := range f.Rows {
		if strings.TrimSpace(r.Name) == "" && strings.TrimSpace(r.IDNumber) == "" {
			continue
		}
		f.Sent = append(f.Sent, i)
		f.Request.Visitors = append(f.Request.Visitors, r)
	}
	return f
}

// bookingSubmit books through the same use case as POST /api/v1/bookings,
// with the form's own Idempotency-Key, and sends the visitor to the
// confirmation; a refusal shows the form again or says what to do next.
func (s *server) bookingSubmit(c echo.Context) error {
	slotID, err := strconv.ParseInt(c.Param("slot"), 10, 64)
	if err != nil || slotID <= 0 {
		return errNoPage
	}
	posted := readBookingForm(c, slotID)
	res, err := s.Bookings.Book(c.Request().Context(), posted.Request)
	api.SetRateLimitHeaders(c, res.Limits)
	s.CountBooking(c, slotID, res.Booking, res.Replayed, err)
	if err == nil {
		return c.Redirect(http.StatusSeeOther, "/bookings/"+s.Bookings.Code(res.Booking))
	}
	switch domain.CodeOf(err) {
	case domain.CodeValidation, domain.CodeAlreadyBooked, domain.CodeRateLimited, domain.CodeUnavailable, domain.CodeSoldOut:
	default:
		return s.refusedBooking(c, slotID, err)
	}
	bs, lerr := s.slotForBooking(c.Request().Context(), c.Param("slot"))
	if lerr != nil {
		return err
	}
	v := s.newView(c, "venues")
	f := s.newForm(v, bs, max(len(posted.Rows), 1))
	s.fillAgain(v, f, posted, err)
	if domain.CodeOf(err) == domain.CodeSoldOut {
		// The names stay; the nearest times with room and the standby list
		// are offered in place of the slot that filled up.
		n := max(len(posted.Request.Visitors), 1)
		f.Alternatives = s.nearbySlots(c.Request().Context(), v, bs, n, 4)
		f.StandbyURL = standbyURL(bs.Slot.ID, n)
		var de *domain.Error
		if errors.As(err, &de) && de.Remaining > 0 {
			f.Fewer = &pageLink{v.textf("next.fewer", de.Remaining), "/book/" + strconv.FormatInt(bs.Slot.ID, 10) + "?n=" + strconv.Itoa(de.Remaining)}
		}
	}
	v.Title, v.Data = v.text("form.title"), f
	return s.renderPage(c, f.Alert.Status, "book", v)
}

// refusedBooking shows why a posted booking was refused where the form
// itself cannot help: the slot is full, closed, or the person restricted.
func (s *server) refusedBooking(c echo.Context, slotID int64, err error) error {
	code := domain.CodeOf(err)
	if code == "" || code == domain.CodeNotFound {
		return err
	}
	bs, lerr := s.slotForBooking(c.Request().Context(), strconv.FormatInt(slotID, 10))
	if lerr != nil {
		return err
	}
	return s.renderRefusal(c, s.newView(c, "venues"), bs, err)
}

// renderRefusal is the page for a refusal about slot bs, in the API's
// words, with the steps that make sense next.
func (s *server) renderRefusal(c echo.Context, v *pageView, bs bookingSlot, err error) error {
	var pv problemView
	pv.fill(api.ProblemOf(err, v.Lang), v)
	pv.About = s.venueCard(v, bs.Venue).Name + " · " + pages.LongDate(bs.Slot.Date, v.Lang) + " " + pages.TimeWindow(bs.Slot.Slot, bs.Venue.Location())
	dayURL := "/venues/" + url.PathEscape(bs.Venue.Slug) + "?date=" + bs.Slot.Date.String()
	var de *domain.Error
	if errors.As(err, &de) && de.Code == domain.CodeSoldOut && de.Remaining > 0 {
		pv.Next = append(pv.Next, pageLink{v.textf("next.fewer", de.Remaining), "/book/" + strconv.FormatInt(bs.Slot.ID, 10) + "?n=" + strconv.Itoa(de.Remaining)})
	}
	if domain.CodeOf(err) == domain.CodeSoldOut {
		pv.Next = append(pv.Next, pageLink{v.text("next.standby"), "/book/" + strconv.FormatInt(bs.Slot.ID, 10) + "/standby"})
	}
	pv.Next = append(pv.Next, pageLink{v.text("next.other.slot"), dayURL})
	if domain.CodeOf(err) == domain.CodeRestricted {
		pv.Next = []pageLink{{v.text("next.lookup"), "/lookup"}}
	}
	pv.Next = append(pv.Next, pageLink{v.text("next.home"), "/"})
	v.Title, v.Data = pv.Title, pv
	return s.renderPage(c, pv.Status, "problem", v)
}

// fillAgain puts a refused form's answers back, each error next to its
// field. The ID numbers that were right are written back; a wrong one is
// cleared, shown what was typed in masked form.
func (s *server) fillAgain(v *pageView, f *formData, posted postedForm, err error) {
	p := api.ProblemOf(err, v.Lang)
	f.Alert = &problemView{}
	f.Alert.fill(p, v)
	f.Phone = posted.Phone
	for i := len(f.Rows); i < len(posted.Rows) && i < f.Max; i++ {
		f.Rows = append(f.Rows, newRow(v, i))
	}
	for i := range f.Sizes {
		f.Sizes[i].Current = f.Sizes[i].N == len(f.Rows)
	}
	for i, r := range posted.Rows {
		if i >= len(f.Rows) {
			break
		}
		f.Rows[i].Name, f.Rows[i].IDType = strings.TrimSpace(r.Name), r.IDType
		if n := domain.NormalizeID(r.IDNumber); n != "" {
			f.Rows[i].Masked = v.textf("form.id_number.re", domain.MaskID(n))
		}
	}
	defer keepValidIDs(f, posted, s.Clock.Now())
	if posted.Key != "" {
		f.Key = posted.Key // nothing was booked under it: a retry may still use it
	}
	for _, fp := range p.Errors {
		id, label := s.placeError(v, f, posted, fp)
		if id == "" {
			continue
		}
		f.Problems = append(f.Problems, fieldProblem{ID: id, Text: label + v.text("sep.colon") + fp.Message})
	}
	// The cursor goes to the first wrong field as the page reads, top to
	// bottom, whatever order the rules found them in.
	slices.SortStableFunc(f.Problems, func(a, b fieldProblem) int { return fieldOrder(a.ID) - fieldOrder(b.ID) })
	if len(f.Problems) > 0 {
		f.Focus = f.Problems[0].ID
	}
	if f.Focus == "" {
		f.Focus = "alert"
	}
	for i := range f.Rows {
		if name, ok := strings.CutPrefix(f.Focus, "v"+f.Rows[i].Key+"-"); ok {
			f.Rows[i].Focus = name
		}
	}
}

// keepValidIDs writes back the ID numbers that were right, so that after a
// form error only the wrong one is typed again.
func keepValidIDs(f *formData, posted postedForm, now time.Time) {
	for i := range f.Rows {
		if i >= len(posted.Rows) || f.Rows[i].IDNumberError != "" || f.Rows[i].IDTypeError != "" {
			continue
		}
		n := domain.NormalizeID(posted.Rows[i].IDNumber)
		if _, ok := domain.CheckID(domain.IDType(posted.Rows[i].IDType), n, now); ok && n != "" {
			f.Rows[i].IDNumber, f.Rows[i].Masked = n, ""
		}
	}
}

// fieldOrder is where the input of id stands on the booking form.
func fieldOrder(id string) int {
	if id == "size" {
		return 0
	}
	if id == "phone" {
		return 1000
	}
	var row int
	var name string
	if _, err := fmt.Sscanf(strings.Replace(id, "-", " ", 1), "v%d %s", &row, &name); err != nil {
		return 999
	}
	return 1 + row*3 + map[string]int{"name": 0, "type": 1, "id": 2}[name]
}

// nextToField is a field error as it reads under the field's own label:
// the message alone in Chinese, a sentence with the label in English.
func nextToField(v *pageView, labelKey, message string) string {
	if v.Lang == api.EN {
		return v.text(labelKey) + " " + message
	}
	return message
}

// placeError puts one field error next to its field and says which input
// it is about; the summary links there. Errors no input holds go to the alert.
func (s *server) placeError(v *pageView, f *formData, posted postedForm, fp api.FieldProblem) (id, label string) {
	switch path := fp.Path; {
	case path == domain.Field("phone"):
		f.PhoneError = nextToField(v, "form.phone", fp.Message)
		return "phone", v.text("form.phone")
	case path == domain.Field("visitors"):
		f.PartyError = capitalize(fp.Message)
		return "size", v.text("form.size")
	case path == domain.Field("Idempotency-Key"):
		// The form's hidden key is the fault, not the visitor: a fresh form
		// key lets the next post through.
		f.Key = formKey()
		if fp.Rule == string(domain.RuleIdempotencyReuse) {
			f.Alert.Detail = v.text("form.key.reused")
			return "", ""
		}
	case path.Name == "visitors" && path.InList:
		k := path.Index
		if k < 0 || k >= len(posted.Sent) {
			break
		}
		row := posted.Sent[k]
		if row >= len(f.Rows) {
			break
		}
		r := &f.Rows[row]
		prefix := "v" + strconv.Itoa(row) + "-"
		switch path.Item {
		case "name":
			r.NameError = nextToField(v, "form.name", fp.Message)
			return prefix + "name", v.textf("form.field.visitor", row+1, v.text("form.name"))
		case "id_type":
			r.IDTypeError = nextToField(v, "form.id_type", fp.Message)
			return prefix + "type", v.textf("form.field.visitor", row+1, v.text("form.id_type"))
		case "id_number":
			r.IDNumberError = nextToField(v, "form.id_number", fp.Message)
			return prefix + "id", v.textf("form.field.visitor", row+1, v.text("form.id_number"))
		}
	}
	if f.Alert.Detail == "" {
		f.Alert.Detail = fp.Message
	}
	return "", ""
}

// bookingData is a booking as its confirmation shows it. It never holds a
// full ID number: the store has none to give.
type bookingData struct {
	Code        string
	Status      string
	StatusText  string
	Heading     string
	QR          template.URL
	QRURL       string
	Venue       venueCard
	DateLabel   string
	TimeLabel   string
	AdmitFrom   string
	PartySize   int
	Visitors    []bookedVisitor
	Phone       string
	IDTypes     string
	EarlyMins   int
	Cancellable bool
	CancelURL   string
	PrintURL    string
	PageURL     string
	AgainURL    string
	Number      string
	Admitted    string // when and at which gate the party was let in
	ClosedNote  string // a booking cancelled by a closure: why
	Rules       string
	Count       int // the persons booked, cancelled ones too
}

type bookedVisitor struct {
	Name        string
	IDType      string
	Masked      string
	Status      string
	StatusText  string // for a person not confirmed
	CancelURL   string // a person the visitor may still cancel
	CancelLabel string
}

// bookingView reads the booking a code stands for and lays it out.
func (s *server) bookingView(c echo.Context, v *pageView) (bookingData, error) {
	ctx := c.Request().Context()
	code := c.Param("code")
	b, err := s.Bookings.ByCode(ctx, code)
	if err != nil {
		return bookingData{}, err
	}
	venue, err := s.Catalog.VenueByID(ctx, b.VenueID)
	if err != nil {
		return bookingData{}, err
	}
	code = s.Bookings.Code(b)
	png, err := s.QR(code, api.QRPixels)
	if err != nil {
		return bookingData{}, err
	}
	loc := venue.Location()
	base := "/bookings/" + code
	d := bookingData{Code: code, Status: string(b.Status), StatusText: v.text("status." + string(b.Status)),
		Heading: v.text("booking.title." + string(b.Status)),
		QR:      template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
		QRURL:   "/api/v1/bookings/" + code + "/qr.png", Venue: s.venueCard(v, venue),
		DateLabel: pages.LongDate(b.Slot.Date, v.Lang), TimeLabel: pages.TimeWindow(b.Slot, loc),
		AdmitFrom: v.textf("booking.admit.from", b.Slot.Start.Add(-time.Duration(venue.AdmissionMinutesBefore)*time.Minute).In(loc).Format("15:04")),
		PartySize: b.PartySize, Phone: b.MaskedPhone(), EarlyMins: venue.AdmissionMinutesBefore,
		Cancellable: b.Cancellable(s.Clock.Now()), CancelURL: base + "/cancel", PrintURL: base + "/print", PageURL: base,
		AgainURL: "/venues/" + url.PathEscape(venue.Slug) + "?date=" + b.Slot.Date.String(),
		Number:   b.Number, Count: len(b.Visitors),
		Rules: v.textf("booking.rules", venue.NoShowWindowDays, venue.NoShowStrikes, venue.RestrictionDays)}
	switch b.Status {
	case domain.BookingAdmitted:
		if a, err := s.Admissions.AdmissionOf(ctx, b.ID); err == nil {
			d.Admitted = v.textf("booking.admitted.at", pages.ShortDate(domain.DateOf(a.At.In(loc)), v.Lang)+" "+a.At.In(loc).Format("15:04"), a.Gate)
		}
	case domain.BookingCancelled:
		if reason, err := s.Admin.ClosureReason(ctx, venue.ID, b.Slot.Date, b.Slot.ID); err == nil && reason != "" {
			d.ClosedNote = v.textf("booking.closed.note", reason)
		}
	}
	var kinds []string
	for _, vi := range b.Visitors {
		label := v.text("id." + string(vi.IDType))
		bv := bookedVisitor{Name: vi.Name, IDType: label, Masked: vi.IDMasked, Status: string(vi.Status)}
		if vi.Status != domain.BookingConfirmed && vi.Status != "" && vi.Status != b.Status {
			bv.StatusText = v.text("booking.person.status." + string(vi.Status))
		}
		if d.Cancellable && vi.Status == domain.BookingConfirmed && b.PartySize > 1 {
			bv.CancelURL = base + "/visitors/" + strconv.Itoa(vi.Position) + "/cancel"
			bv.CancelLabel = v.textf("booking.person.cancel.label", vi.Name)
		}
		d.Visitors = append(d.Visitors, bv)
		if !slices.Contains(kinds, label) {
			kinds = append(kinds, label)
		}
	}
	sep := "、"
	if v.Lang == api.EN {
		sep = ", "
	}
	d.IDTypes = strings.Join(kinds, sep)
	return d, nil
}

// capitalize starts a sentence with a capital letter.
func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// bookingPage is the confirmation: QR code, code, when and where, who.
func (s *server) bookingPage(c echo.Context) error {
	v := s.newView(c, "lookup")
	d, err := s.bookingView(c, v)
	if err != nil {
		return err
	}
	v.Title, v.Data = d.Heading, d
	return s.renderPage(c, http.StatusOK, "booking", v)
}

// bookingPrintPage is the confirmation on one printed page.
func (s *server) bookingPrintPage(c echo.Context) error {
	v := s.newView(c, "lookup")
	d, err := s.bookingView(c, v)
	if err != nil {
		return err
	}
	v.Title, v.Data, v.Bare = d.Heading, d, true
	return s.renderPage(c, http.StatusOK, "print", v)
}

type cancelData struct {
	Booking bookingData
	Explain string
	Action  string
}

// cancelPage asks the visitor to confirm: cancelling cannot be undone.
func (s *server) cancelPage(c echo.Context) error {
	v := s.newView(c, "lookup")
	d, err := s.bookingView(c, v)
	if err != nil {
		return err
	}
	if d.Status == string(domain.BookingCancelled) {
		return c.Redirect(http.StatusSeeOther, d.PageURL)
	}
	if !d.Cancellable {
		return s.renderNotCancellable(c, v, d)
	}
	v.Title = v.text("cancel.title")
	v.Data = cancelData{Booking: d, Explain: v.textf("cancel.explain", d.PartySize), Action: d.CancelURL}
	return s.renderPage(c, http.StatusOK, "cancel", v)
}

func (s *server) renderNotCancellable(c echo.Context, v *pageView, d bookingData) error {
	var pv problemView
	pv.fill(api.ProblemOf(domain.ErrNotCancellable, v.Lang), v)
	pv.About = d.Venue.Name + " · " + d.DateLabel + " " + d.TimeLabel
	pv.Next = []pageLink{{v.text("booking.back"), d.PageURL}, {v.text("next.home"), "/"}}
	v.Title, v.Data = pv.Title, pv
	return s.renderPage(c, pv.Status, "problem", v)
}

// cancelSubmit cancels through the same use case as DELETE
// /api/v1/bookings/{code} and shows the booking, now cancelled.
func (s *server) cancelSubmit(c echo.Context) error {
	b, err := s.Bookings.Cancel(c.Request().Context(), c.Param("code"))
	if err == nil {
		return c.Redirect(http.StatusSeeOther, "/bookings/"+s.Bookings.Code(b))
	}
	if domain.CodeOf(err) != domain.CodeNotCancellable {
		return err
	}
	v := s.newView(c, "lookup")
	d, derr := s.bookingView(c, v)
	if derr != nil {
		return err
	}
	return s.renderNotCancellable(c, v, d)
}
