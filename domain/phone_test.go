package domain

import "testing"

func TestNormalizePhone(t *testing.T) {
	cases := []struct {
		in, want string
		rule     Rule
	}{
		{"13800138000", "13800138000", ""},
		{"+86 138 0013 8000", "13800138000", ""},
		{"+8613800138000", "13800138000", ""},
		{"008613800138000", "13800138000", ""},
		{"8613800138000", "13800138000", ""},
		{"138-0013-8000", "13800138000", ""},
		{"138 0013 8000", "13800138000", ""},
		{" (138) 0013.8000 ", "13800138000", ""},
		{"１３８００１３８０００", "13800138000", ""},
		{"＋８６ １３８　００１３　８０００", "13800138000", ""},
		{"+44 7700 900123", "+447700900123", ""},
		{"0044 7700 900123", "+447700900123", ""},
		{"+1 (415) 555-0100", "+14155550100", ""},
		{"+852 9123 4567", "+85291234567", ""},
		{"02368861234", "", RulePhoneNotMobile}, // a Chongqing landline
		{"12345678901", "", RulePhoneNotMobile},
		{"+86 023 6886 1234", "", RulePhoneNotMobile},
		{"1380013800", "", RulePhone},
		{"138001380001", "", RulePhone},
		{"+86 138 0013 800", "", RulePhone},
		{"+0 123456789", "", RulePhone},
		{"+44 12", "", RulePhone},
		{"+1234567890123456", "", RulePhone},
		{"138+00138000", "", RulePhone},
		{"138abc38000", "", RulePhone},
		{"", "", RulePhone},
	}
	for _, c := range cases {
		got, rule, ok := NormalizePhone(c.in)
		if got != c.want || rule != c.rule || ok != (c.rule == "") {
			t.Errorf("NormalizePhone(%q) = %q %q %v, want %q %q", c.in, got, rule, ok, c.want, c.rule)
		}
	}
	if !CheckPhone("13800138000") || !CheckPhone("+447700900123") || CheckPhone("138 0013 8000") {
		t.Error("CheckPhone takes stored forms only")
	}
	if got := MaskPhone("+447700900123"); got != "+44******0123" {
		t.Errorf("MaskPhone international: %q", got)
	}
}
