package app_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"slotgate/domain"
	"slotgate/internal/app"
	"slotgate/internal/testkit"
)

// TestUserCommandSharesTheServersWiring: the accounts the user command
// opens (app.OpenAccounts) add staff and change passwords on a database
// that has never been served; the server started afterwards on it signs
// them in with the password set last, for the venue they were given.
func TestUserCommandSharesTheServersWiring(t *testing.T) {
	for _, db := range testkit.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			t.Parallel()
			db := db.Prepare(t)
			ctx := context.Background()
			cfg := app.Defaults()
			cfg.MySQLDSN, cfg.DataDir = db.MySQLDSN, db.DataDir
			cfg.Clock = domain.NewManualClock(testkit.Monday0800)
			cfg.BcryptCost = 4
			cfg.DisableBackground = true
			log := app.NewLogger(cfg, io.Discard)

			accounts, closeStore, err := app.OpenAccounts(ctx, cfg, log)
			if err != nil {
				t.Fatal(err)
			}
			// An unknown venue is refused with the path of its element.
			_, err = accounts.AddUser(ctx, domain.NewUser{Username: "gatekeeper", Password: "first-password",
				Role: domain.RoleStaff, Venues: []string{"no-such-venue"}})
			var ve *domain.ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != domain.Element("venues", 0) ||
				ve.Fields[0].Rule != domain.RuleUnknownVenue {
				t.Fatalf("unknown venue: got %v", err)
			}
			// The seeded venues exist before the first start.
			if _, err := accounts.AddUser(ctx, domain.NewUser{Username: "gatekeeper", Password: "first-password",
				Role: domain.RoleStaff, Venues: []string{"jinyun-mountain"}}); err != nil {
				t.Fatal(err)
			}
			if err := accounts.SetPassword(ctx, "gatekeeper", "second-password"); err != nil {
				t.Fatal(err)
			}
			if err := closeStore(); err != nil {
				t.Fatal(err)
			}

			a, err := app.New(ctx, cfg, log)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if _, err := a.Accounts.SignIn(ctx, "gatekeeper", "first-password", "127.0.0.1"); !errors.Is(err, domain.ErrUnauthorized) {
				t.Fatalf("the replaced password: got %v, want unauthorized", err)
			}
			res, err := a.Accounts.SignIn(ctx, "gatekeeper", "second-password", "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			mountain, err := a.Catalog.Venue(ctx, "jinyun-mountain")
			if err != nil {
				t.Fatal(err)
			}
			if u := res.Session.User; u.Role != domain.RoleStaff || !u.Serves(mountain.ID) {
				t.Fatalf("signed in as %+v, want staff of %s", u, mountain.Slug)
			}
		})
	}
}
