package qrcode

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"sync"
)

// QuietZone is the light border, in modules, around the symbol (the standard asks for four).
const QuietZone = 4

// Scale is the pixels per module of a code drawn to fit side pixels with its quiet zone: the
// largest whole number that fits, at least 1 (a larger code is then drawn bigger than side).
func (c *Code) Scale(side int) int {
	return max(1, side/(c.Size+2*QuietZone))
}

// The pixels are deflated by compress/flate at BestSpeed. A TOTP code's image is shown in
// every settings flow and kept in its sealed column (twice after a successful change: the
// submitted flow's success and the fresh flow), so its size is paid on every read and write,
// while it is drawn once per key. Dynamic Huffman codes and matches between module rows take a
// 256-pixel code to about 740 bytes, where one fixed-Huffman block of runs and repeated rows
// (the encoder before this one) took about 2,000, for a few more microseconds a drawing.

// zlibWriters keeps the compressors: each holds a few hundred KB of tables, made once.
var zlibWriters sync.Pool // of *zlib.Writer

// newZlib returns a pooled compressor writing to out; putZlib gives it back.
func newZlib(out *bytes.Buffer) *zlib.Writer {
	zw, _ := zlibWriters.Get().(*zlib.Writer)
	if zw == nil {
		// BestSpeed is a valid level: NewWriterLevel cannot fail.
		zw, _ = zlib.NewWriterLevel(out, zlib.BestSpeed)
		return zw
	}
	zw.Reset(out)
	return zw
}

func putZlib(zw *zlib.Writer) {
	zw.Reset(nil) // holds no buffer of the image it wrote
	zlibWriters.Put(zw)
}

// PNG draws the code black on white as a grayscale PNG of one bit per pixel, side pixels
// square (or the code's own size with its quiet zone at one pixel per module when that is
// larger), centred, each module a square of Scale(side) pixels. A pixel row that repeats the
// one above is written with the Up filter, so it is all zeros and deflates to almost nothing.
func (c *Code) PNG(side int) []byte {
	scale := c.Scale(side)
	side = max(side, (c.Size+2*QuietZone)*scale)
	offset := (side - c.Size*scale) / 2
	stride := (side + 7) / 8

	// Writes to a bytes.Buffer do not fail: neither do the compressor's.
	var idat bytes.Buffer
	idat.Grow(side*(1+stride)/8 + 64)
	zw := newZlib(&idat)
	row := make([]byte, 1+stride)
	light := make([]byte, 1+stride)
	for i := 1; i < len(light); i++ {
		light[i] = 0xff // white is 1 in a 1-bit grayscale image
	}
	// Bits beyond the width in the last byte are padding: any value works, 1s keep rows equal.
	zero := make([]byte, 1+stride)
	zero[0] = 2 // filter Up, all differences zero

	prev := -2
	for y := 0; y < side; y++ {
		// key is the module row this pixel row shows, or -1 in the quiet zone.
		key := -1
		if my := y - offset; my >= 0 && my < c.Size*scale {
			key = my / scale
		}
		switch {
		case key == prev:
			_, _ = zw.Write(zero)
		case key < 0:
			_, _ = zw.Write(light)
		default:
			copy(row, light)
			row[0] = 0 // filter None
			base := key * c.Size
			for mx := 0; mx < c.Size; mx++ {
				if c.modules[base+mx] == 0 {
					continue
				}
				for px := offset + mx*scale; px < offset+(mx+1)*scale; px++ {
					row[1+px>>3] &^= 0x80 >> (px & 7)
				}
			}
			_, _ = zw.Write(row)
		}
		prev = key
	}
	_ = zw.Close()
	putZlib(zw)

	out := make([]byte, 0, 8+25+12+idat.Len()+12)
	out = append(out, "\x89PNG\r\n\x1a\n"...)
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(side))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(side))
	ihdr[8] = 1 // bit depth
	ihdr[9] = 0 // grayscale; compression, filter and interlace 0
	out = chunk(out, "IHDR", ihdr[:])
	out = chunk(out, "IDAT", idat.Bytes())
	return chunk(out, "IEND", nil)
}

// chunk appends a PNG chunk: length, type, data, CRC of type and data.
func chunk(out []byte, typ string, data []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	start := len(out)
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
}
