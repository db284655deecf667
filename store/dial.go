package store

import (
	"bufio"
	"context"
	"net"
	"time"
)

// bufferedDialer dials PostgreSQL as lib/pq does, and gives each connection a
// 64 KiB read buffer. lib/pq reads through 4 KiB, which is one system call per
// 4 KiB of a result: 2,000 of them for one day of agentstat, 250,000 for the
// event log a month's rebuild reads. Every byte still passes through TLS
// when the connection is encrypted (lib/pq wraps this connection), so nothing
// read ahead before the handshake can be taken for encrypted data.
type bufferedDialer struct{ d net.Dialer }

func (b bufferedDialer) Dial(network, address string) (net.Conn, error) {
	return b.DialContext(context.Background(), network, address)
}

func (b bufferedDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return b.DialContext(ctx, network, address)
}

func (b bufferedDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := b.d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return &bufferedConn{Conn: c, r: bufio.NewReaderSize(c, 64<<10)}, nil
}

// bufferedConn reads through its buffer; everything else is the connection's.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
