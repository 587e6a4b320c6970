package domain

import (
	"crypto/ed25519"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// validResident completes 17 digits with their GB 11643 check character.
func validResident(first17 string) string { return first17 + string(ResidentCheckChar(first17)) }

func TestCheckID(t *testing.T) {
	cases := []struct {
		name   string
		t      IDType
		number string
		rule   Rule
	}{
		{"resident, check X", IDResident, "11010519491231002X", ""},
		{"resident, digit check", IDResident, validResident("50010919900307123"), ""},
		{"resident, wrong check digit", IDResident, "110105194912310021", RuleIDCheckDigit},
		{"resident, 17 characters", IDResident, "11010519491231002", RuleIDFormat},
		{"resident, letter inside", IDResident, "1101051949A231002X", RuleIDFormat},
		{"resident, unknown region 99", IDResident, validResident("99010519491231002"), RuleIDRegion},
		{"resident, 30 February", IDResident, validResident("11010519900230002"), RuleIDBirthDate},
		{"resident, born in the future", IDResident, validResident("11010520300101002"), RuleIDBirthDate},
		{"resident, born 1850", IDResident, validResident("11010518500101002"), RuleIDBirthDate},
		{"passport, Chinese", IDPassport, "E12345678", ""},
		{"passport, too short", IDPassport, "E123", RuleIDFormat},
		{"passport, punctuation", IDPassport, "E1234-5678", RuleIDFormat},
		{"HK permit", IDHKMacauPermit, "H12345678", ""},
		{"Macau permit, 10 digits", IDHKMacauPermit, "M1234567890", ""},
		{"HK permit, wrong letter", IDHKMacauPermit, "C12345678", RuleIDFormat},
		{"Taiwan permit", IDTaiwanPermit, "12345678", ""},
		{"Taiwan permit, letters", IDTaiwanPermit, "A2345678", RuleIDFormat},
		{"unknown type", IDType("driving_licence"), "12345678", RuleIDType},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rule, ok := CheckID(c.t, NormalizeID(c.number), testNow)
			if ok != (c.rule == "") || (!ok && rule != c.rule) {
				t.Fatalf("CheckID(%s, %s) = %q, %v; want rule %q", c.t, c.number, rule, ok, c.rule)
			}
		})
	}
}

func TestNormalizeAndMask(t *testing.T) {
	if got := NormalizeID(" 11010519491231002x "); got != "11010519491231002X" {
		t.Fatalf("normalize: %q", got)
	}
	cases := map[string]string{
		"50021519900307123X": "5002**********123X",
		"E12345678":          "E1*****78",
		"12345678":           "12****78",
		"A1234":              "A***4",
	}
	for in, want := range cases {
		if got := MaskID(in); got != want {
			t.Errorf("MaskID(%s) = %s, want %s", in, got, want)
		}
	}
	if MaskPhone("13800138000") != "138****8000" {
		t.Error(MaskPhone("13800138000"))
	}
}

func TestCheckParty(t *testing.T) {
	h := NewIDHasher([]byte("k"))
	good := VisitorInput{Name: "张三", IDType: "resident_id", IDNumber: "11010519491231002x"}
	cases := []struct {
		name   string
		req    BookingRequest
		fields map[string]Rule
	}{
		{"ok", BookingRequest{Phone: "13800138000", Visitors: []VisitorInput{good}}, nil},
		{"no visitors", BookingRequest{Phone: "13800138000"}, map[string]Rule{"visitors": RulePartySize}},
		{"six visitors", BookingRequest{Phone: "13800138000", Visitors: make([]VisitorInput, 6)},
			map[string]Rule{"visitors": RulePartySize}},
		{"landline", BookingRequest{Phone: "23800138000", Visitors: []VisitorInput{good}}, map[string]Rule{"phone": RulePhoneNotMobile}},
		{"bad phone", BookingRequest{Phone: "12345", Visitors: []VisitorInput{good}}, map[string]Rule{"phone": RulePhone}},
		{"missing phone", BookingRequest{Visitors: []VisitorInput{good}}, map[string]Rule{"phone": RuleRequired}},
		{"same person twice", BookingRequest{Phone: "13800138000", Visitors: []VisitorInput{good, good}},
			map[string]Rule{"visitors[1].id_number": RuleDuplicateID}},
		{"blank name, no type", BookingRequest{Phone: "13800138000", Visitors: []VisitorInput{{Name: " ", IDNumber: "x"}}},
			map[string]Rule{"visitors[0].name": RuleRequired, "visitors[0].id_type": RuleRequired}},
		{"control character in name", BookingRequest{Phone: "13800138000", Visitors: []VisitorInput{{Name: "a\x00b", IDType: "passport", IDNumber: "E12345678"}}},
			map[string]Rule{"visitors[0].name": RuleName}},
		{"long name", BookingRequest{Phone: "13800138000", Visitors: []VisitorInput{{Name: strings.Repeat("名", 65), IDType: "passport", IDNumber: "E12345678"}}},
			map[string]Rule{"visitors[0].name": RuleTooLong}},
		{"bad check digit", BookingRequest{Phone: "13800138000", Visitors: []VisitorInput{{Name: "a", IDType: "resident_id", IDNumber: "110105194912310021"}}},
			map[string]Rule{"visitors[0].id_number": RuleIDCheckDigit}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vs, err := c.req.checkParty(h, 5, testNow, true)
			if c.fields == nil {
				if err != nil || len(vs) != 1 || vs[0].IDMasked != "1101**********002X" || len(vs[0].IDHash) != 64 {
					t.Fatalf("valid party: %v %+v", err, vs)
				}
				if strings.Contains(vs[0].IDHash, "110105") {
					t.Fatal("hash shows the number")
				}
				return
			}
			ve, ok := err.(*ValidationError)
			if !ok {
				t.Fatalf("want validation error, got %v", err)
			}
			got := map[string]Rule{}
			for _, f := range ve.Fields {
				got[f.Field.String()] = f.Rule
			}
			for f, r := range c.fields {
				if got[f] != r {
					t.Errorf("field %s: rule %q, want %q (all: %v)", f, got[f], r, got)
				}
			}
		})
	}
}

