package domain

import (
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// IDType is the kind of identity document a visitor books with.
type IDType string

const (
	IDResident      IDType = "resident_id"     // 居民身份证, 18 characters
	IDPassport      IDType = "passport"        // any country's passport
	IDHKMacauPermit IDType = "hk_macau_permit" // 港澳居民来往内地通行证
	IDTaiwanPermit  IDType = "taiwan_permit"   // 台湾居民来往大陆通行证
)

// IDTypes lists the accepted document kinds in the order forms show them.
var IDTypes = []IDType{IDResident, IDPassport, IDHKMacauPermit, IDTaiwanPermit}

var (
	slugPattern       = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	phonePattern      = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	passportPattern   = regexp.MustCompile(`^[A-Z0-9]{5,17}$`)
	hkMacauPattern    = regexp.MustCompile(`^[HM][0-9]{8}([0-9]{2})?$`)
	taiwanPattern     = regexp.MustCompile(`^[0-9]{8}([0-9]{2})?$`)
	residentShape     = regexp.MustCompile(`^[0-9]{17}[0-9X]$`)
	residentWeights   = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	residentCheckChar = "10X98765432"
)

// Province-level codes that lead a resident ID number (GB/T 2260); 71, 81, 82
// and 83 are issued to residents of Taiwan, Hong Kong and Macau.
var residentRegions = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true, "83": true,
}

// NormalizeID puts an ID number in the one form that is hashed and masked:
// spaces removed and letters upper-cased, so "x" and "X" are the same person.
func NormalizeID(number string) string {
	return strings.ToUpper(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, number))
}

// CheckID tells whether number (normalized) is a plausible document of type t
// at instant now, and if not, by which rule it fails.
func CheckID(t IDType, number string, now time.Time) (Rule, bool) {
	switch t {
	case IDResident:
		return checkResidentID(number, now)
	case IDPassport:
		return RuleIDFormat, passportPattern.MatchString(number)
	case IDHKMacauPermit:
		return RuleIDFormat, hkMacauPattern.MatchString(number)
	case IDTaiwanPermit:
		return RuleIDFormat, taiwanPattern.MatchString(number)
	}
	return RuleIDType, false
}

// ResidentCheckChar computes the GB 11643 check character of the first 17
// digits of a resident ID number.
func ResidentCheckChar(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * residentWeights[i]
	}
	return residentCheckChar[sum%11]
}

func checkResidentID(n string, now time.Time) (Rule, bool) {
	if !residentShape.MatchString(n) {
		return RuleIDFormat, false
	}
	if !residentRegions[n[:2]] {
		return RuleIDRegion, false
	}
	birth, err := time.Parse("20060102", n[6:14])
	if err != nil || birth.Year() < 1890 || birth.After(now) {
		return RuleIDBirthDate, false
	}
	if ResidentCheckChar(n[:17]) != n[17] {
		return RuleIDCheckDigit, false
	}
	return "", true
}

// MaskID shows enough of a number for staff to compare it with the card:
// a resident ID keeps its first and last four characters
// (5002**********123X); shorter documents keep one or two at each end.
func MaskID(number string) string {
	keep := 4
	switch {
	case len(number) < 8:
		keep = 1
	case len(number) < 14:
		keep = 2
	}
	if len(number) <= 2*keep {
		return strings.Repeat("*", len(number))
	}
	return number[:keep] + strings.Repeat("*", len(number)-2*keep) + number[len(number)-keep:]
}

// MaxNameRunes bounds a visitor's name; real names on Chinese ID cards are
// short, passports can carry long transliterated names.
const MaxNameRunes = 64

// CleanName trims a visitor's name and tells whether it can be printed on a
// staff list: not empty, not too long, no control characters, and no
// invisible format characters (Unicode category Cf: bidi overrides,
// zero-width spaces and joiners, soft hyphens), which would make a name
// print other than it reads.
func CleanName(name string) (string, Rule, bool) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", RuleRequired, false
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxNameRunes {
		return "", RuleTooLong, false
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return "", RuleName, false
		}
		if unicode.Is(unicode.Cf, r) {
			return "", RuleNameFormat, false
		}
	}
	return name, "", true
}
