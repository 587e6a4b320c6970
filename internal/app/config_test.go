package app_test

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"slotgate/domain"
	"slotgate/internal/app"
)

// envOf is a getenv over a fixed set of variables.
func envOf(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// TestRateLimitSettings: SLOTGATE_RATE_LIMITS is on, off, or overrides of
// named limits in the form the README gives (name=quota/window+burst);
// whatever is not named keeps its default, and a mistake is refused with
// the setting's name rather than run with a limit nobody meant.
func TestRateLimitSettings(t *testing.T) {
	t.Parallel()
	def := app.Defaults()
	cases := []struct {
		name    string
		value   string
		want    string // RateLimits after parsing
		changed func(c *app.Config)
		err     string // a part of the error, "" for none
	}{
		{name: "unset", value: "", want: "on"},
		{name: "on", value: "on", want: "on"},
		{name: "off", value: "off", want: "off"},
		{name: "one override", value: "booking-client=120/1m+40", want: "on", changed: func(c *app.Config) {
			c.BookingLimits.ByClient = domain.LimitPolicy{Name: "booking-client", Quota: 120, Window: time.Minute, Burst: 40}
		}},
		{name: "every limit, spaced", value: "booking-client=1/1s+1, booking-phone=2/2h+2 ,booking-id=3/3m+3,login-user=4/15m+4,login-client=5/30s+5,lookup-client=6/1m30s+6",
			want: "on", changed: func(c *app.Config) {
				c.BookingLimits = domain.BookingLimits{
					ByClient: domain.LimitPolicy{Name: "booking-client", Quota: 1, Window: time.Second, Burst: 1},
					ByPhone:  domain.LimitPolicy{Name: "booking-phone", Quota: 2, Window: 2 * time.Hour, Burst: 2},
					ByID:     domain.LimitPolicy{Name: "booking-id", Quota: 3, Window: 3 * time.Minute, Burst: 3},
				}
				c.LoginLimits = domain.LoginLimits{
					ByUser:       domain.LimitPolicy{Name: "login-user", Quota: 4, Window: 15 * time.Minute, Burst: 4},
					ByClient:     domain.LimitPolicy{Name: "login-client", Quota: 5, Window: 30 * time.Second, Burst: 5},
					ByUserClient: domain.DefaultLoginLimits().ByUserClient,
				}
				c.LookupLimit = domain.LimitPolicy{Name: "lookup-client", Quota: 6, Window: 90 * time.Second, Burst: 6}
			}},
		{name: "burst above the quota", value: "login-user=3/15m+10", want: "on", changed: func(c *app.Config) {
			c.LoginLimits.ByUser = domain.LimitPolicy{Name: "login-user", Quota: 3, Window: 15 * time.Minute, Burst: 10}
		}},
		{name: "unknown name", value: "booking-everyone=1/1m+1", err: "known name"},
		{name: "upper-case switch", value: "ON", err: "SLOTGATE_RATE_LIMITS"},
		{name: "no burst", value: "booking-client=120/1m", err: "quota/window+burst"},
		{name: "no window", value: "booking-client=120+40", err: "quota/window+burst"},
		{name: "no rule", value: "booking-client", err: "known name"},
		{name: "zero quota", value: "booking-client=0/1m+1", err: "quota/window+burst"},
		{name: "zero burst", value: "booking-client=1/1m+0", err: "quota/window+burst"},
		{name: "negative burst", value: "booking-client=1/1m+-1", err: "quota/window+burst"},
		{name: "zero window", value: "booking-client=1/0s+1", err: "quota/window+burst"},
		{name: "window without unit", value: "booking-client=1/60+1", err: "quota/window+burst"},
		{name: "fractional quota", value: "booking-client=1.5/1m+1", err: "quota/window+burst"},
		{name: "one bad among good", value: "booking-client=120/1m+40,lookup-client=x/1m+1", err: "lookup-client=x/1m+1"},
		{name: "trailing comma", value: "booking-client=120/1m+40,", err: "known name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := app.FromEnv(envOf(map[string]string{"SLOTGATE_RATE_LIMITS": tc.value}))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "SLOTGATE_RATE_LIMITS") {
					t.Fatalf("SLOTGATE_RATE_LIMITS=%q: error %v, want one naming the setting and %q", tc.value, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("SLOTGATE_RATE_LIMITS=%q: %v", tc.value, err)
			}
			want := def
			want.RateLimits = tc.want
			if tc.changed != nil {
				tc.changed(&want)
			}
			if c.RateLimits != want.RateLimits || c.BookingLimits != want.BookingLimits || c.LoginLimits != want.LoginLimits || c.LookupLimit != want.LookupLimit {
				t.Fatalf("SLOTGATE_RATE_LIMITS=%q gave\n %s %+v %+v %+v\nwant\n %s %+v %+v %+v", tc.value,
					c.RateLimits, c.BookingLimits, c.LoginLimits, c.LookupLimit,
					want.RateLimits, want.BookingLimits, want.LoginLimits, want.LookupLimit)
			}
		})
	}
}

