package main

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
	"time"
)

// tlsConfig loads a PEM certificate and key, or makes a self-signed ECDSA
// P-256 certificate for localhost in memory, with Iggy's rules: for TCP
// (and HTTP) self-signing happens only when self_signed is on and the
// certificate file is missing; for QUIC self_signed always wins. P-256
// because the Rust SDK's QUIC client offers only ecdsa_secp256r1_sha256.
// No ALPN: Iggy clients send none and a server that names protocols
// rejects them (docs/protocol/binary.md §1.4).
func tlsConfig(certFile, keyFile string, selfSigned bool, quic bool) (*tls.Config, error) {
	var cert tls.Certificate
	var err error
	_, statErr := os.Stat(certFile)
	switch {
	case selfSigned && (quic || certFile == "" || statErr != nil):
		cert, err = selfSignedCert()
		if err != nil {
			return nil, fmt.Errorf("self-signed certificate: %w", err)
		}
	case certFile != "" && keyFile != "":
		cert, err = tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("tls certificate: %w", err)
		}
	default:
		return nil, fmt.Errorf("tls: no cert_file/key_file and self_signed is off")
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if quic {
		cfg.MinVersion = tls.VersionTLS13
	}
	return cfg, nil
}

func selfSignedCert() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "localhost", Organization: []string{"shale"}},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
