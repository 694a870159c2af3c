package qrcode

import (
	"math/bits"
	"sync"
)

// matrix is a symbol being drawn: mod holds the modules (1 dark), fn marks the function
// modules (finders, separators, timing, alignment, format and version areas) that data and
// masks leave alone.
type matrix struct {
	size    int
	version int
	mod     []byte
	fn      []bool
}

func newMatrix(v int) *matrix {
	size := 17 + 4*v
	m := &matrix{size: size, version: v, mod: make([]byte, size*size), fn: make([]bool, size*size)}
	m.drawFunctionPatterns()
	return m
}

func (m *matrix) setFn(x, y int, dark bool) {
	i := y*m.size + x
	m.mod[i] = 0
	if dark {
		m.mod[i] = 1
	}
	m.fn[i] = true
}

func (m *matrix) drawFunctionPatterns() {
	size := m.size
	// Timing patterns: alternating modules along row 6 and column 6.
	for i := 0; i < size; i++ {
		m.setFn(6, i, i%2 == 0)
		m.setFn(i, 6, i%2 == 0)
	}
	// Finder patterns with their separators, in three corners.
	m.drawFinder(3, 3)
	m.drawFinder(size-4, 3)
	m.drawFinder(3, size-4)
	// Alignment patterns, except where they would overlap a finder.
	centers := alignmentCenters(m.version)
	last := len(centers) - 1
	for i, cy := range centers {
		for j, cx := range centers {
			if (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0) {
				continue
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					d := max(abs(dx), abs(dy))
					m.setFn(cx+dx, cy+dy, d != 1)
				}
			}
		}
	}
	// Reserve the format areas (drawn per mask) and draw the version areas.
	m.drawFormat(0)
	m.drawVersion()
}

// drawFinder draws the 7×7 finder centred at (cx, cy) and its light one-module border,
// clipped to the symbol.
func (m *matrix) drawFinder(cx, cy int) {
	for dy := -4; dy <= 4; dy++ {
		for dx := -4; dx <= 4; dx++ {
			x, y := cx+dx, cy+dy
			if x < 0 || y < 0 || x >= m.size || y >= m.size {
				continue
			}
			d := max(abs(dx), abs(dy))
			m.setFn(x, y, d != 2 && d != 4)
		}
	}
}

// formatBits is the 15-bit format word for level M (indicator 00) and mask: the five data
// bits, their BCH(15,5) remainder, XORed with the standard's mask 0x5412.
func formatBits(mask int) int {
	data := mask // level M's two bits are 00
	rem := data
	for i := 0; i < 10; i++ {
		rem = rem<<1 ^ (rem>>9)*0x537
	}
	return (data<<10 | rem) ^ 0x5412
}

// drawFormat writes the format word for mask in both of its copies, plus the dark module.
func (m *matrix) drawFormat(mask int) {
	bits := formatBits(mask)
	bit := func(i int) bool { return bits>>i&1 != 0 }
	size := m.size
	// Copy beside the top-left finder: down column 8, then left along row 8.
	for i := 0; i <= 5; i++ {
		m.setFn(8, i, bit(i))
	}
	m.setFn(8, 7, bit(6))
	m.setFn(8, 8, bit(7))
	m.setFn(7, 8, bit(8))
	for i := 9; i < 15; i++ {
		m.setFn(14-i, 8, bit(i))
	}
	// Copy split between the other two finders.
	for i := 0; i < 8; i++ {
		m.setFn(size-1-i, 8, bit(i))
	}
	for i := 8; i < 15; i++ {
		m.setFn(8, size-15+i, bit(i))
	}
	m.setFn(8, size-8, true)
}

// drawVersion writes the 18-bit version word (BCH(18,6)) in its two 6×3 areas, from version 7.
func (m *matrix) drawVersion() {
	if m.version < 7 {
		return
	}
	rem := m.version
	for i := 0; i < 12; i++ {
		rem = rem<<1 ^ (rem>>11)*0x1f25
	}
	bits := m.version<<12 | rem
	for i := 0; i < 18; i++ {
		dark := bits>>i&1 != 0
		a, b := m.size-11+i%3, i/3
		m.setFn(a, b, dark)
		m.setFn(b, a, dark)
	}
}

