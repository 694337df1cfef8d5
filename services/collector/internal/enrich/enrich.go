// Package enrich derives what the collector adds to an event from the HTTP
// request: the client IP (honouring trusted proxies) and the parsed user
// agent (browser, OS, device type, bot flag).
package enrich

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/mssola/useragent"

	"github.com/cemhq/cem/pkg/events"
)

// Enricher fills events.Enrichment. It is safe for concurrent use.
type Enricher struct {
	trusted []netip.Prefix
	// uaCache memoizes parsed user agents: a site sees few distinct ones.
	uaCache *lru.Cache[string, UA]
}

// UA is a parsed user agent.
type UA struct {
	Browser, BrowserVersion, OS, DeviceType string
	Bot                                     bool
}

// New returns an Enricher trusting X-Forwarded-For only from the given
// proxies (IPs or CIDRs).
func New(trustedProxies []string) (*Enricher, error) {
	e := &Enricher{}
	for _, s := range trustedProxies {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", s, err)
			}
			s = netip.PrefixFrom(a, a.BitLen()).String()
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", s, err)
		}
		e.trusted = append(e.trusted, p.Masked())
	}
	c, err := lru.New[string, UA](4096)
	if err != nil {
		return nil, err
	}
	e.uaCache = c
	return e, nil
}

// ClientIP is the address of the client: the peer address, or, when the
// peer is a trusted proxy, the right-most X-Forwarded-For entry that is not a
// trusted proxy (entries left of it could be forged by the client).
func (e *Enricher) ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !e.isTrusted(peer) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = a.Unmap()
		if !e.isTrusted(a) {
			return a.String()
		}
	}
	return peer.String()
}

func (e *Enricher) isTrusted(a netip.Addr) bool {
	for _, p := range e.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseUA parses a user agent string.
func (e *Enricher) ParseUA(s string) UA {
	if s == "" {
		return UA{}
	}
	if ua, ok := e.uaCache.Get(s); ok {
		return ua
	}
	p := useragent.New(s)
	name, ver := p.Browser()
	ua := UA{Browser: name, BrowserVersion: ver, OS: p.OSInfo().Name, Bot: p.Bot() || looksScripted(s)}
	switch {
	case ua.Bot:
		ua.DeviceType = "bot"
	case strings.Contains(s, "iPad") || strings.Contains(s, "Tablet") || (strings.Contains(s, "Android") && !strings.Contains(s, "Mobile")):
		ua.DeviceType = "tablet"
	case p.Mobile():
		ua.DeviceType = "mobile"
	default:
		ua.DeviceType = "desktop"
	}
	// A clone: s may be a substring of a whole decoded event, which the
	// cache would otherwise keep alive.
	e.uaCache.Add(strings.Clone(s), ua)
	return ua
}

// looksScripted flags HTTP libraries the parser does not call bots.
func looksScripted(s string) bool {
	l := strings.ToLower(s)
	for _, m := range []string{"curl/", "wget/", "python-requests", "go-http-client", "headlesschrome", "phantomjs", "spider", "crawler"} {
		if strings.Contains(l, m) {
			return true
		}
	}
	return false
}

// Apply fills ev.Enrichment from the request: the user agent is the event's
// context.userAgent (the end user's, also when a server-side SDK forwards
// it), else requestUA, which is BrowserUA of the request: the user agent of
// a browser, "" for a server-side post (whose HTTP client is not the end
// user: no bot flag, no device); the IP is context.ip when a server-side
// source set it, else the client IP.
func (e *Enricher) Apply(ev *events.Event, clientIP, requestUA string) {
	ip := ev.Context.IP
	if ip == "" {
		ip = clientIP
	}
	uaStr := ev.Context.UserAgent
	if uaStr == "" {
		uaStr = requestUA
	}
	ua := e.ParseUA(uaStr)
	ev.Enrichment.IP = ip
	ev.Enrichment.Browser, ev.Enrichment.BrowserVersion = ua.Browser, ua.BrowserVersion
	ev.Enrichment.OS, ev.Enrichment.DeviceType, ev.Enrichment.Bot = ua.OS, ua.DeviceType, ua.Bot
}
