package redisgate

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"slotgate/domain"
)

var (
	//go:embed lua/take.lua
	takeSrc string
	//go:embed lua/settle.lua
	settleSrc string
	//go:embed lua/release.lua
	releaseSrc string
	//go:embed lua/load.lua
	loadSrc string
	//go:embed lua/reconcile.lua
	reconcileSrc string
	//go:embed lua/adjust.lua
	adjustSrc string
	//go:embed lua/announce.lua
	announceSrc string
	//go:embed lua/fence.lua
	fenceSrc string

	takeScript      = redis.NewScript(takeSrc)
	settleScript    = redis.NewScript(settleSrc)
	releaseScript   = redis.NewScript(releaseSrc)
	loadScript      = redis.NewScript(loadSrc)
	reconcileScript = redis.NewScript(reconcileSrc)
	adjustScript    = redis.NewScript(adjustSrc)
	announceScript  = redis.NewScript(announceSrc)
	fenceScript     = redis.NewScript(fenceSrc)
)

// Gate implements domain.CapacityGate.
type Gate struct {
	rdb    redis.UniversalClient
	prefix string
	// Observe, when set, is told how long each take of places took.
	Observe func(outcome string, took time.Duration)
}

// New is a gate on rdb; prefix (may be empty) keeps several deployments or
// test runs apart in one Redis.
func New(rdb redis.UniversalClient, prefix string) *Gate {
	return &Gate{rdb: rdb, prefix: prefix}
}

// keys are the bucket and holds of a slot, e.g. sg:{slot:42}:bucket.
func (g *Gate) keys(slotID int64) []string {
	tag := g.prefix + "sg:{slot:" + strconv.FormatInt(slotID, 10) + "}:"
	return []string{tag + "bucket", tag + "holds"}
}

// Ping checks that Redis answers. A cluster answers while any master
// does: with one master dead and its replica not yet promoted, the other
// masters' slots are still served, and a readiness check failing on every
// instance at once would turn a partial outage of seconds into a whole one.
func (g *Gate) Ping(ctx context.Context) error {
	c, ok := g.rdb.(*redis.ClusterClient)
	if !ok {
		return g.rdb.Ping(ctx).Err()
	}
	var up atomic.Int32
	err := c.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		if err := n.Ping(ctx).Err(); err != nil {
			return err
		}
		up.Add(1)
		return nil
	})
	if up.Load() > 0 {
		return nil
	}
	return err
}

// Take holds places for one request.
func (g *Gate) Take(ctx context.Context, slotID int64, hold string, places int, now time.Time) (domain.Take, error) {
	start := time.Now()
	res, err := takeScript.Run(ctx, g.rdb, g.keys(slotID), hold, places, now.UnixMilli()).Int64Slice()
	if g.Observe != nil {
		outcome := "error"
		if err == nil && len(res) == 3 && res[0] >= 0 && res[0] <= 4 {
			outcome = [...]string{"taken", "sold_out", "closed", "not_loaded", "fenced"}[res[0]]
		}
		g.Observe(outcome, time.Since(start))
	}
	if err != nil {
		return domain.Take{}, fmt.Errorf("take %d places of slot %d: %w", places, slotID, err)
	}
	outcomes := [...]domain.TakeOutcome{domain.Taken, domain.TakeSoldOut, domain.TakeClosed, domain.TakeNotLoaded, domain.TakeFenced}
	if len(res) != 3 || res[0] < 0 || int(res[0]) >= len(outcomes) {
		return domain.Take{}, fmt.Errorf("take places of slot %d: unexpected answer %v", slotID, res)
	}
	return domain.Take{Outcome: outcomes[res[0]], Remaining: int(res[1]), Pending: int(res[2])}, nil
}

// Settle ends a hold.
func (g *Gate) Settle(ctx context.Context, slotID int64, hold string, committed bool) error {
	c := "0"
	if committed {
		c = "1"
	}
	if err := settleScript.Run(ctx, g.rdb, g.keys(slotID), hold, c).Err(); err != nil {
		return fmt.Errorf("settle hold on slot %d: %w", slotID, err)
	}
	return nil
}

// SettleMany ends holds of one slot in one script call: a coalesced
// batch's, once the store has answered for all of them.
func (g *Gate) SettleMany(ctx context.Context, slotID int64, holds []domain.Settlement) error {
	if len(holds) == 0 {
		return nil
	}
	args := make([]any, 0, 2*len(holds))
	for _, h := range holds {
		c := "0"
		if h.Committed {
			c = "1"
		}
		args = append(args, h.Hold, c)
	}
	if err := settleScript.Run(ctx, g.rdb, g.keys(slotID), args...).Err(); err != nil {
		return fmt.Errorf("settle %d holds on slot %d: %w", len(holds), slotID, err)
	}
	return nil
}

// HoldRelease announces that places of the slot are about to be given back.
func (g *Gate) HoldRelease(ctx context.Context, slotID int64, hold string, places int, now time.Time) error {
	if err := releaseScript.Run(ctx, g.rdb, g.keys(slotID), hold, places, now.UnixMilli()).Err(); err != nil {
		return fmt.Errorf("announce release on slot %d: %w", slotID, err)
	}
	return nil
}

// minTTL keeps a bucket at least this long, however close its expiry: a
// TTL computed as zero or less would delete the key at once.
const minTTL = time.Second

