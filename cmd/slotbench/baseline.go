package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Baseline 1: a bare Echo handler in a process of its own.

const (
	// serveBareFlag makes the binary serve the bare handler on the address
	// that follows it, print the address it listens on, and serve until its
	// standard input closes (when the bench exits, however it exits).
	serveBareFlag = "-serve-bare"
	// bareBodyEnv passes the problem document the bare handler answers.
	bareBodyEnv = "SLOTBENCH_BARE_BODY"
)

// bareProblem is the shape of slotgate's problem answers, so that the bare
// handler encodes a value of the same kind and size on every request.
type bareProblem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Code      string `json:"code"`
	Remaining *int   `json:"remaining,omitempty"`
}

// defaultBareBody stands in for a sold-out answer when the run saw none.
const defaultBareBody = `{"type":"/problems/sold_out","title":"该时段已约满","status":409,"detail":"请选择其他时段或日期。","code":"sold_out"}`

// serveBare is the child process: the booking route answers 409 with a
// small JSON body, with no middleware, no decoding and no work behind it.
func serveBare(addr, body string) error {
	if body == "" {
		body = defaultBareBody
	}
	var p bareProblem
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		return fmt.Errorf("problem body: %w", err)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// The same server timeouts as slotgate's.
	e.Server.ReadHeaderTimeout = 10 * time.Second
	e.Server.IdleTimeout = 2 * time.Minute
	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	// The process metrics slotgate serves, from the same collector, so that
	// the CPU time of both processes is read the same way.
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	e.POST("/api/v1/bookings", func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
		return c.JSON(http.StatusConflict, p)
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	e.Listener = ln
	fmt.Println(ln.Addr().String())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		_ = e.Close()
	}()
	if err := e.Start(""); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// bareServer is the running child.
type bareServer struct {
	url   string
	cmd   *exec.Cmd
	stdin io.Closer
}

// startBare re-executes this binary as the bare server, answering with
// body (a sold-out answer of the run, so that both bodies are alike).
func startBare(ctx context.Context, body []byte) (*bareServer, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own binary: %w", err)
	}
	cmd := exec.Command(exe, serveBareFlag, "127.0.0.1:0")
	cmd.Env = append(os.Environ(), bareBodyEnv+"="+string(body))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start bare server: %w", err)
	}
	b := &bareServer{cmd: cmd, stdin: stdin}
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		addr <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case a := <-addr:
		if a == "" {
			b.stop()
			return nil, errors.New("bare server did not start")
		}
		b.url = "http://" + a
		return b, nil
	case <-time.After(10 * time.Second):
	case <-ctx.Done():
	}
	b.stop()
	return nil, errors.New("bare server did not say where it listens")
}

// stop closes the child's input, which ends it, and waits for it.
func (b *bareServer) stop() {
	_ = b.stdin.Close()
	done := make(chan struct{})
	go func() { _ = b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = b.cmd.Process.Kill()
		<-done
	}
}

// Baseline 2: the server's booking transaction, raw.

// rawResult is the raw MariaDB baseline's outcome.
type rawResult struct {
	conns     int
	returning bool // INSERT ... RETURNING, as GORM does on MariaDB 10.5 and later
	count     int
	done      int
	retries   int
	errors    map[string]int
	wall      time.Duration
	lat       []time.Duration
	// cpu is the CPU time the bench used while running the transactions:
	// the client's side of them, to compare with the server's.
	cpu time.Duration
}

// The statements the server's store runs for a party of one, as GORM sends
// them (infra/store/bookings.go: CreateBooking). On MariaDB 10.5 and later
// GORM appends RETURNING `id` to each INSERT and reads the id from the rows
// answered, where on MySQL it reads the last insert id.
const (
	rawUpdate        = "UPDATE slots SET booked = booked + ? WHERE id = ? AND status = ? AND booked + ? <= quota - held_back"
	rawInsertBooking = "INSERT INTO `bookings` (`venue_id`,`slot_id`,`visit_date`,`party_size`,`status`,`phone`,`idempotency_key`,`fingerprint`,`created_at`,`updated_at`,`cancelled_at`) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
	rawInsertVisitor = "INSERT INTO `booking_visitors` (`booking_id`,`venue_id`,`visit_date`,`position`,`name`,`id_type`,`id_hash`,`id_masked`,`live`) VALUES (?,?,?,?,?,?,?,?,?)"
)

