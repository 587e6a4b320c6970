package domain_test

import (
	"testing"

	"slotgate/domain"
)

// TestNamesRefuseInvisibleFormatCharacters: bidi overrides, zero-width
// spaces and other Unicode format characters (category Cf) would make a
// name print differently from what it holds: refused with their own rule.
func TestNamesRefuseInvisibleFormatCharacters(t *testing.T) {
	for _, name := range []string{
		"张\u202e三",       // right-to-left override
		"Ann\u200bSmith", // zero-width space
		"\u2066李四\u2069", // isolates
		"Zoë\ufeff",      // byte-order mark
		"王\u200d五",       // zero-width joiner
		"Mar\u00adtin",   // soft hyphen
		"\U000e0041Anna", // tag character
	} {
		if _, rule, ok := domain.CleanName(name); ok || rule != domain.RuleNameFormat {
			t.Errorf("%q: ok %v, rule %q; want refused as %q", name, ok, rule, domain.RuleNameFormat)
		}
	}
	for _, name := range []string{"张三", "Zoë O'Brien-Smith", "阿卜杜拉·买买提", "José María"} {
		if got, _, ok := domain.CleanName(name); !ok || got != name {
			t.Errorf("%q refused", name)
		}
	}
}
