package mqtt

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
	"github.com/lonelyleaf/surgemq/mqtt/topic"
)

// maxSubscriptionID is the largest MQTT 5 subscription identifier [MQTT-3.8.2.1.2].
const maxSubscriptionID = 268_435_455

// route ties one subscribed filter to its handler.
type route struct {
	sub     Subscription
	match   string // The filter without a "$share/{group}/" prefix.
	id      uint32 // MQTT 5 subscription identifier; 0 when none was sent.
	handler Handler
}

// router finds the handlers of a received message: by the MQTT 5 subscription identifiers
// it carries, else by matching its topic against the subscribed filters.
type router struct {
	mu       sync.RWMutex
	byFilter map[string]*route
	byID     map[uint32]*route
	tree     *topic.Tree[*route, struct{}]
	lastID   uint32
}

func (r *router) init() {
	r.byFilter = make(map[string]*route)
	r.byID = make(map[uint32]*route)
	r.tree = topic.NewTree[*route, struct{}]()
}

// nextID returns a fresh subscription identifier. Called with r.mu held.
func (r *router) nextID() uint32 {
	for {
		r.lastID++
		if r.lastID > maxSubscriptionID {
			r.lastID = 1
		}
		if r.byID[r.lastID] == nil {
			return r.lastID
		}
	}
}

// add installs routes, replacing routes of the same filters [MQTT-3.8.4-3]; withIDs gives each
// a subscription identifier.
func (r *router) add(routes []*route, withIDs bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rt := range routes {
		if old := r.byFilter[rt.sub.Filter]; old != nil {
			r.removeLocked(old)
		}
		if withIDs {
			rt.id = r.nextID()
			r.byID[rt.id] = rt
		}
		r.byFilter[rt.sub.Filter] = rt
		r.tree.Add(rt.match, rt, struct{}{})
	}
}

// remove uninstalls rt if it is still the route of its filter.
func (r *router) remove(rt *route) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byFilter[rt.sub.Filter] == rt {
		r.removeLocked(rt)
	}
}

// removeFilter uninstalls the route of filter, if any.
func (r *router) removeFilter(filter string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rt := r.byFilter[filter]; rt != nil {
		r.removeLocked(rt)
	}
}

func (r *router) removeLocked(rt *route) {
	delete(r.byFilter, rt.sub.Filter)
	if rt.id != 0 {
		delete(r.byID, rt.id)
	}
	r.tree.Remove(rt.match, rt)
}

// all returns every route.
func (r *router) all() []*route {
	r.mu.RLock()
	defer r.mu.RUnlock()
	list := make([]*route, 0, len(r.byFilter))
	for _, rt := range r.byFilter {
		list = append(list, rt)
	}
	return list
}

// route runs the handlers of every subscription m matches and reports whether there was
// one. A message is delivered once per matching subscription. It runs on the dispatcher.
func (c *Client) route(m *Message) bool {
	r := &c.routes
	c.scratch = c.scratch[:0]
	r.mu.RLock()
	if m.Properties != nil {
		for _, id := range m.Properties.SubscriptionIDs {
			if rt := r.byID[id]; rt != nil {
				c.scratch = append(c.scratch, rt)
			}
		}
	}
	if len(c.scratch) == 0 {
		r.tree.Match(m.Topic, c.collect) // c.collect is made once, so matching does not allocate.
	}
	r.mu.RUnlock()
	for i, rt := range c.scratch {
		c.scratch[i] = nil
		if h := rt.handler; h != nil {
			h(m)
		} else if c.opts.DefaultHandler != nil {
			c.opts.DefaultHandler(m)
		}
	}
	return len(c.scratch) > 0
}

// collectRoute is the tree's match callback; Dial stores it in c.collect.
func (c *Client) collectRoute(rt *route, _ struct{}) { c.scratch = append(c.scratch, rt) }