type edSigner struct{ k ed25519.PrivateKey }

func (s edSigner) Sign(m []byte) []byte { return ed25519.Sign(s.k, m) }
func (s edSigner) Verify(m, sig []byte) bool {
	return ed25519.Verify(s.k.Public().(ed25519.PublicKey), m, sig)
}
func (s edSigner) PublicKey() []byte { return s.k.Public().(ed25519.PublicKey) }
func newSigner(seed byte) edSigner {
	b := make([]byte, ed25519.SeedSize)
	b[0] = seed
	return edSigner{ed25519.NewKeyFromSeed(b)}
}

func TestCodeRoundTripAndTampering(t *testing.T) {
	s := newSigner(1)
	p := CodePayload{BookingID: 123456, VenueID: 2, Date: Date{2026, 3, 5}, SlotID: 9876, PartySize: 3}
	code := EncodeCode(p, s)
	if len(code) > 120 || strings.ContainsAny(code, "+/=") {
		t.Fatalf("code %q is long or not URL-safe", code)
	}
	got, err := DecodeCode(code, s)
	if err != nil || got != p {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	bad := []string{
		"", "x", code[:len(code)-1], code[:20], code + "A", "!!" + code[2:],
		strings.Repeat("A", 300),
		EncodeCode(p, newSigner(2)), // another key
	}
	// Every single-character change is refused.
	for i := 0; i < len(code); i++ {
		c := []byte(code)
		if c[i] == 'A' {
			c[i] = 'B'
		} else {
			c[i] = 'A'
		}
		bad = append(bad, string(c))
	}
	for _, b := range bad {
		if _, err := DecodeCode(b, s); err == nil {
			t.Fatalf("accepted a tampered code %q", b)
		}
	}
}

func TestVenueSlotsAndWindow(t *testing.T) {
	v := SeedVenues()[2] // library: 09:00-21:00, 2 h slots
	v.ID = 1
	d := Date{2026, 3, 2}
	slots := v.SlotsOn(d)
	if len(slots) != 6 || slots[0].Start.Format(time.RFC3339) != "2026-03-02T09:00:00+08:00" ||
		slots[5].End.Format(time.RFC3339) != "2026-03-02T21:00:00+08:00" {
		t.Fatalf("library slots: %d %v %v", len(slots), slots[0].Start, slots[5].End)
	}
	odd := v
	odd.SlotMinutes = 90 // 12 h / 1.5 h = 8; 7 h would leave a short last slot
	odd.Close = 16 * 60
	if s := odd.SlotsOn(d); len(s) != 5 || s[4].End.Sub(s[4].Start) != time.Hour {
		t.Fatalf("short last slot: %d", len(s))
	}
	museum := SeedVenues()[1]
	if museum.SlotsOn(d) != nil || !museum.ClosedOn(d) {
		t.Fatal("museum is closed on Mondays")
	}
	// The window opens a new day at midnight venue time, whatever the UTC date.
	lateUTC := time.Date(2026, 3, 1, 16, 30, 0, 0, time.UTC) // 00:30 on the 2nd in Beibei
	if got := v.LastBookableDay(lateUTC); got != (Date{2026, 3, 9}) {
		t.Fatalf("last bookable day at 00:30 local: %s", got)
	}
	if err := v.Validate(); err != nil {
		t.Fatal(err)
	}
	v.Timezone, v.Slug, v.Open = "Mars/Base", "Bad Slug", 1500
	if err := v.Validate(); err == nil || len(err.(*ValidationError).Fields) != 3 {
		t.Fatalf("invalid venue: %v", err)
	}
}

func TestDates(t *testing.T) {
	d, err := ParseDate("2026-02-28")
	if err != nil || d.AddDays(1).String() != "2026-03-01" || d.Weekday() != 6 || dateFromEpochDays(d.daysSinceEpoch()) != d {
		t.Fatalf("date math: %v %v", d, err)
	}
	for _, bad := range []string{"2026-2-28", "2026-02-30", "tomorrow", ""} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	for s, want := range map[string]Minute{"00:00": 0, "09:30": 570, "24:00": 1440} {
		if m, err := ParseMinute(s); err != nil || m != want || (s != "24:00" && m.String() != s) {
			t.Errorf("ParseMinute(%s) = %v %v", s, m, err)
		}
	}
	for _, bad := range []string{"24:01", "9:00", "12:60", "ab:cd"} {
		if _, err := ParseMinute(bad); err == nil {
			t.Errorf("ParseMinute(%q) accepted", bad)
		}
	}
}
