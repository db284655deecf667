package webui_test

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccdhq/ccd/demo"
	"github.com/ccdhq/ccd/internal/daemontest"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/chromedp/chromedp"
	_ "github.com/lib/pq"
)

// campaignCounters are the figures of a row of the supervisor console's
// campaign grid, as the page shows them.
type campaignCounters struct {
	Open, Targets, Dialling, Dialled, Calls, Answered, Abandoned, Finished int
}

// readCampaignRow reads the campaign's row of the grid; ok is false while
// the row is not there.
func readCampaignRow(ctx context.Context, id int) (c campaignCounters, ok bool, err error) {
	cells, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(`(() => {
	  const row = document.querySelector('#sv-campaigns tr[data-campaign="%d"]');
	  return row && row.offsetParent !== null ? [...row.querySelectorAll("td")].map((td) => td.textContent) : [];
	})()`, id)))
	if err != nil || len(cells) == 0 {
		return c, false, err
	}
	// State, Mode, Queue, Open / targets, Dialling now, Dialled today,
	// Calls today, Answered, Abandoned, Finished, Agents on call / logged in.
	if len(cells) != 11 {
		return c, false, fmt.Errorf("campaign row has %d cells: %q", len(cells), cells)
	}
	open, targets, found := strings.Cut(cells[3], " / ")
	if !found {
		return c, false, fmt.Errorf("open / targets cell %q", cells[3])
	}
	nums := []*int{&c.Open, &c.Targets, &c.Dialling, &c.Dialled, &c.Calls, &c.Answered, &c.Abandoned, &c.Finished}
	for i, s := range append([]string{open, targets}, cells[4:10]...) {
		if *nums[i], err = strconv.Atoi(s); err != nil {
			return c, false, fmt.Errorf("campaign cell %q: %w", s, err)
		}
	}
	return c, true, nil
}

// In demo mode the dialer campaign runs by itself: the supervisor
// console's campaign grid moves with it, without a reload. Its counters
// are read as the page shows them until the campaign has placed, had
// answered and finished more than when first seen; they never go
// backwards and add up (finished and open make the targets, answered calls
// are among those placed, abandoned among those answered). The grid
// follows the live stream: it catches up with the calls in the database
// within two seconds (it used to be read every 5 s).
func TestBrowserCampaignGridMoves(t *testing.T) {
	ctx := browser(t)
	dsn := pgtest.NewEmptyDB(t)
	// A loud demo: the campaign active, simulated agents answering its
	// calls; few inbound callers, so that the agents are free for it.
	d, err := demo.Start(context.Background(), demo.Options{Listen: daemontest.FreeAddr(t), DatabaseURL: dsn,
		Agents: 4, CallsPerMinute: 2, PauseEvery: time.Hour, UserCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Stop() })
	sup := credential(t, d, "supervisor")
	do(t, ctx, "supervisor opens the console", login(d, sup.User, sup.Password),
		chromedp.WaitVisible(chromedp.CSS("#nav-supervisor")),
		chromedp.Click(chromedp.CSS("#nav-supervisor")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#sv-campaigns tr[data-campaign="%d"]`, d.CampaignID))))

	first := waitCampaignRow(t, ctx, d.CampaignID, 10*time.Second, func(campaignCounters) bool { return true })
	if first.Targets != demo.CampaignTargets {
		t.Fatalf("the grid shows %d targets, the demo's campaign has %d", first.Targets, demo.CampaignTargets)
	}
	prev := first
	last := waitCampaignRow(t, ctx, d.CampaignID, 2*time.Minute, func(c campaignCounters) bool {
		if c.Dialled < prev.Dialled || c.Calls < prev.Calls || c.Answered < prev.Answered || c.Finished < prev.Finished ||
			c.Targets != first.Targets {
			t.Fatalf("the grid went backwards: %+v after %+v", c, prev)
		}
		if c.Open+c.Finished != c.Targets || c.Answered > c.Calls || c.Abandoned > c.Answered {
			t.Fatalf("the grid does not add up: %+v", c)
		}
		prev = c
		return c.Calls > first.Calls && c.Answered > first.Answered && c.Finished > first.Finished
	})
	t.Logf("campaign grid: %+v, then %+v", first, last)
	placed := placedToday(t, dsn, d.CampaignID)
	waitCampaignRow(t, ctx, d.CampaignID, 2*time.Second, func(c campaignCounters) bool { return c.Calls >= placed })
	screenshot(t, ctx, "supervisor-campaigns")
}

// placedToday counts the campaign's calls since midnight (the demo's zone
// is the machine's) in the database.
func placedToday(t *testing.T, dsn string, campaign int) int {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM dialer.attempt WHERE campaign_id = $1 AND started_at >= $2`,
		campaign, midnight).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitCampaignRow reads the campaign's row until done holds, for up to
// within (a loaded machine's demo needs time to place and end calls).
func waitCampaignRow(t *testing.T, ctx context.Context, id int, within time.Duration, done func(campaignCounters) bool) campaignCounters {
	t.Helper()
	var c campaignCounters
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		got, ok, err := readCampaignRow(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			continue
		}
		if c = got; done(c) {
			return c
		}
	}
	t.Fatalf("the campaign grid did not get there within %s: %+v", within, c)
	return c
}
