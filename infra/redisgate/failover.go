package redisgate

import (
	"context"
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"github.com/redis/go-redis/v9"

	"slotgate/domain"
)

var (
	//go:embed lua/drop.lua
	dropSrc    string
	dropScript = redis.NewScript(dropSrc)
)

// Layout names the Redis servers that hold the keys now: for a cluster,
// each hash-slot range with the id of the master serving it; for one
// server, its run id (new after every restart). It changes when a master
// is replaced (a replica promoted, a server restarted), which is when
// writes acknowledged by the old master may be lost. An empty layout means
// the server cannot say (the embedded one), and nothing is compared.
func (g *Gate) Layout(ctx context.Context) (string, error) {
	if c, ok := g.rdb.(*redis.ClusterClient); ok {
		slots, err := c.ClusterSlots(ctx).Result()
		if err != nil {
			return "", fmt.Errorf("read cluster layout: %w", err)
		}
		parts := make([]string, 0, len(slots))
		for _, s := range slots {
			if len(s.Nodes) == 0 {
				continue
			}
			parts = append(parts, fmt.Sprintf("%d-%d=%s", s.Start, s.End, s.Nodes[0].ID))
		}
		sort.Strings(parts)
		return strings.Join(parts, ","), nil
	}
	info, err := g.rdb.Info(ctx, "server").Result()
	if err != nil {
		return "", nil // not a server that says who it is
	}
	for _, line := range strings.Split(info, "\n") {
		if id, ok := strings.CutPrefix(strings.TrimSpace(line), "run_id:"); ok {
			return id, nil
		}
	}
	return "", nil
}

// Holds lists the holds of each loaded bucket among ids, in one round trip.
func (g *Gate) Holds(ctx context.Context, ids []int64) (map[int64][]string, error) {
	if len(ids) == 0 {
		return map[int64][]string{}, nil
	}
	pipe := g.rdb.Pipeline()
	cmds := make([]*redis.StringSliceCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HKeys(ctx, g.keys(id)[1])
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("read holds: %w", err)
	}
	out := map[int64][]string{}
	for i, id := range ids {
		if hs := cmds[i].Val(); len(hs) > 0 {
			out[id] = hs
		}
	}
	return out, nil
}

// DropHolds ends the named holds of a slot without counting them, giving
// their places back; holds settled meanwhile are left alone.
func (g *Gate) DropHolds(ctx context.Context, slotID int64, holds []string) (int, error) {
	if len(holds) == 0 {
		return 0, nil
	}
	args := make([]any, len(holds))
	for i, h := range holds {
		args[i] = h
	}
	n, err := dropScript.Run(ctx, g.rdb, g.keys(slotID), args...).Int()
	if err != nil {
		return 0, fmt.Errorf("drop holds of slot %d: %w", slotID, err)
	}
	return n, nil
}

var (
	//go:embed lua/raise.lua
	raiseSrc    string
	raiseScript = redis.NewScript(raiseSrc)
)

// RaiseBooked raises a slot's booked count toward the store's, discounting
// the places held by requests in flight unless the store's slot is full;
// it never lowers it. It returns the places added.
func (g *Gate) RaiseBooked(ctx context.Context, c domain.SlotCount) (int, error) {
	n, err := raiseScript.Run(ctx, g.rdb, g.keys(c.SlotID), c.Booked, flag(c.Booked < c.Quota)).Int()
	if err != nil {
		return 0, fmt.Errorf("raise booked count of slot %d: %w", c.SlotID, err)
	}
	return n, nil
}