// Subscribe subscribes to subs and routes their messages to h (nil: Options.DefaultHandler).
// It returns the server's answer per subscription. If the server refused some, the error
// wraps ErrSubscribeRefused and each refusing packet.Code; granted subscriptions stay. A
// message matching several subscriptions is delivered once per subscription. Subscribing to
// a filter again replaces its options and handler.
//
// Subscriptions are remembered: after a reconnect on which the server has no session, the
// client subscribes again by itself. While disconnected Subscribe waits for a connection (or
// returns ErrNotConnected with Options.FailFast).
func (c *Client) Subscribe(ctx context.Context, h Handler, subs ...Subscription) ([]SubResult, error) {
	if len(subs) == 0 {
		return nil, fmt.Errorf("%w: no subscriptions", ErrBadTopic)
	}
	routes := make([]*route, len(subs))
	for i, s := range subs {
		if err := validFilter(s); err != nil {
			return nil, err
		}
		match := s.Filter
		if _, inner, ok := topic.ParseShared(s.Filter); ok {
			match = inner
		}
		routes[i] = &route{sub: s, match: match, handler: h}
	}
	c.mu.Lock()
	withIDs := c.opts.Version >= V5 && c.limits.subIDs
	c.mu.Unlock()
	c.routes.add(routes, withIDs)

	results := make([]SubResult, len(subs))
	var errs []error
	for i := 0; i < len(routes); {
		// With identifiers each filter gets its own SUBSCRIBE: a packet carries one identifier
		// [MQTT-3.8.2.1.2], and one per filter is what routes overlapping filters exactly.
		n := len(routes) - i
		if withIDs {
			n = 1
		}
		group := routes[i : i+n]
		reply, err := c.request(ctx, subscribePacket(group, withIDs))
		if err != nil {
			for _, rt := range routes[i:] {
				c.routes.remove(rt)
			}
			return nil, err
		}
		ack, ok := reply.(*packet.Suback)
		if !ok || len(ack.ReasonCodes) != len(group) {
			return nil, fmt.Errorf("%w: SUBACK does not match SUBSCRIBE", ErrProtocol)
		}
		for j, code := range ack.ReasonCodes {
			rt := group[j]
			res := &results[i+j]
			res.Filter = rt.sub.Filter
			if code < 0x80 {
				res.QoS = QoS(code)
				continue
			}
			res.Err = fmt.Errorf("%w: %q: %w%s", ErrSubscribeRefused, rt.sub.Filter, codeOf(code), reasonString(ack.Properties))
			errs = append(errs, res.Err)
			c.routes.remove(rt)
		}
		i += n
	}
	return results, errors.Join(errs...)
}

// subscribePacket builds the SUBSCRIBE for routes.
func subscribePacket(routes []*route, withIDs bool) *packet.Subscribe {
	p := &packet.Subscribe{Subscriptions: make([]packet.Subscription, len(routes))}
	for i, rt := range routes {
		p.Subscriptions[i] = packet.Subscription{
			Filter:            rt.sub.Filter,
			QoS:               packet.QoS(rt.sub.QoS),
			NoLocal:           rt.sub.NoLocal,
			RetainAsPublished: rt.sub.RetainAsPublished,
			RetainHandling:    byte(rt.sub.RetainHandling),
		}
	}
	if withIDs && len(routes) == 1 && routes[0].id != 0 {
		p.Properties = &Properties{SubscriptionIDs: []uint32{routes[0].id}}
	}
	return p
}

// validFilter checks one Subscription.
func validFilter(s Subscription) error {
	if err := topic.ValidFilter(s.Filter); err != nil {
		return fmt.Errorf("%w: %q: %w", ErrBadTopic, s.Filter, err)
	}
	if s.QoS > QoS2 {
		return fmt.Errorf("%w: %d", ErrBadQoS, s.QoS)
	}
	if s.RetainHandling > DoNotSendRetained {
		return fmt.Errorf("%w: retain handling %d", ErrBadOptions, s.RetainHandling)
	}
	if s.NoLocal && topic.IsShared(s.Filter) {
		return fmt.Errorf("%w: NoLocal on shared subscription %q", ErrBadOptions, s.Filter) // [MQTT-3.8.3-4]
	}
	return nil
}

