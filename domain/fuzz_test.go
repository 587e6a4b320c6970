package domain

import (
	"crypto/ed25519"
	"strings"
	"testing"
	"unicode/utf8"
)

// Fuzz targets of the parsers that take outside input. Their seeds run in
// every `go test`; .ci/run runs each for a bounded time.

func FuzzCheckID(f *testing.F) {
	for _, s := range []string{validResidentSeed(), "11010519491231002X", "110105194912310021", "E12345678",
		"H12345678", "12345678", "", " x ", "99999999999999999X", "110105200002300010", "ABCDEFGHIJKLMNOPQRSTU"} {
		for _, t := range IDTypes {
			f.Add(string(t), s)
		}
	}
	f.Fuzz(func(t *testing.T, idType, number string) {
		n := NormalizeID(number)
		if NormalizeID(n) != n {
			t.Fatalf("NormalizeID is not idempotent: %q -> %q", n, NormalizeID(n))
		}
		rule, ok := CheckID(IDType(idType), n, testNow)
		if !ok && rule == "" {
			t.Fatalf("refused without a rule: %q %q", idType, n)
		}
		if ok {
			if IDType(idType) == IDResident && ResidentCheckChar(n[:17]) != n[17] {
				t.Fatalf("accepted %q with a wrong check character", n)
			}
			if m := MaskID(n); len(n) >= 6 && m == n {
				t.Fatalf("MaskID kept %q whole", n)
			}
		}
	})
}

func validResidentSeed() string {
	first := "11010519491231002"
	return first + string(ResidentCheckChar(first))
}

func FuzzCheckPhone(f *testing.F) {
	for _, s := range []string{"13800138000", "1380013800", "23800138000", "+8613800138000", "", "１３８００１３８０００",
		"+447700900123", "+10000000", "+0447700900123", "+4477009001234567"} {
		f.Add(s)
	}
	notDigit := func(r rune) bool { return r < '0' || r > '9' }
	f.Fuzz(func(t *testing.T, phone string) {
		if !CheckPhone(phone) {
			return
		}
		// What is accepted is stored as it is: a mainland mobile's 11
		// digits, or E.164 abroad (+, 8 to 15 digits, no leading 0, not +86).
		mainland := len(phone) == 11 && phone[0] == '1' && strings.IndexFunc(phone, notDigit) < 0
		digits := strings.TrimPrefix(phone, "+")
		abroad := strings.HasPrefix(phone, "+") && !strings.HasPrefix(phone, "+86") && len(digits) >= 8 && len(digits) <= 15 &&
			digits[0] != '0' && strings.IndexFunc(digits, notDigit) < 0
		if !mainland && !abroad {
			t.Fatalf("accepted %q", phone)
		}
		m := MaskPhone(phone)
		if len(m) != len(phone) || strings.Count(m, "*") < 2 || m == phone {
			t.Fatalf("MaskPhone(%q) = %q", phone, m)
		}
		if mainland && !strings.Contains(m, "****") {
			t.Fatalf("MaskPhone(%q) = %q", phone, m)
		}
	})
}

type fuzzSigner struct{ priv ed25519.PrivateKey }

func (s fuzzSigner) Sign(msg []byte) []byte { return ed25519.Sign(s.priv, msg) }
func (s fuzzSigner) Verify(msg, sig []byte) bool {
	return ed25519.Verify(s.priv.Public().(ed25519.PublicKey), msg, sig)
}
func (s fuzzSigner) PublicKey() []byte { return s.priv.Public().(ed25519.PublicKey) }

func FuzzDecodeCode(f *testing.F) {
	s := fuzzSigner{ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))}
	d, _ := ParseDate("2026-03-02")
	for _, id := range []int64{1, 300, 70000, 1 << 40} {
		f.Add(EncodeCode(CodePayload{BookingID: id, VenueID: 3, Date: d, SlotID: 7, PartySize: 2}, s))
	}
	f.Add("")
	f.Add("AAAA")
	f.Add(strings.Repeat("A", 200))
	f.Fuzz(func(t *testing.T, code string) {
		p, err := DecodeCode(code, s)
		if err != nil {
			return
		}
		// One spelling per code: what decodes is exactly what was issued.
		if again := EncodeCode(p, s); again != code {
			t.Fatalf("%q decodes to %+v, issued as %q", code, p, again)
		}
	})
}