// rawRunner runs booking transactions on the scratch slot with
// database/sql and the MySQL driver alone, from clients goroutines sharing
// a pool of conns connections (the server's SLOTGATE_MYSQL_MAX_CONNS), with
// the driver set up as the server sets it up (interpolated parameters: one
// round trip per statement). Deadlocks and lock wait timeouts are retried
// like the server retries them. It runs in rounds, alternating with the
// server's sustained phase.
type rawRunner struct {
	db        *sql.DB
	f         *fixture
	rows      []rawRow
	next      int // first row of the next round
	clients   int
	conns     int
	returning bool
}

// rawRow is what one transaction writes, made before any clock starts.
type rawRow struct{ phone, fingerprint, idHash, masked, name string }

// openRaw connects the pool and prepares count transactions.
func openRaw(ctx context.Context, dsn string, f *fixture, count, clients, conns int) (*rawRunner, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("-dsn: %w", err)
	}
	cfg.ParseTime, cfg.Loc, cfg.InterpolateParams = true, time.UTC, true
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	if _, ok := cfg.Params["time_zone"]; !ok {
		cfg.Params["time_zone"] = "'+00:00'"
	}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	r := &rawRunner{db: db, f: f, clients: clients, conns: conns, rows: make([]rawRow, count)}
	if err := warmPool(ctx, db, conns); err != nil {
		db.Close()
		return nil, err
	}
	var version string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		db.Close()
		return nil, err
	}
	r.returning = returningInsert(version)
	for i := range r.rows {
		sum := sha256.Sum256([]byte("slotbench raw " + f.venue.Slug + " " + strconv.Itoa(i)))
		h := hex.EncodeToString(sum[:])
		r.rows[i] = rawRow{phone: fmt.Sprintf("14%09d", i), fingerprint: h, idHash: h,
			masked: "R1********" + strconv.Itoa(i%10), name: "Raw Visitor " + strconv.Itoa(i)}
	}
	return r, nil
}

func (r *rawRunner) close() { _ = r.db.Close() }

// book runs the server's booking transaction for one prepared row.
func (r *rawRunner) book(ctx context.Context, row rawRow) error {
	f := r.f
	date := f.raw.Date.String()
	now := time.Now().UTC()
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after commit
	u, err := tx.ExecContext(ctx, rawUpdate, 1, f.raw.ID, "open", 1)
	if err != nil {
		return err
	}
	if n, _ := u.RowsAffected(); n != 1 {
		return errors.New("slot full or closed")
	}
	var id int64
	bookingArgs := []any{f.venue.ID, f.raw.ID, date, 1, "confirmed", row.phone, nil, row.fingerprint, now, now, nil}
	visitorArgs := func() []any { return []any{id, f.venue.ID, date, 0, row.name, "passport", row.idHash, row.masked, 1} }
	if r.returning {
		if err := tx.QueryRowContext(ctx, rawInsertBooking+" RETURNING `id`", bookingArgs...).Scan(&id); err != nil {
			return err
		}
		var visitorID int64
		if err := tx.QueryRowContext(ctx, rawInsertVisitor+" RETURNING `id`", visitorArgs()...).Scan(&visitorID); err != nil {
			return err
		}
		return tx.Commit()
	}
	b, err := tx.ExecContext(ctx, rawInsertBooking, bookingArgs...)
	if err != nil {
		return err
	}
	if id, err = b.LastInsertId(); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, rawInsertVisitor, visitorArgs()...); err != nil {
		return err
	}
	return tx.Commit()
}