// place writes the codewords' bits in the zigzag order: two-module columns from the right,
// alternately upward and downward, skipping the vertical timing column and function modules.
// Modules left over (the remainder bits) stay light.
func (m *matrix) place(codewords []byte) {
	size := m.size
	total := len(codewords) * 8
	i := 0
	for right := size - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		upward := (right+1)&2 == 0
		for vert := 0; vert < size; vert++ {
			y := vert
			if upward {
				y = size - 1 - vert
			}
			for j := 0; j < 2; j++ {
				x := right - j
				k := y*size + x
				if m.fn[k] || i >= total {
					continue
				}
				m.mod[k] = codewords[i>>3] >> (7 - i&7) & 1
				i++
			}
		}
	}
}

// masked reports whether mask flips the module at column x, row y.
func masked(mask, x, y int) bool {
	switch mask {
	case 0:
		return (x+y)%2 == 0
	case 1:
		return y%2 == 0
	case 2:
		return x%3 == 0
	case 3:
		return (x+y)%3 == 0
	case 4:
		return (x/3+y/2)%2 == 0
	case 5:
		return x*y%2+x*y%3 == 0
	case 6:
		return (x*y%2+x*y%3)%2 == 0
	default:
		return ((x+y)%2+x*y%3)%2 == 0
	}
}

// maskPatterns holds, per version, each mask as an XOR pattern over the whole symbol: 1 where
// the mask flips a data module, and where the mask's format word differs from mask 0's (which
// newMatrix draws). Every code of a version shares them; they are made on first use. For
// symbols narrow enough to score as 64-bit words (see penaltyWords) the patterns are kept as
// row and column words too.
var maskPatterns [41]maskSet

type maskSet struct {
	once sync.Once
	xor  [8][]byte
	rows [8][]uint64
	cols [8][]uint64
}

// wordScored says whether a symbol of this size, with four light modules either side, fits
// a 64-bit word per line.
func wordScored(size int) bool { return size+8 <= 64 }

func patterns(v int) *maskSet {
	p := &maskPatterns[v]
	p.once.Do(func() {
		m0 := newMatrix(v)
		size := m0.size
		for mask := range p.xor {
			fm := newMatrix(v)
			fm.drawFormat(mask)
			x := make([]byte, len(m0.mod))
			for y := 0; y < size; y++ {
				for col := 0; col < size; col++ {
					i := y*size + col
					x[i] = fm.mod[i] ^ m0.mod[i]
					if !m0.fn[i] && masked(mask, col, y) {
						x[i] = 1
					}
				}
			}
			p.xor[mask] = x
			if wordScored(size) {
				p.rows[mask], p.cols[mask] = words(x, size)
			}
		}
	})
	return p
}

// words returns the symbol's rows and columns as words, module i of a line in bit i.
func words(mod []byte, size int) (rows, cols []uint64) {
	rows, cols = make([]uint64, size), make([]uint64, size)
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			c := uint64(mod[y*size+x])
			rows[y] |= c << x
			cols[x] |= c << y
		}
	}
	return rows, cols
}

// applyBestMask tries the eight masks and keeps the one with the lowest penalty.
func (m *matrix) applyBestMask() {
	p := patterns(m.version)
	size := m.size
	best, bestScore := 0, -1
	consider := func(mask, score int) {
		if bestScore < 0 || score < bestScore {
			best, bestScore = mask, score
		}
	}
	if wordScored(size) {
		baseRows, baseCols := words(m.mod, size)
		rows, cols := make([]uint64, size), make([]uint64, size)
		for mask := 0; mask < 8; mask++ {
			for i := range rows {
				rows[i] = baseRows[i] ^ p.rows[mask][i]
				cols[i] = baseCols[i] ^ p.cols[mask][i]
			}
			consider(mask, penaltyWords(rows, cols, size))
		}
	} else {
		trial := make([]byte, len(m.mod))
		for mask := 0; mask < 8; mask++ {
			for i, b := range m.mod {
				trial[i] = b ^ p.xor[mask][i]
			}
			consider(mask, penalty(trial, size))
		}
	}
	for i, x := range p.xor[best] {
		m.mod[i] ^= x
	}
}

