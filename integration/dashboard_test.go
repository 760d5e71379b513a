package integration

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/shalemq/shale/wire"
)

// chromium finds Debian's headless-capable Chromium. Without it the test
// is skipped on a workstation and fails in CI, which installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (.ci/run installs it)")
	}
	t.Skip("chromium is not installed: apt-get install chromium to run the dashboard browser test")
	return ""
}

// browser is a headless Chromium driven over the DevTools protocol, with
// the flags that work as root in a container.
func browser(t *testing.T, width, height int) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// shots saves full-page screenshots under the test's temp dir, or under
// $DASHBOARD_SCREENSHOTS when set (to look at them, or refresh docs/).
type shots struct {
	t   *testing.T
	dir string
}

func newShots(t *testing.T) *shots {
	dir := os.Getenv("DASHBOARD_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return &shots{t: t, dir: dir}
}

func (s *shots) take(name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var png []byte
		if err := chromedp.FullScreenshot(&png, 100).Do(ctx); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(s.dir, name+".png"), png, 0o644)
	})
}

// seed gives the dashboard something to show: a stream with a topic whose
// messages carry headers and JSON payloads, and a consumer group behind.
func seed(t *testing.T, s *Server) {
	ctx := context.Background()
	c := dialTCP(t, s)
	login(t, c)
	if _, err := c.CreateStream(ctx, "orders"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTopic(ctx, wire.CreateTopic{Stream: wire.NamedID("orders"), PartitionsCount: 3, Name: "placed", MessageExpiry: uint64(7 * 24 * time.Hour / time.Microsecond)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTopic(ctx, wire.CreateTopic{Stream: wire.NamedID("orders"), PartitionsCount: 1, Name: "audit"}); err != nil {
		t.Fatal(err)
	}
	st, tp := wire.NamedID("orders"), wire.NamedID("placed")
	for p := range uint32(3) {
		var b []byte
		for i := range 40 {
			h := wire.AppendUserHeaders(nil,
				wire.UserHeader{Key: wire.StringHeader("source"), Value: wire.StringHeader("checkout")},
				wire.UserHeader{Key: wire.StringHeader("attempt"), Value: wire.Uint32Header(uint32(i))})
			payload := fmt.Sprintf(`{"order":%d,"partition":%d,"items":[{"sku":"A-%d","qty":%d}],"total":%d.50}`, i, p, i, i%3+1, 10+i)
			b = wire.AppendSendMessage(b, nil, uint64(time.Now().UnixMicro()), []byte(payload), h)
		}
		if err := c.Send(ctx, st, tp, wire.PartitionID(p), 40, b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Do(ctx, &wire.CreateConsumerGroup{Stream: st, Topic: tp, Name: "billing"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(ctx, &wire.JoinConsumerGroup{GroupRef: wire.GroupRef{Stream: st, Topic: tp, Group: wire.NamedID("billing")}}); err != nil {
		t.Fatal(err)
	}
	group := wire.Consumer{Kind: wire.ConsumerGroup, ID: wire.NamedID("billing")}
	for p := range uint32(3) {
		if err := c.StoreOffset(ctx, wire.OffsetRef{Consumer: group, Stream: st, Topic: tp, Partition: wire.SomePartition(p)}, uint64(10*p+9)); err != nil {
			t.Fatal(err)
		}
	}
	// A single consumer half way through partition 1.
	single := wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(4242)}
	if err := c.StoreOffset(ctx, wire.OffsetRef{Consumer: single, Stream: st, Topic: tp, Partition: wire.SomePartition(1)}, 19); err != nil {
		t.Fatal(err)
	}
	// A second group that has read everything.
	if _, err := c.Do(ctx, &wire.CreateConsumerGroup{Stream: st, Topic: tp, Name: "search-indexer"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(ctx, &wire.JoinConsumerGroup{GroupRef: wire.GroupRef{Stream: st, Topic: tp, Group: wire.NamedID("search-indexer")}}); err != nil {
		t.Fatal(err)
	}
	indexer := wire.Consumer{Kind: wire.ConsumerGroup, ID: wire.NamedID("search-indexer")}
	for p := range uint32(3) {
		if err := c.StoreOffset(ctx, wire.OffsetRef{Consumer: indexer, Stream: st, Topic: tp, Partition: wire.SomePartition(p)}, 39); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDashboardInBrowser signs in with headless Chromium, watches a stream
// created through the API appear without a reload, opens a topic, browses
// a message with its headers as JSON and as hex, reads a group's lag and
// signs out, saving a screenshot of every page.
func TestDashboardInBrowser(t *testing.T) {
	chromium(t)
	s := Start(t, "", "SHALE_BACKUP_ENABLED=true", "SHALE_BACKUP_INTERVAL=3s")
	// The browser starts second so it closes first: the server's graceful
	// shutdown then has no browser connections to wait for.
	ctx := browser(t, 1366, 768)
	seed(t, s)
	// Some traffic the overview charts can show.
	tcp := dialTCP(t, s)
	login(t, tcp)
	base := "http://" + s.Ports.HTTP
	sh := newShots(t)

	run := func(what string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	var text, single string
	run("sign-in page",
		chromedp.Navigate(base+"/ui/streams"),
		chromedp.WaitVisible("#signin", chromedp.ByID),
		sh.take("01-sign-in"),
	)
	run("wrong password",
		chromedp.SendKeys("#username", RootUser, chromedp.ByID),
		chromedp.SendKeys("#password", "not-the-password", chromedp.ByID),
		chromedp.Click("#signin", chromedp.ByID),
		chromedp.WaitVisible(".banner.bad", chromedp.ByQuery),
	)
	run("sign in",
		chromedp.SendKeys("#password", RootPassword, chromedp.ByID),
		chromedp.Click("#signin", chromedp.ByID),
		// next= brings us back to the page we asked for.
		chromedp.WaitVisible("#streams", chromedp.ByID),
		chromedp.Text("#streams", &text, chromedp.ByID),
	)
	if !strings.Contains(text, "orders") {
		t.Fatalf("streams page after sign-in: %q", text)
	}
	var cookies []*network.Cookie
	run("read cookie", chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		cookies, err = network.GetCookies().Do(ctx)
		return err
	}))
	var session string
	for _, c := range cookies {
		if c.Name == "shale_ui" {
			session = c.Value
			if !c.HTTPOnly || c.SameSite != network.CookieSameSiteStrict {
				t.Fatalf("session cookie: HttpOnly %v SameSite %v", c.HTTPOnly, c.SameSite)
			}
		}
	}
	if session == "" {
		t.Fatal("no session cookie")
	}

	// A stream created through the API shows up without a reload: the
	// marker set on the window survives only if the page never reloads.
	run("mark page", chromedp.Evaluate(`window.__noReload = 1`, nil))
	if _, err := tcp.CreateStream(context.Background(), "appeared-live"); err != nil {
		t.Fatal(err)
	}
	run("stream appears live",
		chromedp.WaitVisible(`//table//a[text()="appeared-live"]`, chromedp.BySearch),
	)
	var marker int
	run("no reload", chromedp.Evaluate(`window.__noReload || 0`, &marker))
	if marker != 1 {
		t.Fatal("the streams page reloaded instead of updating in place")
	}
	run("streams page", sh.take("02-streams"))

	run("open stream",
		chromedp.Click(`//table//a[text()="orders"]`, chromedp.BySearch),
		chromedp.WaitVisible("#topics", chromedp.ByID),
		sh.take("03-stream"),
	)
	run("open topic",
		chromedp.Click(`//table//a[text()="placed"]`, chromedp.BySearch),
		chromedp.WaitVisible("#partitions", chromedp.ByID),
		chromedp.Text("#partitions", &text, chromedp.ByID),
		sh.take("04-topic"),
	)
	if !strings.Contains(text, "40") {
		t.Fatalf("partitions: %q", text)
	}

	run("browse as JSON",
		chromedp.Click("#browse", chromedp.ByID),
		chromedp.WaitVisible("#browse-form", chromedp.ByID),
		chromedp.SetValue(`select[name="strategy"]`, "first", chromedp.ByQuery),
		chromedp.SetValue(`input[name="count"]`, "3", chromedp.ByQuery),
		chromedp.Click(`label:has(#fmt-json) span`, chromedp.ByQuery),
		chromedp.Click("#poll", chromedp.ByID),
		chromedp.WaitVisible(`#messages[data-format="json"] .msg[data-offset="0"]`, chromedp.ByQuery),
		chromedp.Text(`.msg[data-offset="0"]`, &text, chromedp.ByQuery),
		sh.take("05-messages-json"),
	)
	for _, want := range []string{"source", "checkout", "attempt", "uint32", "\"order\": 0,", "\"sku\": \"A-0\""} {
		if !strings.Contains(text, want) {
			t.Fatalf("message as JSON lacks %q:\n%s", want, text)
		}
	}
	run("browse as hex",
		chromedp.Click(`label:has(#fmt-hex) span`, chromedp.ByQuery),
		chromedp.Click("#poll", chromedp.ByID),
		chromedp.WaitVisible(`#messages[data-format="hex"] .msg[data-offset="0"]`, chromedp.ByQuery),
		chromedp.Text(`.msg[data-offset="0"] .payload`, &text, chromedp.ByQuery),
		sh.take("06-messages-hex"),
	)
	// {"order" is 7b 22 6f 72 64 65 72 22.
	if !strings.Contains(text, "7b 22 6f 72 64 65 72 22") || !strings.Contains(text, `|{"order":0,"part|`) {
		t.Fatalf("message as hex:\n%s", text)
	}

	run("consumer groups",
		chromedp.Navigate(base+"/ui/groups"),
		chromedp.WaitVisible("#all-groups", chromedp.ByID),
		chromedp.Text("#all-groups", &text, chromedp.ByID),
		chromedp.Text("#consumers", &single, chromedp.ByID),
		sh.take("07-groups"),
	)
	if !strings.Contains(single, "4242") || !strings.Contains(single, "orders / placed") {
		t.Fatalf("single consumers: %q", single)
	}
	// Partition 0 committed 9 of 0..39: 30 behind; 1 committed 19: 20; 2: 10.
	for _, want := range []string{"billing", "lag 60 msg", "30", "20", "10", "search-indexer", "lag 0 msg", "caught up"} {
		if !strings.Contains(text, want) {
			t.Fatalf("groups page lacks %q:\n%s", want, text)
		}
	}
	for _, p := range []struct{ path, shot, wait string }{
		{"/ui/", "08-overview", "#tiles"},
		{"/ui/users", "09-users", "#clients"},
		{"/ui/backups", "10-backups", "#scheduled table"},
		{"/ui/health", "11-health", "#health"},
	} {
		run(p.path, chromedp.Navigate(base+p.path), chromedp.WaitVisible(p.wait, chromedp.ByQuery))
		if p.path == "/ui/" {
			// Let the charts collect a few samples while messages flow.
			for i := range 6 {
				b := batch(fmt.Sprint("load", i), 50+i*40)
				if err := tcp.Send(context.Background(), wire.NamedID("orders"), wire.NamedID("audit"), wire.PartitionID(0), 50+i*40, b); err != nil {
					t.Fatal(err)
				}
				run("wait", chromedp.Sleep(2*time.Second))
			}
		}
		run(p.shot, sh.take(p.shot))
	}

	narrow := browserNarrow(t, ctx)
	for _, p := range []struct{ path, shot, wait string }{
		{"/ui/", "12-overview-narrow", "#tiles"},
		{"/ui/groups", "13-groups-narrow", "#all-groups"},
		{"/ui/streams/0/topics/0/messages?strategy=first&count=2&format=json", "14-messages-narrow", "#messages"},
	} {
		if err := chromedp.Run(narrow, chromedp.Navigate(base+p.path), chromedp.WaitVisible(p.wait, chromedp.ByID), chromedp.Sleep(2*time.Second), sh.take(p.shot)); err != nil {
			t.Fatalf("%s narrow: %v", p.path, err)
		}
	}

	run("sign out",
		chromedp.Click("#signout", chromedp.ByID),
		chromedp.WaitVisible("#signin", chromedp.ByID),
		chromedp.Navigate(base+"/ui/groups"),
		chromedp.WaitVisible("#signin", chromedp.ByID),
	)
	// The old session token is revoked, not just forgotten by the browser.
	req, _ := http.NewRequest("GET", base+"/ui/groups", nil)
	req.AddCookie(&http.Cookie{Name: "shale_ui", Value: session})
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoked session: %s, want a redirect to sign-in", resp.Status)
	}
}

// browserNarrow opens a second tab of the same browser (sharing its
// session) with a phone-sized viewport.
func browserNarrow(t *testing.T, parent context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(parent)
	t.Cleanup(cancel)
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(414, 860)); err != nil {
		t.Fatal(err)
	}
	return ctx
}
