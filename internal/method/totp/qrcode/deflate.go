package qrcode

import (
	"encoding/binary"
	"hash"
	"hash/adler32"
)

// A PNG's pixels are a zlib stream. compress/flate spends most of a QR image's cost hashing
// every byte looking for matches, yet the matches here are known in advance: a pixel row that
// repeats the row above is written with the Up filter as a filter byte and zeros, identical
// to the previous such row, and a row of modules is runs of 0x00 and 0xff. deflater writes
// one fixed-Huffman block (RFC 1951 3.2.6) taking runs of a byte as matches at distance 1 and
// repeated rows as matches at the row's distance, with no search at all.

// bitWriter writes deflate's bit stream: least significant bit first.
type bitWriter struct {
	out  []byte
	acc  uint64
	bits uint
}

func (w *bitWriter) put(v uint32, n uint) {
	w.acc |= uint64(v) << w.bits
	w.bits += n
	for w.bits >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.bits -= 8
	}
}

func (w *bitWriter) flush() {
	if w.bits > 0 {
		w.out = append(w.out, byte(w.acc))
		w.acc, w.bits = 0, 0
	}
}

// putCode writes a Huffman code, which deflate stores most significant bit first.
func (w *bitWriter) putCode(code uint32, n uint) {
	var rev uint32
	for i := uint(0); i < n; i++ {
		rev = rev<<1 | code>>i&1
	}
	w.put(rev, n)
}

// fixedCode holds the fixed literal/length codes (RFC 1951 3.2.6), already bit-reversed.
var fixedCode [286]struct {
	bits uint32
	n    uint
}

func init() {
	for s := range fixedCode {
		var code uint32
		var n uint
		switch {
		case s < 144:
			code, n = uint32(0x30+s), 8
		case s < 256:
			code, n = uint32(0x190+s-144), 9
		case s < 280:
			code, n = uint32(s-256), 7
		default:
			code, n = uint32(0xc0+s-280), 8
		}
		var rev uint32
		for i := uint(0); i < n; i++ {
			rev = rev<<1 | code>>i&1
		}
		fixedCode[s].bits, fixedCode[s].n = rev, n
	}
}

// symbol writes a literal/length symbol (0-285).
func (w *bitWriter) symbol(s int) { w.put(fixedCode[s].bits, fixedCode[s].n) }

// Base values of the length symbols 257-285 and of the distance codes 0-29, with their extra
// bits, built from the RFC's regular pattern: four codes per extra bit count.
var (
	lengthBase  [29]int
	lengthExtra [29]uint
	distBase    [30]int
	distExtra   [30]uint
)

func init() {
	base := 3
	for i := 0; i < 28; i++ {
		if i >= 8 {
			lengthExtra[i] = uint(i/4 - 1)
		}
		lengthBase[i] = base
		base += 1 << lengthExtra[i]
	}
	lengthBase[28] = 258
	base = 1
	for i := 0; i < 30; i++ {
		if i >= 4 {
			distExtra[i] = uint(i/2 - 1)
		}
		distBase[i] = base
		base += 1 << distExtra[i]
	}
}

// match writes a copy of length (3-258) bytes from dist (1-32768) bytes back.
func (w *bitWriter) match(length, dist int) {
	i := 28
	if length < 258 {
		i = 27
		for lengthBase[i] > length {
			i--
		}
	}
	w.symbol(257 + i)
	w.put(uint32(length-lengthBase[i]), lengthExtra[i])
	d := 29
	for distBase[d] > dist {
		d--
	}
	w.putCode(uint32(d), 5)
	w.put(uint32(dist-distBase[d]), distExtra[d])
}

// deflater builds a zlib stream of one fixed-Huffman block, keeping the Adler-32 of what it
// encodes.
type deflater struct {
	w      bitWriter
	sum    hash.Hash32
	stride int // bytes per row, with the filter byte
	// repeat counts the bytes of consecutive repeated rows not yet written.
	repeat int
	rows   int
}

func newDeflater(stride int, capacity int) *deflater {
	d := &deflater{sum: adler32.New(), stride: stride}
	d.w.out = make([]byte, 0, capacity)
	d.w.out = append(d.w.out, 0x78, 0x01) // zlib header: deflate, 32 KB window, fastest
	d.w.put(1, 1)                         // final block
	d.w.put(1, 2)                         // fixed Huffman codes
	return d
}

func (d *deflater) adler(p []byte) { d.sum.Write(p) }

// row writes a row that differs from the one above: literals, runs of one byte as matches.
func (d *deflater) row(p []byte) {
	d.flushRepeat()
	d.adler(p)
	for i := 0; i < len(p); {
		run := 1
		for i+run < len(p) && p[i+run] == p[i] && run < 259 {
			run++
		}
		d.w.symbol(int(p[i]))
		if run >= 4 {
			d.w.match(run-1, 1)
		} else {
			for k := 1; k < run; k++ {
				d.w.symbol(int(p[i]))
			}
		}
		i += run
	}
	d.rows++
}

// same writes p, a row equal to the row before it.
func (d *deflater) same(p []byte) {
	d.adler(p)
	d.repeat += len(p)
	d.rows++
}

func (d *deflater) flushRepeat() {
	for d.repeat > 0 {
		n := min(d.repeat, 258)
		if left := d.repeat - n; left > 0 && left < 3 {
			n = d.repeat - 3 // a match copies at least three bytes: leave three for the last
		}
		d.w.match(n, d.stride)
		d.repeat -= n
	}
}

// finish ends the block and appends the Adler-32.
func (d *deflater) finish() []byte {
	d.flushRepeat()
	d.w.symbol(256)
	d.w.flush()
	return binary.BigEndian.AppendUint32(d.w.out, d.sum.Sum32())
}
