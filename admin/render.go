package admin

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/broker"
)

// page is what every template gets.
type page struct {
	Title   string
	Nav     string // the section to highlight
	User    string
	CSRF    string
	Flash   string
	Problem string
	Data    any
}

var navItems = []struct{ Key, Label, Href string }{
	{"overview", "Overview", Prefix + "/"},
	{"streams", "Streams", Prefix + "/streams"},
	{"groups", "Consumer groups", Prefix + "/groups"},
	{"users", "Users & clients", Prefix + "/users"},
	{"backups", "Backups", Prefix + "/backups"},
	{"health", "Server health", Prefix + "/health"},
}

var funcs = template.FuncMap{
	"nav":       func() any { return navItems },
	"bytes":     humanBytes,
	"num":       humanNum,
	"micros":    fromMicros,
	"ago":       ago,
	"expiry":    expiry,
	"expiryIn":  expiryInput,
	"maxSize":   maxSize,
	"secs":      humanSeconds,
	"pct":       func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
	"f2":        func(f any) string { return fmt.Sprintf("%.2f", toFloat(f)) },
	"join":      strings.Join,
	"add":       func(a, b int) int { return a + b },
	"prefix":    func() string { return Prefix },
	"lower":     strings.ToLower,
	"list":      func(v ...string) []string { return v },
	"transport": func(t broker.Transport) string { return strings.ToUpper(t.String()) },
}

// parsePages parses the layout with each page's template.
func parsePages() (map[string]*template.Template, error) {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/_*.html")
	if err != nil {
		return nil, err
	}
	files, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(assets, f)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", f, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// render writes a page. Signed-in pages use the layout with navigation;
// the sign-in page has its own frame.
func (d *Dashboard) render(c *fiber.Ctx, name string, data any) error {
	t := d.pages[name]
	if t == nil {
		return fmt.Errorf("admin: no template %q", name)
	}
	p, ok := data.(page)
	if !ok {
		p = page{Data: data}
	}
	if u, ok := c.Locals(userLocal).(string); ok {
		p.User = u
	}
	if tok, ok := c.Locals(csrfLocal).(string); ok {
		p.CSRF = tok
	}
	if p.Flash == "" {
		p.Flash = c.Query("ok")
	}
	if p.Problem == "" {
		p.Problem = c.Query("err")
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		d.opts.Logger.Error("dashboard render", "page", name, "err", err)
		return c.Status(fiber.StatusInternalServerError).SendString("the page could not be drawn")
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(buf.Bytes())
}

func (d *Dashboard) fail(c *fiber.Ctx, status int, msg string) error {
	c.Status(status)
	return d.render(c, "error", page{Title: "Problem", Problem: msg})
}

func humanBytes(v any) string {
	f := toFloat(v)
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", f)
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}

func humanPct(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }

func fmtF(f float64) string { return fmt.Sprintf("%.2f", f) }

func humanNum(v any) string {
	f := toFloat(v)
	if f != math.Trunc(f) {
		return fmt.Sprintf("%.1f", f)
	}
	s := fmt.Sprintf("%.0f", f)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint32:
		return float64(x)
	case uint64:
		return float64(x)
	case float64:
		return x
	case float32:
		return float64(x)
	case uint8:
		return float64(x)
	}
	return 0
}

func fromMicros(us uint64) string {
	if us == 0 {
		return "–"
	}
	return time.UnixMicro(int64(us)).UTC().Format("2006-01-02 15:04:05.000")
}

func ago(us uint64) string {
	if us == 0 {
		return "–"
	}
	return humanDuration(time.Since(time.UnixMicro(int64(us)))) + " ago"
}

func humanDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm %ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		if m := int(d.Minutes()) % 60; m != 0 {
			return fmt.Sprintf("%dh %dm", int(d.Hours()), m)
		}
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	if h := int(d.Hours()) % 24; h != 0 {
		return fmt.Sprintf("%dd %dh", int(d.Hours())/24, h)
	}
	return fmt.Sprintf("%dd", int(d.Hours())/24)
}

func humanSeconds(s float64) string {
	switch {
	case s == 0:
		return "0"
	case s < 0.001:
		return fmt.Sprintf("%.0f µs", s*1e6)
	case s < 1:
		return fmt.Sprintf("%.2f ms", s*1e3)
	}
	return humanDuration(time.Duration(s * float64(time.Second)))
}

func expiry(us uint64) string {
	if us == 0 {
		return "server default"
	}
	if us == broker.Unlimited {
		return "never"
	}
	return humanDuration(time.Duration(us) * time.Microsecond)
}

// expiryInput renders an expiry so the edit form reads it back unchanged.
func expiryInput(us uint64) string {
	switch us {
	case 0:
		return "default"
	case broker.Unlimited:
		return "never"
	}
	d := time.Duration(us) * time.Microsecond
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

func maxSize(b uint64) string {
	if b == 0 {
		return "server default"
	}
	if b == broker.Unlimited {
		return "unlimited"
	}
	return humanBytes(b)
}
