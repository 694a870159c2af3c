package qrcode

// blockSpec is how a version's codewords split into Reed-Solomon blocks at level M: n1 blocks
// of d1 data codewords, then n2 blocks of d1+1, each followed by ec error correction codewords.
type blockSpec struct {
	ec, n1, d1, n2 int
}

// levelM lists the block structure of versions 1 to 40 at error correction level M (ISO/IEC
// 18004 table 9). TestBlockTables checks each row against the version's module count.
var levelM = [41]blockSpec{
	1: {10, 1, 16, 0}, 2: {16, 1, 28, 0}, 3: {26, 1, 44, 0}, 4: {18, 2, 32, 0},
	5: {24, 2, 43, 0}, 6: {16, 4, 27, 0}, 7: {18, 4, 31, 0}, 8: {22, 2, 38, 2},
	9: {22, 3, 36, 2}, 10: {26, 4, 43, 1}, 11: {30, 1, 50, 4}, 12: {22, 6, 36, 2},
	13: {22, 8, 37, 1}, 14: {24, 4, 40, 5}, 15: {24, 5, 41, 5}, 16: {28, 7, 45, 3},
	17: {28, 10, 46, 1}, 18: {26, 9, 43, 4}, 19: {26, 3, 44, 11}, 20: {26, 3, 41, 13},
	21: {26, 17, 42, 0}, 22: {28, 17, 46, 0}, 23: {28, 4, 47, 14}, 24: {28, 6, 45, 14},
	25: {28, 8, 47, 13}, 26: {28, 19, 46, 4}, 27: {28, 22, 45, 3}, 28: {28, 3, 45, 23},
	29: {28, 21, 45, 7}, 30: {28, 19, 47, 10}, 31: {28, 2, 46, 29}, 32: {28, 10, 46, 23},
	33: {28, 14, 46, 21}, 34: {28, 14, 46, 23}, 35: {28, 12, 47, 26}, 36: {28, 6, 47, 34},
	37: {28, 29, 46, 14}, 38: {28, 13, 46, 32}, 39: {28, 40, 47, 7}, 40: {28, 18, 47, 31},
}

// dataCodewords is how many data codewords version v holds at level M.
func dataCodewords(v int) int {
	s := levelM[v]
	return s.n1*s.d1 + s.n2*(s.d1+1)
}

// rawModules is how many modules of version v carry codewords (and remainder bits): the
// whole square less the finder, timing, alignment, format and version areas.
func rawModules(v int) int {
	n := (16*v+128)*v + 64
	if v >= 2 {
		a := v/7 + 2
		n -= (25*a-10)*a - 55
		if v >= 7 {
			n -= 36
		}
	}
	return n
}

// alignmentCenters lists the row (and column) coordinates of version v's alignment patterns:
// 6, then evenly spaced (an even step) ending 7 modules from the far edge.
func alignmentCenters(v int) []int {
	if v == 1 {
		return nil
	}
	count := v/7 + 2
	size := 17 + 4*v
	step := 26
	if v != 32 {
		// The smallest even step that spreads count centres over the span.
		step = (v*4 + count*2 + 1) / (count*2 - 2) * 2
	}
	out := make([]int, count)
	out[0] = 6
	for i, pos := count-1, size-7; i >= 1; i, pos = i-1, pos-step {
		out[i] = pos
	}
	return out
}
