// Package binprototest drives a binary listener (TCP or QUIC) the way a
// client does, for the in-process tests of listeners/tcp and
// listeners/quic: golden request frames from wire/wiretest and a round
// trip of one message, against a broker from broker/brokertest.
//
// Only tests import it.
package binprototest
