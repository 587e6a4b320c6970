package redisgate_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/redis/go-redis/v9"

	"slotgate/infra/redisgate"
)

// TestEmbeddedRedisWantsItsPassword: the embedded Redis listens on a
// loopback port that any local user can reach, so it answers only clients
// that know this process's random password; two starts have two passwords.
func TestEmbeddedRedisWantsItsPassword(t *testing.T) {
	ctx := context.Background()
	e, err := redisgate.StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	u, err := url.Parse(e.URL())
	if err != nil {
		t.Fatal(err)
	}
	stranger := redis.NewClient(&redis.Options{Addr: u.Host})
	defer stranger.Close()
	if err := stranger.Set(ctx, "sg:limit:{login-user:admin}", "0", 0).Err(); err == nil {
		t.Fatal("a client without the password changed a key")
	}
	guess := redis.NewClient(&redis.Options{Addr: u.Host, Password: "slotgate"})
	defer guess.Close()
	if err := guess.Ping(ctx).Err(); err == nil {
		t.Fatal("a guessed password was let in")
	}
	own, err := redisgate.Connect(e.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	if err := own.Ping(ctx).Err(); err != nil {
		t.Fatalf("the process's own client: %v", err)
	}
	other, err := redisgate.StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if p, _ := url.Parse(other.URL()); p.User.String() == u.User.String() || u.User.String() == "" {
		t.Fatalf("two starts with passwords %q and %q", u.User, p.User)
	}
}
