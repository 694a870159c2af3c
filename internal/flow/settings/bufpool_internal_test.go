package settings

import "testing"

// TestBufPoolClasses checks that getBuf gives at least the capacity asked for, from the class
// putBuf files a buffer under, and that putBuf keeps no buffer outside the pooled classes.
func TestBufPoolClasses(t *testing.T) {
	for _, n := range []int{0, 1, 1023, 1024, 1025, 4096, 5000, 12345, 1 << 18, 1<<18 + 1} {
		p := getBuf(n)
		if cap(*p) < n || len(*p) != 0 {
			t.Errorf("getBuf(%d): len %d cap %d", n, len(*p), cap(*p))
		}
		*p = append(*p, "filled"...)
		putBuf(p)
		q := getBuf(n)
		if len(*q) != 0 || cap(*q) < n {
			t.Errorf("getBuf(%d) after putBuf: len %d cap %d", n, len(*q), cap(*q))
		}
	}
	// A buffer grown past its class is filed under the class its capacity fills, so that a
	// later getBuf of that class never gets less than the class promises.
	for _, c := range []int{1500, 3000, 9000, 70000} {
		b := make([]byte, 0, c)
		putBuf(&b)
		for k := minBufClass; k <= maxBufClass; k++ {
			if p, _ := bufPools[k].Get().(*[]byte); p != nil && cap(*p) < 1<<k {
				t.Errorf("class %d holds a buffer of capacity %d", k, cap(*p))
			}
		}
	}
	putBuf(nil)
	small := make([]byte, 0, 100)
	putBuf(&small) // below the smallest class: dropped, not filed
	if p, _ := bufPools[minBufClass].Get().(*[]byte); p != nil && cap(*p) < 1<<minBufClass {
		t.Errorf("smallest class holds a buffer of capacity %d", cap(*p))
	}
}

// TestPutClearedClears: a buffer that held secrets goes back to the pool zeroed over its whole
// capacity, not only its length.
func TestPutClearedClears(t *testing.T) {
	p := getBuf(2048)
	*p = append(*p, "otpauth://totp/Portico:ada?secret=JBSWY3DPEHPK3PXP"...)
	whole := (*p)[:cap(*p)]
	*p = (*p)[:10]
	putCleared(p)
	for i, c := range whole {
		if c != 0 {
			t.Fatalf("byte %d is %q after putCleared", i, c)
		}
	}
	putCleared(nil)
}
