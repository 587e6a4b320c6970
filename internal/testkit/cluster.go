package testkit

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a Redis Cluster of real redis-server processes on loopback:
// three masters with one replica each, cluster-node-timeout 1500 ms, no
// persistence, in a temporary directory. Every process is killed when the
// test ends.
type Cluster struct {
	Nodes []*ClusterNode
	dir   string
}

// ClusterNode is one redis-server of a Cluster.
type ClusterNode struct {
	Addr string
	cmd  *exec.Cmd
	dead bool
}

// NeedRedisServer skips the test without redis-server and redis-cli on the
// PATH, or fails it under SLOTGATE_TEST_REQUIRE=1.
func NeedRedisServer(t testing.TB) {
	t.Helper()
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing(t, bin+" (a Redis Cluster of real servers)")
		}
	}
}

// StartCluster starts six redis-server processes, joins them into a cluster
// with one replica per master, and waits until every slot is served and
// every replica has caught up with its master: a replica that never synced
// is not promoted when its master dies.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	NeedRedisServer(t)
	c := &Cluster{dir: t.TempDir()}
	t.Cleanup(c.Stop)
	for _, port := range clusterPorts(t, 6) {
		n := &ClusterNode{Addr: "127.0.0.1:" + strconv.Itoa(port)}
		p := strconv.Itoa(port)
		n.cmd = exec.Command("redis-server", "--port", p, "--bind", "127.0.0.1",
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes-"+p+".conf",
			"--cluster-node-timeout", "1500", "--save", "", "--appendonly", "no",
			"--dir", c.dir, "--logfile", filepath.Join(c.dir, "redis-"+p+".log"))
		if err := n.cmd.Start(); err != nil {
			t.Fatalf("start redis-server: %v", err)
		}
		c.Nodes = append(c.Nodes, n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, n := range c.Nodes {
		c.waitFor(t, ctx, n.Addr+" to answer", func() bool { return n.client().Ping(ctx).Err() == nil })
	}
	args := []string{"--cluster", "create"}
	for _, n := range c.Nodes {
		args = append(args, n.Addr)
	}
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	c.waitFor(t, ctx, "every node to see the cluster whole and every replica in sync", func() bool { return c.healthy(ctx) })
	return c
}

// clusterPorts finds n loopback ports that are free together with their
// cluster bus ports (port + 10000).
func clusterPorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if port+10000 > 65535 {
			l.Close()
			continue
		}
		bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		if err != nil {
			l.Close()
			continue
		}
		held = append(held, l, bus)
		ports = append(ports, port)
	}
	return ports
}

func (n *ClusterNode) client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: n.Addr, DialTimeout: time.Second, ReadTimeout: time.Second, MaxRetries: -1})
}

// Info reads one section of INFO from the node as fields.
func (n *ClusterNode) Info(ctx context.Context, section string) (map[string]string, error) {
	c := n.client()
	defer c.Close()
	raw, err := c.Info(ctx, section).Result()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(raw, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			out[k] = v
		}
	}
	return out, nil
}

// healthy: every live node says cluster_state:ok, and every replica's link
// to its master is up with its offset equal to the master's.
func (c *Cluster) healthy(ctx context.Context) bool {
	offsets := map[string]string{} // master addr -> its offset
	var replicas []map[string]string
	for _, n := range c.Live() {
		cl := n.client()
		info, err := cl.ClusterInfo(ctx).Result()
		cl.Close()
		if err != nil || !strings.Contains(info, "cluster_state:ok") {
			return false
		}
		r, err := n.Info(ctx, "replication")
		if err != nil {
			return false
		}
		if r["role"] == "master" {
			offsets[n.Addr] = r["master_repl_offset"]
		} else {
			replicas = append(replicas, r)
		}
	}
	if len(replicas) == 0 {
		return false
	}
	for _, r := range replicas {
		master := r["master_host"] + ":" + r["master_port"]
		if r["master_link_status"] != "up" || r["master_sync_in_progress"] != "0" || offsets[master] == "" ||
			r["slave_repl_offset"] != offsets[master] {
			return false
		}
	}
	return true
}

func (c *Cluster) waitFor(t testing.TB, ctx context.Context, what string, ok func() bool) {
	t.Helper()
	for !ok() {
		select {
		case <-ctx.Done():
			var logs strings.Builder
			for _, n := range c.Nodes {
				b, _ := os.ReadFile(filepath.Join(c.dir, "redis-"+strings.TrimPrefix(n.Addr, "127.0.0.1:")+".log"))
				fmt.Fprintf(&logs, "\n--- %s\n%s", n.Addr, b)
			}
			t.Fatalf("Redis Cluster: gave up waiting for %s%s", what, logs.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// URL is a redis:// URL naming every node, which selects Redis Cluster.
func (c *Cluster) URL() string {
	u := "redis://" + c.Nodes[0].Addr
	for i, n := range c.Nodes[1:] {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		u += sep + "addr=" + n.Addr
	}
	return u
}

// Live lists the nodes not killed.
func (c *Cluster) Live() []*ClusterNode {
	var out []*ClusterNode
	for _, n := range c.Nodes {
		if !n.dead {
			out = append(out, n)
		}
	}
	return out
}

// MasterOf is the node serving key's hash slot now, as a live node sees it.
func (c *Cluster) MasterOf(t testing.TB, key string) *ClusterNode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cl := c.Live()[0].client()
	defer cl.Close()
	slot, err := cl.ClusterKeySlot(ctx, key).Result()
	if err != nil {
		t.Fatalf("CLUSTER KEYSLOT: %v", err)
	}
	ranges, err := cl.ClusterSlots(ctx).Result()
	if err != nil {
		t.Fatalf("CLUSTER SLOTS: %v", err)
	}
	for _, r := range ranges {
		if int64(r.Start) <= slot && slot <= int64(r.End) && len(r.Nodes) > 0 {
			for _, n := range c.Nodes {
				if n.Addr == r.Nodes[0].Addr {
					return n
				}
			}
		}
	}
	t.Fatalf("no node serves hash slot %d of %s", slot, key)
	return nil
}

// Kill ends a node with SIGKILL, as a crash would: no goodbye to the others.
func (c *Cluster) Kill(t testing.TB, n *ClusterNode) {
	t.Helper()
	if err := n.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill %s: %v", n.Addr, err)
	}
	_ = n.cmd.Wait()
	n.dead = true
}

// Stop kills every node still running.
func (c *Cluster) Stop() {
	for _, n := range c.Nodes {
		if !n.dead {
			_ = n.cmd.Process.Kill()
			_ = n.cmd.Wait()
			n.dead = true
		}
	}
}
