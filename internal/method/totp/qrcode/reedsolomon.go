package qrcode

// GF(256) with the QR code's polynomial x^8+x^4+x^3+x^2+1.
var gfExp [512]byte
var gfLog [256]byte

// generators holds the Reed-Solomon generator polynomial for each error correction length
// used at level M, highest degree first without its leading 1.
var generators = map[int][]byte{}

func init() {
	x := 1
	for i := 0; i < 255; i++ {
		gfExp[i] = byte(x)
		gfLog[x] = byte(i)
		x <<= 1
		if x&0x100 != 0 {
			x ^= 0x11d
		}
	}
	for i := 255; i < len(gfExp); i++ {
		gfExp[i] = gfExp[i-255]
	}
	for v := 1; v <= 40; v++ {
		if _, ok := generators[levelM[v].ec]; !ok {
			generators[levelM[v].ec] = generator(levelM[v].ec)
		}
	}
}

func gfMul(a, b byte) byte {
	if a == 0 || b == 0 {
		return 0
	}
	return gfExp[int(gfLog[a])+int(gfLog[b])]
}

// generator returns the product of (x - α^i) for i < n, its coefficients after the leading one.
func generator(n int) []byte {
	g := []byte{1}
	for i := 0; i < n; i++ {
		next := make([]byte, len(g)+1)
		for j, c := range g {
			next[j] ^= c
			next[j+1] ^= gfMul(c, gfExp[i])
		}
		g = next
	}
	return g[1:]
}

// errorCorrection appends to dst the remainder of data·x^len(gen) divided by the generator.
func errorCorrection(dst, data, gen []byte) []byte {
	start := len(dst)
	for range gen {
		dst = append(dst, 0)
	}
	rem := dst[start:]
	for _, d := range data {
		factor := d ^ rem[0]
		copy(rem, rem[1:])
		rem[len(rem)-1] = 0
		if factor == 0 {
			continue
		}
		lf := int(gfLog[factor])
		for i, g := range gen {
			if g != 0 {
				rem[i] ^= gfExp[lf+int(gfLog[g])]
			}
		}
	}
	return dst
}