// run makes the next n prepared transactions, from r.clients goroutines.
func (r *rawRunner) run(ctx context.Context, n int) rawResult {
	rows := r.rows[r.next:min(r.next+n, len(r.rows))]
	r.next += len(rows)
	res := rawResult{conns: r.conns, returning: r.returning, count: len(rows), errors: map[string]int{},
		lat: make([]time.Duration, len(rows))}
	var (
		next, done, retries atomic.Int64
		mu                  sync.Mutex
		wg                  sync.WaitGroup
		start               = make(chan struct{})
	)
	for range min(r.clients, len(rows)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for {
				i := int(next.Add(1) - 1)
				if i >= len(rows) {
					return
				}
				begin := time.Now()
				var err error
				for attempt := 1; ; attempt++ {
					err = r.book(ctx, rows[i])
					if err == nil || !retryable(err) || attempt == 4 {
						break
					}
					retries.Add(1)
					time.Sleep(time.Duration(attempt*attempt) * 5 * time.Millisecond)
				}
				res.lat[i] = time.Since(begin)
				if err != nil {
					mu.Lock()
					res.errors[err.Error()]++
					mu.Unlock()
					continue
				}
				done.Add(1)
			}
		}()
	}
	cpu0, cpuOK := ownCPU()
	t0 := time.Now()
	close(start)
	wg.Wait()
	res.wall = time.Since(t0)
	if cpu1, ok := ownCPU(); ok && cpuOK {
		res.cpu = cpu1 - cpu0
	}
	res.done, res.retries = int(done.Load()), int(retries.Load())
	slices.Sort(res.lat)
	return res
}

// merge adds the figures of another round.
func (a rawResult) merge(b rawResult) rawResult {
	a.conns, a.returning = b.conns, b.returning
	a.count += b.count
	a.done += b.done
	a.retries += b.retries
	a.wall += b.wall
	a.cpu += b.cpu
	if a.errors == nil {
		a.errors = map[string]int{}
	}
	for k, v := range b.errors {
		a.errors[k] += v
	}
	a.lat = append(a.lat, b.lat...)
	slices.Sort(a.lat)
	return a
}

// returningInsert reports whether GORM's MySQL driver sends INSERT ...
// RETURNING to a server of this version: MariaDB 10.5 and later.
func returningInsert(version string) bool {
	if !strings.Contains(version, "MariaDB") {
		return false
	}
	var major, minor int
	if _, err := fmt.Sscanf(version, "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major > 10 || (major == 10 && minor >= 5)
}

// warmPool opens n connections at once, so that the timed run does not
// pay for connecting.
func warmPool(ctx context.Context, db *sql.DB, n int) error {
	conns := make([]*sql.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("connect to MySQL: %w", err)
		}
		conns = append(conns, c)
	}
	return nil
}

// retryable is a deadlock (1213) or lock wait timeout (1205), as in the store.
func retryable(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}

// Baseline 3: redis-benchmark, for context.

// redisBenchmark runs redis-benchmark's GET test against the Redis of
// rawURL and returns its requests per second. GET writes nothing, so the
// server's keys are safe. ok is false when the tool is not installed.
func redisBenchmark(ctx context.Context, rawURL string) (rps float64, args []string, ok bool, err error) {
	tool, lookErr := exec.LookPath("redis-benchmark")
	if lookErr != nil || rawURL == "" {
		return 0, nil, false, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
		return 0, nil, true, fmt.Errorf("-redis-url %q is not redis://host:port/db", rawURL)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "6379"
	}
	args = []string{"-h", host, "-p", port, "-c", "50", "-n", "200000", "-q", "-t", "get"}
	shown := slices.Clone(args)
	if pw, set := u.User.Password(); set {
		args = append(args, "-a", pw, "--no-auth-warning")
		shown = append(shown, "-a", "xxxxx")
	}
	if u.Scheme == "rediss" {
		args = append(args, "--tls")
		shown = append(shown, "--tls")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, tool, args...).CombinedOutput()
	if err != nil {
		return 0, shown, true, fmt.Errorf("redis-benchmark: %w: %s", err, strings.TrimSpace(string(out)))
	}
	rps, err = parseRedisBenchmark(string(out))
	return rps, shown, true, err
}

var redisRate = regexp.MustCompile(`GET: ([0-9.]+) requests per second`)

// parseRedisBenchmark reads the final GET line of redis-benchmark -q; the
// progress lines before it end in carriage returns.
func parseRedisBenchmark(out string) (float64, error) {
	m := redisRate.FindAllStringSubmatch(out, -1)
	if len(m) == 0 {
		return 0, fmt.Errorf("redis-benchmark said %q", strings.TrimSpace(out))
	}
	return strconv.ParseFloat(m[len(m)-1][1], 64)
}
