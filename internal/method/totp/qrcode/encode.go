package qrcode

import (
	"errors"
)

// ErrTooLong is returned for data that does not fit a version 40 code at level M.
var ErrTooLong = errors.New("qrcode: data too long for a QR code")

// MaxBytes is the most data a code holds (version 40, level M, byte mode).
var MaxBytes = capacity(40)

// Code is a QR code's module matrix, row by row; a module is 1 when dark.
type Code struct {
	// Size is the number of modules on a side (17 + 4·version), quiet zone excluded.
	Size    int
	Version int
	modules []byte
}

// Dark reports whether the module at column x, row y is dark.
func (c *Code) Dark(x, y int) bool { return c.modules[y*c.Size+x] == 1 }

// capacity is how many bytes version v holds in byte mode at level M.
func capacity(v int) int {
	bits := dataCodewords(v)*8 - 4 - countBits(v)
	return bits / 8
}

// countBits is the width of byte mode's character count for version v.
func countBits(v int) int {
	if v <= 9 {
		return 8
	}
	return 16
}

// Encode draws data in byte mode at error correction level M, in the smallest version that
// holds it, with the mask that scores best under the standard's penalty rules.
func Encode(data []byte) (*Code, error) {
	v := 1
	for v <= 40 && capacity(v) < len(data) {
		v++
	}
	if v > 40 {
		return nil, ErrTooLong
	}
	codewords := interleave(v, dataBits(v, data))
	m := newMatrix(v)
	m.place(codewords)
	m.applyBestMask()
	return &Code{Size: m.size, Version: v, modules: m.mod}, nil
}

// dataBits is the data codewords of version v: mode 0100, the count, the bytes, a terminator
// of up to four zero bits, zero bits to a byte boundary, then the pad bytes 0xEC and 0x11.
func dataBits(v int, data []byte) []byte {
	total := dataCodewords(v)
	out := make([]byte, 0, total)
	// The header is 4 + 8 or 4 + 16 bits, so the data bytes start half a byte off: each byte
	// is split across two output bytes.
	var acc uint32
	var n uint // bits in acc
	put := func(val uint32, bits uint) {
		acc = acc<<bits | val
		n += bits
		for n >= 8 {
			out = append(out, byte(acc>>(n-8)))
			n -= 8
		}
		acc &= 1<<n - 1
	}
	put(0b0100, 4)
	put(uint32(len(data)), uint(countBits(v)))
	for _, b := range data {
		put(uint32(b), 8)
	}
	// Terminator and padding to a byte: at most four zero bits fit before the byte ends here
	// (n is 4), and the rest of the byte is zero too.
	if n > 0 && len(out) < total {
		put(0, 8-n)
	}
	for pad := byte(0xec); len(out) < total; pad ^= 0xec ^ 0x11 {
		out = append(out, pad)
	}
	return out
}

// interleave splits the data codewords into version v's blocks, computes each block's error
// correction, and interleaves them as the symbol stores them.
func interleave(v int, data []byte) []byte {
	s := levelM[v]
	blocks := s.n1 + s.n2
	gen := generators[s.ec]
	type block struct{ data, ec []byte }
	bs := make([]block, blocks)
	ecAll := make([]byte, 0, blocks*s.ec)
	off := 0
	for i := range bs {
		d := s.d1
		if i >= s.n1 {
			d++
		}
		bs[i].data = data[off : off+d]
		off += d
		start := len(ecAll)
		ecAll = errorCorrection(ecAll, bs[i].data, gen)
		bs[i].ec = ecAll[start:]
	}
	out := make([]byte, 0, len(data)+len(ecAll))
	for i := 0; i <= s.d1; i++ {
		for _, b := range bs {
			if i < len(b.data) {
				out = append(out, b.data[i])
			}
		}
	}
	for i := 0; i < s.ec; i++ {
		for _, b := range bs {
			out = append(out, b.ec[i])
		}
	}
	return out
}
