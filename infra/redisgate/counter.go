package redisgate

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"slotgate/domain"
)

var (
	//go:embed lua/enter.lua
	enterSrc string
	//go:embed lua/undo.lua
	undoSrc string
	//go:embed lua/leave.lua
	leaveSrc string

	enterScript = redis.NewScript(enterSrc)
	undoScript  = redis.NewScript(undoSrc)
	leaveScript = redis.NewScript(leaveSrc)
)

// Counter implements domain.OccupancyCounter: people inside each venue and the
// flow of each of its gates, all under the venue's hash tag, e.g.
// sg:{venue:3}:inside:2026-03-02 and sg:{venue:3}:flow:North.
type Counter struct {
	rdb    redis.UniversalClient
	prefix string
	clock  domain.Clock // nil: Redis's TIME
}

// NewCounter keeps gate counts in rdb under prefix.
func NewCounter(rdb redis.UniversalClient, prefix string) *Counter {
	return &Counter{rdb: rdb, prefix: prefix}
}

func (c *Counter) tag(venueID int64) string {
	return c.prefix + "sg:{venue:" + strconv.FormatInt(venueID, 10) + "}:"
}

func (c *Counter) insideKey(v domain.VenueDay) string {
	return c.tag(v.VenueID) + "inside:" + v.Date.String()
}

// WithClock makes the gates' flow follow clock instead of Redis's own,
// which is the one clock every instance shares; for tests, which move the
// flow by hand rather than by sleeping.
func (c *Counter) WithClock(clock domain.Clock) *Counter {
	c.clock = clock
	return c
}

// Enter lets people in if there is room and the gate's flow allows.
func (c *Counter) Enter(ctx context.Context, v domain.VenueDay, hold string, people, capacity int, flow domain.GateFlow) (domain.OccupancyCount, error) {
	t := c.tag(v.VenueID)
	interval := (time.Minute / time.Duration(flow.PerMinute)).Microseconds()
	now := ""
	if c.clock != nil {
		now = strconv.FormatInt(c.clock.Now().UnixMicro(), 10)
	}
	res, err := enterScript.Run(ctx, c.rdb, []string{c.insideKey(v), t + "flow:" + flow.Gate, t + "hold:" + hold},
		people, capacity, flow.Burst, interval, now).Int64Slice()
	if err != nil {
		return domain.OccupancyCount{}, fmt.Errorf("enter %d people: %w", people, err)
	}
	if len(res) != 4 || res[0] < 0 || res[0] > 3 {
		return domain.OccupancyCount{}, fmt.Errorf("enter: unexpected answer %v", res)
	}
	outcomes := [...]domain.OccupancyOutcome{domain.OccupancyOK, domain.OccupancyNotLoaded, domain.OccupancyFull, domain.OccupancyFlowLimited}
	return domain.OccupancyCount{Outcome: outcomes[res[0]], Inside: int(res[1]), MustLeave: int(res[2]),
		RetryAfter: time.Duration(res[3]) * time.Microsecond}, nil
}

// Undo gives back an entry whose admission failed: its people and the flow
// they used at gate.
func (c *Counter) Undo(ctx context.Context, v domain.VenueDay, hold, gate string) error {
	t := c.tag(v.VenueID)
	if err := undoScript.Run(ctx, c.rdb, []string{c.insideKey(v), t + "flow:" + gate, t + "hold:" + hold}).Err(); err != nil {
		return fmt.Errorf("undo entry: %w", err)
	}
	return nil
}

// Leave counts people out.
func (c *Counter) Leave(ctx context.Context, v domain.VenueDay, hold string, people int) (domain.OccupancyCount, error) {
	res, err := leaveScript.Run(ctx, c.rdb, []string{c.insideKey(v), c.tag(v.VenueID) + "hold:" + hold}, people).Int64Slice()
	if err != nil || len(res) != 2 {
		return domain.OccupancyCount{}, fmt.Errorf("count %d people out: %v %w", people, res, err)
	}
	if res[0] == 1 {
		return domain.OccupancyCount{Outcome: domain.OccupancyNotLoaded}, nil
	}
	return domain.OccupancyCount{Outcome: domain.OccupancyOK, Inside: int(res[1])}, nil
}

// Load sets the count unless it exists.
func (c *Counter) Load(ctx context.Context, v domain.VenueDay, inside int, ttl time.Duration) error {
	if err := c.rdb.SetNX(ctx, c.insideKey(v), inside, max(ttl, minTTL)).Err(); err != nil {
		return fmt.Errorf("load occupancy: %w", err)
	}
	return nil
}

// Inside reads the count.
func (c *Counter) Inside(ctx context.Context, v domain.VenueDay) (int, bool, error) {
	n, err := c.rdb.Get(ctx, c.insideKey(v)).Int()
	if errors.Is(err, redis.Nil) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read occupancy: %w", err)
	}
	return n, true, nil
}

// Forget drops the count.
func (c *Counter) Forget(ctx context.Context, v domain.VenueDay) error {
	return c.rdb.Del(ctx, c.insideKey(v)).Err()
}
