package qrcode

import (
	"bytes"
	"image"
	"image/png"
	"math/rand/v2"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// decode reads a PNG and returns the text it holds. Without pure it reads it the way a scanner
// app would (finding the finder patterns, no hint that the image is a clean code). With pure
// it is told the image is one upright code: ZXing's finder detection misses some dense codes
// (versions 20 and up) that its own encoder draws too, and every other step of decoding
// (format and version words, Reed-Solomon, the data) is the same.
func decode(t testing.TB, pngData []byte, pure bool) (string, image.Image) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatalf("png: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatalf("bitmap: %v", err)
	}
	var hints map[gozxing.DecodeHintType]any
	if pure {
		hints = map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true}
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return res.GetText(), img
}

// TestBlockTables checks every version's block table against the codewords its modules hold.
func TestBlockTables(t *testing.T) {
	for v := 1; v <= 40; v++ {
		s := levelM[v]
		total := s.n1*(s.d1+s.ec) + s.n2*(s.d1+1+s.ec)
		if want := rawModules(v) / 8; total != want {
			t.Errorf("version %d: blocks hold %d codewords, the symbol %d", v, total, want)
		}
	}
	if MaxBytes != 2331 {
		t.Errorf("version 40-M holds %d bytes, the standard says 2331", MaxBytes)
	}
}

// printable returns n random URL-ish ASCII bytes.
func printable(r *rand.Rand, n int) []byte {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:/?&=%.-_~"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return b
}

// TestEveryVersionDecodes draws a code at the largest and smallest length of each of the 40
// versions, and a few lengths between, and reads each back with a decoder.
func TestEveryVersionDecodes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for v := 1; v <= 40; v++ {
		lo := 1
		if v > 1 {
			lo = capacity(v-1) + 1
		}
		for _, n := range []int{lo, (lo + capacity(v)) / 2, capacity(v)} {
			data := printable(r, n)
			c, err := Encode(data)
			if err != nil {
				t.Fatalf("%d bytes: %v", n, err)
			}
			if c.Version != v {
				t.Fatalf("%d bytes: version %d, want %d", n, c.Version, v)
			}
			// Four pixels a module, as a phone camera would see at least.
			got, _ := decode(t, c.PNG(4*(c.Size+2*QuietZone)), true)
			if got != string(data) {
				t.Fatalf("version %d, %d bytes: decoded %q, want %q", v, n, got, data)
			}
		}
	}
	if _, err := Encode(make([]byte, MaxBytes+1)); err != ErrTooLong {
		t.Fatalf("over capacity: %v, want ErrTooLong", err)
	}
}

// TestPNGPixels checks the image pixel by pixel against the modules: size, centring, the
// quiet zone, and each module a whole square.
func TestPNGPixels(t *testing.T) {
	c, err := Encode([]byte("otpauth://totp/Example:alice@example.com?issuer=Example&secret=JBSWY3DPEHPK3PXP"))
	if err != nil {
		t.Fatal(err)
	}
	for _, side := range []int{256, 100, 1} {
		_, img := decode(t, c.PNG(side), side == 1)
		scale := c.Scale(side)
		want := max(side, (c.Size+2*QuietZone)*scale)
		b := img.Bounds()
		if b.Dx() != want || b.Dy() != want {
			t.Fatalf("side %d: image %v, want %d square", side, b, want)
		}
		off := (want - c.Size*scale) / 2
		if off < QuietZone*scale {
			t.Fatalf("side %d: quiet zone %d px, want at least %d", side, off, QuietZone*scale)
		}
		for y := 0; y < want; y++ {
			for x := 0; x < want; x++ {
				mx, my := (x-off)/scale, (y-off)/scale
				dark := x >= off && y >= off && mx < c.Size && my < c.Size && c.Dark(mx, my)
				r, _, _, _ := img.At(x, y).RGBA()
				if (r == 0) != dark {
					t.Fatalf("side %d: pixel (%d,%d) dark=%v, module says %v", side, x, y, r == 0, dark)
				}
			}
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	data := []byte("otpauth://totp/Portico%20example:someone@example.com?algorithm=SHA1&digits=6&issuer=Portico%20example&period=30&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPNG(b *testing.B) {
	c, _ := Encode([]byte("otpauth://totp/Portico%20example:someone@example.com?algorithm=SHA1&digits=6&issuer=Portico%20example&period=30&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"))
	b.ReportAllocs()
	for b.Loop() {
		c.PNG(256)
	}
}

// TestPenaltyWordsMatchesBytes checks the word-at-a-time scoring against the module-at-a-time
// one on random symbols of every size it is used for, and on the eight masks of real codes.
func TestPenaltyWordsMatchesBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for size := 21; wordScored(size); size += 4 {
		for k := 0; k < 200; k++ {
			mod := make([]byte, size*size)
			bias := r.IntN(10) + 1 // some symbols mostly light, some mostly dark
			for i := range mod {
				if r.IntN(11) < bias {
					mod[i] = 1
				}
			}
			rows, cols := words(mod, size)
			if a, b := penalty(mod, size), penaltyWords(rows, cols, size); a != b {
				t.Fatalf("size %d: penalty %d by modules, %d by words", size, a, b)
			}
		}
	}
	for v := 1; v <= 9; v++ {
		c, err := Encode(printable(r, capacity(v)))
		if err != nil {
			t.Fatal(err)
		}
		p := patterns(v)
		for mask := 0; mask < 8; mask++ {
			mod := make([]byte, len(c.modules))
			for i := range mod {
				mod[i] = c.modules[i] ^ p.xor[mask][i]
			}
			rows, cols := words(mod, c.Size)
			if a, b := penalty(mod, c.Size), penaltyWords(rows, cols, c.Size); a != b {
				t.Fatalf("version %d mask %d: penalty %d by modules, %d by words", v, mask, a, b)
			}
		}
	}
}

// TestPNGIsSmall: the image of a TOTP key as Portico offers it (256 pixels, a 32-character
// secret) deflates to well under a kilobyte: it is in every settings flow's reply and sealed
// column. One fixed-Huffman block of runs and repeated rows made it about 2,000 bytes.
func TestPNGIsSmall(t *testing.T) {
	url := "otpauth://totp/Portico:bench@example.com?algorithm=SHA1&digits=6&issuer=Portico&period=30&secret=KOENTY456RNI5UI376DT3VGZ7IXKSA5R"
	c, err := Encode([]byte(url))
	if err != nil {
		t.Fatal(err)
	}
	img := c.PNG(256)
	if len(img) > 1000 {
		t.Errorf("PNG of %d bytes, want at most 1000", len(img))
	}
	if got, _ := decode(t, img, false); got != url {
		t.Errorf("decoded %q", got)
	}
	// The pooled compressor carries nothing from one image to the next.
	if again := c.PNG(256); !bytes.Equal(again, img) {
		t.Error("the same code drawn twice gives two images")
	}
}
