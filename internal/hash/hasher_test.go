package hash

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	stdhash "hash"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

// cheap options keep the tests fast; the costs are not what is under test.
var (
	cheapBcrypt = Options{Algorithm: AlgorithmBcrypt, BcryptCost: 4}
	cheapArgon2 = Options{Algorithm: AlgorithmArgon2, Argon2: Argon2Options{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}}
)

func TestHashAndCompare(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		opts   Options
		prefix string
	}{
		{"bcrypt", cheapBcrypt, "$2a$04$"},
		{"argon2id", cheapArgon2, "$argon2id$v=19$m=64,t=1,p=1$"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := New(tc.opts)
			got, err := h.Hash(ctx, []byte("correct horse"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got, tc.prefix) {
				t.Fatalf("hash %q lacks prefix %q", got, tc.prefix)
			}
			if err := h.Compare(ctx, []byte("correct horse"), got); err != nil {
				t.Fatalf("compare right password: %v", err)
			}
			if err := h.Compare(ctx, []byte("correct horsE"), got); !errors.Is(err, ErrMismatch) {
				t.Fatalf("compare wrong password: got %v, want ErrMismatch", err)
			}
			if h.NeedsRehash(got) {
				t.Fatal("fresh hash needs rehash")
			}
			again, _ := h.Hash(ctx, []byte("correct horse"))
			if again == got {
				t.Fatal("two hashes of one password are equal: salt not random")
			}
		})
	}
}

