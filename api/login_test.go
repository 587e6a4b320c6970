package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"slotgate/internal/app"
	"slotgate/internal/testkit"
)

func loginFrom(t *testing.T, ta *testkit.TestApp, addr, username, password string) testkit.Response {
	t.Helper()
	return ta.Do(t, nil, "POST", "/api/v1/auth/login", map[string]string{"username": username, "password": password},
		"X-Forwarded-For", addr)
}

// TestUsernamesHaveOneSpelling: a username is trimmed and lower-cased
// everywhere (sign-in, the limits, accounts); a spelling outside ASCII is
// refused, never folded onto an account, on SQLite and MySQL alike; and
// spelling the name differently does not escape the sign-in limits.
func TestUsernamesHaveOneSpelling(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := rlApp(t, mode, func(c *app.Config) { c.TrustedProxies = rlNets(t, "127.0.0.1/32") })
			for _, name := range []string{"ADMIN", " Admin ", "admin"} {
				if res := loginFrom(t, ta, "192.0.2.1", name, testkit.AdminPassword); res.Status != http.StatusOK {
					t.Fatalf("sign in as %q: %d %s", name, res.Status, res.Body)
				}
			}
			for _, name := range []string{"ádmin", "ａｄｍｉｎ", "admin\u200b"} {
				if res := loginFrom(t, ta, "192.0.2.1", name, testkit.AdminPassword); res.Status != http.StatusUnauthorized {
					t.Fatalf("sign in as %q: %d %s, want 401", name, res.Status, res.Body)
				}
			}
			// Guesses from one address under four spellings count as one account's.
			pair := ta.Config.LoginLimits.ByUserClient
			spellings := []string{"Admin", "ADMIN", "admin ", "aDmin"}
			refusedAt := 0
			for i := range 10 {
				res := loginFrom(t, ta, "192.0.2.2", spellings[i%len(spellings)], "wrong-password")
				if res.Status == http.StatusTooManyRequests {
					refusedAt = i
					break
				}
			}
			if refusedAt != pair.Burst {
				t.Fatalf("guesses under several spellings refused after %d, want %d", refusedAt, pair.Burst)
			}
			// Accounts are made in the canonical form: "Admin" is taken.
			admin := ta.Login(t, "admin", testkit.AdminPassword)
			res := ta.Do(t, nil, "POST", "/api/v1/admin/users", map[string]any{"username": " Admin", "password": "another-password", "role": "admin"},
				"Authorization", admin)
			if res.Status != http.StatusConflict {
				t.Fatalf("create Admin beside admin: %d %s", res.Status, res.Body)
			}
		})
	}
}

// TestOwnerGetsInWhileOthersGuess: guessing stays limited per account and
// address and per account, yet the owner signing in from an address that
// has not failed gets in while others keep the account under attack.
func TestOwnerGetsInWhileOthersGuess(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := rlApp(t, mode, func(c *app.Config) {
				c.TrustedProxies = rlNets(t, "127.0.0.1/32")
				c.LoginLimits.ByUser.Burst, c.LoginLimits.ByUser.Quota = 6, 6
				c.LoginLimits.ByUserClient.Burst, c.LoginLimits.ByUserClient.Quota = 2, 2
			})
			// One address guesses until refused; the owner, elsewhere, gets in.
			for i := range 3 {
				res := loginFrom(t, ta, "198.51.100.1", "admin", "wrong-password")
				if want := []int{401, 401, 429}[i]; res.Status != want {
					t.Fatalf("guess %d: %d %s, want %d", i, res.Status, res.Body, want)
				}
			}
			if res := loginFrom(t, ta, "203.0.113.9", "admin", testkit.AdminPassword); res.Status != http.StatusOK {
				t.Fatalf("the owner while one address guesses: %d %s", res.Status, res.Body)
			}
			// Many addresses use up the account's own allowance of failures.
			for a := 2; a <= 4; a++ {
				for range 2 {
					loginFrom(t, ta, fmt.Sprintf("198.51.100.%d", a), "admin", "wrong-password")
				}
			}
			// An address that has failed is refused now, even with the password...
			if res := loginFrom(t, ta, "198.51.100.2", "admin", testkit.AdminPassword); res.Status != http.StatusTooManyRequests {
				t.Fatalf("a failed address past the account's allowance: %d %s", res.Status, res.Body)
			}
			// ...a fresh one gets one guess, then is refused too...
			if res := loginFrom(t, ta, "198.51.100.50", "admin", "wrong-password"); res.Status != http.StatusUnauthorized {
				t.Fatalf("a fresh address's first guess: %d %s", res.Status, res.Body)
			}
			if res := loginFrom(t, ta, "198.51.100.50", "admin", "wrong-password"); res.Status != http.StatusTooManyRequests {
				t.Fatalf("a fresh address's second guess past the account's allowance: %d %s", res.Status, res.Body)
			}
			// ...and the owner, from an address that has not failed, gets in.
			if res := loginFrom(t, ta, "203.0.113.10", "admin", testkit.AdminPassword); res.Status != http.StatusOK {
				t.Fatalf("the owner under a spread-out attack: %d %s", res.Status, res.Body)
			}
		})
	}
}
