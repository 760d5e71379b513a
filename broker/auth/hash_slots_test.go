package auth

import (
	"sync"
	"testing"
)

// TestConcurrentVerifyShareSlots: many verifications at once all give the
// right answer and every slot is free
// afterwards.
func TestConcurrentVerifyShareSlots(t *testing.T) {
	h, err := HashPassword("right-password", TestHashParams)
	if err != nil {
		t.Fatal(err)
	}
	n := 8 * cap(hashSlots)
	var wg sync.WaitGroup
	bad := make(chan string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pw, want := "right-password", true
			if i%2 == 1 {
				pw, want = "wrong-password", false
			}
			if got := VerifyPassword(h, pw); got != want {
				bad <- pw
			}
		}()
	}
	wg.Wait()
	close(bad)
	for b := range bad {
		t.Errorf("verification of %q gave the wrong answer", b)
	}
	if len(hashSlots) != 0 {
		t.Errorf("%d hash slots still taken", len(hashSlots))
	}
}
