package metering

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-logr/logr"
)

// Names of the files read from ServerOptions.CertDir (the keys of a
// kubernetes.io/tls Secret).
const (
	CertFile = "tls.crt"
	KeyFile  = "tls.key"
)

// certSource serves the API's certificate: a key pair read from a directory
// and reloaded when its files change (a mounted Secret being updated), or a
// self-signed one.
type certSource struct {
	dir        string
	checkEvery time.Duration // minimum time between two looks at the files
	logger     logr.Logger

	mu        sync.Mutex
	cert      *tls.Certificate
	stamp     [2]fileStamp
	lastCheck time.Time
}

type fileStamp struct {
	modTime time.Time
	size    int64
}

// newCertSource loads the key pair from dir, or generates a self-signed
// certificate when dir is empty.
func newCertSource(dir string, logger logr.Logger) (*certSource, error) {
	c := &certSource{dir: dir, checkEvery: time.Second, logger: logger}
	if dir == "" {
		cert, err := selfSignedCertificate()
		if err != nil {
			return nil, err
		}
		c.cert = cert
		return c, nil
	}
	stamp, err := c.stamps()
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, fmt.Errorf("loading metering API certificate from %s: %w", dir, err)
	}
	c.cert, c.stamp, c.lastCheck = &cert, stamp, time.Now()
	return c, nil
}

func (c *certSource) stamps() ([2]fileStamp, error) {
	var out [2]fileStamp
	for i, name := range []string{CertFile, KeyFile} {
		fi, err := os.Stat(filepath.Join(c.dir, name))
		if err != nil {
			return out, fmt.Errorf("reading metering API certificate: %w", err)
		}
		out[i] = fileStamp{modTime: fi.ModTime(), size: fi.Size()}
	}
	return out, nil
}

// getCertificate is the tls.Config.GetCertificate hook. At most once per
// checkEvery it looks at the files' modification times and sizes and reloads
// the pair when they changed; a pair that fails to load (e.g. a half-written
// update) keeps the previous certificate in use and is retried later.
func (c *certSource) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dir == "" || time.Since(c.lastCheck) < c.checkEvery {
		return c.cert, nil
	}
	c.lastCheck = time.Now()
	stamp, err := c.stamps()
	if err != nil {
		c.logger.Error(err, "Keeping the current metering API certificate")
		return c.cert, nil
	}
	if stamp == c.stamp {
		return c.cert, nil
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(c.dir, CertFile), filepath.Join(c.dir, KeyFile))
	if err != nil {
		c.logger.Error(err, "Keeping the current metering API certificate", "dir", c.dir)
		return c.cert, nil
	}
	c.cert, c.stamp = &cert, stamp
	c.logger.Info("Reloaded the metering API certificate", "dir", c.dir)
	return c.cert, nil
}

// selfSignedCertificate generates an ECDSA P-256 certificate valid for a year
// for localhost, 127.0.0.1, ::1 and this host's name. Clients cannot verify
// it; they skip verification, as WebOTX's Prometheus example does.
func selfSignedCertificate() (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating metering API key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("generating certificate serial number: %w", err)
	}
	dnsNames := []string{"localhost"}
	if host, err := os.Hostname(); err == nil && host != "" {
		dnsNames = append(dnsNames, host)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "appserver-operator metering API"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              dnsNames,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("creating self-signed certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parsing self-signed certificate: %w", err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}
