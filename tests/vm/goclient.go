// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The VM smoke test's Go client: one request carrying the token in $TOKEN to ADDR, named
// NAME (SNI, Host, :authority). It sends at once, as a short-lived Go tool does (no pause
// for the agent). usage: goclient tls|poll|iov|h2c ADDR NAME
//
//	tls  HTTPS through crypto/tls (the uprobe on crypto/tls.(*Conn).Write)
//	poll the same every 200 ms until killed, as a service polling an API does; prints a
//	     line per answered request
//	iov  plain HTTP/1.1 written with sendmsg and writev, the token cut across iovecs and
//	     across the two calls, as test_egress.py does from Python
//	h2c  HTTP/2 with prior knowledge over plain TCP, each write one sendmsg: the kernel
//	     follows the frames from the preface (the longest call chain of the probes)
package main

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// sendmsg(2) of bufs as one message, one iovec each.
func sendmsg(c *net.TCPConn, bufs ...[]byte) {
	iov := make([]syscall.Iovec, len(bufs))
	for i, b := range bufs {
		iov[i].Base = &b[0]
		iov[i].SetLen(len(b))
	}
	msg := syscall.Msghdr{Iov: &iov[0]}
	msg.Iovlen = uint64(len(iov))
	raw, _ := c.SyscallConn()
	var errno syscall.Errno
	raw.Write(func(fd uintptr) bool {
		_, _, errno = syscall.Syscall(syscall.SYS_SENDMSG, fd, uintptr(unsafe.Pointer(&msg)), 0)
		return errno != syscall.EAGAIN
	})
	if errno != 0 {
		os.Exit(4)
	}
}

func dial(addr string) *net.TCPConn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		os.Exit(1)
	}
	return c.(*net.TCPConn)
}

// Read the answer's start: the server got the request.
func answered(c net.Conn) {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, _ := c.Read(make([]byte, 4096)); n == 0 {
		os.Exit(2)
	}
}

func iov(addr, name, token string) {
	c := dial(addr)
	head := "GET /v1 HTTP/1.1\r\nHost: " + name + "\r\nAuthorization: token "
	sendmsg(c, []byte(head), []byte(token[:10]), []byte(token[10:25]))
	bufs := net.Buffers{[]byte(token[25:]), []byte("\r\n"), []byte("\r\n")}
	if _, err := bufs.WriteTo(c); err != nil { // writev(2)
		os.Exit(3)
	}
	answered(c)
	c.Close()
}

func frame(typ, flags byte, stream uint32, payload []byte) []byte {
	n := len(payload)
	h := []byte{byte(n >> 16), byte(n >> 8), byte(n), typ, flags,
		byte(stream >> 24), byte(stream >> 16), byte(stream >> 8), byte(stream)}
	return append(h, payload...)
}

// An HPACK literal header field without indexing, new name, no Huffman coding (values
// under 127 bytes).
func literal(name, value string) []byte {
	b := []byte{0, byte(len(name))}
	b = append(b, name...)
	b = append(b, byte(len(value)))
	return append(b, value...)
}

func h2c(addr, name, token string) {
	c := dial(addr)
	// one iovec per write: frames are followed within one buffer
	sendmsg(c, append([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), frame(4, 0, 0, nil)...))
	var block []byte
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "http"}, {":path", "/v1"},
		{":authority", name}, {"authorization", "token " + token}} {
		block = append(block, literal(f[0], f[1])...)
	}
	sendmsg(c, frame(1, 5, 1, block)) // HEADERS, END_STREAM|END_HEADERS, stream 1
	answered(c)
	c.Close()
}

func main() {
	mode, addr, name, token := os.Args[1], os.Args[2], os.Args[3], os.Getenv("TOKEN")
	switch mode {
	case "iov":
		iov(addr, name, token)
	case "h2c":
		h2c(addr, name, token)
	case "poll":
		for {
			if get(addr, name, token) {
				os.Stdout.WriteString("answered\n")
			}
			time.Sleep(200 * time.Millisecond)
		}
	default:
		if !get(addr, name, token) {
			os.Exit(1)
		}
	}
}

var client *http.Client

// One HTTPS GET with the token; whether it was answered. Connections are kept for the next.
func get(addr, name, token string) bool {
	if client == nil {
		client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
			InsecureSkipVerify: true, ServerName: name}}}
	}
	req, _ := http.NewRequest("GET", "https://"+addr+"/v1", nil)
	req.Host = name
	req.Header.Set("Authorization", "token "+token)
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return true
}
