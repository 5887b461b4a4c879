package workspace

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// seal returns plain sealed as the archive name under key.
func seal(t *testing.T, key []byte, name string, plain []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	s, err := newSealer(&buf, key, name)
	if err != nil {
		t.Fatal(err)
	}
	// Written in odd pieces, as gzip writes.
	for p := plain; len(p) > 0; {
		n := min(len(p), 1+len(p)%7919)
		if _, err := s.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// open returns what the archive sealed holds, read to its end.
func open(key []byte, name string, sealed []byte) ([]byte, error) {
	if !bytes.HasPrefix(sealed, []byte(magic)) {
		return nil, errors.New("no magic")
	}
	o, err := newOpener(bytes.NewReader(sealed[len(magic):]), key, name)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	return io.ReadAll(o)
}

func TestSealOpenRoundTrip(t *testing.T) {
	key := bytes.Repeat([]byte{1}, KeySize)
	rnd := rand.New(rand.NewPCG(5, 6))
	for _, size := range []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 2 * chunkSize, 3*chunkSize + 17} {
		plain := make([]byte, size)
		for i := range plain {
			plain[i] = byte(rnd.Uint32())
		}
		sealed := seal(t, key, "p/1", plain)
		chunks := max(1, (size+chunkSize-1)/chunkSize)
		if want := len(magic) + saltSize + size + chunks*tagSize; len(sealed) != want {
			t.Errorf("sealed %d bytes into %d, want %d (%d chunks)", size, len(sealed), want, chunks)
		}
		got, err := open(key, "p/1", sealed)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("open(seal(%d bytes)) = %d bytes, %v; want them back", size, len(got), err)
		}
	}
}

// TestOpenDetectsChunkTampering moves whole chunks about, which each open on their own: the
// chunk index and the last-chunk flag in the nonce catch it.
func TestOpenDetectsChunkTampering(t *testing.T) {
	key := bytes.Repeat([]byte{1}, KeySize)
	plain := bytes.Repeat([]byte("0123456789abcdef"), 3*chunkSize/16+100) // 4 chunks, the last short
	sealed := seal(t, key, "p/1", plain)
	head, body := sealed[:len(magic)+saltSize], sealed[len(magic)+saltSize:]
	const enc = chunkSize + tagSize
	chunk := func(i int) []byte { return body[i*enc : min(len(body), (i+1)*enc)] }
	join := func(parts ...[]byte) []byte { return bytes.Join(append([][]byte{head}, parts...), nil) }
	tests := map[string][]byte{
		"last chunk dropped":    join(chunk(0), chunk(1), chunk(2)),
		"middle chunk dropped":  join(chunk(0), chunk(1), chunk(3)),
		"chunks swapped":        join(chunk(1), chunk(0), chunk(2), chunk(3)),
		"a chunk repeated":      join(chunk(0), chunk(0), chunk(1), chunk(2), chunk(3)),
		"last chunk repeated":   join(chunk(0), chunk(1), chunk(2), chunk(3), chunk(3)),
		"only the last chunk":   join(chunk(3)),
		"no chunk":              join(),
		"salt of another":       append(seal(t, key, "p/1", plain)[:len(magic)+saltSize:len(magic)+saltSize], body...),
		"intact, for reference": sealed,
	}
	for name, data := range tests {
		got, err := open(key, "p/1", data)
		if name == "intact, for reference" {
			if err != nil || !bytes.Equal(got, plain) {
				t.Errorf("open(intact) = %d bytes, %v; want them back", len(got), err)
			}
			continue
		}
		if !errors.Is(err, ErrDamaged) {
			t.Errorf("open(%s) = %d bytes, %v; want ErrDamaged", name, len(got), err)
		}
	}
	if _, err := open(key, "p/2", sealed); !errors.Is(err, ErrDamaged) {
		t.Errorf("open as p/2 of p/1 = %v, want ErrDamaged", err)
	}
}

// BenchmarkSeal and BenchmarkOpen are what encryption adds to storing and restoring a
// revision, per byte of the gzipped tar, without the object store.
func BenchmarkSeal(b *testing.B) {
	key := bytes.Repeat([]byte{1}, KeySize)
	plain := make([]byte, 4<<20)
	var buf bytes.Buffer
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		buf.Reset()
		s, err := newSealer(&buf, key, "p/1")
		if err != nil {
			b.Fatal(err)
		}
		for p := plain; len(p) > 0; p = p[min(len(p), 32<<10):] { // as gzip writes
			if _, err := s.Write(p[:min(len(p), 32<<10)]); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	key := bytes.Repeat([]byte{1}, KeySize)
	plain := make([]byte, 4<<20)
	var buf bytes.Buffer
	s, err := newSealer(&buf, key, "p/1")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Write(plain); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	sealed := buf.Bytes()[len(magic):]
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		o, err := newOpener(bytes.NewReader(sealed), key, "p/1")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, o); err != nil {
			b.Fatal(err)
		}
		o.Close()
	}
}