func FuzzVenueHours(f *testing.F) {
	for _, h := range [][2]string{{"09:00", "17:00"}, {"00:00", "24:00"}, {"23:59", "24:00"}, {"9:00", "17:00"},
		{"24:01", "25:00"}, {"-1:00", "17:00"}, {"09:60", "10:00"}, {"", ""}, {"09:00:00", "10:00"}} {
		f.Add(h[0], h[1], 60)
	}
	day, _ := ParseDate("2026-03-03")
	f.Fuzz(func(t *testing.T, open, close string, slotMinutes int) {
		o, err1 := ParseMinute(open)
		c, err2 := ParseMinute(close)
		if err1 != nil || err2 != nil {
			return
		}
		for _, m := range []Minute{o, c} {
			if m < 0 || m > 1440 {
				t.Fatalf("ParseMinute gave %d", m)
			}
			if back, err := ParseMinute(m.String()); err != nil || back != m {
				t.Fatalf("%d written %q reads back as %d (%v)", m, m.String(), back, err)
			}
		}
		v := SeedVenues()[0]
		v.Open, v.Close, v.SlotMinutes = o, c, slotMinutes
		if v.Validate() != nil {
			return
		}
		slots := v.SlotsOn(day)
		if len(slots) > 1440/MinSlotMinutes {
			t.Fatalf("%d slots in a day", len(slots))
		}
		for _, s := range slots {
			if !s.Start.Before(s.End) || s.Start.Before(day.At(o, v.Location())) || s.End.After(day.At(c, v.Location())) {
				t.Fatalf("slot %v-%v outside %s-%s", s.Start, s.End, o, c)
			}
		}
	})
}

func FuzzBookingParty(f *testing.F) {
	f.Add("13800138000", "张三", string(IDResident), validResidentSeed(), "Ann", string(IDPassport), "E12345678")
	f.Add("", "", "", "", "\u202e", "x", "")
	f.Add("13800138000", "A\x00B", string(IDPassport), "E12345678", "A", string(IDPassport), "e12345678")
	h := NewIDHasher([]byte("fuzz"))
	f.Fuzz(func(t *testing.T, phone, name1, type1, id1, name2, type2, id2 string) {
		r := BookingRequest{SlotID: 1, Phone: phone, Visitors: []VisitorInput{
			{Name: name1, IDType: type1, IDNumber: id1}, {Name: name2, IDType: type2, IDNumber: id2}}}
		vs, err := r.checkParty(h, 5, testNow, true)
		if err != nil {
			return
		}
		if len(vs) != 2 || vs[0].IDHash == vs[1].IDHash {
			t.Fatalf("accepted %+v", vs)
		}
		for _, v := range vs {
			if !utf8.ValidString(v.Name) || strings.TrimSpace(v.Name) != v.Name || v.Name == "" {
				t.Fatalf("accepted name %q", v.Name)
			}
		}
	})
}

// FuzzRateLimitSettings: SLOTGATE_RATE_LIMITS is read without a crash,
// and what it accepts is a usable limit: quota, window, burst and the
// interval between requests all positive.
func FuzzRateLimitSettings(f *testing.F) {
	for _, s := range []string{"booking-client=120/1m+40", "login-user=3/15m+10, lookup-client=6/1m30s+6",
		"booking-client=0/1m+1", "booking-client=1/0s+1", "booking-client=1/-1m+1", "booking-client=9223372036854775807/1ns+1",
		"x=1/1m+1", "=", ",", "booking-client=1/1m+1,", "booking-client=1/1m+99999999999999999999", "booking-client=1/1m+-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		b, l := DefaultBookingLimits(), DefaultLoginLimits()
		lookup := LookupLimit()
		policies := []*LimitPolicy{&b.ByClient, &b.ByPhone, &b.ByID, &l.ByUser, &l.ByClient, &l.ByUserClient, &lookup}
		if err := OverrideLimits(spec, policies...); err != nil {
			return
		}
		for _, p := range policies {
			if p.Quota <= 0 || p.Burst <= 0 || p.Window <= 0 || p.Interval() <= 0 {
				t.Fatalf("%q accepted as %v", spec, *p)
			}
		}
	})
}
