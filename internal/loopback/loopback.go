// Package loopback finds addresses on the loopback interface for ccd's own
// servers in tests and benchmarks.
package loopback

import "net"

// FreeAddr returns a loopback address ("127.0.0.1:port") with a port nothing
// listens on at the moment of the call: the kernel picks it, so two callers
// do not race for a fixed port.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
