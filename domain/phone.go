package domain

import (
	"strings"
	"unicode"
)

// NormalizePhone reads a phone number as people type it and gives its
// stored form: a mainland mobile as its 11 digits (from "+86 138 0013 8000",
// "138-0013-8000", full-width digits and the like), any other country's
// number in E.164 ("+447700900123"). The rule says why a number is refused:
// RulePhoneNotMobile for 11 digits that are no mobile (a landline), RulePhone
// otherwise.
func NormalizePhone(p string) (string, Rule, bool) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(p) {
		switch {
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' || r == '＋':
			if b.Len() > 0 {
				return "", RulePhone, false
			}
			b.WriteByte('+')
		case unicode.IsSpace(r) || strings.ContainsRune("-‐‑–—－()（）.", r):
			// separators people type between groups of digits
		default:
			return "", RulePhone, false
		}
	}
	s := b.String()
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	international := strings.HasPrefix(s, "+")
	if international && !strings.HasPrefix(s, "+86") {
		digits := s[1:]
		if len(digits) < 8 || len(digits) > 15 || digits[0] == '0' {
			return "", RulePhone, false
		}
		return s, "", true
	}
	s = strings.TrimPrefix(s, "+86")
	if !international && len(s) == 13 && strings.HasPrefix(s, "86") {
		s = s[2:]
	}
	switch {
	case phonePattern.MatchString(s):
		return s, "", true
	case len(s) == 11 && allDigits(s):
		return "", RulePhoneNotMobile, false
	}
	return "", RulePhone, false
}

func allDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// CheckPhone reports whether p is a phone number in its stored form: a
// mainland mobile (11 digits, 1[3-9]…) or an international number in E.164.
func CheckPhone(p string) bool {
	n, _, ok := NormalizePhone(p)
	return ok && n == p
}

// MaskPhone keeps the first three and last four digits: 138****8000;
// an international number keeps its first three characters and last four.
func MaskPhone(p string) string {
	if len(p) < 9 {
		return strings.Repeat("*", len(p))
	}
	return p[:3] + strings.Repeat("*", len(p)-7) + p[len(p)-4:]
}
