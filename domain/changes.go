package domain

import (
	"context"
	"log/slog"
	"sync"
)

// Topic names a kind of data that instances cache and one of them changed.
type Topic string

const (
	// TopicCatalog: venues, slots, quotas, closures, special days; anything
	// Catalog caches.
	TopicCatalog Topic = "catalog"
	// TopicRestrictions: restrictions for no-shows, made or lifted.
	TopicRestrictions Topic = "restrictions"
)

// Topics are every topic, for when news may have been missed.
var Topics = []Topic{TopicCatalog, TopicRestrictions}

// ChangePublisher tells every instance (this one included or not) that a
// topic changed.
type ChangePublisher interface {
	Publish(ctx context.Context, t Topic) error
}

// Changes spreads the news that cached data changed: the instance that made
// the change drops its own copies at once and publishes the topic; every
// other instance drops its copies when the news arrives (Received). The
// caches' own expiry stays as the safety net for news lost on the way.
type Changes struct {
	log *slog.Logger
	pub ChangePublisher

	mu       sync.Mutex
	handlers map[Topic][]func()
}

// NewChanges runs handlers locally until PublishWith is called.
func NewChanges(log *slog.Logger) *Changes {
	return &Changes{log: log, handlers: map[Topic][]func(){}}
}

// PublishWith sends news of changes to the other instances through p.
func (c *Changes) PublishWith(p ChangePublisher) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pub = p
}

// On runs fn whenever topic t changed, here or elsewhere.
func (c *Changes) On(t Topic, fn func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handlers[t] = append(c.handlers[t], fn)
}

// Changed says that this instance changed topic t.
func (c *Changes) Changed(ctx context.Context, t Topic) {
	c.Received(t)
	c.mu.Lock()
	pub := c.pub
	c.mu.Unlock()
	if pub == nil {
		return
	}
	if err := pub.Publish(context.WithoutCancel(ctx), t); err != nil {
		c.log.WarnContext(ctx, "tell other instances of a change; their caches expire on their own", "topic", string(t), "err", err)
	}
}

// Received runs the handlers of topic t: news of a change arrived.
func (c *Changes) Received(t Topic) {
	c.mu.Lock()
	hs := c.handlers[t]
	c.mu.Unlock()
	for _, fn := range hs {
		fn()
	}
}
