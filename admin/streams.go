package admin

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/wire"
)

func (d *Dashboard) streamsPage(c *fiber.Ctx) error {
	list, err := d.b.Streams(sess(c))
	if err != nil {
		return d.brokerFail(c, err)
	}
	return d.render(c, "streams", page{Title: "Streams", Nav: "streams", Data: list})
}

func (d *Dashboard) createStream(c *fiber.Ctx) error {
	st, err := d.b.CreateStream(sess(c), strings.TrimSpace(c.FormValue("name")))
	if err != nil {
		return back(c, Prefix+"/streams", "", err)
	}
	return back(c, fmt.Sprintf("%s/streams/%d", Prefix, st.ID), "Stream "+st.Name+" created.", nil)
}

func pathID(c *fiber.Ctx, name string) (broker.Ident, error) {
	n, err := strconv.ParseUint(c.Params(name), 10, 32)
	if err != nil {
		return broker.Ident{}, fmt.Errorf("%s %q: %w", name, c.Params(name), errBadInput)
	}
	return broker.ByID(uint32(n)), nil
}

type streamData struct {
	Stream broker.StreamInfo
}

func (d *Dashboard) streamPage(c *fiber.Ctx) error {
	id, err := pathID(c, "stream")
	if err != nil {
		return d.fail(c, fiber.StatusNotFound, "No such stream.")
	}
	st, ok, err := d.b.Stream(sess(c), id)
	if err != nil {
		return d.brokerFail(c, err)
	}
	if !ok {
		return d.fail(c, fiber.StatusNotFound, "No such stream: it may have been deleted.")
	}
	return d.render(c, "stream", page{Title: st.Name, Nav: "streams", Data: streamData{Stream: st}})
}

func (d *Dashboard) streamAction(c *fiber.Ctx) error {
	id, err := pathID(c, "stream")
	if err != nil {
		return d.fail(c, fiber.StatusNotFound, "No such stream.")
	}
	s := sess(c)
	here := fmt.Sprintf("%s/streams/%d", Prefix, id.ID)
	switch c.Params("action") {
	case "update":
		err = d.b.UpdateStream(s, id, strings.TrimSpace(c.FormValue("name")))
		return back(c, here, "Stream renamed.", err)
	case "purge":
		err = d.b.PurgeStream(s, id)
		return back(c, here, "Stream purged: every message is gone.", err)
	case "delete":
		err = d.b.DeleteStream(s, id)
		if err != nil {
			return back(c, here, "", err)
		}
		return back(c, Prefix+"/streams", "Stream deleted.", nil)
	case "topics":
		spec, err := topicSpec(c, true)
		if err != nil {
			return back(c, here, "", err)
		}
		ti, err := d.b.CreateTopic(s, id, spec)
		if err != nil {
			return back(c, here, "", err)
		}
		return back(c, fmt.Sprintf("%s/topics/%d", here, ti.ID), "Topic "+ti.Name+" created.", nil)
	}
	return d.fail(c, fiber.StatusNotFound, "No such action.")
}

// topicSpec reads the topic form: name, partitions (create only), expiry
// and max size in human units.
func topicSpec(c *fiber.Ctx, create bool) (broker.TopicSpec, error) {
	spec := broker.TopicSpec{Name: strings.TrimSpace(c.FormValue("name")), Compression: broker.CompressionNone}
	if create {
		n, err := strconv.ParseUint(strings.TrimSpace(c.FormValue("partitions", "1")), 10, 32)
		if err != nil {
			return spec, fmt.Errorf("partitions must be a whole number: %w", errBadInput)
		}
		spec.PartitionsCount = uint32(n)
	}
	var err error
	if spec.MessageExpiry, err = parseExpiry(c.FormValue("expiry")); err != nil {
		return spec, err
	}
	if spec.MaxTopicSize, err = parseSize(c.FormValue("max_size")); err != nil {
		return spec, err
	}
	return spec, nil
}

// parseExpiry reads "never", "default" (or empty) or a duration such as
// 90s, 15m, 12h or 7d, into µs.
func parseExpiry(s string) (uint64, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "", "default", "server default":
		return 0, nil
	case "never", "unlimited", "none":
		return broker.Unlimited, nil
	}
	mult := time.Duration(1)
	if v, ok := strings.CutSuffix(s, "d"); ok {
		s, mult = v+"h", 24
	}
	dur, err := time.ParseDuration(strings.ReplaceAll(s, " ", ""))
	if err != nil || dur <= 0 {
		return 0, fmt.Errorf("expiry %q: use never, default, or a duration like 90s, 15m, 12h or 7d: %w", s, errBadInput)
	}
	return uint64(dur * mult / time.Microsecond), nil
}

// parseSize reads "unlimited", "default" (or empty) or a size such as
// 500 MB or 2 GiB, into bytes.
func parseSize(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "default", "server default":
		return 0, nil
	case "unlimited", "none", "never":
		return broker.Unlimited, nil
	}
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	}
	f, err := strconv.ParseFloat(num, 64)
	mult := map[string]float64{"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}[unit]
	if err != nil || mult == 0 || f <= 0 {
		return 0, fmt.Errorf("max size %q: use unlimited, default, or a size like 500 MB or 2 GiB: %w", s, errBadInput)
	}
	return uint64(f * mult), nil
}