// The standard's four penalty rules, which pick the mask a scanner reads most easily:
//  1. each run of five or more modules of one colour in a row or column: 3, plus 1 for each
//     module past five;
//  2. each 2×2 block of one colour: 3;
//  3. each dark-light-dark×3-light-dark pattern (a finder's 1:1:3:1:1) with four light
//     modules before or after it in a row or column, the quiet zone counting as light: 40;
//  4. 10 for each full 5% the dark share is away from half.
const (
	finderAfter  = 0b10111010000 // in line order, oldest module in the highest bit
	finderBefore = 0b00001011101
)

// penalty scores a symbol of a byte per module, one module at a time.
func penalty(mod []byte, size int) int {
	score := 0
	for dir := 0; dir < 2; dir++ {
		for line := 0; line < size; line++ {
			start, step := line*size, 1
			if dir == 1 {
				start, step = line, size
			}
			run, prev := 0, byte(2)
			// window holds the last eleven modules, newest in bit 0; the quiet zone before
			// the line is light, so it starts empty.
			window := 0
			for i, k := 0, start; i < size; i, k = i+1, k+step {
				c := mod[k]
				if c == prev {
					run++
				} else {
					if run >= 5 {
						score += run - 2
					}
					run, prev = 1, c
				}
				window = (window<<1 | int(c)) & 0x7ff
				if window == finderAfter || window == finderBefore {
					score += 40
				}
			}
			if run >= 5 {
				score += run - 2
			}
			for i := 0; i < 4; i++ { // the quiet zone after the line
				window = window << 1 & 0x7ff
				if window == finderAfter {
					score += 40
				}
			}
		}
	}
	dark := 0
	for y := 0; y < size; y++ {
		row := mod[y*size : (y+1)*size]
		for _, c := range row {
			dark += int(c)
		}
		if y+1 == size {
			break
		}
		next := mod[(y+1)*size : (y+2)*size]
		for x := 0; x+1 < size; x++ {
			c := row[x]
			if c == row[x+1] && c == next[x] && c == next[x+1] {
				score += 3
			}
		}
	}
	return score + balancePenalty(dark, size*size)
}

func balancePenalty(dark, total int) int { return abs(dark*20-total*10) / total * 10 }

// penaltyWords scores the same rules as penalty on rows and columns held as words (module i
// in bit i), a whole line per operation: the same score, without a branch per module.
func penaltyWords(rows, cols []uint64, size int) int {
	score := 0
	valid := uint64(1)<<size - 1
	for _, lines := range [2][]uint64{rows, cols} {
		for _, w := range lines {
			score += lineWords(w, size, valid)
		}
	}
	pair := valid >> 1 // positions x with a module x+1
	dark := 0
	for y, a := range rows {
		dark += bits.OnesCount64(a)
		if y+1 == size {
			break
		}
		b := rows[y+1]
		same := ^(a ^ b)
		blocks := same & (same >> 1) & ^(a ^ a>>1) & pair
		score += 3 * bits.OnesCount64(blocks)
	}
	return score + balancePenalty(dark, size*size)
}

func lineWords(w uint64, size int, valid uint64) int {
	score := 0
	// Rule 1: eq has bit x when modules x and x+1 match; run5 when x..x+4 all do. A run of
	// n ≥ 5 sets n-4 bits of run5, and scores n-2: those bits plus 2 for the run's start.
	eq := ^(w ^ w>>1) & (valid >> 1)
	run5 := eq & (eq >> 1) & (eq >> 2) & (eq >> 3)
	score += bits.OnesCount64(run5) + 2*bits.OnesCount64(run5&^(run5<<1))
	// Rule 3 on the line with four light modules either side: core has bit x when the seven
	// modules from x on are dark-light-dark-dark-dark-light-dark, light4 when the four from x
	// on are light; a finder-like pattern is a core followed by light4, or light4 followed by
	// a core, all within the padded line.
	p := w << 4
	core := p & ^(p >> 1) & (p >> 2) & (p >> 3) & (p >> 4) & ^(p >> 5) & (p >> 6)
	light4 := ^(p | p>>1 | p>>2 | p>>3)
	starts := uint64(1)<<(size-2) - 1 // windows of eleven within the size+8 modules
	score += 40 * bits.OnesCount64(core&(light4>>7)&starts)
	score += 40 * bits.OnesCount64(light4&(core>>4)&starts)
	return score
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
