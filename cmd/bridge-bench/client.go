package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// maxAnswer bounds the answer body read; a longer one closes the
// connection.
const maxAnswer = 1 << 20

// client sends HTTP/1.1 POSTs over keep-alive connections it keeps between
// phases, one per client goroutine at a time. It is net/http's Transport
// without what the load does not need: each request is written whole in
// one write from a buffer its goroutine reuses, and the answer is read on
// the same goroutine with net/http's own parser, so the load generator's
// cost, which counts against the bridge in this process, stays small.
type client struct {
	addr   string // host:port
	head   []byte // request line and the fixed headers, up to Content-Length
	dialer net.Dialer
	dials  atomic.Int64 // connections opened

	mu   sync.Mutex
	idle []*clientConn
}

// newClient returns a client that POSTs to rawURL (http only) with the
// fixed headers in header.
func newClient(rawURL string, header http.Header) (*client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("client: want an http:// URL with a host, got %q", rawURL)
	}
	head := fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\n", u.RequestURI(), u.Host)
	for k, vs := range header {
		for _, v := range vs {
			head = fmt.Appendf(head, "%s: %s\r\n", k, v)
		}
	}
	return &client{addr: u.Host, head: head, dialer: net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}}, nil
}

// clientConn is one keep-alive connection.
type clientConn struct {
	c    net.Conn
	br   *bufio.Reader
	stop func() bool // stops the interrupt on the context it was taken with
}

// exchange is one request and its answer, with the buffers a client
// goroutine reuses from one request to the next.
type exchange struct {
	conn *clientConn
	req  []byte // the request as written
	body []byte // the answer's body
}

// request returns x.req reset to the request line and the fixed headers,
// for the caller to append the other headers to, then call finish.
func (c *client) request(x *exchange) []byte { return append(x.req[:0], c.head...) }

// finish appends Content-Length, the end of the headers and body to req.
func finish(req, body []byte) []byte {
	req = append(req, "Content-Length: "...)
	req = strconv.AppendInt(req, int64(len(body)), 10)
	req = append(req, "\r\n\r\n"...)
	return append(req, body...)
}

// roundTrip writes x.req on x's connection (taken from the idle ones or
// dialed when x has none) and reads the answer: its status, and its body
// in x.body. A connection that failed, or that the server closes, is
// closed and forgotten; the next request dials a new one. ctx being done
// interrupts the exchange; timeout bounds it.
func (c *client) roundTrip(ctx context.Context, x *exchange, timeout time.Duration) (status int, err error) {
	if x.conn == nil {
		if x.conn, err = c.get(ctx); err != nil {
			return 0, err
		}
	}
	cc := x.conn
	keep := false
	defer func() {
		if !keep {
			c.drop(cc)
			x.conn = nil
		}
	}()
	if err := cc.c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err // done before the deadline above replaced the interrupt's
	}
	if _, err := cc.c.Write(x.req); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(cc.br, nil)
	if err != nil {
		return 0, err
	}
	b := bytes.NewBuffer(x.body[:0]) // the worker's buffer, reused
	_, err = b.ReadFrom(io.LimitReader(resp.Body, maxAnswer+1))
	x.body = b.Bytes()
	resp.Body.Close()
	if err != nil {
		return 0, fmt.Errorf("reading the answer: %w", err)
	}
	if len(x.body) > maxAnswer {
		x.body = x.body[:maxAnswer]
		return resp.StatusCode, nil // the rest is unread: the connection goes
	}
	keep = !resp.Close
	return resp.StatusCode, nil
}

// get returns an idle connection or dials one; ctx being done interrupts
// whatever it is doing until it goes back with put.
func (c *client) get(ctx context.Context) (*clientConn, error) {
	c.mu.Lock()
	var cc *clientConn
	if n := len(c.idle); n > 0 {
		cc, c.idle = c.idle[n-1], c.idle[:n-1]
	}
	c.mu.Unlock()
	if cc == nil {
		conn, err := c.dialer.DialContext(ctx, "tcp", c.addr)
		if err != nil {
			return nil, err
		}
		c.dials.Add(1)
		cc = &clientConn{c: conn, br: bufio.NewReaderSize(conn, 4<<10)}
	}
	cc.stop = context.AfterFunc(ctx, func() {
		_ = cc.c.SetDeadline(time.Unix(1, 0)) // in the past: pending reads and writes fail at once
	})
	return cc, nil
}

// put makes x's connection idle, for the next phase.
func (c *client) put(x *exchange) {
	cc := x.conn
	if cc == nil {
		return
	}
	x.conn = nil
	if !cc.stop() {
		// The context was done: the connection may be in the middle of
		// an exchange.
		cc.c.Close()
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.idle = append(c.idle, cc)
}

func (c *client) drop(cc *clientConn) {
	cc.stop()
	cc.c.Close()
}

// close closes the idle connections.
func (c *client) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cc := range c.idle {
		cc.c.Close()
	}
	c.idle = nil
}