func TestArgon2PHCEncoding(t *testing.T) {
	h := New(cheapArgon2)
	got, err := h.Hash(context.Background(), []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(got, "$")
	if len(parts) != 6 || strings.Contains(got, "=$") || strings.HasSuffix(got, "=") {
		t.Fatalf("not an unpadded PHC string: %q", got)
	}
	salt, _ := base64.RawStdEncoding.DecodeString(parts[4])
	key, _ := base64.RawStdEncoding.DecodeString(parts[5])
	if len(salt) != 16 || len(key) != 32 {
		t.Fatalf("salt %d bytes, key %d bytes", len(salt), len(key))
	}
	if want := argon2.IDKey([]byte("pw"), salt, 1, 64, 1, 32); string(want) != string(key) {
		t.Fatal("key is not argon2id of the password")
	}
}

func TestBcryptPasswordTooLong(t *testing.T) {
	h := New(cheapBcrypt)
	if _, err := h.Hash(context.Background(), []byte(strings.Repeat("a", 73))); !errors.Is(err, ErrPasswordTooLong) {
		t.Fatalf("got %v, want ErrPasswordTooLong", err)
	}
	if _, err := h.Hash(context.Background(), []byte(strings.Repeat("a", 72))); err != nil {
		t.Fatalf("72 bytes: %v", err)
	}
	// argon2 has no such limit.
	if _, err := New(cheapArgon2).Hash(context.Background(), []byte(strings.Repeat("a", 200))); err != nil {
		t.Fatalf("argon2 long password: %v", err)
	}
}

func b64(b []byte) string { return base64.RawStdEncoding.EncodeToString(b) }

// foreign builds stored hashes in the formats other systems write.
func foreign(t *testing.T, pw string) map[string]string {
	t.Helper()
	salt := []byte("0123456789abcdef")
	b2b, _ := bcrypt.GenerateFromPassword([]byte(pw), 4)
	b2y := "$2y$" + string(b2b)[4:]
	b2bb := "$2b$" + string(b2b)[4:]
	p256, _ := pbkdf2.Key(sha256.New, pw, salt, 1000, 32)
	p1, _ := pbkdf2.Key(sha1.New, pw, salt, 1000, 20)
	sc, _ := scrypt.Key([]byte(pw), salt, 1024, 8, 1, 32)
	ssha := sha1.Sum(append([]byte(pw), salt...))
	ssha256 := sha256.Sum256(append([]byte(pw), salt...))
	return map[string]string{
		"bcrypt 2a":       string(b2b),
		"bcrypt 2b":       b2bb,
		"bcrypt 2y":       b2y,
		"argon2id":        "$argon2id$v=19$m=64,t=2,p=1$" + b64(salt) + "$" + b64(argon2.IDKey([]byte(pw), salt, 2, 64, 1, 32)),
		"argon2id padded": "$argon2id$v=19$m=64,t=2,p=1$" + base64.StdEncoding.EncodeToString(salt) + "$" + base64.StdEncoding.EncodeToString(argon2.IDKey([]byte(pw), salt, 2, 64, 1, 32)),
		"argon2i":         "$argon2i$v=19$m=64,t=2,p=1$" + b64(salt) + "$" + b64(argon2.Key([]byte(pw), salt, 2, 64, 1, 24)),
		"pbkdf2-sha256":   "$pbkdf2-sha256$i=1000,l=32$" + b64(salt) + "$" + b64(p256),
		"pbkdf2-sha1":     "$pbkdf2-sha1$i=1000,l=20$" + b64(salt) + "$" + b64(p1),
		"scrypt log2 N":   "$scrypt$ln=10,r=8,p=1$" + b64(salt) + "$" + b64(sc),
		"scrypt N":        "$scrypt$ln=1024,r=8,p=1$" + b64(salt) + "$" + b64(sc),
		"ssha":            "{SSHA}" + base64.StdEncoding.EncodeToString(append(ssha[:], salt...)),
		"ssha256":         "{SSHA256}" + base64.StdEncoding.EncodeToString(append(ssha256[:], salt...)),
		"md5 pattern":     "$md5$pf=" + std("{SALT}{PASSWORD}") + "$" + std(string(salt)) + "$" + stdSum(md5.Sum([]byte(string(salt)+pw))),
		"md5":             "$md5$" + stdSum(md5.Sum([]byte(pw))),
		"sha1 pattern":    "$sha1$pf=" + std("{PASSWORD}:{SALT}") + "$" + std(string(salt)) + "$" + stdSum(sha1.Sum([]byte(pw+":"+string(salt)))),
		"sha256":          "$sha256$" + stdSum(sha256.Sum256([]byte(pw))),
		"sha512":          "$sha512$" + stdSum(sha512.Sum512([]byte(pw))),
		"hmac-sha256":     "$hmac-sha256$" + std(hmacHex(sha256.New, salt, pw)) + "$" + std(string(salt)),
		"hmac-sha1":       "$hmac-sha1$" + std(hmacHex(sha1.New, salt, pw)) + "$" + std(string(salt)),
	}
}

func std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func stdSum[T [16]byte | [20]byte | [32]byte | [64]byte](sum T) string {
	var b []byte
	switch v := any(sum).(type) {
	case [16]byte:
		b = v[:]
	case [20]byte:
		b = v[:]
	case [32]byte:
		b = v[:]
	case [64]byte:
		b = v[:]
	}
	return base64.StdEncoding.EncodeToString(b)
}

func hmacHex(f func() stdhash.Hash, key []byte, pw string) string {
	m := hmac.New(f, key)
	m.Write([]byte(pw))
	return hex.EncodeToString(m.Sum(nil))
}

// TestCompareCryptAndKratosFixtures checks SHA-crypt against glibc (crypt(3) through Python's
// crypt module) and every legacy format against a hash Kratos stored for a known password
// (the Kratos fixture database of the importer: testdata of internal/kratosimport).
func TestCompareCryptAndKratosFixtures(t *testing.T) {
	h := New(cheapBcrypt)
	cases := []struct{ pw, stored string }{
		{"s3cret pw", "$6$rounds=5000$saltsaltsalt$RnMxiUhFkKwWr59R5lC8wuLLcPd8R9rmyzNVTC8B5BXKcZnKA1V4D3kZaZh76tfL57aCnRx/QIIgzm.4cLNs//"},
		{"s3cret pw", "$5$rounds=1000$abc$FNfwEZP/AB3RDe42QM8Iy/XGvw1nGPDwUCw0BptxHR2"},
		{"s3cret pw", "$6$usesomesillystri$RxjRXPKMltUPHXl4oZWmtOPSSb8CjCdz5U6MyMQu3ICAffJDIflfrHUgPC4HVK2k4O0B0uoybq6QtdFKmvKu71"},
		{"ivan-Secret-2024!", "$md5$pf=e1NBTFR9e1BBU1NXT1JEfQ==$Y2VkMTBmNjkwZmVmNTJiNQ==$PYHWedNLIY50IaJiTf+9pg=="},
		{"ken-Secret-2024!", "$sha512-crypt$rounds=5000$yec8K1zP69INydgu$PRoUueME0xjHGsWi3wKSQH1PgQxV5URvjoSqq1pwIdwmNLJb0BeBGgrEZhpBvHLnFLktGqZ9RkeA9KdlW16TE."},
		{"mia-Secret-2024!", "$hmac-sha256$MGE0MGU3YTYyNDAwMjBjYWJiMDdmYTk0Njg5NWQ4MjM0NWZkODk5ODdiZTAzMThmYzFiZjk1MTY3N2Y2Y2M2MA==$H2JM88yg/6BH6WFw7bBmEricezamZle1NDn+9XjgPSQ="},
		{"judy-Secret-2024!", "{SSHA}XjL+ZoH0UnaCujkqHRWARjnHy9NQsvtjG5tTqQ=="},
		{"heidi-Secret-2024!", "$scrypt$ln=16384,r=8,p=1$CiUCz8ovjmp/wFHuDhSlSbhIvDwthSa6HIHymxtaNs8=$23oyeBw7yMmpKz6h/kiRc2Lu1rBkb3XKlLxo/53t+ME="},
	}
	for _, c := range cases {
		if err := h.Compare(context.Background(), []byte(c.pw), c.stored); err != nil {
			t.Errorf("%s: right password: %v", c.stored, err)
		}
		if err := h.Compare(context.Background(), []byte(c.pw+"x"), c.stored); !errors.Is(err, ErrMismatch) {
			t.Errorf("%s: wrong password: %v, want ErrMismatch", c.stored, err)
		}
		if !h.NeedsRehash(c.stored) {
			t.Errorf("%s: NeedsRehash = false", c.stored)
		}
	}
	for _, bad := range []string{"$6$rounds=99999999$salt$x", "$6$salt$short", "$md5$pf=nope$$", "$hmac-whirlpool$YQ==$YQ==", "$sha256$YWJj", "$md5$pf=" + std("no placeholder") + "$YQ==$" + stdSum(md5.Sum(nil))} {
		if err := h.Compare(context.Background(), []byte("pw"), bad); errors.Is(err, ErrMismatch) || err == nil {
			t.Errorf("%s: %v, want malformed or unsupported", bad, err)
		}
	}
}

func TestCompareForeignFormats(t *testing.T) {
	h := New(cheapBcrypt)
	ctx := context.Background()
	for name, stored := range foreign(t, "s3cret pw") {
		t.Run(name, func(t *testing.T) {
			if err := h.Compare(ctx, []byte("s3cret pw"), stored); err != nil {
				t.Fatalf("right password: %v (%s)", err, stored)
			}
			if err := h.Compare(ctx, []byte("s3cret px"), stored); !errors.Is(err, ErrMismatch) {
				t.Fatalf("wrong password: got %v, want ErrMismatch", err)
			}
		})
	}
}

func TestCompareMalformed(t *testing.T) {
	h := New(cheapBcrypt)
	for _, tc := range []struct {
		stored string
		want   error
	}{
		{"", ErrMalformed},
		{"plaintext", ErrUnsupported},
		{"$md5$abc", ErrMalformed},
		{"$md5-crypt$abc", ErrUnsupported},
		{"$2a$04$short", ErrMalformed},
		{"$argon2id$v=19$m=64,t=1,p=1$c2FsdA", ErrMalformed},
		{"$argon2id$v=19$m=64,t=1$c2FsdA$aGFzaA", ErrMalformed},
		{"$argon2id$v=19$m=64,t=0,p=1$c2FsdA$aGFzaA", ErrMalformed},
		{"$argon2id$v=19$m=64,t=1,p=0$c2FsdA$aGFzaA", ErrMalformed},
		{"$argon2id$v=19$m=1,t=1,p=4$c2FsdA$aGFzaA", ErrMalformed},
		{"$argon2id$v=19$m=x,t=1,p=1$c2FsdA$aGFzaA", ErrMalformed},
		{"$argon2id$v=19$m=64,t=1,p=1$!!!$aGFzaA", ErrMalformed},
		{"$argon2id$v=18$m=64,t=1,p=1$c2FsdA$aGFzaA", ErrUnsupported},
		{"$pbkdf2-md5$i=1,l=4$c2FsdA$aGFzaA", ErrUnsupported},
		{"$pbkdf2-sha256$i=1,l=9$c2FsdA$aGFzaA", ErrMalformed},
		{"$scrypt$ln=1000,r=8,p=1$c2FsdA$aGFzaA", ErrMalformed},
		{"{SSHA}AAAA", ErrMalformed},
		{"{SMD5}AAAA", ErrUnsupported},
	} {
		err := h.Compare(context.Background(), []byte("pw"), tc.stored)
		if !errors.Is(err, tc.want) {
			t.Errorf("Compare(%q) = %v, want %v", tc.stored, err, tc.want)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	ctx := context.Background()
	bc4, _ := New(cheapBcrypt).Hash(ctx, []byte("pw"))
	bc5, _ := New(Options{Algorithm: AlgorithmBcrypt, BcryptCost: 5}).Hash(ctx, []byte("pw"))
	ar, _ := New(cheapArgon2).Hash(ctx, []byte("pw"))
	weak := cheapArgon2
	weak.Argon2.Memory = 32
	arWeak, _ := New(weak).Hash(ctx, []byte("pw"))
	fs := foreign(t, "pw")

	for _, tc := range []struct {
		name   string
		opts   Options
		stored string
		want   bool
	}{
		{"bcrypt same cost", cheapBcrypt, bc4, false},
		{"bcrypt stronger stored", cheapBcrypt, bc5, false},
		{"bcrypt weaker stored", Options{Algorithm: AlgorithmBcrypt, BcryptCost: 5}, bc4, true},
		{"bcrypt configured, argon2 stored", cheapBcrypt, ar, true},
		{"argon2 configured, bcrypt stored", cheapArgon2, bc4, true},
		{"argon2 same", cheapArgon2, ar, false},
		{"argon2 less memory", cheapArgon2, arWeak, true},
		{"argon2i stored", cheapArgon2, fs["argon2i"], true},
		{"pbkdf2 stored", cheapBcrypt, fs["pbkdf2-sha256"], true},
		{"malformed", cheapBcrypt, "$2a$xx", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := New(tc.opts).NeedsRehash(tc.stored); got != tc.want {
				t.Fatalf("NeedsRehash = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDefaultsAndDummy(t *testing.T) {
	h := New(Options{Algorithm: AlgorithmArgon2, Argon2: Argon2Options{Memory: 64, Iterations: 1}})
	o := h.Options()
	if o.BcryptCost != DefaultBcryptCost || o.Argon2.SaltLength != 16 || o.Argon2.KeyLength != 32 || o.Argon2.Parallelism == 0 {
		t.Fatalf("defaults not applied: %+v", o)
	}
	if !strings.HasPrefix(h.dummy, "$argon2id$") {
		t.Fatalf("dummy hash not precomputed in the configured algorithm: %q", h.dummy)
	}
	h.DummyCompare(context.Background(), []byte("anything")) // must not panic
}

func TestContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h := New(cheapBcrypt)
	if _, err := h.Hash(ctx, []byte("pw")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash: %v", err)
	}
	if err := h.Compare(ctx, []byte("pw"), h.dummy); !errors.Is(err, context.Canceled) {
		t.Fatalf("Compare: %v", err)
	}
}
