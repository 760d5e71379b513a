package integration

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeSelfSigned writes a self-signed certificate for the DNS name
// "localhost" (no IP address) and its key, as PEM files in dir.
func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// TestCLITLS: TCP over TLS with a CA file and a server name, skip-verify,
// and the failures a wrong setting gives (exit 3, cannot connect).
func TestCLITLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeSelfSigned(t, dir)
	s := Start(t, "", "SHALE_TCP_TLS_ENABLED=true", "SHALE_TCP_TLS_SELF_SIGNED=false",
		"SHALE_TCP_TLS_CERT_FILE="+cert, "SHALE_TCP_TLS_KEY_FILE="+key)
	c := &cli{t: t, s: s, home: t.TempDir()}
	tl := "shale --tcp-server-address {tcp} --tcp-tls-enabled -u {user} -p {pass} "
	c.steps([]cliStep{
		{line: tl + "--tls-ca-file " + cert + " --tls-server-name localhost stream create over-tls", want: `created`},
		{line: tl + "--tls-skip-verify stream list", want: `over-tls`},
		{line: tl + "--tcp-tls-domain localhost --tls-ca-file " + cert + " me", want: `transport: +tcp`},
		// The certificate names localhost, not 127.0.0.1.
		{line: tl + "--tls-ca-file " + cert + " stream list", code: 3, want: `cannot connect .*certificate`},
		// Not signed by a system root.
		{line: tl + "--tls-server-name localhost stream list", code: 3, want: `cannot connect .*certificate`},
		{line: tl + "--tls-ca-file " + key + " stream list", code: 2, want: `no PEM certificate`},
		{line: "shale context create secure --tcp-server-address {tcp} --tcp-tls-enabled --tls-ca-file " + cert +
			" --tls-server-name localhost -u {user}", want: `created`},
		{line: "shale --context secure -p {pass} stream get over-tls", want: `name: +over-tls`},
	})
}