type topicData struct {
	StreamID  uint32
	Stream    string
	Topic     broker.TopicInfo
	Groups    []groupLag
	Retention []broker.RetentionPartition
	Sweeper   bool
}

func (d *Dashboard) topicPage(c *fiber.Ctx) error {
	s := sess(c)
	sid, tid, ti, stream, found, err := d.pathTopic(c, s)
	if !found {
		return err
	}
	td := topicData{StreamID: sid.ID, Topic: ti, Stream: stream}
	td.Groups, _ = d.topicGroups(s, sid, tid)
	if rp, err := d.b.RetentionPreview(s); err == nil {
		td.Sweeper = rp.Enabled
		for _, t := range rp.Topics {
			if t.StreamID == sid.ID && t.TopicID == tid.ID {
				td.Retention = t.Partitions
			}
		}
	}
	return d.render(c, "topic", page{Title: td.Stream + " / " + ti.Name, Nav: "streams", Data: td})
}

func (d *Dashboard) topicAction(c *fiber.Ctx) error {
	sid, err1 := pathID(c, "stream")
	tid, err2 := pathID(c, "topic")
	if err1 != nil || err2 != nil {
		return d.fail(c, fiber.StatusNotFound, "No such topic.")
	}
	s := sess(c)
	here := fmt.Sprintf("%s/streams/%d/topics/%d", Prefix, sid.ID, tid.ID)
	switch c.Params("action") {
	case "update":
		spec, err := topicSpec(c, false)
		if err == nil {
			err = d.b.UpdateTopic(s, sid, tid, spec)
		}
		return back(c, here, "Topic updated.", err)
	case "purge":
		return back(c, here, "Topic purged: every message is gone.", d.b.PurgeTopic(s, sid, tid))
	case "delete":
		if err := d.b.DeleteTopic(s, sid, tid); err != nil {
			return back(c, here, "", err)
		}
		return back(c, fmt.Sprintf("%s/streams/%d", Prefix, sid.ID), "Topic deleted.", nil)
	case "partitions":
		n, err := strconv.ParseUint(c.FormValue("count"), 10, 32)
		if err != nil || n == 0 {
			return back(c, here, "", fmt.Errorf("partitions to add must be a positive whole number: %w", errBadInput))
		}
		if c.FormValue("op") == "remove" {
			return back(c, here, "Partitions removed.", d.b.DeletePartitions(s, sid, tid, uint32(n)))
		}
		return back(c, here, "Partitions added.", d.b.CreatePartitions(s, sid, tid, uint32(n)))
	case "send":
		return d.sendTest(c, sid, tid)
	}
	return d.fail(c, fiber.StatusNotFound, "No such action.")
}

// back redirects after a form post with a message for the next page.
func back(c *fiber.Ctx, to, ok string, err error) error {
	q := "ok=" + url.QueryEscape(ok)
	if err != nil {
		q = "err=" + url.QueryEscape(explain(err))
	}
	sep := "?"
	if strings.Contains(to, "?") {
		sep = "&"
	}
	return c.Redirect(to+sep+q, fiber.StatusSeeOther)
}

// explain turns a broker error into a sentence for the page.
func explain(err error) string {
	var we *wire.Error
	switch {
	case errors.Is(err, errBadInput):
		return strings.TrimSuffix(err.Error(), ": "+errBadInput.Error())
	case errors.Is(err, wire.ErrUnauthorized):
		return "Your user is not allowed to do that."
	case errors.As(err, &we):
		return fmt.Sprintf("%s (%s, code %d)", err.Error(), strings.ReplaceAll(we.Name, "_", " "), we.Code)
	}
	return err.Error()
}

func (d *Dashboard) brokerFail(c *fiber.Ctx, err error) error {
	status := fiber.StatusBadRequest
	if errors.Is(err, wire.ErrUnauthorized) {
		status = fiber.StatusForbidden
	}
	return d.fail(c, status, explain(err))
}

// pathTopic resolves the topic named by the path's stream and topic ids, and
// its stream's name. When found is false the error page has been rendered and
// err is what the handler returns.
func (d *Dashboard) pathTopic(c *fiber.Ctx, s *broker.Session) (sid, tid broker.Ident, ti broker.TopicInfo, stream string, found bool, err error) {
	sid, err1 := pathID(c, "stream")
	tid, err2 := pathID(c, "topic")
	if err1 != nil || err2 != nil {
		return sid, tid, ti, "", false, d.fail(c, fiber.StatusNotFound, "No such topic.")
	}
	ti, ok, err := d.b.Topic(s, sid, tid)
	if err != nil {
		return sid, tid, ti, "", false, d.brokerFail(c, err)
	}
	if !ok {
		return sid, tid, ti, "", false, d.fail(c, fiber.StatusNotFound, "No such topic: it may have been deleted.")
	}
	if st, ok, _ := d.b.Stream(s, sid); ok {
		stream = st.Name
	}
	return sid, tid, ti, stream, true, nil
}