// TestDefaultLimitsAreNamed: every limit the setting can override is one
// of domain.DefaultLimits, with the same default, so that the README's one
// list is the whole truth.
func TestDefaultLimitsAreNamed(t *testing.T) {
	t.Parallel()
	c := app.Defaults()
	got := []domain.LimitPolicy{c.BookingLimits.ByClient, c.BookingLimits.ByPhone, c.BookingLimits.ByID,
		c.LoginLimits.ByUser, c.LoginLimits.ByClient, c.LoginLimits.ByUserClient, c.LookupLimit, c.DecodeLimit, c.SignInLimits.ByPhone, c.SignInLimits.ByClient}
	named := domain.DefaultLimits()
	if len(named) != len(got) {
		t.Fatalf("%d named limits, %d in the configuration", len(named), len(got))
	}
	for _, p := range got {
		if named[p.Name] != p {
			t.Errorf("%s: configured %v, named %v", p.Name, p, named[p.Name])
		}
		if p.Quota <= 0 || p.Window <= 0 || p.Burst <= 0 || p.Interval() <= 0 {
			t.Errorf("%s: not a usable limit: %v", p.Name, p)
		}
		// An override to the default itself changes nothing.
		spec := p.Name + "=" + strconv.Itoa(p.Quota) + "/" + p.Window.String() + "+" + strconv.Itoa(p.Burst)
		c2, err := app.FromEnv(envOf(map[string]string{"SLOTGATE_RATE_LIMITS": spec}))
		if err != nil || c2.BookingLimits != c.BookingLimits || c2.LoginLimits != c.LoginLimits || c2.LookupLimit != c.LookupLimit ||
			c2.SignInLimits != c.SignInLimits {
			t.Errorf("%s: the default written out (%s) parsed as something else: %v", p.Name, spec, err)
		}
	}
}

// TestTrustedProxySettings: SLOTGATE_TRUSTED_PROXIES takes addresses and
// CIDRs, IPv4 and IPv6; a bare address trusts that address alone.
func TestTrustedProxySettings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		value string
		want  []string
		err   bool
	}{
		{"", nil, false},
		{"127.0.0.1", []string{"127.0.0.1/32"}, false},
		{"10.0.0.0/8, 192.168.1.7 ,::1,fd00::/8", []string{"10.0.0.0/8", "192.168.1.7/32", "::1/128", "fd00::/8"}, false},
		{"proxy.internal", nil, true},
		{"10.0.0.0/33", nil, true},
		{"10.0.0.1,", nil, true},
	}
	for _, tc := range cases {
		c, err := app.FromEnv(envOf(map[string]string{"SLOTGATE_TRUSTED_PROXIES": tc.value}))
		if tc.err {
			if err == nil || !strings.Contains(err.Error(), "SLOTGATE_TRUSTED_PROXIES") {
				t.Errorf("%q: error %v, want one naming the setting", tc.value, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.value, err)
			continue
		}
		var got []string
		for _, n := range c.TrustedProxies {
			got = append(got, n.String())
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%q: trusted %v, want %v", tc.value, got, tc.want)
		}
	}
	// A bare address trusts only itself.
	c, _ := app.FromEnv(envOf(map[string]string{"SLOTGATE_TRUSTED_PROXIES": "192.168.1.7"}))
	if c.TrustedProxies[0].Contains(net.ParseIP("192.168.1.8")) {
		t.Error("a bare address trusts its neighbours")
	}
}
