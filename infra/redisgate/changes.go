package redisgate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"slotgate/domain"
)

// Changes carries news of changed data between instances on one Redis
// pub/sub channel. PUBLISH reaches every subscriber of the channel on any
// node of a Redis Cluster, and the embedded server has pub/sub too. A
// message is the topic and the publishing instance's id, so that an
// instance skips its own news (it acted on it already).
type Changes struct {
	rdb     redis.UniversalClient
	channel string
	self    string
}

// NewChanges uses the channel <prefix>sg:changes of rdb.
func NewChanges(rdb redis.UniversalClient, prefix string) *Changes {
	var id [6]byte
	_, _ = rand.Read(id[:])
	return &Changes{rdb: rdb, channel: prefix + "sg:changes", self: hex.EncodeToString(id[:])}
}

// Publish implements domain.ChangePublisher.
func (c *Changes) Publish(ctx context.Context, t domain.Topic) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := c.rdb.Publish(ctx, c.channel, string(t)+" "+c.self).Err(); err != nil {
		return fmt.Errorf("publish change of %s: %w", t, err)
	}
	return nil
}

// Listen subscribes, waiting up to a few seconds for Redis to confirm, and
// hands every topic another instance changed to fn until ctx ends. Every
// time the subscription is made again (Redis restarted, a cluster node
// failed over, or Redis was down when Listen began), news may have been
// missed meanwhile: fn gets every topic then. An error says that the first
// subscription was not confirmed; it is retried all the same.
func (c *Changes) Listen(ctx context.Context, fn func(domain.Topic)) error {
	ps := c.rdb.Subscribe(ctx, c.channel)
	wait, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, err := ps.Receive(wait)
	cancel()
	if err != nil {
		err = fmt.Errorf("subscribe to %s: %w", c.channel, err)
	}
	go func() {
		defer ps.Close()
		msgs := ps.ChannelWithSubscriptions(redis.WithChannelHealthCheckInterval(5 * time.Second))
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-msgs:
				if !ok {
					return
				}
				switch m := m.(type) {
				case *redis.Subscription:
					if m.Kind == "subscribe" {
						for _, t := range domain.Topics {
							fn(t)
						}
					}
				case *redis.Message:
					topic, from, _ := strings.Cut(m.Payload, " ")
					if from != c.self {
						fn(domain.Topic(topic))
					}
				}
			}
		}
	}()
	return err
}