// Unsubscribe ends the subscriptions to filters and removes their handlers. With MQTT 5, a
// filter the server refused (reason code 0x80 or above) keeps its handler and the error wraps
// ErrUnsubscribeRefused and the packet.Code.
func (c *Client) Unsubscribe(ctx context.Context, filters ...string) error {
	if len(filters) == 0 {
		return fmt.Errorf("%w: no filters", ErrBadTopic)
	}
	for _, f := range filters {
		if err := topic.ValidFilter(f); err != nil {
			return fmt.Errorf("%w: %q: %w", ErrBadTopic, f, err)
		}
	}
	reply, err := c.request(ctx, &packet.Unsubscribe{Filters: filters})
	if err != nil {
		return err
	}
	ack, ok := reply.(*packet.Unsuback)
	if !ok {
		return fmt.Errorf("%w: UNSUBACK expected", ErrProtocol)
	}
	var errs []error
	for i, f := range filters {
		if i < len(ack.ReasonCodes) && ack.ReasonCodes[i] >= 0x80 {
			errs = append(errs, fmt.Errorf("%w: %q: %w%s", ErrUnsubscribeRefused, f, codeOf(ack.ReasonCodes[i]), reasonString(ack.Properties)))
			continue
		}
		c.routes.removeFilter(f)
	}
	return errors.Join(errs...)
}

// request sends a SUBSCRIBE or UNSUBSCRIBE and waits for its ack. If the connection ends
// first, it sends the request again on the next connection.
func (c *Client) request(ctx context.Context, p packet.Packet) (packet.Packet, error) {
	for {
		c.mu.Lock()
		if c.closeErr != nil {
			err := c.closeErr
			c.mu.Unlock()
			return nil, err
		}
		cn := c.live()
		var f *flight
		var id uint16
		if cn != nil {
			f = &flight{ctrl: p, reply: make(chan packet.Packet, 1)}
			var ok bool
			if id, ok = c.assignID(f); !ok {
				cn = nil // All identifiers in use: wait for one.
			}
		}
		if cn == nil {
			if c.opts.FailFast && c.live() == nil {
				c.mu.Unlock()
				return nil, ErrNotConnected
			}
			wake := c.wakeChan()
			c.mu.Unlock()
			select {
			case <-wake:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		switch p := p.(type) {
		case *packet.Subscribe:
			p.PacketID = id
		case *packet.Unsubscribe:
			p.PacketID = id
		}
		err := cn.send(p)
		c.mu.Unlock()
		if err != nil && err != errConnDead {
			c.release(id, f)
			return nil, fmt.Errorf("encode %s: %w", p.Type(), err)
		}
		select {
		case r := <-f.reply:
			return r, nil
		case <-cn.dead:
			c.release(id, f)
		case <-ctx.Done():
			c.release(id, f)
			return nil, ctx.Err()
		}
	}
}

// release frees the packet id of a request that will not be answered.
func (c *Client) release(id uint16, f *flight) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids[id] == f {
		delete(c.ids, id)
		c.broadcast()
	}
}

// resubscribe sends the remembered subscriptions on a connection whose server has no session
// for us. Called with c.mu held.
func (c *Client) resubscribe(cn *conn) {
	routes := c.routes.all()
	withIDs := c.opts.Version >= V5 && c.limits.subIDs
	const batch = 64
	for i := 0; i < len(routes); {
		n := min(batch, len(routes)-i)
		if withIDs && routes[i].id != 0 {
			n = 1
		}
		group := routes[i : i+n]
		f := &flight{resub: true, routes: group}
		id, ok := c.assignID(f)
		if !ok {
			return
		}
		p := subscribePacket(group, withIDs)
		p.PacketID = id
		f.ctrl = p
		if err := cn.send(p); err != nil {
			delete(c.ids, id)
			c.opts.Logger.Warn("mqtt resubscribe", "err", err)
		}
		i += n
	}
}

// resubscribed handles the SUBACK of a resubscription: refused filters lose their handler.
// Called with c.mu held.
func (c *Client) resubscribed(f *flight, p packet.Packet) {
	ack, ok := p.(*packet.Suback)
	if !ok {
		return
	}
	for j, code := range ack.ReasonCodes {
		if code >= 0x80 && j < len(f.routes) {
			rt := f.routes[j]
			c.opts.Logger.Warn("mqtt resubscribe refused", "filter", rt.sub.Filter, "err", codeOf(code))
			c.routes.remove(rt)
		}
	}
}
