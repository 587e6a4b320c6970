package testkit

import (
	"context"
	"net/http"
	"testing"

	"slotgate/domain"
)

// StaffPassword is the password of accounts AddStaff makes.
const StaffPassword = "staff-test-password"

// AddStaff creates an account serving the given venues (slugs).
func (ta *TestApp) AddStaff(t testing.TB, username string, role domain.Role, venues ...string) {
	t.Helper()
	_, err := ta.Accounts.AddUser(context.Background(), domain.NewUser{Username: username, Password: StaffPassword, Role: role, Venues: venues})
	if err != nil {
		t.Fatalf("add %s: %v", username, err)
	}
}

// Login signs in and returns the Authorization header value.
func (ta *TestApp) Login(t testing.TB, username, password string) string {
	t.Helper()
	res := ta.Do(t, nil, "POST", "/api/v1/auth/login", map[string]string{"username": username, "password": password})
	if res.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", username, res.Status, res.Body)
	}
	var out struct {
		Token string `json:"token"`
	}
	res.JSON(t, &out)
	return "Bearer " + out.Token
}

// SQL runs a statement on the instance's database and forgets the catalog's
// cache, for tests that set up venues and slots by hand.
func (ta *TestApp) SQL(t testing.TB, query string, args ...any) {
	t.Helper()
	if _, err := ta.Store.DB().Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	ta.Catalog.Forget()
}

// Twin starts a second instance on the same database, the same Redis and
// the same clock, as a second app server behind a load balancer would run.
func (ta *TestApp) Twin(t testing.TB) *TestApp {
	t.Helper()
	twin := &TestApp{DB: ta.DB, Redis: ta.Redis, Clock: ta.Clock, Config: ta.Config}
	twin.start(t, nil)
	return twin
}
