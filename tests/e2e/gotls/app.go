// A Go program that is both sides of HTTPS through Go's own crypto/tls: it
// serves HTTP/1.1 and HTTP/2 (ALPN) with a self-signed certificate made at
// start, waits until the file GO_FILE exists (the agent has attached to it),
// then calls itself with net/http: H1 requests over HTTP/1.1 and H2 over
// HTTP/2, each on one keep-alive connection. Exits 0 when every answer had
// the expected status and body.
//
//	app PORT GO_FILE H1 H2
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

func certificate() tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(err)
	tmpl := x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, &tmpl, &key.PublicKey, key)
	check(err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "app:", err)
		os.Exit(1)
	}
}

func serve(port string) {
	mux := http.NewServeMux()
	mux.HandleFunc("/h1/", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, r.Proto+" "+r.URL.Path)
	})
	mux.HandleFunc("/h2/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, r.Proto+" "+string(body))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	check(err)
	srv := &http.Server{Handler: mux, TLSConfig: &tls.Config{
		Certificates: []tls.Certificate{certificate()},
		NextProtos:   []string{"h2", "http/1.1"},
	}}
	go srv.ServeTLS(ln, "", "")
}

func client(http2 bool) *http.Client {
	t := &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
		ForceAttemptHTTP2: http2,
	}
	if !http2 { // a non-nil empty map turns HTTP/2 off
		t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	return &http.Client{Transport: t}
}

func call(c *http.Client, method, url, body, proto, want string, status int) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	check(err)
	resp, err := c.Do(req)
	check(err)
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	check(err)
	if resp.StatusCode != status || resp.Proto != proto || string(got) != want {
		check(fmt.Errorf("%s %s: %d %s %q", method, url, resp.StatusCode, resp.Proto, got))
	}
}

func main() {
	if len(os.Args) != 5 {
		check(fmt.Errorf("usage: app PORT GO_FILE H1 H2"))
	}
	port, goFile := os.Args[1], os.Args[2]
	h1, err := strconv.Atoi(os.Args[3])
	check(err)
	h2, err := strconv.Atoi(os.Args[4])
	check(err)
	serve(port)
	for deadline := time.Now().Add(300 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(goFile); err == nil || time.Now().After(deadline) {
			break
		}
	}
	base := "https://127.0.0.1:" + port
	c1, c2 := client(false), client(true)
	for i := 0; i < h1; i++ {
		path := "/h1/item/" + strconv.Itoa(i)
		call(c1, "GET", base+path, "", "HTTP/1.1", "HTTP/1.1 "+path, 201)
	}
	for i := 0; i < h2; i++ {
		call(c2, "POST", base+"/h2/echo", "ping", "HTTP/2.0", "HTTP/2.0 ping", 202)
	}
	c1.CloseIdleConnections()
	c2.CloseIdleConnections()
}