// Load creates the slot's bucket from the store's counts unless it exists.
// The expiry is sent as a TTL from now, so that it holds whatever Redis's
// own clock says. Each load gets a fresh generation id, by which
// reconciliation tells a bucket loaded again since it looked.
func (g *Gate) Load(ctx context.Context, c domain.SlotCount, now time.Time) error {
	ttl := max(c.ExpireAt.Sub(now), minTTL)
	var gen [8]byte
	_, _ = rand.Read(gen[:])
	if err := loadScript.Run(ctx, g.rdb, g.keys(c.SlotID), c.Quota, c.Booked, flag(c.Open), ttl.Milliseconds(),
		hex.EncodeToString(gen[:])).Err(); err != nil {
		return fmt.Errorf("load bucket of slot %d: %w", c.SlotID, err)
	}
	return nil
}

// Announce tells the bucket that the store is about to commit a change
// to the slot; Adjust applies it, or Settle (not committed) withdraws it.
func (g *Gate) Announce(ctx context.Context, slotID int64, hold string, now time.Time) error {
	if err := announceScript.Run(ctx, g.rdb, g.keys(slotID), hold, now.UnixMilli()).Err(); err != nil {
		return fmt.Errorf("announce a change of slot %d: %w", slotID, err)
	}
	return nil
}

// Adjust applies an announced change the store has committed: it moves a
// loaded bucket's quota and booked count by the given differences and opens
// or stops its sales, once, and only while the announcement stands.
func (g *Gate) Adjust(ctx context.Context, slotID int64, hold string, quotaDelta, bookedDelta int, open bool) error {
	if err := adjustScript.Run(ctx, g.rdb, g.keys(slotID), hold, quotaDelta, flag(open), bookedDelta).Err(); err != nil {
		return fmt.Errorf("adjust bucket of slot %d: %w", slotID, err)
	}
	return nil
}

// Buckets reads the buckets of the given slots in one round trip.
func (g *Gate) Buckets(ctx context.Context, ids []int64) (map[int64]domain.Bucket, error) {
	if len(ids) == 0 {
		return map[int64]domain.Bucket{}, nil
	}
	pipe := g.rdb.Pipeline()
	fields := make([]*redis.SliceCmd, len(ids))
	holds := make([]*redis.IntCmd, len(ids))
	for i, id := range ids {
		k := g.keys(id)
		fields[i] = pipe.HMGet(ctx, k[0], "quota", "booked", "pending", "open", "seq", "gen", "in", "out", "adj")
		holds[i] = pipe.HLen(ctx, k[1])
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("read buckets: %w", err)
	}
	out := make(map[int64]domain.Bucket, len(ids))
	for i, id := range ids {
		v := fields[i].Val()
		if len(v) != 9 || v[0] == nil {
			continue
		}
		gen, _ := v[5].(string)
		out[id] = domain.Bucket{
			Loaded: true, Quota: atoi(v[0]), Booked: atoi(v[1]), Pending: atoi(v[2]), Open: v[3] == "1",
			Mark: int64(atoi(v[4])), Holds: int(holds[i].Val()),
			Gen: gen, SettledIn: atoi(v[6]), SettledOut: atoi(v[7]), Adjusted: atoi(v[8]),
		}
	}
	return out, nil
}

// Reconcile repairs the slot's bucket from the store's counts c, read after
// the bucket was read as seen (lua/reconcile.lua says how).
func (g *Gate) Reconcile(ctx context.Context, c domain.SlotCount, seen domain.Bucket, now time.Time, stale time.Duration) (domain.Reconciled, error) {
	res, err := reconcileScript.Run(ctx, g.rdb, g.keys(c.SlotID), c.Quota, c.Booked, flag(c.Open),
		seen.Gen, seen.SettledIn, seen.SettledOut, seen.Adjusted, now.UnixMilli(), stale.Milliseconds()).Int64Slice()
	if err != nil {
		return domain.Reconciled{}, fmt.Errorf("reconcile slot %d: %w", c.SlotID, err)
	}
	outcomes := [...]domain.ReconcileOutcome{domain.ReconcileAgreed, domain.ReconcileRepaired,
		domain.ReconcileBusy, domain.ReconcileStale, domain.ReconcileNotLoaded}
	if len(res) != 3 || res[0] < 0 || int(res[0]) >= len(outcomes) {
		return domain.Reconciled{}, fmt.Errorf("reconcile slot %d: unexpected answer %v", c.SlotID, res)
	}
	return domain.Reconciled{Outcome: outcomes[res[0]], Drift: int(res[1]), Loose: res[2] == 1}, nil
}

// Fence asks new takes of the slot's places to wait, for at most d (in
// Redis's clock) or until Unfence, while the holds in flight drain.
func (g *Gate) Fence(ctx context.Context, slotID int64, d time.Duration) error {
	if err := fenceScript.Run(ctx, g.rdb, g.keys(slotID)[:1], max(d.Milliseconds(), 1)).Err(); err != nil {
		return fmt.Errorf("fence slot %d: %w", slotID, err)
	}
	return nil
}

// Unfence lets takes of the slot's places go on.
func (g *Gate) Unfence(ctx context.Context, slotID int64) error {
	if err := fenceScript.Run(ctx, g.rdb, g.keys(slotID)[:1], 0).Err(); err != nil {
		return fmt.Errorf("lift the fence of slot %d: %w", slotID, err)
	}
	return nil
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func atoi(v any) int {
	s, _ := v.(string)
	n, _ := strconv.Atoi(s)
	return n
}

// KeysOf names the Redis keys of a slot's bucket and holds.
func (g *Gate) KeysOf(slotID int64) []string { return g.keys(slotID) }
